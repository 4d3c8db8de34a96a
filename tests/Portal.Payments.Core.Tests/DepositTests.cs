using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Outbox;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>Deposits (payments on account). The harness limits deposits to 5.00–1,000.00 unless a test says otherwise.</summary>
public abstract class DepositTests(TestDatabase database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static PortalHarness Harness(TestDatabase db, out string account, bool enabled = true) =>
        PaymentSeed.Harness(db, out account, options: o => o.Deposits = new DepositOptions { Enabled = enabled, Minimum = 5m, Maximum = 1_000m });

    [Fact]
    public async Task A_deposit_is_charged_posted_to_the_erp_as_unapplied_cash_emailed_and_has_a_receipt()
    {
        await using var h = Harness(database, out var account);
        var visa = await CardAsync(h);
        var deposits = h.Get<DepositService>();

        var review = await deposits.PreviewAsync(Usd(250.75m), "  For the March orders <b>PO 77</b>  ", visa.Id);
        Assert.Equal((Usd(250.75m), "For the March orders <b>PO 77</b>", "Visa •••• 4242"), (review.Amount, review.Note, review.MethodDescription));
        Assert.Empty(await PaymentsAsync(h, account));

        var outcome = await deposits.MakeDepositAsync(new DepositRequest(Usd(250.75m), review.Note, visa.Id, Key()));
        Assert.Equal((PaymentStatus.Succeeded, Usd(250.75m), false), (outcome.Status, outcome.Amount, outcome.Replayed));
        Assert.Matches("^R-260302-[0-9A-HJKMNP-TV-Z]{6}$", outcome.ReceiptNumber);
        var row = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentKind.Deposit, 25_075L, 0, "For the March orders <b>PO 77</b>"), (row.Kind, row.AmountMinor, row.InvoiceCount, row.Memo));
        Assert.Empty(row.Allocations);

        Assert.True(await h.Get<OutboxProcessor>().RunDueAsync() >= 2);
        var erp = Assert.Single(await h.Get<DemoErpAdapter>().GetPostingsAsync(account));
        var posting = JsonSerializer.Deserialize<ErpDepositPosting>(erp.PayloadJson, Json)!;
        Assert.Equal((outcome.PaymentId, outcome.ReceiptNumber, Usd(250.75m), "For the March orders <b>PO 77</b>", "Visa •••• 4242"),
            (posting.PaymentId, posting.ReceiptNumber, posting.Amount, posting.Memo, posting.MethodDescription));
        var mail = Assert.Single(await h.Get<MailboxService>().ListAsync());
        Assert.Equal(NotificationKind.DepositReceived, mail.Kind);
        Assert.Contains(outcome.ReceiptNumber, mail.Subject);

        var receipt = await h.Get<PaymentService>().GetReceiptAsync(outcome.PaymentId);
        Assert.Equal((PaymentKind.Deposit, Usd(250.75m), "For the March orders <b>PO 77</b>", 0), (receipt.Kind, receipt.Amount, receipt.Memo, receipt.Lines.Count));
    }

    [Fact]
    public async Task Amounts_outside_the_limits_and_long_notes_are_refused_at_the_field()
    {
        await using var h = Harness(database, out var account);
        var visa = await CardAsync(h);
        var deposits = h.Get<DepositService>();
        Assert.Equal(new DepositLimits(true, Usd(5m), Usd(1000m)), deposits.Limits);

        async Task<PortalValidationException> Refused(Money amount, string? note = null) =>
            await Assert.ThrowsAsync<PortalValidationException>(() => deposits.MakeDepositAsync(new DepositRequest(amount, note, visa.Id, Key())));

        Assert.Equal(("amount", "Deposits are from USD 5.00 to USD 1,000.00."), ((await Refused(Usd(4.99m))).Field, (await Refused(Usd(4.99m))).Message));
        Assert.Equal("amount", (await Refused(Usd(1000.01m))).Field);
        Assert.Equal(("amount", "The deposit must be greater than zero."), ((await Refused(Usd(0m))).Field, (await Refused(Usd(-10m))).Message));
        Assert.Equal(("amount", "Enter the deposit in USD."), ((await Refused(Money.Create(10m, "EUR"))).Field, (await Refused(Money.Create(10m, "EUR"))).Message));
        var note = await Refused(Usd(10m), new string('n', 501));
        Assert.Equal(("note", "The note is 501 characters; shorten it to 500 or fewer."), (note.Field, note.Message));

        Assert.Equal(Usd(5m), (await deposits.MakeDepositAsync(new DepositRequest(Usd(5m), new string('n', 500), visa.Id, Key()))).Amount);
        Assert.Equal(Usd(1000m), (await deposits.MakeDepositAsync(new DepositRequest(Usd(1000m), null, visa.Id, Key()))).Amount);
        Assert.Equal(2, await ChargeCountAsync(h, account));
    }

    [Fact]
    public async Task Disabled_deposits_are_refused_with_a_friendly_message()
    {
        await using var h = Harness(database, out var account, enabled: false);
        var visa = await CardAsync(h);
        var deposits = h.Get<DepositService>();

        Assert.False(deposits.Limits.Enabled);
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => deposits.PreviewAsync(Usd(10m), null, visa.Id));
        Assert.Equal(("deposit", DepositService.DisabledMessage), (refused.Field, refused.Message));
        await Assert.ThrowsAsync<PortalValidationException>(() => deposits.MakeDepositAsync(new DepositRequest(Usd(10m), null, visa.Id, Key())));
        Assert.Empty(await PaymentsAsync(h, account));
    }

    [Fact]
    public async Task A_double_submit_of_one_review_makes_one_deposit_and_one_charge()
    {
        await using var h = Harness(database, out var account);
        var visa = await CardAsync(h);
        var request = new DepositRequest(Usd(75m), null, visa.Id, Key());

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var scope = new PortalHarnessScope(h);
            return await scope.Get<DepositService>().MakeDepositAsync(request);
        }));
        var again = await h.Get<DepositService>().MakeDepositAsync(request);

        Assert.Single(results.Select(r => r.PaymentId).Append(again.PaymentId).Distinct());
        Assert.Equal(3, results.Count(r => r.Replayed));
        Assert.True(again.Replayed);
        Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(1, await ChargeCountAsync(h, account));
    }

    [Fact]
    public async Task View_only_users_are_refused_and_another_accounts_method_or_key_is_not_found()
    {
        await using var h = Harness(database, out var account);
        var visa = await CardAsync(h);
        var request = new DepositRequest(Usd(20m), null, visa.Id, Key());
        await h.Get<DepositService>().MakeDepositAsync(request);

        var other = PortalHarness.NewAccount();
        h.SignIn(other);
        var deposits = h.Get<DepositService>();
        await Assert.ThrowsAsync<PortalNotFoundException>(() => deposits.PreviewAsync(Usd(20m), null, visa.Id));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => deposits.MakeDepositAsync(request with { IdempotencyKey = Key() }));
        await Assert.ThrowsAsync<PortalNotFoundException>(() => deposits.MakeDepositAsync(request));

        h.SignIn(account, PortalPermissions.View);
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => deposits.PreviewAsync(Usd(20m), null, visa.Id));
        await Assert.ThrowsAsync<PortalAccessDeniedException>(() => deposits.MakeDepositAsync(request with { IdempotencyKey = Key() }));
        Assert.Single(await PaymentsAsync(h, account));
        Assert.Empty(await PaymentsAsync(h, other));
        Assert.Equal(1, await ChargeCountAsync(h, account));
    }
}

