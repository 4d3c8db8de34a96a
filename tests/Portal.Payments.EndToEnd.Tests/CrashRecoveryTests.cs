using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The host process is killed while a deposit's charge is at the gateway (the sandbox answers after 6 s, like a slow
/// processor), then started again on the same database: the reconciler finds the charge by its idempotency key once
/// the lease expires and records it. One charge at the gateway, the payment Succeeded, its ERP posting delivered.
/// </summary>
[Collection(HostSiteCollection.Name)]
public sealed class CrashRecoveryTests(HostSiteFixture shared, ITestOutputHelper output) : IAsyncLifetime
{
    private OwnHostSite? _own;

    static CrashRecoveryTests() => SetDefaultExpectTimeout(20_000);

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _own = new OwnHostSite("crash", new Dictionary<string, string>
        {
            ["CustomerPortalPayments__SandboxGateway__Latency"] = "00:00:06",
            ["CustomerPortalPayments__Charging__LeaseDuration"] = "00:00:10",
            ["CustomerPortalPayments__Charging__GatewayTimeout"] = "00:00:08",
            ["CustomerPortalPayments__Charging__StatusCheckDelay"] = "00:00:02",
            ["CustomerPortalPayments__OutboxPollInterval"] = "00:00:01",
        });
        return _own.Process.StartAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_own is not null)
        {
            await _own.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_host_killed_while_a_deposit_is_charging_finishes_it_after_restart_with_one_charge()
    {
        var own = _own!;
        var host = own.Process;
        var amount = 200m + Random.Shared.Next(1, 9_999) / 100m;
        var note = $"E2E crash {Guid.NewGuid().ToString("N")[..8]}";
        var browser = await shared.GetBrowserAsync();
        try
        {
            await using (var context = await NewContextAsync(browser, host))
            {
                var page = await context.NewPageAsync();
                await SignInAsPatAsync(page, host);
                var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
                await nav.GetByRole(AriaRole.Link, new() { Name = T("Make a deposit"), Exact = true }).ClickAsync();
                await Expect(page).ToHaveURLAsync(host.BaseUrl + "/portal/deposit");
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Make a deposit"), Level = 1 })).ToBeVisibleAsync();
                var addMethod = page.GetByRole(AriaRole.Radio, new() { Name = T("Add a payment method"), Exact = true });
                await Expect(addMethod).ToBeVisibleAsync();
                await WhenInteractiveAsync(page, note);
                await page.GetByLabel(T("Amount"), new() { Exact = true }).FillAsync(amount.ToString("0.00", SuiteLanguage.Culture));
                await PaymentFormSteps.AddCardAsync(page.Locator("main"), expiryMonth: "10");
                var review = page.GetByRole(AriaRole.Button, new() { Name = T("Review deposit"), Exact = true });
                await Expect(review).ToBeEnabledAsync();
                await review.ClickAsync();
                await Expect(page.GetByTestId("deposit-review")).ToBeVisibleAsync();
                await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).ClickAsync();
                await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("Making the deposit…"));

                // The charge reached the gateway (its ledger has it); the answer is still 6 s away. Kill the host now.
                var charge = await OwnHostSite.WaitForAsync(() => ChargeOfAsync(own, amount), TimeSpan.FromSeconds(20), "the sandbox to receive the charge");
                await host.KillAsync();
                output.WriteLine($"Killed the host with charge {charge.Reference} of payment {charge.PaymentId} in flight.");
            }

            var orphan = await PaymentAsync(own, note);
            Assert.Equal(7, orphan.Status);                         // Charging, under a lease: the reconciler can find it
            Assert.NotNull(orphan.LeaseExpiresAt);

            await host.StartAsync();
            var finished = await OwnHostSite.WaitForAsync(async () => await PaymentAsync(own, note) is { Status: 3 } p ? p : null,
                TimeSpan.FromSeconds(60), "the restarted host to record the payment");
            Assert.Equal(1, await own.ScalarAsync("SELECT COUNT(*) FROM pp_sandbox_charges WHERE PaymentId = $id", finished.Id));
            await OwnHostSite.WaitForAsync(async () => await own.ScalarAsync("SELECT COUNT(*) FROM pp_outbox WHERE Kind = 2 AND CompletedAt IS NOT NULL AND PayloadJson LIKE '%' || $id || '%'", finished.Id) == 1 ? "" : null,
                TimeSpan.FromSeconds(30), "the deposit's ERP posting to be delivered");

            // The payer sees it in payment history as a succeeded deposit.
            await using var again = await NewContextAsync(browser, host);
            var history = await again.NewPageAsync();
            await SignInAsPatAsync(history, host);
            await history.GotoAsync("/portal/payments");
            var search = history.GetByRole(AriaRole.Searchbox, new() { Name = T("Search payments") });
            await search.FillAsync(note);
            await search.PressAsync("Enter");
            await Expect(InvoiceGridSteps.HistoryStatuses(history)).ToHaveTextAsync([T("Paid")]);
        }
        catch
        {
            output.WriteLine("--- host output ---\n" + own.Output);
            throw;
        }
    }

    /// <summary>Types the note until the form reacts (its counter follows): the page's circuit is connected from then on.</summary>
    // A host that has just started (its demo ERP loading 5,000 invoices on a busy machine) may show "Loading…" for a
    // while once the circuit connects: wait for the form itself longer than an action's timeout.
    private static Task WhenInteractiveAsync(IPage page, string note) => PaymentFormSteps.TypeDepositNoteWhenInteractiveAsync(page, note, formTimeoutMs: 90_000);

    private static Task<IBrowserContext> NewContextAsync(IBrowser browser, HostSiteProcess host) => browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = host.BaseUrl, Locale = SuiteLanguage.Locale, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
    });

    private static async Task SignInAsPatAsync(IPage page, HostSiteProcess host)
    {
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync("/login");
        await page.Locator("button[data-user='pat']").ClickAsync();
        await Expect(page).ToHaveURLAsync(host.BaseUrl + "/");
        await Expect(page.Locator("header")).ToContainTextAsync(HostT("Layout.SignedInAs", "Signed in as {0}", "Pat Payer"));
        await HostLayout.WaitUntilLiveAsync(page);
    }

    private sealed record Charge(string Reference, string PaymentId);

    private sealed record Payment(string Id, int Status, string? LeaseExpiresAt);

    private static async Task<Charge?> ChargeOfAsync(OwnHostSite host, decimal amount)
    {
        await using var connection = await host.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Reference, PaymentId FROM pp_sandbox_charges WHERE AmountMinor = $minor";
        command.Parameters.AddWithValue("$minor", (long)(amount * 100));
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new Charge(reader.GetString(0), reader.GetString(1)) : null;
    }

    private static async Task<Payment> PaymentAsync(OwnHostSite host, string memo)
    {
        await using var connection = await host.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id, Status, LeaseExpiresAt FROM pp_payments WHERE Memo = $memo";
        command.Parameters.AddWithValue("$memo", memo);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"No payment with the note {memo}.");
        return new Payment(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }
}
