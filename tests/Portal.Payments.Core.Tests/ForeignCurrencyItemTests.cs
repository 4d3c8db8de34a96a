using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services;
using Portal.Payments.Services.Autopay;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// An ERP may hold an account's items in another currency than the portal's (USD here). They are listed, but their
/// minor units are never added to or netted with the portal's: the account summary left them out of nothing (a EUR
/// 1,000.00 invoice added USD 1,000.00), and autopay scheduled them priced as USD and netted a EUR credit into a USD
/// invoice's payment.
/// </summary>
public abstract class ForeignCurrencyItemTests(TestDatabase database)
{
    private static async Task InCurrencyAsync(PortalHarness h, string currency, params long[] ids)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await db.Invoices.Where(i => ids.Contains(i.Id)).ExecuteUpdateAsync(s => s.SetProperty(i => i.Currency, currency));
    }

    [Fact]
    public async Task The_account_summary_adds_only_the_portals_currency()
    {
        await using var h = Harness(database, out var account);
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // Marked as synced, so the summary does not pull the demo ERP's invoices on top of these.
            db.ErpSyncStates.Add(new ErpSyncStateRecord { AccountId = account, LastSyncedAt = h.Clock.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        }
        var ids = await InvoicesAsync(h, account, new Item("INV-FX-1", 50_000, DueInDays: 10), new Item("INV-FX-2", 100_000, DueInDays: -15),
            new Item("INV-FX-3", 25_000, DueInDays: -40));
        await InCurrencyAsync(h, "EUR", ids[1]);
        await InCurrencyAsync(h, "JPY", ids[2]);

        var summary = await h.Get<AccountOverviewService>().GetSummaryAsync();

        Assert.Equal((Usd(500m), 1), (summary.TotalBalance, summary.OpenItemCount));
        Assert.All(summary.Buckets.Skip(1), b => Assert.Equal((Usd(0m), 0), (b.Balance, b.ItemCount)));
        Assert.Equal(2, summary.OtherCurrencyItemCount);   // listed in the grid, said to be left out of the balances
    }

    [Fact]
    public async Task Autopay_skips_an_invoice_in_another_currency_with_the_reason_and_nets_no_credit_of_it()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-FX-4", 80_000, DueInDays: 10), new Item("INV-FX-5", 40_000, DueInDays: 12),
            new Item("CM-FX-6", -30_000, Type: OpenItemType.CreditMemo));
        await InCurrencyAsync(h, "EUR", ids[1], ids[2]);
        var card = await CardAsync(h);

        var view = await h.Get<AutopayService>().EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DueDate) { ApplyCreditMemos = true });

        var usd = Assert.Single(view.Invoices, i => i.Number == "INV-FX-4");
        Assert.Equal((AutopayItemState.Scheduled, (Money?)Usd(800m)), (usd.State, usd.Amount));
        var eur = Assert.Single(view.Invoices, i => i.Number == "INV-FX-5");
        Assert.Equal((AutopayItemState.Skipped, "It is in EUR; autopay pays USD invoices only."), (eur.State, eur.SkipReason));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(80_000L, payment.AmountMinor);
        Assert.Equal([ids[0]], payment.Allocations.Select(a => a.InvoiceId));
        Assert.Equal(InvoiceStatus.Open, (await InvoiceRowsAsync(h, [ids[2]])).Single().Status);   // the EUR credit is not held
    }
}

public sealed class ForeignCurrencyItemTests_Sqlite(SqliteDatabase db) : ForeignCurrencyItemTests(db), IClassFixture<SqliteDatabase>;

public sealed class ForeignCurrencyItemTests_Postgres(PostgresDatabase db) : ForeignCurrencyItemTests(db), IClassFixture<PostgresDatabase>;
