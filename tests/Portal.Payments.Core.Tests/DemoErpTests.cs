using Microsoft.Extensions.DependencyInjection;
using System.Text;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Testing;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class DemoErpTests(TestDatabase database)
{
    [Fact]
    public async Task Ledger_is_deterministic_per_account_and_differs_between_accounts()
    {
        await using var a = new PortalHarness(database);
        await using var b = new PortalHarness(database);
        var first = await a.Get<IErpAdapter>().PullOpenItemsAsync("DETERMINISTIC", null, 40);
        var second = await b.Get<IErpAdapter>().PullOpenItemsAsync("DETERMINISTIC", null, 40);
        var other = await b.Get<IErpAdapter>().PullOpenItemsAsync("SOMEONE-ELSE", null, 40);
        Assert.Equal(first.Items, second.Items);
        Assert.NotEqual(first.Items.Select(i => i.OriginalAmount), other.Items.Select(i => i.OriginalAmount));
    }

    [Fact]
    public async Task A_reversed_deposit_takes_its_unapplied_cash_off_the_account()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        var erp = h.Get<IErpAdapter>();
        var first = await erp.PullOpenItemsAsync(account, null, 1000);
        var deposit = new ErpDepositPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = "R-DEP-1", Amount = Money.Create(250m, "USD"),
            PaidAt = h.Clock.GetUtcNow(), MethodDescription = "Checking •••• 6789", Memo = "On account",
        };
        Assert.True((await erp.PostDepositAsync(deposit)).Accepted);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var posted = await erp.PullOpenItemsAsync(account, first.NextCursor, 1000);
        var cash = Assert.Single(posted.Items);
        Assert.Equal((OpenItemType.UnappliedCash, Money.Create(-250m, "USD"), true), (cash.Type, cash.OpenAmount, cash.IsOpen));

        var reversal = new ErpPaymentReversal
        {
            PaymentId = deposit.PaymentId, AccountId = account, ReceiptNumber = deposit.ReceiptNumber, Amount = deposit.Amount,
            ReturnedAt = h.Clock.GetUtcNow(), Reason = "R01: insufficient funds",
        };
        Assert.True((await erp.ReversePaymentAsync(reversal)).Accepted);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var reversed = Assert.Single((await erp.PullOpenItemsAsync(account, posted.NextCursor, 1000)).Items);
        Assert.Equal((cash.ExternalId, 0m, false), (reversed.ExternalId, reversed.OpenAmount.Amount, reversed.IsOpen));
        Assert.False((await erp.ReversePaymentAsync(reversal with { AccountId = "SOMEONE-ELSE" })).Accepted);
    }

    // Review: a payment that applied a deposit's unapplied cash grew it (-250 became -500, still open) and never listed
    // the payment in AppliedPaymentIds, so the portal kept its hold for good and the balance was too low.
    [Theory]
    [InlineData(250)]
    [InlineData(100)]
    public async Task A_payment_that_applies_a_deposits_unapplied_cash_uses_it_up_and_its_reversal_gives_it_back(int used)
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        var erp = h.Get<IErpAdapter>();
        var first = await erp.PullOpenItemsAsync(account, null, 1000);
        var invoice = first.Items.First(i => i.Type == OpenItemType.Invoice && i.OpenAmount.Amount > 300m);
        var deposit = new ErpDepositPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = "R-DEP-1", Amount = Money.Create(250m, "USD"),
            PaidAt = h.Clock.GetUtcNow(), MethodDescription = "Checking •••• 6789",
        };
        Assert.True((await erp.PostDepositAsync(deposit)).Accepted);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var posted = await erp.PullOpenItemsAsync(account, first.NextCursor, 1000);
        var cash = Assert.Single(posted.Items);

        // A portal payment nets (some of) the unapplied cash against an invoice, as PaymentCalculator does.
        var payment = new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = "R-PAY-1", Amount = invoice.OpenAmount - Money.Create(used, "USD"),
            PaidAt = h.Clock.GetUtcNow(), MethodDescription = "Visa •••• 4242",
            Allocations =
            [
                new ErpAllocation { ItemExternalId = invoice.ExternalId, ItemNumber = invoice.Number, Applied = invoice.OpenAmount },
                new ErpAllocation { ItemExternalId = cash.ExternalId, ItemNumber = cash.Number, Applied = Money.Create(-used, "USD") },
            ],
        };
        Assert.True((await erp.PostPaymentAsync(payment)).Accepted);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var paid = await erp.PullOpenItemsAsync(account, posted.NextCursor, 1000);
        var cashAfter = paid.Items.Single(i => i.ExternalId == cash.ExternalId);
        Assert.Equal((used - 250m, used < 250), (cashAfter.OpenAmount.Amount, cashAfter.IsOpen));
        Assert.Equal(-250m, cashAfter.OriginalAmount.Amount);
        Assert.Equal([payment.PaymentId], cashAfter.AppliedPaymentIds);

        // The bank returns the payment: the cash it used is on account again, and the payment no longer applied.
        Assert.True((await erp.ReversePaymentAsync(new ErpPaymentReversal
        {
            PaymentId = payment.PaymentId, AccountId = account, ReceiptNumber = payment.ReceiptNumber, Amount = payment.Amount,
            ReturnedAt = h.Clock.GetUtcNow(), Reason = "R01: insufficient funds",
        })).Accepted);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var restored = (await erp.PullOpenItemsAsync(account, paid.NextCursor, 1000)).Items.Single(i => i.ExternalId == cash.ExternalId);
        Assert.Equal((-250m, true), (restored.OpenAmount.Amount, restored.IsOpen));
        Assert.Empty(restored.AppliedPaymentIds);
    }

    [Fact]
    public async Task A_payment_applying_unapplied_cash_the_account_does_not_have_is_refused()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        var erp = h.Get<IErpAdapter>();
        var invoice = (await erp.PullOpenItemsAsync(account, null, 1000)).Items.First(i => i.Type == OpenItemType.Invoice);
        var result = await erp.PostPaymentAsync(new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = "R-PAY-2", Amount = invoice.OpenAmount - Money.Create(10m, "USD"),
            PaidAt = h.Clock.GetUtcNow(), MethodDescription = "Visa •••• 4242",
            Allocations =
            [
                new ErpAllocation { ItemExternalId = invoice.ExternalId, ItemNumber = invoice.Number, Applied = invoice.OpenAmount },
                new ErpAllocation { ItemExternalId = $"D-{Guid.NewGuid():N}", ItemNumber = "UC-NONE", Applied = Money.Create(-10m, "USD") },
            ],
        });
        Assert.False(result.Accepted);
    }

    [Fact]
    public async Task Large_ledger_is_realistic()
    {
        var account = PortalHarness.NewAccount();
        await using var h = new PortalHarness(database, b => b.ConfigureDemoErp(o => o.Accounts.Add(new() { AccountId = account, InvoiceCount = 5000 })));
        var items = (await h.Get<IErpAdapter>().PullOpenItemsAsync(account, null, 10_000)).Items;
        Assert.Equal(5000, items.Count);
        var invoices = items.Where(i => i.Type == OpenItemType.Invoice).ToList();
        Assert.InRange(invoices.Count, 4300, 4700);
        Assert.InRange(items.Count(i => i.Type == OpenItemType.CreditMemo), 150, 450);
        Assert.InRange(items.Count(i => i.Type == OpenItemType.UnappliedCash), 100, 350);
        // 2/10 net 30 on about 40% of invoices: 2% of the original, due ten days after the invoice date.
        var discounted = invoices.Where(i => i.DiscountAmount is not null).ToList();
        Assert.InRange(discounted.Count, invoices.Count * 30 / 100, invoices.Count * 50 / 100);
        Assert.All(discounted, i =>
        {
            Assert.Equal(decimal.Round(i.OriginalAmount.Amount * 0.02m, 2, MidpointRounding.AwayFromZero), i.DiscountAmount!.Value.Amount);
            Assert.Equal(i.DocumentDate.AddDays(10), i.DiscountDate);
        });
        Assert.InRange(invoices.Count(i => i.PoNumber is not null), invoices.Count * 75 / 100, invoices.Count * 95 / 100);
        Assert.Contains(invoices, i => i.OpenAmount < i.OriginalAmount);
        var today = DateOnly.FromDateTime(h.Clock.GetUtcNow().UtcDateTime);
        Assert.Contains(invoices, i => i.DueDate > today);
        Assert.Contains(invoices, i => today.DayNumber - i.DueDate.DayNumber > 90);
    }

    [Fact]
    public async Task Invoice_document_shows_the_number_lines_and_total()
    {
        await using var h = new PortalHarness(database);
        var erp = h.Get<IErpAdapter>();
        var invoice = (await erp.PullOpenItemsAsync("DOCS", null, 40)).Items.First(i => i.Type == OpenItemType.Invoice);
        var doc = await erp.GetDocumentAsync("DOCS", invoice.ExternalId);
        var html = Encoding.UTF8.GetString(doc!.Content);
        Assert.Equal("text/html", doc.ContentType);
        Assert.Contains(invoice.Number, html);
        Assert.Contains(invoice.OriginalAmount.ToString(), html);
        Assert.Contains("<table>", html);
    }

    [Fact]
    public async Task Settled_deposit_appears_as_unapplied_cash()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        var erp = h.Get<IErpAdapter>();
        var cursor = (await erp.PullOpenItemsAsync(account, null, 1000)).NextCursor;
        await erp.PostDepositAsync(new ErpDepositPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = "R-DEP1", Amount = Money.Create(500m, "USD"),
            PaidAt = h.Clock.GetUtcNow(), MethodDescription = "Checking •••• 6789", Memo = "Prepayment for PO 77",
        });
        Assert.Empty((await erp.PullOpenItemsAsync(account, cursor, 100)).Items);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var item = Assert.Single((await erp.PullOpenItemsAsync(account, cursor, 100)).Items);
        Assert.Equal(OpenItemType.UnappliedCash, item.Type);
        Assert.Equal(-500m, item.OpenAmount.Amount);
        Assert.Equal("Prepayment for PO 77", item.Reference);
    }

    [Fact]
    public async Task Posting_to_an_item_of_another_account_is_refused()
    {
        await using var h = new PortalHarness(database);
        var result = await h.Get<IErpAdapter>().PostPaymentAsync(new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = "SMALL", ReceiptNumber = "R", Amount = Money.Create(1m, "USD"), PaidAt = h.Clock.GetUtcNow(),
            MethodDescription = "x", Allocations = [new ErpAllocation { ItemExternalId = "999999", ItemNumber = "INV-X", Applied = Money.Create(1m, "USD") }],
        });
        Assert.False(result.Accepted);
        Assert.Contains("INV-X", result.Error);
    }
}

public sealed class DemoErpTests_Sqlite(SqliteDatabase db) : DemoErpTests(db), IClassFixture<SqliteDatabase>;

public sealed class DemoErpTests_Postgres(PostgresDatabase db) : DemoErpTests(db), IClassFixture<PostgresDatabase>;

/// <summary>The packaged ERP conformance suite, run against the demo ERP.</summary>
public abstract class DemoErpConformance : ErpAdapterConformanceTests, IAsyncLifetime
{
    private readonly PortalHarness _harness;
    private readonly string _account = PortalHarness.NewAccount();

    protected DemoErpConformance(TestDatabase database) => _harness = new PortalHarness(database);

    protected override IErpAdapter Adapter => _harness.Get<IErpAdapter>();

    protected override string AccountId => _account;

    protected override Task SettlePostingsAsync()
    {
        _harness.Clock.Advance(TimeSpan.FromMinutes(5));
        return Task.CompletedTask;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();
}

public sealed class DemoErpConformance_Sqlite(SqliteDatabase db) : DemoErpConformance(db), IClassFixture<SqliteDatabase>;

public sealed class DemoErpConformance_Postgres(PostgresDatabase db) : DemoErpConformance(db), IClassFixture<PostgresDatabase>;
