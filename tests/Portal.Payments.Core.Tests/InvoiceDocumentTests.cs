using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Sync;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class InvoiceDocumentTests(TestDatabase database)
{
    private static async Task<(PortalHarness H, string Account, InvoiceRecord Invoice)> SeededAsync(TestDatabase database, PortalPermissions permissions = PortalPermissions.Pay)
    {
        var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        h.SignIn(account, permissions);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var invoice = await db.Invoices.AsNoTracking().Where(i => i.AccountId == account && i.Type == OpenItemType.Invoice).OrderBy(i => i.Id).FirstAsync();
        return (h, account, invoice);
    }

    [Theory]
    [InlineData(PortalPermissions.Pay)]
    [InlineData(PortalPermissions.View)]
    public async Task The_erp_document_of_an_invoice_of_the_account_is_returned(PortalPermissions permissions)
    {
        var (h, _, invoice) = await SeededAsync(database, permissions);
        await using var _ = h;

        var document = await h.Get<InvoiceDocumentService>().GetAsync(invoice.Id);

        Assert.Equal(invoice.Number, document.InvoiceNumber);
        Assert.Equal("text/html", document.Document.ContentType);
        Assert.Equal($"{invoice.Number}.html", document.Document.FileName);
        Assert.Contains(invoice.Number, Encoding.UTF8.GetString(document.Document.Content));
    }

    [Fact]
    public async Task Another_accounts_invoice_and_unknown_ids_are_not_found()
    {
        var (h, _, invoice) = await SeededAsync(database);
        await using var _ = h;
        var other = PortalHarness.NewAccount();
        await h.Get<ErpSyncService>().SyncAccountAsync(other);
        h.SignIn(other);
        var s = h.Get<InvoiceDocumentService>();

        var foreign = await Assert.ThrowsAsync<PortalNotFoundException>(() => s.GetAsync(invoice.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => s.GetAsync(-1));

        Assert.DoesNotContain(invoice.Number, foreign.Message);
    }

    [Fact]
    public async Task An_invoice_the_erp_has_no_document_for_says_so()
    {
        var (h, account, _) = await SeededAsync(database);
        await using var _ = h;
        long id;
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var row = new InvoiceRecord
            {
                AccountId = account, ExternalId = "999999", Number = "INV-GHOST", NumberKey = "INV-GHOST", Type = OpenItemType.Invoice,
                DocumentDate = new DateOnly(2026, 1, 5), DueDate = new DateOnly(2026, 2, 4), Currency = "USD",
                OriginalMinor = 10_000, OpenMinor = 10_000, IsOpen = true, Status = InvoiceStatus.Open, SyncedAt = DateTime.UtcNow,
            };
            db.Invoices.Add(row);
            await db.SaveChangesAsync();
            id = row.Id;
        }

        var ex = await Assert.ThrowsAsync<PortalNotFoundException>(() => h.Get<InvoiceDocumentService>().GetAsync(id));

        Assert.Equal("The ERP has no document for invoice INV-GHOST.", ex.Message);
    }

    [Fact]
    public async Task Signed_out_users_are_refused()
    {
        var (h, _, invoice) = await SeededAsync(database);
        await using var _ = h;
        h.Users.User = null;
        var ex = await Assert.ThrowsAsync<PortalAccessDeniedException>(() => h.Get<InvoiceDocumentService>().GetAsync(invoice.Id));
        Assert.True(ex.NotSignedIn);
    }
}

public sealed class InvoiceDocumentTests_Sqlite(SqliteDatabase db) : InvoiceDocumentTests(db), IClassFixture<SqliteDatabase>;

public sealed class InvoiceDocumentTests_Postgres(PostgresDatabase db) : InvoiceDocumentTests(db), IClassFixture<PostgresDatabase>;
