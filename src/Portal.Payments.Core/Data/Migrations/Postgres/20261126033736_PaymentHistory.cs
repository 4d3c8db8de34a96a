using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PaymentHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_payment_allocations_PaymentId",
                table: "pp_payment_allocations");

            migrationBuilder.AddColumn<string>(
                name: "MemoKey",
                table: "pp_payments",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "ReceiptKey",
                table: "pp_payments",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "",
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "InvoiceNumberKey",
                table: "pp_payment_allocations",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                collation: "C");

            // Backfill the search keys of existing rows (new rows get them from the DbContext on save).
            migrationBuilder.Sql(@"UPDATE pp_payments SET ""ReceiptKey"" = left(upper(btrim(""ReceiptNumber"")), 32), ""MemoKey"" = left(upper(btrim(coalesce(""Memo"", ''))), 200);");
            migrationBuilder.Sql(@"UPDATE pp_payment_allocations SET ""InvoiceNumberKey"" = left(upper(btrim(""InvoiceNumber"")), 64);");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_MemoKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "MemoKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_ReceiptKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "ReceiptKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_Status_CreatedAt",
                table: "pp_payments",
                columns: new[] { "AccountId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_InvoiceNumberKey_PaymentId",
                table: "pp_payment_allocations",
                columns: new[] { "InvoiceNumberKey", "PaymentId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_PaymentId_InvoiceNumberKey",
                table: "pp_payment_allocations",
                columns: new[] { "PaymentId", "InvoiceNumberKey" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AccountId_MemoKey",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AccountId_ReceiptKey",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AccountId_Status_CreatedAt",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payment_allocations_InvoiceNumberKey_PaymentId",
                table: "pp_payment_allocations");

            migrationBuilder.DropIndex(
                name: "IX_pp_payment_allocations_PaymentId_InvoiceNumberKey",
                table: "pp_payment_allocations");

            migrationBuilder.DropColumn(
                name: "MemoKey",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "ReceiptKey",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "InvoiceNumberKey",
                table: "pp_payment_allocations");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_PaymentId",
                table: "pp_payment_allocations",
                column: "PaymentId");
        }
    }
}
