using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <summary>
    /// Contains ("matches anywhere") search on PostgreSQL: the pg_trgm extension and trigram GIN indexes on the grids'
    /// search keys, which serve <c>key LIKE '%term%'</c>. Raw SQL only (the EF model does not know these indexes), so it can
    /// be carried over unchanged when the migrations are squashed. pg_trgm is a trusted extension (PostgreSQL 13+): the
    /// migrating role needs CREATE on the database; on older servers a superuser runs <c>CREATE EXTENSION pg_trgm</c> first.
    /// </summary>
    internal partial class ContainsSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
                CREATE INDEX "IX_pp_invoices_NumberKey_trgm" ON pp_invoices USING gin ("NumberKey" gin_trgm_ops);
                CREATE INDEX "IX_pp_invoices_PoKey_trgm" ON pp_invoices USING gin ("PoKey" gin_trgm_ops);
                CREATE INDEX "IX_pp_invoices_ReferenceKey_trgm" ON pp_invoices USING gin ("ReferenceKey" gin_trgm_ops);
                CREATE INDEX "IX_pp_payments_ReceiptKey_trgm" ON pp_payments USING gin ("ReceiptKey" gin_trgm_ops);
                CREATE INDEX "IX_pp_payments_MemoKey_trgm" ON pp_payments USING gin ("MemoKey" gin_trgm_ops);
                CREATE INDEX "IX_pp_payment_allocations_InvoiceNumberKey_trgm" ON pp_payment_allocations USING gin ("InvoiceNumberKey" gin_trgm_ops);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The extension stays: other schemas of the database may use it.
            migrationBuilder.Sql("""
                DROP INDEX "IX_pp_payment_allocations_InvoiceNumberKey_trgm";
                DROP INDEX "IX_pp_payments_MemoKey_trgm";
                DROP INDEX "IX_pp_payments_ReceiptKey_trgm";
                DROP INDEX "IX_pp_invoices_ReferenceKey_trgm";
                DROP INDEX "IX_pp_invoices_PoKey_trgm";
                DROP INDEX "IX_pp_invoices_NumberKey_trgm";
                """);
        }
    }
}
