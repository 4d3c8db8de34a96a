using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.Gateways.Stripe.Tests.EndToEnd;

/// <summary>
/// The sample host on Stripe is killed while a card payment's PaymentIntent is at Stripe (Stripe took the money; its
/// answer never arrives), then started again on the same database. The restarted host finds the charge at Stripe by the
/// payment's idempotency key once the lease has expired and records it: one PaymentIntent that moved money for the
/// payment, the payment Succeeded, and the payer sees it paid. Run in the shared host's collection so only one host
/// and one Chromium run at a time; the host here is its own (short lease, so the test does not wait minutes).
/// </summary>
[Collection(StripeHostCollection.Name)]
public sealed class StripeCrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly StripeHostFixture _host = new(new Dictionary<string, string>
    {
        ["CustomerPortalPayments__Charging__LeaseDuration"] = "00:00:20",
        ["CustomerPortalPayments__Charging__GatewayTimeout"] = "00:00:15",
        ["CustomerPortalPayments__Charging__StatusCheckDelay"] = "00:00:02",
        ["CustomerPortalPayments__OutboxPollInterval"] = "00:00:01",
    });

    static StripeCrashRecoveryTests() => SetDefaultExpectTimeout(20_000);

    /// <inheritdoc />
    public Task InitializeAsync() => _host.InitializeAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task A_host_killed_while_Stripe_holds_the_charge_records_it_after_restart_with_one_PaymentIntent()
    {
        try
        {
            string receipt, key;
            Guid paymentId;
            await using (var context = await _host.NewContextAsync())
            {
                var page = await context.NewPageAsync();
                await StripeBrowserTests.SignInAsync(page, "pat");
                await StripeBrowserTests.SelectInvoicesAsync(page, 1);
                var panel = await StripeBrowserTests.OpenPayPanelAsync(page);
                await StripeBrowserTests.AddCardInlineAsync(panel, page, StripeBrowserTests.Card);
                var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
                await Expect(makePayment).ToBeEnabledAsync();

                // Stripe creates and confirms the PaymentIntent (the money moves), then its answer hangs: the host is
                // killed while it waits.
                _host.StandIn.Fail(new StandInFault("POST", "/v1/payment_intents", 500, Delay: TimeSpan.FromSeconds(40), AfterExecuting: true));
                await makePayment.ClickAsync();
                var create = await WaitForAsync(() => _host.StandIn.Requests.LastOrDefault(r => r.Method == "POST" && r.Path == "/v1/payment_intents"),
                    TimeSpan.FromSeconds(30), "the PaymentIntent to reach Stripe");
                await _host.KillAsync();
                key = create.Form["metadata[portal_idempotency_key]"];
                paymentId = Guid.Parse(create.Form["metadata[portal_payment_id]"]);
                receipt = create.Form["description"]["Payment ".Length..];
                output.WriteLine($"Killed the host with payment {paymentId} ({receipt}) at Stripe.");
            }

            Assert.Equal(1, _host.StandIn.MoneyMovingIntentsOfPayment(paymentId));
            var (status, lease) = await PaymentAsync(paymentId);
            Assert.Equal(7, status);                                   // Charging, under a lease the restarted host waits out
            Assert.NotNull(lease);

            await _host.StartAsync();
            await WaitForAsync(async () => (await PaymentAsync(paymentId)).Status == 3 ? "" : null, TimeSpan.FromSeconds(90),
                "the restarted host to record the payment as succeeded");
            Assert.Equal(1, _host.StandIn.MoneyMovingIntentsOfPayment(paymentId));
            Assert.Equal(1, _host.StandIn.MoneyMovingIntents(key));

            // The payer sees it paid in payment history.
            await using var again = await _host.NewContextAsync();
            var history = await again.NewPageAsync();
            await StripeBrowserTests.SignInAsync(history, "pat");
            await history.GotoAsync("/portal/payments");
            var search = history.GetByRole(AriaRole.Searchbox, new() { Name = "Search payments" });
            await Expect(search).ToBeEditableAsync();
            var shown = await WaitForAsync(async () =>
            {
                await search.FillAsync(receipt);
                await search.PressAsync("Enter");
                await Task.Delay(500);
                return await history.Locator("[data-testid='history-grid'] td.pp-status").AllInnerTextsAsync() is [var only] ? only.Trim() : null;
            }, TimeSpan.FromSeconds(30), "the payment in the history");
            Assert.Equal("Paid", shown);
        }
        catch
        {
            var log = _host.Output;
            output.WriteLine(log.Length > 8000 ? log[^8000..] : log);
            throw;
        }
    }

    private async Task<(int Status, string? LeaseExpiresAt)> PaymentAsync(Guid id)
    {
        await using var connection = new SqliteConnection($"Data Source={_host.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Status, LeaseExpiresAt FROM pp_payments WHERE upper(Id) = upper($id)";
        command.Parameters.AddWithValue("$id", id.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"No payment {id} in the host's database.");
        return (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout, string what) where T : class =>
        WaitForAsync(() => Task.FromResult(probe()), timeout, what);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }
            await Task.Delay(250);
        }
    }
}
