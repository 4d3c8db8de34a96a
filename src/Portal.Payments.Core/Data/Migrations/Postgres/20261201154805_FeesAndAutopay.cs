using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
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
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BillingRegion",
                table: "pp_payments",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FeeLabel",
                table: "pp_payments",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FeeMinor",
                table: "pp_payments",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Funding",
                table: "pp_payment_methods",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "IsDisputed",
                table: "pp_invoices",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "Recurring",
                table: "pp_ach_authorizations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "pp_autopay_enrollments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AccountName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    BillingRegion = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    PaymentMethodId = table.Column<Guid>(type: "uuid", nullable: false),
                    Rule = table.Column<int>(type: "integer", nullable: false),
                    DaysBeforeDue = table.Column<int>(type: "integer", nullable: false),
                    MaxPaymentMinor = table.Column<long>(type: "bigint", nullable: true),
                    Currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    ApplyCreditMemos = table.Column<bool>(type: "boolean", nullable: false),
                    ApplyUnappliedCash = table.Column<bool>(type: "boolean", nullable: false),
                    EndDate = table.Column<DateOnly>(type: "date", nullable: true),
                    AchAuthorizationId = table.Column<Guid>(type: "uuid", nullable: true),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    UserEmail = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CancelledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    NextExpansionAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_autopay_enrollments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_autopay_items",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    EnrollmentId = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    InvoiceId = table.Column<long>(type: "bigint", nullable: false),
                    InvoiceNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    SkipReason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    PaymentId = table.Column<Guid>(type: "uuid", nullable: true),
                    DebitDate = table.Column<DateOnly>(type: "date", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpcomingNotifiedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Generation = table.Column<int>(type: "integer", nullable: false)
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
