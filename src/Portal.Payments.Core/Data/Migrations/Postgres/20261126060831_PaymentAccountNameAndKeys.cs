using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
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
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MethodKey",
                table: "pp_payments",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "PaidByKey",
                table: "pp_payments",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "C");

            // Existing payments get their keys (new ones are set on save).
            migrationBuilder.Sql(@"UPDATE pp_payments SET ""MethodKey"" = left(upper(btrim(""MethodDescription"")), 200), ""PaidByKey"" = left(upper(btrim(""CreatedByName"")), 200);");

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
