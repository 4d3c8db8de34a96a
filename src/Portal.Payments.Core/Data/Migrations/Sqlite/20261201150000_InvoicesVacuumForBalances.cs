using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <summary>
    /// The PostgreSQL migration of the same name keeps <c>pp_invoices</c>' visibility map fresh for index-only balances.
    /// SQLite has no visibility map (its covering index is read as it is): nothing to do, kept so both providers list the
    /// same migrations.
    /// </summary>
    [DbContext(typeof(SqlitePaymentsDbContext))]
    [Migration("20261201150000_InvoicesVacuumForBalances")]
    internal partial class InvoicesVacuumForBalances : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
