using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class GatewayEventConflicts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_pp_gateway_events_Outcome_ProcessedAt",
                table: "pp_gateway_events",
                columns: new[] { "Outcome", "ProcessedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_gateway_events_Outcome_ProcessedAt",
                table: "pp_gateway_events");
        }
    }
}
