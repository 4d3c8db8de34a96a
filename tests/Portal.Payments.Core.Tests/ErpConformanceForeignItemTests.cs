using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Erp;
using Portal.Payments.DemoErp;
using Portal.Payments.Testing;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The ERP conformance suite against a correct adapter whose test account lists one invoice in another currency, as the
/// adapter guide allows (listed, never paid): the suite must pass it, and post only in the account's currency.
/// </summary>
public abstract class ErpConformanceForeignItemTests(TestDatabase database)
{
    // Review: Items_are_consistent demanded one currency for all items, and the deposit check took the first invoice's
    // currency, so such an adapter failed the suite (or had a deposit posted in Canadian dollars).
    [Fact]
    public async Task An_account_listing_one_invoice_in_another_currency_passes_the_item_and_posting_checks()
    {
        await using var h = new PortalHarness(database);
        var erp = new WithForeignInvoice(h.Get<DemoErpAdapter>());
        var suite = new Suite(erp, PortalHarness.NewAccount(), h);

        await suite.Items_are_consistent();
        await suite.Duplicate_deposit_posting_is_dropped();
        await suite.Duplicate_payment_posting_is_applied_once();
        await suite.Applied_payment_is_reported_on_the_items_it_paid();

        Assert.NotEmpty(erp.Posted);
        Assert.All(erp.Posted, currency => Assert.Equal("USD", currency));
    }

    private sealed class Suite(IErpAdapter adapter, string account, PortalHarness harness) : ErpAdapterConformanceTests
    {
        protected override IErpAdapter Adapter => adapter;

        protected override string AccountId => account;

        protected override Task SettlePostingsAsync()
        {
            harness.Clock.Advance(TimeSpan.FromMinutes(5));
            return Task.CompletedTask;
        }
    }

    /// <summary>The demo ERP (in dollars), listing one more open invoice in Canadian dollars first; records what is posted in which currency.</summary>
    private sealed class WithForeignInvoice(DemoErpAdapter inner) : ErpPassThrough(inner)
    {
        public List<string> Posted { get; } = [];

        public override async Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default)
        {
            var page = await Inner.PullOpenItemsAsync(accountId, cursor, maxItems, cancellationToken);
            if (cursor is not null)
            {
                return page;
            }
            var foreign = new ErpOpenItem
            {
                ExternalId = "CAD-" + accountId,
                Number = "INV-CAD-1",
                Type = OpenItemType.Invoice,
                DocumentDate = new DateOnly(2026, 1, 5),
                DueDate = new DateOnly(2026, 2, 4),
                OriginalAmount = Money.Create(980m, "CAD"),
                OpenAmount = Money.Create(980m, "CAD"),
            };
            return page with { Items = [foreign, .. page.Items] };
        }

        public override Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default)
        {
            Posted.Add(posting.Amount.Currency);
            return base.PostPaymentAsync(posting, cancellationToken);
        }

        public override Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default)
        {
            Posted.Add(posting.Amount.Currency);
            return base.PostDepositAsync(posting, cancellationToken);
        }
    }
}

public sealed class ErpConformanceForeignItemTests_Sqlite(SqliteDatabase db) : ErpConformanceForeignItemTests(db), IClassFixture<SqliteDatabase>;

public sealed class ErpConformanceForeignItemTests_Postgres(PostgresDatabase db) : ErpConformanceForeignItemTests(db), IClassFixture<PostgresDatabase>;
