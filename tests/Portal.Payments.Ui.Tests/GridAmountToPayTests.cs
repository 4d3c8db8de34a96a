using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The amount to pay typed in the open-invoices grid, on real services and SQLite. Today is 10 March 2027; GAP-7001 is
/// $1,000 with a $20 discount until 15 March (pro-rated by default), GAP-7002 is $250 without a discount.
/// </summary>
public class GridAmountToPayTests : PayTestContext
{
    private async Task<(IRenderedComponent<OpenInvoicesGrid> Cut, long[] Ids)> ArrangeAsync()
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("GAP-7001", 100_000, 2_000, OpenItemType.Invoice), ("GAP-7002", 25_000, null, OpenItemType.Invoice),
            ("GAP-7003", -5_000, null, OpenItemType.CreditMemo));
        await AddCardAsync();
        var cut = Render<OpenInvoicesGrid>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".pp-inv-number")), Timeout);
        cut.Find("input[type=search]").Input("GAP-");
        cut.Find("form[role=search]").Submit();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll(".pp-inv-number").Count), Timeout);
        return (cut, ids);
    }

    /// <summary>Ticks the invoice's box and waits for its amount field (the row re-renders on its own turn); a credit gets none.</summary>
    private static void Select(IRenderedComponent<OpenInvoicesGrid> cut, string number, bool credit = false)
    {
        cut.Find($"input[aria-label='Select invoice {number}']").Change(true);
        if (!credit)
        {
            cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("label"), l => l.TextContent.Trim() == $"Amount to pay for {number}"), Timeout);
        }
    }

    private static IReadOnlyList<string> FullPayments(IRenderedComponent<OpenInvoicesGrid> cut) =>
        [.. cut.FindAll(".pp-inv-full-payment").Select(e => e.TextContent.Trim())];

    [Theory]
    [InlineData(5, "20.00", "980.00")]    // the discount runs until 15 March: offered today
    [InlineData(-1, "", "1,000.00")]      // it ended yesterday: nothing offered, the full payment is the balance
    public async Task Only_a_discount_still_running_today_is_shown_and_taken(int discountEndsInDays, string discount, string fullPayment)
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("DSC-7101", 100_000, 2_000, OpenItemType.Invoice));
        await using (var db = await Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ExecuteUpdateAsync(
                db.Invoices.Where(i => i.Id == ids[0]), u => u.SetProperty(i => i.DiscountDate, TodayDate.AddDays(discountEndsInDays)));
        }
        var cut = Render<OpenInvoicesGrid>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".pp-inv-number")), Timeout);
        cut.Find("input[type=search]").Input("DSC-");
        cut.Find("form[role=search]").Submit();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll(".pp-inv-number")), Timeout);

        var headers = cut.FindAll("th").Select(h => h.TextContent.Trim()).ToList();
        var cells = cut.Find(".pp-inv-number").Closest("tr")!.QuerySelectorAll("td").ToList();
        Assert.Equal(discount, cells[headers.FindIndex(h => h.StartsWith("Discount today", StringComparison.Ordinal))].TextContent.Trim());
        Assert.Equal([fullPayment], FullPayments(cut));
    }

    [Fact]
    public async Task Selected_invoices_get_an_amount_defaulting_to_the_full_payment_today_and_credits_get_none()
    {
        var (cut, _) = await ArrangeAsync();
        Assert.Empty(cut.FindAll("[data-testid=grid-amount-input]"));
        Assert.Equal(["980.00", "250.00"], FullPayments(cut));   // balance less today's discount; nothing for the credit

        Select(cut, "GAP-7001");
        Select(cut, "GAP-7003", credit: true);

        var input = Input(cut, "Amount to pay for GAP-7001");
        Assert.Equal("980.00", input.GetAttribute("value"));
        Assert.Single(cut.FindAll("[data-testid=grid-amount-input]"));
        Assert.Equal(["250.00"], FullPayments(cut));
    }

    [Theory]
    [InlineData("abc", "Enter the amount to pay for GAP-7002 as a number, e.g. 1,234.50.")]
    [InlineData("0", "The amount to pay for GAP-7002 must be greater than zero.")]
    [InlineData("-1", "The amount to pay for GAP-7002 must be greater than zero.")]
    [InlineData("10.005", "The amount to pay for GAP-7002 can have at most 2 decimal places.")]
    [InlineData("250.01", "The amount to pay for GAP-7002 is more than its open balance of USD 250.00. To pay more than you owe, make a deposit.")]
    public async Task A_bad_amount_is_refused_at_the_field_keeps_what_was_typed_and_opens_no_payment(string typed, string message)
    {
        var (cut, _) = await ArrangeAsync();
        Select(cut, "GAP-7002");

        Input(cut, "Amount to pay for GAP-7002").Change(typed);

        var input = Input(cut, "Amount to pay for GAP-7002");
        Assert.Equal(message, ErrorFor(cut, input).TextContent.Trim());
        Assert.Equal("true", input.GetAttribute("aria-invalid"));
        Assert.Equal(typed, input.GetAttribute("value"));
        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();
        Assert.Empty(cut.FindComponents<PayInvoicesPanel>());
        Assert.Equal("Correct the amount to pay first: " + message, cut.Find("p[role=status]").TextContent.Trim());

        Input(cut, "Amount to pay for GAP-7002").Change("250");
        Assert.Empty(cut.FindAll("[data-testid=grid-amount-error]"));
        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();
        cut.WaitForAssertion(() => Assert.Equal("USD 250.00", cut.Find("[data-testid=pay-panel] [data-testid=total]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task A_short_amount_typed_in_the_grid_reaches_the_preview_which_asks_for_the_reason_then_pays_it()
    {
        var (cut, ids) = await ArrangeAsync();
        Select(cut, "GAP-7001");
        Select(cut, "GAP-7002");
        Input(cut, "Amount to pay for GAP-7001").Change("600");
        Assert.Equal("Short by 388.00; you give the reason when you pay.", cut.Find("[data-testid=grid-amount-short]").TextContent.Trim());

        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=pay-panel] [data-testid=picker-option]")), Timeout);
        Assert.Equal(["600.00", "250.00"], cut.FindAll("[data-testid=grid-amount-paying]").Select(e => e.TextContent.Trim()));   // changed in the panel now
        Assert.Empty(cut.FindAll("[data-testid=grid-amount-input]"));
        Assert.Equal("600.00", Input(cut, "Amount to pay for GAP-7001").GetAttribute("value"));
        Assert.Equal("250.00", Input(cut, "Amount to pay for GAP-7002").GetAttribute("value"));
        var reason = Input(cut, "Short-pay reason for GAP-7001");
        Assert.Equal("Choose why you are paying less than USD 980.00 for GAP-7001.", ErrorFor(cut, reason).TextContent.Trim());
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));

        reason.Change("Damaged");

        cut.WaitForAssertion(() => Assert.Equal("USD 850.00", cut.Find("[data-testid=pay-panel] [data-testid=total]").TextContent.Trim()), Timeout);
        Assert.Equal("USD 388.00", cut.Find("[data-testid=line-short]").TextContent.Trim());
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var rows = await InvoicesAsync(ids[..2]);
        var receipt = await Payments.GetReceiptAsync(rows[0].ActivePaymentId!.Value);
        Assert.Equal(Money.Create(850m, "USD"), receipt.Amount);
        var line = Assert.Single(receipt.Lines, l => l.InvoiceNumber == "GAP-7001");
        Assert.Equal((Money.Create(600m, "USD"), Money.Create(388m, "USD"), "Damaged"), (line.Applied, line.ShortAmount, line.ShortReason));
        Assert.Empty(cut.FindAll("[data-testid=grid-amount-input]"));   // the selection and its amounts are cleared
    }

    // Review: a box ticked while the pay panel was open was counted in the selection bar and shown as paying, the panel paid
    // only the invoices it opened with, and the payment then cleared the whole selection: the extra invoice dropped out unpaid.
    [Fact]
    public async Task The_selection_cannot_change_while_the_panel_can_still_pay_it()
    {
        var (cut, ids) = await ArrangeAsync();
        Select(cut, "GAP-7001");
        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=pay-panel] [data-testid=picker-option]")), Timeout);

        var other = cut.Find("input[aria-label='Select invoice GAP-7002']");
        Assert.True(other.HasAttribute("disabled"));
        Assert.True(cut.Find("input[aria-label='Select invoice GAP-7001']").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=select-page]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=clear-selection]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=pay-past-due]").HasAttribute("disabled"));   // it would replace the selection
        Assert.Equal("To change the selection, finish or close the payment above first.", cut.Find("[data-testid=selection-locked]").TextContent.Trim(' ', '·'));
        // A tick that left the browser before the box was drawn disabled is refused with the reason, and the box is put back:
        // drawn once ticked, as the browser shows it, then unticked (the same value twice would send the browser nothing).
        var drawn = new List<bool>();
        cut.OnMarkupUpdated += (_, _) => drawn.Add(cut.Find("input[aria-label='Select invoice GAP-7002']").HasAttribute("checked"));
        other.Change(true);
        cut.WaitForAssertion(() => Assert.Equal("To change the selection, finish or close the payment above first.", cut.Find("[data-testid=grid-notice]").TextContent.Trim()), Timeout);
        cut.WaitForAssertion(() => Assert.Equal([true, false], drawn.SkipWhile(d => !d).Take(2)), Timeout);
        Assert.False(cut.Find("input[aria-label='Select invoice GAP-7002']").HasAttribute("checked"));
        Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent);

        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);

        // Paid: the panel shows its outcome and pays nothing more, so the next selection can start at once.
        cut.WaitForAssertion(() => Assert.False(cut.Find("input[aria-label='Select invoice GAP-7002']").HasAttribute("disabled")), Timeout);
        Select(cut, "GAP-7002");
        Assert.Empty(cut.FindAll("[data-testid=selection-locked]"));
        Assert.Equal("250.00", Input(cut, "Amount to pay for GAP-7002").GetAttribute("value"));
        Assert.Null((await InvoicesAsync(ids[1..2]))[0].ActivePaymentId);
    }

    // Review: "Pay selected invoices" (and "Schedule payment") stayed clickable while the pay panel was open: a second click
    // opened the panel afresh, dropping the amounts, reasons and comments typed in it (or a payment's bank confirmation).
    [Fact]
    public async Task Pay_selected_again_while_the_panel_is_open_keeps_what_was_typed_in_it()
    {
        var (cut, ids) = await ArrangeAsync();
        Select(cut, "GAP-7001");
        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=pay-panel] [data-testid=picker-option]")), Timeout);
        Input(cut, "Amount to pay for GAP-7001").Change("600");
        Input(cut, "Short-pay reason for GAP-7001").Change("Damaged");
        cut.WaitForAssertion(() => Assert.Equal("USD 600.00", cut.Find("[data-testid=pay-panel] [data-testid=total]").TextContent.Trim()), Timeout);

        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-selected]").Click());   // sent before the button was drawn disabled

        Assert.Equal("600", Input(cut, "Amount to pay for GAP-7001").GetAttribute("value"));
        Assert.Equal("Damaged", Input(cut, "Short-pay reason for GAP-7001").GetAttribute("value"));
        Assert.Equal("To change the selection, finish or close the payment above first.", cut.Find("[data-testid=grid-notice]").TextContent.Trim());
        // Said disabled, yet focusable: Cancel gives the focus back to it (a disabled button cannot take it).
        Assert.Equal("true", cut.Find("[data-testid=pay-selected]").GetAttribute("aria-disabled"));
        Assert.Equal("To change the selection, finish or close the payment above first.", ActionDisabledReason(cut, "schedule-selected"));
        Assert.Empty(cut.FindAll("[data-testid=schedule-panel]"));

        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var receipt = (await Payments.GetReceiptAsync((await InvoicesAsync(ids[..1])).Single().ActivePaymentId!.Value)).Lines.Single();
        Assert.Equal((Money.Create(600m, "USD"), "Damaged"), (receipt.Applied, receipt.ShortReason));
    }

    // Review: while the payer's bank asked to confirm a payment, the panel offered no way out and the selection stayed locked
    // ("finish or close the payment above first") with nothing to close: the page was stuck until the bank step was done.
    [Fact]
    public async Task The_bank_confirmation_step_can_be_closed_and_the_page_says_the_payment_waits_for_it()
    {
        var (cut, ids) = await ArrangeAsync();
        var asksBank = await AddCardAsync(number: "4000002500003155");
        Select(cut, "GAP-7002");
        cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"[data-testid=pay-panel] [data-testid=picker-option][value='{asksBank.Id}']")), Timeout);
        cut.Find($"[data-testid=picker-option][value='{asksBank.Id}']").Change(true);
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=customer-action]")), Timeout);

        cut.Find("[data-testid=pay-action-close]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=pay-panel]")), Timeout);
        Assert.Equal("The payment waits for your bank's confirmation, so its invoices show as Pending. If it is not confirmed, it is cancelled with nothing charged and the invoices are open again.",
            cut.Find("[data-testid=grid-notice]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=selection-locked]"));
        cut.WaitForAssertion(() => Assert.False(cut.Find("input[aria-label='Select invoice GAP-7001']").HasAttribute("disabled")), Timeout);
        Assert.Equal(InvoiceStatus.Pending, (await InvoicesAsync(ids[1..2])).Single().Status);
        Assert.Equal(0, await Services.GetRequiredService<Portal.Payments.Sandbox.SandboxGateway>().CountChargesAsync());
    }

    [Fact]
    public async Task Deselecting_drops_the_amount_and_scheduling_says_it_pays_in_full()
    {
        var (cut, _) = await ArrangeAsync();
        Select(cut, "GAP-7002");
        Input(cut, "Amount to pay for GAP-7002").Change("100");
        cut.Find("input[aria-label='Select invoice GAP-7002']").Change(false);
        Select(cut, "GAP-7002");
        Assert.Equal("250.00", Input(cut, "Amount to pay for GAP-7002").GetAttribute("value"));

        Input(cut, "Amount to pay for GAP-7002").Change("100");
        ChooseAction(cut, "schedule-selected");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=schedule-panel] [data-testid=pay-line]")), Timeout);
        Assert.Contains("A scheduled payment pays each invoice in full", cut.Find("[data-testid=schedule-full-amounts]").TextContent);
    }
}
