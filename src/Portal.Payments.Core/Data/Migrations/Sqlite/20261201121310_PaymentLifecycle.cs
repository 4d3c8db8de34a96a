using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PaymentLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CompletedAt",
                table: "pp_sandbox_charges",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "AcceptedAt",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ChargeStartedAt",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "StatusChangedAt",
                table: "pp_payments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "StatusChecks",
                table: "pp_payments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "pp_gateway_events",
                columns: table => new
                {
                    GatewayKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EventId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PaymentId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Outcome = table.Column<int>(type: "INTEGER", nullable: false),
                    OccurredAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ProcessedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_gateway_events", x => new { x.GatewayKey, x.EventId });
                });

            migrationBuilder.CreateTable(
                name: "pp_sandbox_captures",
                columns: table => new
                {
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MethodToken = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_sandbox_captures", x => x.TokenHash);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_GatewayReference",
                table: "pp_payments",
                column: "GatewayReference");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_Status_LeaseExpiresAt",
                table: "pp_payments",
                columns: new[] { "Status", "LeaseExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_Status_NextCheckAt",
                table: "pp_payments",
                columns: new[] { "Status", "NextCheckAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_outbox_Kind_CompletedAt_CreatedAt",
                table: "pp_outbox",
                columns: new[] { "Kind", "CompletedAt", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pp_gateway_events");

            migrationBuilder.DropTable(
                name: "pp_sandbox_captures");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_GatewayReference",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_Status_LeaseExpiresAt",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_payments_Status_NextCheckAt",
                table: "pp_payments");

            migrationBuilder.DropIndex(
                name: "IX_pp_outbox_Kind_CompletedAt_CreatedAt",
                table: "pp_outbox");

            migrationBuilder.DropColumn(
                name: "CompletedAt",
                table: "pp_sandbox_charges");

            migrationBuilder.DropColumn(
                name: "AcceptedAt",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "ChargeStartedAt",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "StatusChangedAt",
                table: "pp_payments");

            migrationBuilder.DropColumn(
                name: "StatusChecks",
                table: "pp_payments");
        }
    }
}
