using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    /// <summary>Cards not saved for future payments (removed once their payments are done).</summary>
    internal partial class SingleUseMethods : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "SingleUse",
                table: "pp_payment_methods",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SingleUse",
                table: "pp_payment_methods");
        }
    }
}
