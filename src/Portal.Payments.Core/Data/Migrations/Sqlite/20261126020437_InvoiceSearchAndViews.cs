using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InvoiceSearchAndViews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pp_saved_views_AccountId_Grid_OwnerUserId",
                table: "pp_saved_views");

            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_Number",
                table: "pp_invoices");

            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_PoNumber",
                table: "pp_invoices");

            migrationBuilder.DropColumn(
                name: "IsDefault",
                table: "pp_saved_views");

            migrationBuilder.AddColumn<string>(
                name: "OwnerName",
                table: "pp_saved_views",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "NumberKey",
                table: "pp_invoices",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                collation: "BINARY");

            migrationBuilder.AddColumn<string>(
                name: "PoKey",
                table: "pp_invoices",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                collation: "BINARY");

            migrationBuilder.AddColumn<string>(
                name: "ReferenceKey",
                table: "pp_invoices",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                collation: "BINARY");

            // Existing rows get their search keys (the ERP sync keeps them current from now on).
            migrationBuilder.Sql("UPDATE pp_invoices SET NumberKey = upper(trim(Number)), PoKey = upper(trim(coalesce(PoNumber, ''))), ReferenceKey = upper(trim(coalesce(Reference, '')));");

            migrationBuilder.CreateTable(
                name: "pp_grid_preferences",
                columns: table => new
                {
                    AccountId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Grid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DefaultViewId = table.Column<Guid>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_grid_preferences", x => new { x.AccountId, x.UserId, x.Grid });
                });

            migrationBuilder.CreateIndex(
                name: "IX_pp_saved_views_AccountId_Grid_IsShared",
                table: "pp_saved_views",
                columns: new[] { "AccountId", "Grid", "IsShared" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_saved_views_AccountId_Grid_OwnerUserId_Name",
                table: "pp_saved_views",
                columns: new[] { "AccountId", "Grid", "OwnerUserId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_NumberKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "NumberKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_PoKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "PoKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_ReferenceKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "ReferenceKey" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pp_grid_preferences");

            migrationBuilder.DropIndex(
                name: "IX_pp_saved_views_AccountId_Grid_IsShared",
                table: "pp_saved_views");

            migrationBuilder.DropIndex(
                name: "IX_pp_saved_views_AccountId_Grid_OwnerUserId_Name",
                table: "pp_saved_views");

            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_NumberKey",
                table: "pp_invoices");

            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_PoKey",
                table: "pp_invoices");

            migrationBuilder.DropIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_ReferenceKey",
                table: "pp_invoices");

            migrationBuilder.DropColumn(
                name: "OwnerName",
                table: "pp_saved_views");

            migrationBuilder.DropColumn(
                name: "NumberKey",
                table: "pp_invoices");

            migrationBuilder.DropColumn(
                name: "PoKey",
                table: "pp_invoices");

            migrationBuilder.DropColumn(
                name: "ReferenceKey",
                table: "pp_invoices");

            migrationBuilder.AddColumn<bool>(
                name: "IsDefault",
                table: "pp_saved_views",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_pp_saved_views_AccountId_Grid_OwnerUserId",
                table: "pp_saved_views",
                columns: new[] { "AccountId", "Grid", "OwnerUserId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_Number",
                table: "pp_invoices",
                columns: new[] { "AccountId", "Number" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_PoNumber",
                table: "pp_invoices",
                columns: new[] { "AccountId", "PoNumber" });
        }
    }
}
