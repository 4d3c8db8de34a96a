using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ConvenienceFees : Migration
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
        }
    }
}
