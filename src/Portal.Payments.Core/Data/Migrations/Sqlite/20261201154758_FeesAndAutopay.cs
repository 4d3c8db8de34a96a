using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    /// <summary>Convenience fees (fee columns on payments, card funding on methods, billing region) and autopay (enrolments, items, disputed invoices).</summary>
    internal partial class FeesAndAutopay : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "AutopayEnrollmentId",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BillingRegion",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FeeLabel",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FeeMinor",
                table: "pp_payments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Funding",
                table: "pp_payment_methods",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "IsDisputed",
                table: "pp_invoices",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "Recurring",
                table: "pp_ach_authorizations",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "pp_autopay_enrollments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AccountName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    BillingRegion = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    PaymentMethodId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Rule = table.Column<int>(type: "INTEGER", nullable: false),
                    DaysBeforeDue = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxPaymentMinor = table.Column<long>(type: "INTEGER", nullable: true),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    ApplyCreditMemos = table.Column<bool>(type: "INTEGER", nullable: false),
                    ApplyUnappliedCash = table.Column<bool>(type: "INTEGER", nullable: false),
                    EndDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    AchAuthorizationId = table.Column<Guid>(type: "TEXT", nullable: true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    UserName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    UserEmail = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CancelledAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    NextExpansionAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LeaseOwner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_autopay_enrollments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_autopay_items",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    EnrollmentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    InvoiceId = table.Column<long>(type: "INTEGER", nullable: false),
                    InvoiceNumber = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    SkipReason = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    PaymentId = table.Column<Guid>(type: "TEXT", nullable: true),
                    DebitDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpcomingNotifiedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Generation = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_autopay_items", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AutopayEnrollmentId_Status",
                table: "pp_payments",
                columns: new[] { "AutopayEnrollmentId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_autopay_enrollments_AccountId",
                table: "pp_autopay_enrollments",
                column: "AccountId",
                unique: true,
                filter: "\"CancelledAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_pp_autopay_enrollments_CancelledAt_NextExpansionAt",
                table: "pp_autopay_enrollments",
                columns: new[] { "CancelledAt", "NextExpansionAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_autopay_items_AccountId_InvoiceId",
                table: "pp_autopay_items",
                columns: new[] { "AccountId", "InvoiceId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_autopay_items_EnrollmentId_InvoiceId",
                table: "pp_autopay_items",
                columns: new[] { "EnrollmentId", "InvoiceId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_autopay_items_PaymentId",
                table: "pp_autopay_items",
                column: "PaymentId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pp_autopay_enrollments");

            migrationBuilder.DropTable(
                name: "pp_autopay_items");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_AutopayEnrollmentId_Status",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "AutopayEnrollmentId",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "BillingRegion",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "FeeLabel",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "FeeMinor",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "Funding",
                table: "pp_payment_methods");

            migrationBuilder.DropColumn(
                name: "IsDisputed",
                table: "pp_invoices");

            migrationBuilder.DropColumn(
                name: "Recurring",
                table: "pp_ach_authorizations");
        }
    }
}
