using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Fees;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The card convenience fee is disclosed before confirmation: a line in the preview, the total charged on the confirm
/// button, card vs bank beside the methods, and a scheduled payment says the policy of its charge date applies.
/// </summary>
public class ConvenienceFeeDisclosureTests : PayTestContext
{
    /// <summary>A 2.5% card convenience fee (bank accounts carry none).</summary>
    internal static void CardFee(PortalPaymentsOptions o)
    {
        o.ConvenienceFees.Enabled = true;
        o.ConvenienceFees.Card = new MethodFeeOptions { Percent = 2.5m };
    }

    private static string Text<T>(IRenderedComponent<T> cut, string testId) where T : IComponent => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    private async Task<List<PaymentRecord>> PaymentsAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Payments.AsNoTracking().Where(p => p.AccountId == AccountId).ToListAsync();
    }

    private static void Choose<T>(IRenderedComponent<T> cut, string methodText) where T : IComponent
    {
        var label = Assert.Single(cut.FindAll(".pp-picker-option label"), l => l.TextContent.Contains(methodText, StringComparison.Ordinal));
        cut.Find($"#{label.GetAttribute("for")}").Change(true);
    }

    [Fact]
    public async Task Pay_now_shows_the_fee_line_the_total_charged_on_the_button_and_charges_exactly_that()
    {
        await StartAsync(configure: CardFee);
        var ids = await SeedAsync(("INV-5001", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        await AddBankAccountAsync();

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        cut.WaitForAssertion(() => Assert.Equal("USD 10.00", Text(cut, "fee")), Timeout);
        Assert.Equal("USD 400.00", Text(cut, "total"));
        Assert.Equal("Convenience fee (2.5%)", Text(cut, "fee-label"));
        Assert.Equal("USD 410.00", Text(cut, "total-charged"));
        Assert.Equal("Card: Convenience fee (2.5%), USD 10.00. Pay by bank: no fee.", Text(cut, "method-fee-hint"));

        // The bank account carries no fee: the line goes and the button says what it always says.
        Choose(cut, "6789");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=fee]")), Timeout);
        Assert.Single(Buttons(cut.Find("[data-testid=pay-panel]"), "Make payment"));

        Choose(cut, "Visa");
        cut.WaitForAssertion(() => Assert.Equal("USD 410.00", Text(cut, "total-charged")), Timeout);
        Button(cut, "Make payment: USD 410.00").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var payment = Assert.Single(await PaymentsAsync());
        Assert.Equal((41_000L, 1_000L, PaymentStatus.Succeeded), (payment.AmountMinor, payment.FeeMinor, payment.Status));

        // The receipt shows the fee as its own line above the amount paid.
        var receipt = Render<ReceiptView>(p => p.Add(x => x.PaymentId, payment.Id));
        receipt.WaitForAssertion(() => Assert.Equal("USD 10.00", Text(receipt, "receipt-fee")), Timeout);
        Assert.Equal("Convenience fee (2.5%)", Text(receipt, "receipt-fee-label"));
        Assert.Equal("USD 400.00", Text(receipt, "receipt-invoices"));
        Assert.Equal("USD 410.00", Text(receipt, "receipt-amount"));
    }

    [Fact]
    public async Task A_debit_card_is_exempt_and_the_preview_says_why()
    {
        await StartAsync(configure: CardFee);
        var ids = await SeedAsync(("INV-5101", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync("4000056655665556");

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=fee-waived]")), Timeout);
        Assert.StartsWith("No convenience fee:", Text(cut, "fee-waived"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=fee]"));
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var payment = Assert.Single(await PaymentsAsync());
        Assert.Equal((40_000L, 0L), (payment.AmountMinor, payment.FeeMinor));
    }

    [Fact]
    public async Task A_scheduled_payment_states_its_fee_and_that_the_charge_dates_policy_applies()
    {
        await StartAsync(configure: CardFee);
        var ids = await SeedAsync(("INV-5201", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync();

        var cut = Render<SchedulePaymentPanel>(p => p.Add(x => x.InvoiceIds, ids));
        cut.WaitForAssertion(() => Assert.Equal("USD 410.00", Text(cut, "total-charged")), Timeout);
        Assert.Equal("The fee shown is today's: the fee policy in force on the charge date applies.", Text(cut, "fee-later"));
        Button(cut, "Confirm scheduled payment: USD 410.00").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=schedule-reference]")), Timeout);
        Assert.Equal(PaymentStatus.Scheduled, Assert.Single(await PaymentsAsync()).Status);
    }

    [Fact]
    public async Task A_deposit_by_card_reviews_the_fee_and_charges_the_deposit_plus_the_fee()
    {
        await StartAsync(configure: CardFee);
        await AddCardAsync();
        var cut = Render<DepositForm>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);

        Input(cut, "Amount").Change("1,000");
        cut.WaitForAssertion(() => Assert.Equal("Card: Convenience fee (2.5%), USD 25.00. Pay by bank: no fee.", Text(cut, "method-fee-hint")), Timeout);
        Button(cut, "Review deposit").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);
        Assert.Equal("USD 1,000.00", Text(cut, "review-amount"));
        Assert.Equal("USD 25.00", Text(cut, "fee"));
        Assert.Equal("USD 1,025.00", Text(cut, "total-charged"));
        Button(cut, "Confirm deposit: USD 1,025.00").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        var deposit = Assert.Single(await PaymentsAsync());
        Assert.Equal((102_500L, 2_500L, PaymentStatus.Succeeded), (deposit.AmountMinor, deposit.FeeMinor, deposit.Status));
        // The deposit received is what went on account; the total charged with the fee is said apart.
        Assert.StartsWith($"Deposit of USD 1,000.00 received. Receipt number {deposit.ReceiptNumber}.", Text(cut, "deposit-confirmation"));
        Assert.Equal("Charged in all, with the fee: USD 1,025.00.", Text(cut, "deposit-charged"));

        // So does the receipt: the deposit, the fee, the amount paid.
        var receipt = Render<ReceiptView>(p => p.Add(x => x.PaymentId, deposit.Id));
        receipt.WaitForAssertion(() => Assert.Equal("USD 1,000.00", Text(receipt, "receipt-deposit-amount")), Timeout);
        Assert.Equal("USD 25.00", Text(receipt, "receipt-fee"));
        Assert.Equal("USD 1,025.00", Text(receipt, "receipt-amount"));
    }
}
