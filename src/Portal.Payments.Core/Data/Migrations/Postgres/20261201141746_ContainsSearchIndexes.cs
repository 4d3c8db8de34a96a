using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <summary>
    /// Contains ("matches anywhere") search on PostgreSQL: the pg_trgm extension and trigram GIN indexes on the grids'
    /// search keys, which serve <c>key LIKE '%term%'</c>. Raw SQL only (the EF model does not know these indexes), so it can
    /// be carried over unchanged when the migrations are squashed. An extension exists once per database, in one schema:
    /// pg_trgm already installed (in <c>public</c>, or any schema) is used where it is, its operator class named with its
    /// schema (the portal's connections search only the portal's schema); otherwise it is created in the portal's schema,
    /// which needs CREATE on the database (pg_trgm is a trusted extension from PostgreSQL 13). A role without it fails with
    /// a message saying what to run.
    /// </summary>
    internal partial class ContainsSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $pp$
                DECLARE
                    ext text;
                BEGIN
                    SELECT n.nspname INTO ext FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
                    IF ext IS NULL THEN
                        BEGIN
                            CREATE EXTENSION IF NOT EXISTS pg_trgm;
                        EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
                            RAISE EXCEPTION 'Portal.Payments needs the PostgreSQL extension pg_trgm (for its search), and role % may not create it (%). Ask a database owner to run CREATE EXTENSION pg_trgm SCHEMA public; (any schema will do) or grant CREATE on the database to the role that migrates, then start again.', current_user, SQLERRM;
                        END;
                        SELECT n.nspname INTO ext FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
                    END IF;
                    IF NOT has_schema_privilege(ext, 'USAGE') THEN
                        RAISE EXCEPTION 'Portal.Payments needs the PostgreSQL extension pg_trgm (for its search); it is installed in schema %, which role % may not use. Ask a database owner to run GRANT USAGE ON SCHEMA % TO %; then start again.', ext, current_user, ext, current_user;
                    END IF;
                    EXECUTE format('CREATE INDEX "IX_pp_invoices_NumberKey_trgm" ON pp_invoices USING gin ("NumberKey" %I.gin_trgm_ops)', ext);
                    EXECUTE format('CREATE INDEX "IX_pp_invoices_PoKey_trgm" ON pp_invoices USING gin ("PoKey" %I.gin_trgm_ops)', ext);
                    EXECUTE format('CREATE INDEX "IX_pp_invoices_ReferenceKey_trgm" ON pp_invoices USING gin ("ReferenceKey" %I.gin_trgm_ops)', ext);
                    EXECUTE format('CREATE INDEX "IX_pp_payments_ReceiptKey_trgm" ON pp_payments USING gin ("ReceiptKey" %I.gin_trgm_ops)', ext);
                    EXECUTE format('CREATE INDEX "IX_pp_payments_MemoKey_trgm" ON pp_payments USING gin ("MemoKey" %I.gin_trgm_ops)', ext);
                    EXECUTE format('CREATE INDEX "IX_pp_payment_allocations_InvoiceNumberKey_trgm" ON pp_payment_allocations USING gin ("InvoiceNumberKey" %I.gin_trgm_ops)', ext);
                END
                $pp$;
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
