using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Fees;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>The built-in fee policy's arithmetic: percentages rounded to the currency's minor unit, fixed parts, caps, exemptions.</summary>
public sealed class ConvenienceFeePolicyTests
{
    private static ConfiguredConvenienceFeePolicy Policy(Action<ConvenienceFeeOptions> configure)
    {
        var options = new PortalPaymentsOptions();
        options.ConvenienceFees.Enabled = true;
        configure(options.ConvenienceFees);
        return new ConfiguredConvenienceFeePolicy(new StaticMonitor(options));
    }

    private static FeeQuoteRequest Request(decimal amount, PaymentMethodType type = PaymentMethodType.Card, CardFunding funding = CardFunding.Credit,
        string? region = null, string currency = "USD") => new()
    {
        Amount = Money.Create(amount, currency), MethodType = type, Funding = funding, BillingRegion = region, Occasion = FeeOccasion.PayNow,
        ChargeDate = new DateOnly(2026, 3, 2),
    };

    [Theory]
    [InlineData(1000.00, 2.5, 0, null, 25.00)]
    [InlineData(333.33, 2.5, 0, null, 8.33)]      // 8.33325 → 8.33
    [InlineData(333.40, 2.5, 0, null, 8.34)]      // 8.335 → 8.34 (half away from zero)
    [InlineData(100.00, 2.9, 0.30, null, 3.20)]   // percentage plus fixed
    [InlineData(10000.00, 3, 0, 25.00, 25.00)]    // capped
    [InlineData(50.00, 0, 1.50, null, 1.50)]      // fixed only
    public void Card_fees_add_a_percentage_and_a_fixed_part_rounded_to_cents_and_capped(decimal amount, decimal percent, decimal fixedPart, double? cap, decimal expected)
    {
        var policy = Policy(o => o.Card = new MethodFeeOptions { Percent = percent, Fixed = fixedPart, Cap = (decimal?)cap });
        var fee = policy.Quote(Request(amount));
        Assert.Equal(Money.Create(expected, "USD"), fee.Amount);
        Assert.True(fee.Charged);
        Assert.Null(fee.WaivedBecause);
    }

    [Fact]
    public void A_zero_decimal_currency_rounds_to_whole_units()
    {
        var fee = Policy(o => o.Card = new MethodFeeOptions { Percent = 2.5m }).Quote(Request(12345m, currency: "JPY"));
        Assert.Equal(Money.Create(309m, "JPY"), fee.Amount);   // 308.625 → 309
    }

    [Fact]
    public void Debit_and_prepaid_cards_regions_and_small_payments_are_exempt_with_a_reason()
    {
        var policy = Policy(o =>
        {
            o.Card = new MethodFeeOptions { Percent = 3m };
            o.DisallowedRegions = ["US-CT", "PR"];
            o.MinimumPayment = 20m;
        });
        Assert.Equal("No fee on debit cards.", policy.Quote(Request(500m, funding: CardFunding.Debit)).WaivedBecause);
        Assert.Equal("No fee on prepaid cards.", policy.Quote(Request(500m, funding: CardFunding.Prepaid)).WaivedBecause);
        Assert.Equal("No fee in your billing region.", policy.Quote(Request(500m, region: "US-CT")).WaivedBecause);
        Assert.Equal("No fee in your billing region.", policy.Quote(Request(500m, region: "PR-SJ")).WaivedBecause);   // a country covers its states
        Assert.Equal("No fee on payments under USD 20.00.", policy.Quote(Request(19.99m)).WaivedBecause);
        Assert.True(policy.Quote(Request(500m, region: "US-NY")).Charged);
        Assert.True(policy.Quote(Request(500m, funding: CardFunding.Unknown)).Charged);   // not reported: the host's policy applies
        Assert.False(policy.Quote(Request(500m, type: PaymentMethodType.BankAccount, funding: CardFunding.Unknown)).Charged);   // no bank fee configured
    }

