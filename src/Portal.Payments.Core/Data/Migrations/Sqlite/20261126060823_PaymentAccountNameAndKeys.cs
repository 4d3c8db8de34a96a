using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PaymentAccountNameAndKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AccountName",
                table: "pp_payments",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MethodKey",
                table: "pp_payments",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "BINARY");

            migrationBuilder.AddColumn<string>(
                name: "PaidByKey",
                table: "pp_payments",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "BINARY");

            // Existing payments get their keys (new ones are set on save): ASCII upper case, as the keys of the PaymentHistory migration.
            migrationBuilder.Sql(@"UPDATE pp_payments SET MethodKey = substr(upper(trim(MethodDescription)), 1, 200), PaidByKey = substr(upper(trim(CreatedByName)), 1, 200);");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_MethodKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "MethodKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_PaidByKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "PaidByKey" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AccountId_MethodKey",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AccountId_PaidByKey",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "AccountName",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "MethodKey",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "PaidByKey",
                table: "pp_payments");
        }
    }
}