public sealed class DepositTests_Sqlite(SqliteDatabase db) : DepositTests(db), IClassFixture<SqliteDatabase>;

public sealed class DepositTests_Postgres(PostgresDatabase db) : DepositTests(db), IClassFixture<PostgresDatabase>;

/// <summary>The deposit options are checked when the host starts.</summary>
public class DepositOptionsTests
{
    private static IEnumerable<string> Errors(Action<DepositOptions> change, string currency = "USD")
    {
        var options = new PortalPaymentsOptions { Currency = currency, Database = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=x.db" } };
        change(options.Deposits);
        var result = new PortalPaymentsOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures : [];
    }

    [Fact]
    public void Defaults_are_valid_and_bad_limits_say_what_to_fix()
    {
        Assert.Empty(Errors(_ => { }));
        Assert.Contains("CustomerPortalPayments:Deposits:Minimum must be greater than zero (e.g. 1.00).", Errors(d => d.Minimum = 0m));
        Assert.Contains(Errors(d => (d.Minimum, d.Maximum) = (50m, 10m)), e => e.StartsWith("CustomerPortalPayments:Deposits:Maximum (10)", StringComparison.Ordinal));
        Assert.Contains("CustomerPortalPayments:Deposits:Minimum and Maximum must have at most 2 decimal places for USD.", Errors(d => d.Minimum = 1.005m));
        Assert.Contains("CustomerPortalPayments:Deposits:Minimum and Maximum must have at most 0 decimal places for JPY.", Errors(d => d.Minimum = 1.5m, "JPY"));
    }
}