    [Fact]
    public void Fees_off_means_no_fee_whatever_is_configured()
    {
        var options = new PortalPaymentsOptions();
        options.ConvenienceFees.Card = new MethodFeeOptions { Percent = 3m };
        var fee = new ConfiguredConvenienceFeePolicy(new StaticMonitor(options)).Quote(Request(100m));
        Assert.False(fee.Charged);
    }

    private sealed class StaticMonitor(PortalPaymentsOptions value) : IOptionsMonitor<PortalPaymentsOptions>
    {
        public PortalPaymentsOptions CurrentValue => value;

        public PortalPaymentsOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<PortalPaymentsOptions, string?> listener) => null;
    }
}

/// <summary>A fee policy the test can change (the policy in force on a later charge date).</summary>
public sealed class AdjustableFeePolicy : IConvenienceFeePolicy
{
    public decimal CardPercent { get; set; } = 2.5m;

    public ConvenienceFee Quote(FeeQuoteRequest request) =>
        request.MethodType == PaymentMethodType.Card && CardPercent > 0m && request.Funding != CardFunding.Debit
            ? new ConvenienceFee(request.Amount.MultiplyAndRound(CardPercent / 100m), $"Card fee ({CardPercent}%)")
            : ConvenienceFee.None(request.Amount.Currency);
}

