using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using AngleSharp.Dom;
using Portal.Payments.Services;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

public class AccountOverviewTests : PortalTestContext
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(15);
    private static readonly CultureInfo EnUs = CultureInfo.GetCultureInfo("en-US");

    [Fact]
    public async Task Shows_heading_total_and_five_aging_buckets_that_add_up_to_the_total()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);

        var cut = Render<AccountOverview>();
        var total = WaitForTotal(cut);

        Assert.Equal("Account overview", cut.Find("h1").TextContent.Trim());
        Assert.Matches(@"^USD -?\d{1,3}(,\d{3})*\.\d{2}$", total);

        var buckets = cut.FindAll("[data-testid=aging-bucket]");
        Assert.Equal(5, buckets.Count);
        Assert.Equal(
            ["Current", "1\u201330 days", "31\u201360 days", "61\u201390 days", "Over 90 days"],
            buckets.Select(BucketLabel).ToArray());

        var totalAmount = ParseUsd(total);
        Assert.NotEqual(0m, totalAmount); // a ledger of 40 items is never empty: zero would mean nothing loaded
        Assert.Equal(totalAmount, buckets.Sum(b => ParseUsd(b.QuerySelector(".pp-amount")!.TextContent)));

        // The item counts of the buckets add up to the open items shown under the total.
        var itemCounts = buckets.Sum(b => int.Parse(b.QuerySelector(".pp-muted")!.TextContent.Replace(" items", ""), NumberStyles.AllowThousands, EnUs));
        Assert.Contains($"{itemCounts.ToString("N0", EnUs)} open items", cut.Find(".pp-total").TextContent);
        Assert.Equal(40, itemCounts);
    }

    // Review: items in another currency are listed in the grid but left out of the balances, and nothing said so.
    [Theory]
    [InlineData(1, "1 open item in another currency is listed with your invoices but not included in these USD balances.")]
    [InlineData(2, "2 open items in other currencies are listed with your invoices but not included in these USD balances.")]
    public async Task Items_in_another_currency_are_said_to_be_left_out_of_the_balances(int count, string expected)
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);
        await Services.GetRequiredService<Portal.Payments.Sync.ErpSyncService>().SyncAccountAsync(AccountId);
        await using (var db = await Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Payments.Data.PaymentsDbContext>>().CreateDbContextAsync())
        {
            var ids = db.Invoices.Where(i => i.AccountId == AccountId).OrderBy(i => i.Id).Select(i => i.Id).Take(count).ToList();
            await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ExecuteUpdateAsync(
                db.Invoices.Where(i => ids.Contains(i.Id)), u => u.SetProperty(i => i.Currency, "EUR"));
        }

        var cut = Render<AccountOverview>();
        WaitForTotal(cut);

        Assert.Equal(expected, cut.Find("[data-testid=overview-other-currencies]").TextContent.Trim());
        Assert.Contains($"{40 - count} open items", cut.Find(".pp-total").TextContent);
    }

    [Fact]
    public async Task Without_items_in_another_currency_nothing_is_said_about_them()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);

        var cut = Render<AccountOverview>();
        WaitForTotal(cut);

        Assert.Empty(cut.FindAll("[data-testid=overview-other-currencies]"));
    }

    /// <summary>An ERP that stops answering: its HttpClient gives up with a TaskCanceledException.</summary>
    private sealed class TimingOutErp(Portal.Payments.DemoErp.DemoErpAdapter inner, Func<bool>? timesOut = null) : Portal.Payments.Erp.IErpAdapter
    {
        public Task<Portal.Payments.Erp.OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken ct = default) =>
            timesOut?.Invoke() == false
                ? inner.PullOpenItemsAsync(accountId, cursor, maxItems, ct)
                : throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.");
        public Task<Portal.Payments.Erp.ErpDocument?> GetDocumentAsync(string accountId, string id, CancellationToken ct = default) => inner.GetDocumentAsync(accountId, id, ct);
        public Task<Portal.Payments.Erp.ErpPostingResult> PostPaymentAsync(Portal.Payments.Erp.ErpPaymentPosting posting, CancellationToken ct = default) => inner.PostPaymentAsync(posting, ct);
        public Task<Portal.Payments.Erp.ErpPostingResult> PostDepositAsync(Portal.Payments.Erp.ErpDepositPosting posting, CancellationToken ct = default) => inner.PostDepositAsync(posting, ct);
        public Task<Portal.Payments.Erp.ErpPostingResult> PostCommentAsync(Portal.Payments.Erp.ErpCommentPosting posting, CancellationToken ct = default) => inner.PostCommentAsync(posting, ct);
        public Task<Portal.Payments.Erp.ErpPostingResult> ReversePaymentAsync(Portal.Payments.Erp.ErpPaymentReversal reversal, CancellationToken ct = default) => inner.ReversePaymentAsync(reversal, ct);
    }

    [Fact]
    public async Task An_erp_that_times_out_on_the_first_visit_gets_a_message_not_an_endless_spinner()
    {
        AddPortal();
        Services.Replace(ServiceDescriptor.Singleton<Portal.Payments.Erp.IErpAdapter>(sp => new TimingOutErp(sp.GetRequiredService<Portal.Payments.DemoErp.DemoErpAdapter>())));
        await Services.MigratePortalPaymentsAsync();
        Users.SignIn(PortalPermissions.Pay);

        var cut = Render<AccountOverview>();

        cut.WaitForAssertion(() => Assert.Contains("The balances could not be loaded right now.", cut.Markup), LoadTimeout);
        Assert.Empty(cut.FindAll(".pp-total"));
    }

    [Fact]
    public async Task Custom_aging_buckets_show_four_periods_with_matching_labels()
    {
        await AddPortalAndMigrateAsync(o => o.AgingBuckets = [15, 45]);
        Users.SignIn(PortalPermissions.Pay);

        var cut = Render<AccountOverview>();
        var total = WaitForTotal(cut);

        var buckets = cut.FindAll("[data-testid=aging-bucket]");
        Assert.Equal(
            ["Current", "1\u201315 days", "16\u201345 days", "Over 45 days"],
            buckets.Select(BucketLabel).ToArray());
        Assert.Equal(ParseUsd(total), buckets.Sum(b => ParseUsd(b.QuerySelector(".pp-amount")!.TextContent)));
    }

    [Fact]
    public async Task Nobody_signed_in_sees_the_sign_in_message_and_no_balance()
    {
        await AddPortalAndMigrateAsync();
        Users.SignOut();

        var cut = Render<AccountOverview>();

        cut.WaitForAssertion(
            () => Assert.Contains("Please sign in to use the payment portal.", cut.Find("[role=alert]").TextContent),
            LoadTimeout);
        Assert.Empty(cut.FindAll("[data-testid=total-balance]"));
        Assert.Empty(cut.FindAll("[data-testid=aging-bucket]"));
        Assert.Empty(cut.FindAll("[role=status]"));
    }

    [Fact]
    public async Task A_view_only_user_still_sees_the_overview()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.View);

        var cut = Render<AccountOverview>();
        var total = WaitForTotal(cut);

        Assert.Matches(@"^USD -?\d{1,3}(,\d{3})*\.\d{2}$", total);
        Assert.Equal(5, cut.FindAll("[data-testid=aging-bucket]").Count);
        Assert.Empty(cut.FindAll("[role=alert]"));
        Assert.Contains(AccountName, cut.Find(".pp-total").TextContent);
    }

    [Fact]
    public async Task OnLoaded_fires_with_the_summary_that_is_shown()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);
        var loaded = new List<AccountSummary>();

        var cut = Render<AccountOverview>(p => p.Add(x => x.OnLoaded, (AccountSummary s) => loaded.Add(s)));
        var total = WaitForTotal(cut);

        var summary = Assert.Single(loaded);
        Assert.Equal(AccountId, summary.AccountId);
        Assert.Equal(AccountName, summary.AccountName);
        Assert.Equal(total, summary.TotalBalance.ToString(EnUs));
        Assert.Equal(5, summary.Buckets.Count);
        Assert.Equal(40, summary.OpenItemCount);
    }

    [Fact]
    public async Task Refresh_keeps_showing_the_data_and_reloads_it()
    {
        await AddPortalAndMigrateAsync();
        Users.SignIn(PortalPermissions.Pay);
        var loads = 0;

        var cut = Render<AccountOverview>(p => p.Add(x => x.OnLoaded, (AccountSummary _) => loads++));
        var before = WaitForTotal(cut);
        Assert.Equal(1, loads);

        var refresh = RefreshButton(cut);
        Assert.False(refresh.HasAttribute("disabled"));
        refresh.Click();

        cut.WaitForAssertion(() => Assert.Equal(2, loads), LoadTimeout);
        cut.WaitForAssertion(() =>
        {
            Assert.Equal(before, cut.Find("[data-testid=total-balance]").TextContent.Trim());
            Assert.Equal(5, cut.FindAll("[data-testid=aging-bucket]").Count);
            Assert.False(RefreshButton(cut).HasAttribute("disabled"));
        }, LoadTimeout);
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    // Review: a Refresh while the ERP was down replaced the balances already shown with "could not be loaded".
    [Fact]
    public async Task A_refresh_that_fails_keeps_the_balances_shown_and_says_so()
    {
        var down = false;
        AddPortal();
        Services.Replace(ServiceDescriptor.Singleton<Portal.Payments.Erp.IErpAdapter>(sp => new TimingOutErp(sp.GetRequiredService<Portal.Payments.DemoErp.DemoErpAdapter>(), () => down)));
        await Services.MigratePortalPaymentsAsync();
        Users.SignIn(PortalPermissions.Pay);
        var cut = Render<AccountOverview>();
        var before = WaitForTotal(cut);
        Assert.Equal("", cut.Find("[data-testid=overview-refresh-failed]").TextContent.Trim());

        down = true;
        RefreshButton(cut).Click();

        cut.WaitForAssertion(() => Assert.Equal("The balances could not be refreshed right now. Those shown are from the last update; try again in a moment.",
            cut.Find("[data-testid=overview-refresh-failed]").TextContent.Trim()), LoadTimeout);
        Assert.Equal(before, cut.Find("[data-testid=total-balance]").TextContent.Trim());
        Assert.Equal(5, cut.FindAll("[data-testid=aging-bucket]").Count);
        Assert.Empty(cut.FindAll("[role=alert]"));

        // Once the ERP answers again, a refresh clears the notice.
        down = false;
        RefreshButton(cut).Click();
        cut.WaitForAssertion(() => Assert.Equal("", cut.Find("[data-testid=overview-refresh-failed]").TextContent.Trim()), LoadTimeout);
    }

    // Review: while the background pulls from the ERP failed (an ERP outage), the overview and the open-invoices balances
    // showed "Updated from the ERP at …" as if all were well, and nothing said the balances had stopped following the ERP.
    [Fact]
    public async Task Balances_while_the_latest_erp_pull_failed_say_so_with_the_time_they_are_from_until_a_pull_goes_through()
    {
        var down = false;
        AddPortal();
        Services.Replace(ServiceDescriptor.Singleton<Portal.Payments.Erp.IErpAdapter>(sp => new TimingOutErp(sp.GetRequiredService<Portal.Payments.DemoErp.DemoErpAdapter>(), () => down)));
        await Services.MigratePortalPaymentsAsync();
        Users.SignIn(PortalPermissions.Pay);
        var sync = Services.GetRequiredService<Portal.Payments.Sync.ErpSyncService>();
        await sync.SyncAccountAsync(AccountId);
        var first = Render<AccountOverview>();
        WaitForTotal(first);
        var synced = first.Find("[data-testid=overview-synced]").TextContent.Trim();
        Assert.Matches(@"^Updated from the ERP at .+\.$", synced);
        var at = synced["Updated from the ERP at ".Length..^1];
        Assert.Empty(first.FindAll("[data-testid=overview-sync-failed]"));

        // The scheduled pull fails (the ERP is down).
        down = true;
        await Assert.ThrowsAnyAsync<Exception>(() => sync.SyncAccountAsync(AccountId));

        var cut = Render<AccountOverview>();
        WaitForTotal(cut);
        var expected = $"The latest update from the ERP did not go through, so these balances are from {at}. They are brought up to date once the ERP answers again.";
        Assert.Equal(expected, cut.Find("[data-testid=overview-sync-failed]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=overview-synced]"));
        var summary = await Services.GetRequiredService<AccountOverviewService>().GetSummaryAsync();
        Assert.True(summary.LastSyncFailed);
        var balances = Render<InvoiceBalances>(p => p.Add(x => x.Summary, summary));
        Assert.Equal(expected, balances.Find("[data-testid=grid-sync-failed]").TextContent.Trim());

        // The ERP answers again: a Refresh pulls, and the notice goes.
        down = false;
        RefreshButton(cut).Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=overview-sync-failed]")), LoadTimeout);
        Assert.Single(cut.FindAll("[data-testid=overview-synced]"));
        summary = await Services.GetRequiredService<AccountOverviewService>().GetSummaryAsync();
        Assert.False(summary.LastSyncFailed);
        Assert.Empty(Render<InvoiceBalances>(p => p.Add(x => x.Summary, summary)).FindAll("[data-testid=grid-sync-failed]"));
    }

    private static string WaitForTotal(IRenderedComponent<AccountOverview> cut)
    {
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=total-balance]")), LoadTimeout);
        return cut.Find("[data-testid=total-balance]").TextContent.Trim();
    }

    private static IElement RefreshButton(IRenderedComponent<AccountOverview> cut) =>
        Assert.Single(cut.FindAll("button"), b =>
            (b.GetAttribute("aria-label") ?? b.TextContent).Contains("Refresh", StringComparison.Ordinal));

    private static string BucketLabel(IElement bucket) => bucket.QuerySelector(".pp-bucket-label")!.TextContent.Trim();

    private static decimal ParseUsd(string text)
    {
        text = text.Trim();
        Assert.StartsWith("USD ", text);
        return decimal.Parse(text["USD ".Length..], NumberStyles.Number, EnUs);
    }
}

