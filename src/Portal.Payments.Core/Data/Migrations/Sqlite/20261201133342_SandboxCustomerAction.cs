using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SandboxCustomerAction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ActionResult",
                table: "pp_sandbox_charges",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ActionResult",
                table: "pp_sandbox_charges");
        }
    }
}