/// <summary>
/// Convenience fees through the money path on both providers: disclosed in the preview, charged with the payment, its
/// own line everywhere, posted to the ERP apart from the invoices, reversed with a return, and re-priced on a later
/// charge date under the policy then in force.
/// </summary>
public abstract class ConvenienceFeeTests(TestDatabase database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static PortalHarness WithFees(TestDatabase database, out string account, AdjustableFeePolicy? policy = null) =>
        Harness(database, out account, configure: b =>
        {
            if (policy is not null)
            {
                b.Services.AddSingleton(policy);
                b.Services.AddSingleton<IConvenienceFeePolicy>(sp => sp.GetRequiredService<AdjustableFeePolicy>());
            }
        }, options: o =>
        {
            o.ConvenienceFees.Enabled = true;
            o.ConvenienceFees.Card = new MethodFeeOptions { Percent = 2.5m, Cap = 100m };
            o.ConvenienceFees.Label = "Card convenience fee";
        });

    [Fact]
    public async Task A_card_payment_discloses_charges_posts_and_shows_its_fee_apart_from_the_invoices()
    {
        await using var h = WithFees(database, out var account);
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        var ids = await PayableAsync(h, account, 2);
        var card = await CardAsync(h);
        var payments = h.Get<PaymentService>();

        var preview = await payments.PreviewAsync(ids, null, card.Id);
        var percent = preview.Total.MultiplyAndRound(0.025m);
        var expectedFee = percent > Usd(100m) ? Usd(100m) : percent;   // capped at 100.00
        Assert.Equal(expectedFee, preview.Fee!.Amount);
        Assert.Equal("Card convenience fee (2.5%)", preview.Fee.Label);
        Assert.Equal(preview.Total + expectedFee, preview.TotalCharged);
        Assert.False(preview.BankFee!.Charged);   // "Pay by bank: no fee"
        Assert.True(preview.CardFee!.Charged);

        // A total without the fee was not what the payer would be charged: refused, nothing charged.
        await Assert.ThrowsAsync<PortalValidationException>(() => payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()) { ExpectedTotal = preview.Total }));
        Assert.Equal(0, await ChargeCountAsync(h, account));

        var outcome = await payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()) { ExpectedTotal = preview.TotalCharged });
        Assert.Equal((PaymentStatus.Succeeded, preview.TotalCharged), (outcome.Status, outcome.Amount));
        var charge = Assert.Single(await ChargesAsync(h, account));
        Assert.Equal(preview.TotalCharged.ToMinorUnits(), charge.AmountMinor);

        var posting = JsonSerializer.Deserialize<ErpPaymentPosting>(Assert.Single(await OutboxAsync(h, account, OutboxKind.ErpPayment)).PayloadJson, Json)!;
        Assert.Equal((preview.TotalCharged, (Money?)expectedFee), (posting.Amount, posting.ConvenienceFee));
        Assert.Equal(preview.Total, posting.Allocations.Aggregate(Money.Zero("USD"), (sum, a) => sum + a.Applied));   // the fee is applied to no invoice

        var receipt = await payments.GetReceiptAsync(outcome.PaymentId);
        Assert.Equal((expectedFee, "Card convenience fee (2.5%)"), (receipt.Fee, receipt.FeeLabel));
        var csv = new StringWriter();
        await h.Get<PaymentHistoryService>().WriteRemittanceCsvAsync(outcome.PaymentId, csv);
        Assert.Contains($"\"Card convenience fee (2.5%)\"", csv.ToString());
        var history = new StringWriter();
        await h.Get<PaymentHistoryService>().WriteCsvAsync(new Grid.GridQuery(), [PaymentHistoryFields.ReceiptNumber, PaymentHistoryFields.Fee], history);
        Assert.Contains(expectedFee.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), history.ToString());
        var email = Assert.Single(await EmailsAsync(h, account), e => e.PaymentId == outcome.PaymentId);
        Assert.Contains($"Card convenience fee (2.5%): {expectedFee}", email.TextBody);

        // The ERP applies the invoices' money only: the invoices close, the fee stays fee income.
        Assert.True(await h.Get<OutboxProcessor>().RunDueAsync() >= 1);
        h.Clock.Advance(TimeSpan.FromMinutes(3));
        await h.Get<ErpSyncService>().SyncAccountAsync(account);
        Assert.All(await InvoiceRowsAsync(h, ids), i => Assert.False(i.IsOpen));
    }

    [Fact]
    public async Task A_debit_card_or_a_bank_account_pays_no_fee()
    {
        await using var h = WithFees(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-FE10", 40_000));
        var debit = await CardAsync(h, "4000056655665556");
        var bank = await BankAsync(h);
        var payments = h.Get<PaymentService>();

        var byDebit = await payments.PreviewAsync(ids, null, debit.Id);
        Assert.Equal(("No fee on debit cards.", byDebit.Total), (byDebit.Fee!.WaivedBecause, byDebit.TotalCharged));
        var byBank = await payments.PreviewAsync(ids, null, bank.Id);
        Assert.False(byBank.Fee!.Charged);

        var outcome = await payments.PayInvoicesAsync(new PayInvoicesRequest(ids, debit.Id, Key()) { ExpectedTotal = byDebit.TotalCharged });
        var stored = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((400_00L, 0L, (string?)null), (stored.AmountMinor, stored.FeeMinor, stored.FeeLabel));
        Assert.Equal(PaymentStatus.Succeeded, outcome.Status);
    }

    [Fact]
    public async Task A_deposit_by_card_charges_the_fee_on_top_and_the_erp_puts_only_the_deposit_on_account()
    {
        await using var h = WithFees(database, out var account);
        var card = await CardAsync(h);
        var deposits = h.Get<DepositService>();
        var preview = await deposits.PreviewAsync(Usd(200m), "Prepayment", card.Id);
        Assert.Equal((Usd(5m), Usd(205m)), (preview.Fee!.Amount, preview.TotalCharged));

        var outcome = await deposits.MakeDepositAsync(new DepositRequest(Usd(200m), "Prepayment", card.Id, Key()) { ExpectedTotal = Usd(205m) });
        Assert.Equal((PaymentStatus.Succeeded, Usd(205m), Usd(5m)), (outcome.Status, outcome.Amount, outcome.Fee));
        // The email names the deposit (what went on account), then the fee and the total charged.
        var email = Assert.Single(await EmailsAsync(h, account), e => e.PaymentId == outcome.PaymentId);
        Assert.Contains("We received your deposit of USD 200.00", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("Card convenience fee (2.5%): USD 5.00", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("Total charged: USD 205.00", email.TextBody, StringComparison.Ordinal);
        await h.Get<OutboxProcessor>().RunDueAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(3));
        var page = await h.Get<IErpAdapter>().PullOpenItemsAsync(account, null, 10_000);
        var onAccount = Assert.Single(page.Items, i => i.Number == $"UC-{outcome.ReceiptNumber}");
        Assert.Equal(Usd(-200m), onAccount.OpenAmount);
    }

    [Fact]
    public async Task A_returned_bank_payment_reverses_its_fee_with_it()
    {
        await using var h = Harness(database, out var account, options: o =>
        {
            o.ConvenienceFees.Enabled = true;
            o.ConvenienceFees.Bank = new MethodFeeOptions { Fixed = 1.50m };
        });
        var ids = await InvoicesAsync(h, account, new Item("INV-FE20", 12_000));
        var bank = await BankAsync(h, SandboxGateway.ReturnedBankAccount);
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        Assert.Equal((PaymentStatus.Processing, Usd(121.50m)), (outcome.Status, outcome.Amount));

        h.Clock.Advance(TimeSpan.FromDays(3));
        await h.Get<PaymentReconciler>().ReconcileAsync();

        Assert.Equal(PaymentStatus.Returned, Assert.Single(await PaymentsAsync(h, account)).Status);
        var reversal = JsonSerializer.Deserialize<ErpPaymentReversal>(Assert.Single(await OutboxAsync(h, account, OutboxKind.ErpReversal)).PayloadJson, Json)!;
        Assert.Equal((Usd(121.50m), (Money?)Usd(1.50m)), (reversal.Amount, reversal.ConvenienceFee));
    }

    [Fact]
    public async Task A_scheduled_payment_is_charged_the_fee_of_the_policy_in_force_on_its_date_and_a_retry_never_reprices()
    {
        var policy = new AdjustableFeePolicy { CardPercent = 2.5m };
        await using var h = WithFees(database, out var account, policy);
        var ids = await InvoicesAsync(h, account, new Item("INV-FE30", 100_000));
        var card = await CardAsync(h);
        var preview = await h.Get<ScheduledPaymentService>().PreviewAsync(ids, Today.AddDays(5), card.Id);
        Assert.Equal(Usd(25m), preview.Fee!.Amount);
        var scheduled = await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()) { ExpectedTotal = preview.TotalCharged });
        Assert.Equal(Usd(1025m), scheduled.Amount);

        policy.CardPercent = 2m;   // the merchant lowers the fee before the date
        h.Clock.Advance(TimeSpan.FromDays(5));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();

        var paid = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Succeeded, 1020_00L, 20_00L), (paid.Status, paid.AmountMinor, paid.FeeMinor));
        Assert.Equal(1020_00L, Assert.Single(await ChargesAsync(h, account)).AmountMinor);
    }

    [Fact]
    public async Task Scheduling_confirms_the_amount_to_be_charged_fee_included_not_the_invoices_total()
    {
        await using var h = WithFees(database, out var account, new AdjustableFeePolicy { CardPercent = 2.5m });
        var ids = await InvoicesAsync(h, account, new Item("INV-FE35", 100_000));
        var card = await CardAsync(h);
        var scheduling = h.Get<ScheduledPaymentService>();
        var preview = await scheduling.PreviewAsync(ids, Today.AddDays(5), card.Id);
        Assert.Equal((Usd(1000m), Usd(1025m)), (preview.Total, preview.TotalCharged));

        // A payer who saw USD 1,000.00 (the invoices, no fee) has not agreed to be charged USD 1,025.00.
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() =>
            scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()) { ExpectedTotal = preview.Total }));

        Assert.Equal("total", refused.Field);
        Assert.Empty(await PaymentsAsync(h, account));
        var scheduled = await scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()) { ExpectedTotal = preview.TotalCharged });
        Assert.Equal(Usd(1025m), scheduled.Amount);
    }

    [Fact]
    public async Task Changing_the_date_or_method_of_a_scheduled_payment_with_a_fee_confirms_its_amount_fee_included_and_stores_the_new_fee()
    {
        var policy = new AdjustableFeePolicy { CardPercent = 2.5m };
        await using var h = WithFees(database, out var account, policy);
        var ids = await InvoicesAsync(h, account, new Item("INV-FE40", 100_000));
        var card = await CardAsync(h);
        var bank = await BankAsync(h);
        var service = h.Get<ScheduledPaymentService>();
        var preview = await service.PreviewAsync(ids, Today.AddDays(5), card.Id);
        var scheduled = await service.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()) { ExpectedTotal = preview.TotalCharged });
        var listed = Assert.Single(await service.ListAsync());
        Assert.Equal(Usd(1025m), listed.Amount);

        // Only the date: the payer confirms the amount the list shows, fee included.
        var moved = await service.ChangeAsync(scheduled.PaymentId, Today.AddDays(6), null, listed.Amount);
        Assert.Equal((Today.AddDays(6), Usd(1025m)), (moved.ScheduledFor, moved.Amount));
        var row = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((102_500L, 2_500L), (row.AmountMinor, row.FeeMinor));

        // Only the method: a bank account carries no fee, and the preview of the change says so before it is confirmed.
        Assert.Equal(Usd(1000m), (await service.PreviewChangeAsync(scheduled.PaymentId, Today.AddDays(6), bank.Id)).TotalCharged);
        var stale = await Assert.ThrowsAsync<PortalValidationException>(() => service.ChangeAsync(scheduled.PaymentId, null, bank.Id, Usd(1025m)));
        Assert.Equal("AmountsChanged", stale.Error?.Code);
        var rebanked = await service.ChangeAsync(scheduled.PaymentId, null, bank.Id, Usd(1000m));
        Assert.Equal(Usd(1000m), rebanked.Amount);
        row = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((100_000L, 0L, (string?)null), (row.AmountMinor, row.FeeMinor, row.FeeLabel));

        // The runner charges the invoices in full and no fee.
        h.Clock.Advance(TimeSpan.FromDays(6));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        var paid = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((100_000L, 0L), (paid.AmountMinor, paid.FeeMinor));
        Assert.Equal(100_000L, Assert.Single(await ChargesAsync(h, account)).AmountMinor);
    }

    [Fact]
    public async Task Cancelling_some_invoices_of_a_scheduled_payment_with_a_fee_leaves_the_rest_with_its_own_fee()
    {
        var policy = new AdjustableFeePolicy { CardPercent = 2.5m };
        await using var h = WithFees(database, out var account, policy);
        var ids = await InvoicesAsync(h, account, new Item("INV-FE50", 60_000), new Item("INV-FE51", 40_000));
        var card = await CardAsync(h);
        var service = h.Get<ScheduledPaymentService>();
        var scheduled = await service.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(5), card.Id, Key()));
        Assert.Equal(Usd(1025m), scheduled.Amount);

        var plan = Assert.Single(await service.PlanCancelAsync([ids[1]]));
        Assert.Equal(Usd(615m), plan.RemainingAmount);   // USD 600.00 and its fee of USD 15.00
        var outcome = await service.CancelInvoicesAsync(scheduled.PaymentId, [ids[1]], plan.RemainingAmount);

        Assert.Equal(Usd(615m), outcome.RemainingAmount);
        var row = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((61_500L, 1_500L), (row.AmountMinor, row.FeeMinor));
        h.Clock.Advance(TimeSpan.FromDays(5));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        Assert.Equal(61_500L, Assert.Single(await ChargesAsync(h, account)).AmountMinor);
    }

    private static async Task<long[]> PayableAsync(PortalHarness h, string account, int count)
    {
        await using var db = await h.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToArrayAsync(
            db.Invoices.Where(i => i.AccountId == account && i.Type == OpenItemType.Invoice && i.IsOpen && i.OpenMinor > 0 && i.DiscountMinor == null)
                .OrderBy(i => i.Id).Select(i => i.Id).Take(count));
    }
}

public sealed class ConvenienceFeeTests_Sqlite(SqliteDatabase db) : ConvenienceFeeTests(db), IClassFixture<SqliteDatabase>;

public sealed class ConvenienceFeeTests_Postgres(PostgresDatabase db) : ConvenienceFeeTests(db), IClassFixture<PostgresDatabase>;
