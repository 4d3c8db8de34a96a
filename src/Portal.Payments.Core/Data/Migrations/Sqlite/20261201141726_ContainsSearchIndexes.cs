using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
{
    /// <summary>
    /// Contains ("matches anywhere") search on SQLite: FTS5 trigram indexes over the grids' search keys, kept current by
    /// triggers. Raw SQL only (the EF model does not know these tables), so it can be carried over unchanged when the
    /// migrations are squashed. Invoices and allocations use external-content tables keyed by their integer ids; payments
    /// (Guid ids, whose SQLite rowid may change on VACUUM) keep their id in an unindexed column.
    /// </summary>
    internal partial class ContainsSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE pp_invoice_search USING fts5(
                    NumberKey, PoKey, ReferenceKey,
                    content='pp_invoices', content_rowid='Id', tokenize='trigram');
                INSERT INTO pp_invoice_search(pp_invoice_search) VALUES('rebuild');
                CREATE TRIGGER pp_invoice_search_insert AFTER INSERT ON pp_invoices BEGIN
                    INSERT INTO pp_invoice_search(rowid, NumberKey, PoKey, ReferenceKey) VALUES (new.Id, new.NumberKey, new.PoKey, new.ReferenceKey);
                END;
                CREATE TRIGGER pp_invoice_search_delete AFTER DELETE ON pp_invoices BEGIN
                    INSERT INTO pp_invoice_search(pp_invoice_search, rowid, NumberKey, PoKey, ReferenceKey) VALUES ('delete', old.Id, old.NumberKey, old.PoKey, old.ReferenceKey);
                END;
                CREATE TRIGGER pp_invoice_search_update AFTER UPDATE OF NumberKey, PoKey, ReferenceKey ON pp_invoices BEGIN
                    INSERT INTO pp_invoice_search(pp_invoice_search, rowid, NumberKey, PoKey, ReferenceKey) VALUES ('delete', old.Id, old.NumberKey, old.PoKey, old.ReferenceKey);
                    INSERT INTO pp_invoice_search(rowid, NumberKey, PoKey, ReferenceKey) VALUES (new.Id, new.NumberKey, new.PoKey, new.ReferenceKey);
                END;

                CREATE VIRTUAL TABLE pp_allocation_search USING fts5(
                    InvoiceNumberKey,
                    content='pp_payment_allocations', content_rowid='Id', tokenize='trigram');
                INSERT INTO pp_allocation_search(pp_allocation_search) VALUES('rebuild');
                CREATE TRIGGER pp_allocation_search_insert AFTER INSERT ON pp_payment_allocations BEGIN
                    INSERT INTO pp_allocation_search(rowid, InvoiceNumberKey) VALUES (new.Id, new.InvoiceNumberKey);
                END;
                CREATE TRIGGER pp_allocation_search_delete AFTER DELETE ON pp_payment_allocations BEGIN
                    INSERT INTO pp_allocation_search(pp_allocation_search, rowid, InvoiceNumberKey) VALUES ('delete', old.Id, old.InvoiceNumberKey);
                END;
                CREATE TRIGGER pp_allocation_search_update AFTER UPDATE OF InvoiceNumberKey ON pp_payment_allocations BEGIN
                    INSERT INTO pp_allocation_search(pp_allocation_search, rowid, InvoiceNumberKey) VALUES ('delete', old.Id, old.InvoiceNumberKey);
                    INSERT INTO pp_allocation_search(rowid, InvoiceNumberKey) VALUES (new.Id, new.InvoiceNumberKey);
                END;

                CREATE VIRTUAL TABLE pp_payment_search USING fts5(
                    PaymentId UNINDEXED, ReceiptKey, MemoKey, tokenize='trigram');
                INSERT INTO pp_payment_search(PaymentId, ReceiptKey, MemoKey) SELECT Id, ReceiptKey, MemoKey FROM pp_payments;
                CREATE TRIGGER pp_payment_search_insert AFTER INSERT ON pp_payments BEGIN
                    INSERT INTO pp_payment_search(PaymentId, ReceiptKey, MemoKey) VALUES (new.Id, new.ReceiptKey, new.MemoKey);
                END;
                CREATE TRIGGER pp_payment_search_delete AFTER DELETE ON pp_payments BEGIN
                    DELETE FROM pp_payment_search WHERE PaymentId = old.Id;
                END;
                CREATE TRIGGER pp_payment_search_update AFTER UPDATE OF ReceiptKey, MemoKey ON pp_payments
                    WHEN old.ReceiptKey IS NOT new.ReceiptKey OR old.MemoKey IS NOT new.MemoKey BEGIN
                    DELETE FROM pp_payment_search WHERE PaymentId = old.Id;
                    INSERT INTO pp_payment_search(PaymentId, ReceiptKey, MemoKey) VALUES (new.Id, new.ReceiptKey, new.MemoKey);
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER pp_payment_search_update;
                DROP TRIGGER pp_payment_search_delete;
                DROP TRIGGER pp_payment_search_insert;
                DROP TABLE pp_payment_search;
                DROP TRIGGER pp_allocation_search_update;
                DROP TRIGGER pp_allocation_search_delete;
                DROP TRIGGER pp_allocation_search_insert;
                DROP TABLE pp_allocation_search;
                DROP TRIGGER pp_invoice_search_update;
                DROP TRIGGER pp_invoice_search_delete;
                DROP TRIGGER pp_invoice_search_insert;
                DROP TABLE pp_invoice_search;
                """);
        }
    }
}
