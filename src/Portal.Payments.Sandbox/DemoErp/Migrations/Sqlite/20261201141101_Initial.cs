using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Sandbox.DemoErp.Migrations.Sqlite
{
    /// <summary>The demo ERP's tables, in the portal's database with their own history table.</summary>
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pp_demo_erp_accounts",
                columns: table => new
                {
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AnchorDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    ChangeSequence = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_demo_erp_accounts", x => x.AccountId);
                });

            migrationBuilder.CreateTable(
                name: "pp_demo_erp_allocations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PostingId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ItemIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    ItemExternalId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClearedMinor = table.Column<long>(type: "INTEGER", nullable: false),
                    SettledSequence = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_demo_erp_allocations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_demo_erp_postings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    PayloadJson = table.Column<string>(type: "TEXT", nullable: false),
                    ErpReference = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    PostedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SettledSequence = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_demo_erp_postings", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pp_demo_erp_allocations_AccountId_ItemExternalId",
                table: "pp_demo_erp_allocations",
                columns: new[] { "AccountId", "ItemExternalId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_demo_erp_allocations_AccountId_ItemIndex",
                table: "pp_demo_erp_allocations",
                columns: new[] { "AccountId", "ItemIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_demo_erp_allocations_AccountId_SettledSequence",
                table: "pp_demo_erp_allocations",
                columns: new[] { "AccountId", "SettledSequence" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_demo_erp_postings_AccountId_SettledSequence",
                table: "pp_demo_erp_postings",
                columns: new[] { "AccountId", "SettledSequence" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pp_demo_erp_accounts");

            migrationBuilder.DropTable(
                name: "pp_demo_erp_allocations");

            migrationBuilder.DropTable(
                name: "pp_demo_erp_postings");
        }
    }
}
