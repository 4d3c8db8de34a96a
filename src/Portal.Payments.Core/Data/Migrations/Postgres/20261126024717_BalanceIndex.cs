using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BalanceIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_DueDate",
                table: "pp_invoices");

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_DueDate_OpenMinor",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "DueDate", "OpenMinor" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_DueDate_OpenMinor",
                table: "pp_invoices");

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_DueDate",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "DueDate" });
        }
    }
}