/// <summary>The overview shows the money on its way beside the balances (finding 8 of issue 15).</summary>
public class AccountOverviewInFlightTests : PayTestContext
{
    [Fact]
    public async Task Pending_and_scheduled_payments_show_beside_the_total_and_their_periods()
    {
        await StartAsync();
        await Services.GetRequiredService<Portal.Payments.Sync.ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("FLY-1", 30_000, null, Portal.Payments.Erp.OpenItemType.Invoice), ("FLY-2", 12_000, null, Portal.Payments.Erp.OpenItemType.Invoice));
        var card = await AddCardAsync();
        await Services.GetRequiredService<Portal.Payments.Services.Payments.ScheduledPaymentService>()
            .ScheduleAsync(new Portal.Payments.Services.Payments.SchedulePaymentRequest([ids[0]], new DateOnly(2027, 3, 15), card.Id, Guid.NewGuid().ToString("N")));
        await Payments.PayInvoicesAsync(new Portal.Payments.Services.Payments.PayInvoicesRequest([ids[1]], card.Id, Guid.NewGuid().ToString("N")));

        var cut = Render<AccountOverview>();

        cut.WaitForAssertion(() => Assert.Equal("pending USD 120.00", cut.Find("[data-testid=overview-total-pending]").TextContent.Trim()), Timeout);
        Assert.Equal("scheduled USD 300.00", cut.Find("[data-testid=overview-total-scheduled]").TextContent.Trim());
        Assert.Contains(cut.FindAll("[data-testid=aging-bucket]"), b => b.TextContent.Contains("pending USD 120.00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nothing_in_flight_shows_no_pending_or_scheduled_line()
    {
        await StartAsync();

        var cut = Render<AccountOverview>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=total-balance]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=overview-total-in-flight]"));
    }
}
