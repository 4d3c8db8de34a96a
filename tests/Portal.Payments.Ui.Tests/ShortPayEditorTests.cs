using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The amount / reason / comment editor of the pay panel, on real services and SQLite. The seeded $1,000 invoice has
/// a $20 discount until five days from today; the default policy pro-rates it (2% of what is paid).
/// </summary>
public class ShortPayEditorTests : PayTestContext
{
    private IRenderedComponent<PayInvoicesPanel> RenderPanel(IReadOnlyList<long> ids)
    {
        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        cut.WaitForAssertion(() =>
        {
            Assert.NotEmpty(cut.FindAll("[data-testid=amount-input]"));
            Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]"));
        }, Timeout);
        return cut;
    }

    private static string Text(IRenderedComponent<PayInvoicesPanel> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public async Task A_short_amount_asks_for_a_reason_then_a_comment_for_Other_and_the_server_recomputes_the_preview()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5001", 100_000, 2_000, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        Assert.Equal("USD 980.00", Text(cut, "total"));
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));

        Input(cut, "Amount to pay for INV-5001").Change("600");

        var reason = Input(cut, "Short-pay reason for INV-5001");
        Assert.Equal("Choose why you are paying less than USD 980.00 for INV-5001.", ErrorFor(cut, reason).TextContent.Trim());
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Equal(["", "Incorrect price", "Incorrect tax", "Item not received", "Damaged", "Other"], reason.QuerySelectorAll("option").Select(o => o.GetAttribute("value")));

        reason.Change("Other");
        var comment = Input(cut, "Comment for INV-5001 (required)");
        Assert.Equal("Explain the reason \"Other\" for INV-5001 in the comment.", ErrorFor(cut, comment).TextContent.Trim());

        Input(cut, "Comment for INV-5001 (required)").Change("Two pallets arrived crushed");

        cut.WaitForAssertion(() => Assert.Equal("USD 600.00", Text(cut, "total")), Timeout);
        Assert.Empty(cut.FindAll("[role=alert]"));
        Assert.Equal("USD 388.00", Text(cut, "line-short")); // a magnitude, as the discount column and the receipt show it
        Assert.Equal("USD -12.00", Text(cut, "total-discounts"));
        Assert.Equal("USD -388.00", Text(cut, "total-short"));
        Assert.Contains("changes its discount from USD 20.00 to USD 12.00", Text(cut, "discount-notice"));
        Assert.Equal("status", cut.Find("[data-testid=discount-notice]").GetAttribute("role"));
        Assert.Equal("27 / 2,000", cut.Find("[data-testid=short-row] .pp-counter").TextContent.Trim());

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var receipt = (await Payments.GetReceiptAsync((await InvoicesAsync(ids)).Single().ActivePaymentId!.Value)).Lines.Single();
        Assert.Equal((Money.Create(600m, "USD"), Money.Create(388m, "USD"), "Other", "Two pallets arrived crushed"),
            (receipt.Applied, receipt.ShortAmount, receipt.ShortReason, receipt.Comment));
    }

    [Fact]
    public async Task The_total_follows_a_short_amount_before_its_reason_is_chosen_and_a_mistyped_amount_keeps_the_reason()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5201", 100_000, 2_000, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        Assert.Equal("USD 980.00", Text(cut, "total"));

        Input(cut, "Amount to pay for INV-5201").Change("600");

        // No reason yet: the total already says what will be paid, and nothing can be paid.
        cut.WaitForAssertion(() => Assert.Equal("USD 600.00", Text(cut, "total")), Timeout);
        Assert.NotNull(ErrorFor(cut, Input(cut, "Short-pay reason for INV-5201")));
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));

        Input(cut, "Short-pay reason for INV-5201").Change("Damaged");
        Input(cut, "Amount to pay for INV-5201").Change("6OO");   // a typo
        Assert.Equal("true", Input(cut, "Amount to pay for INV-5201").GetAttribute("aria-invalid"));
        Input(cut, "Amount to pay for INV-5201").Change("500");

        var reason = Input(cut, "Short-pay reason for INV-5201");
        Assert.Equal("Damaged", reason.GetAttribute("value"));
        cut.WaitForAssertion(() => Assert.Equal("USD 500.00", Text(cut, "total")), Timeout);
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    [Theory]
    [InlineData("abc", "Enter the amount to pay for INV-5101 as a number, e.g. 1,234.50.")]
    [InlineData("0", "The amount to pay for INV-5101 must be greater than zero.")]
    [InlineData("-5", "The amount to pay for INV-5101 must be greater than zero.")]
    [InlineData("12.345", "The amount to pay for INV-5101: USD amounts have at most 2 decimal places.")]
    [InlineData("250.01", "The amount to pay for INV-5101 is more than its open balance of USD 250.00. To pay more than you owe, make a deposit.")]
    public async Task Bad_amounts_are_refused_at_the_field_and_nothing_can_be_paid(string typed, string message)
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5101", 25_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);

        Input(cut, "Amount to pay for INV-5101").Change(typed);

        var input = Input(cut, "Amount to pay for INV-5101");
        Assert.Equal(message, ErrorFor(cut, input).TextContent.Trim());
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Equal("USD 250.00", Text(cut, "total"));

        Input(cut, "Amount to pay for INV-5101").Change("250.00");
        Assert.Empty(cut.FindAll("[data-testid=amount-error]"));
        Assert.Null(Input(cut, "Amount to pay for INV-5101").GetAttribute("aria-invalid"));
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
    }

    [Fact]
    public async Task Going_back_to_the_full_amount_drops_the_reason_and_a_too_long_comment_is_refused()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5201", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);

        Input(cut, "Amount to pay for INV-5201").Change("100");
        Input(cut, "Short-pay reason for INV-5201").Change("Damaged");
        Input(cut, "Comment for INV-5201 (optional)").Change(new string('x', 2001));
        var comment = Input(cut, "Comment for INV-5201 (optional)");
        Assert.Equal("The comment for INV-5201 is 2,001 characters; shorten it to 2,000 or fewer.", ErrorFor(cut, comment).TextContent.Trim());
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));

        Input(cut, "Comment for INV-5201 (optional)").Change("Box 3 of 4 dented");
        cut.WaitForAssertion(() => Assert.Equal("USD 100.00", Text(cut, "total")), Timeout);

        Input(cut, "Amount to pay for INV-5201").Change("400.00");
        cut.WaitForAssertion(() => Assert.Equal("USD 400.00", Text(cut, "total")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));
        Assert.False(Button(cut, "Make payment").HasAttribute("disabled"));
    }

    [Fact]
    public async Task The_receipt_shows_the_short_amount_reason_and_comment_as_text()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5301", 50_000, null, OpenItemType.Invoice), ("INV-5302", 10_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var paid = await Payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Guid.NewGuid().ToString("N"))
        {
            Lines = [new PayLine(ids[0]) { Amount = Money.Create(450m, "USD"), Reason = "Other", Comment = "<i>short</i> by one crate" }],
        });

        var cut = Render<ReceiptView>(p => p.Add(x => x.PaymentId, paid.PaymentId));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=receipt-line]")), Timeout);

        var rows = cut.FindAll("[data-testid=receipt-line]").Select(r => r.Children.Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["INV-5301", "Invoice", "USD 500.00", "—", "USD 50.00", "Other: <i>short</i> by one crate", "USD 450.00"], rows[0]);
        Assert.Equal(["INV-5302", "Invoice", "USD 100.00", "—", "—", "", "USD 100.00"], rows[1]);
        Assert.Empty(cut.FindAll("[data-testid=receipt-line] i"));
        Assert.Equal("USD -50.00", cut.Find("[data-testid=receipt-short-total]").TextContent.Trim());
        Assert.Equal("USD 550.00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());

        // In German the built-in reason reads in German; the comment stays as typed.
        using (TestCulture.Use("de-DE"))
        {
            var german = Render<ReceiptView>(p => p.Add(x => x.PaymentId, paid.PaymentId));
            german.WaitForAssertion(() => Assert.NotEmpty(german.FindAll("[data-testid=receipt-line]")), Timeout);
            Assert.Equal("Sonstiges: <i>short</i> by one crate", german.Find("[data-testid=receipt-reason]").TextContent.Trim());
        }
    }

    [Fact]
    public async Task A_reason_of_the_hosts_own_shows_as_configured_in_every_language()
    {
        await StartAsync(configure: o => o.ShortPayReasons = ["Rabattvereinbarung", "Other"]);
        var ids = await SeedAsync(("INV-5401", 50_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var paid = await Payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Guid.NewGuid().ToString("N"))
        {
            Lines = [new PayLine(ids[0]) { Amount = Money.Create(450m, "USD"), Reason = "Rabattvereinbarung" }],
        });
        Assert.Equal("Rabattvereinbarung", Assert.Single((await Payments.GetReceiptAsync(paid.PaymentId)).Lines).ShortReason);   // stored as configured

        foreach (var culture in new[] { "en-US", "de-DE" })
        {
            using var _ = TestCulture.Use(culture);
            var cut = Render<ReceiptView>(p => p.Add(x => x.PaymentId, paid.PaymentId));
            cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=receipt-line]")), Timeout);
            Assert.Equal("Rabattvereinbarung", cut.Find("[data-testid=receipt-reason]").TextContent.Trim());
        }
    }
    // Review: when the ERP changed an invoice between review and confirm so that the amount typed became short (its
    // discount ended) or no longer short (its balance fell to it), Make payment was refused at a field the stale preview
    // did not show (no reason box for an amount it still read as full), or with the reason box asking to be emptied while
    // emptying it asked for a reason: the clerk saw no message, or could not go on. The refused confirmation now shows
    // the server's new figures with the refusal at its field; nothing is charged.
    [Fact]
    public async Task An_amount_the_ERP_made_short_before_confirming_asks_for_its_reason_against_the_new_figures()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5501", 100_000, 2_000, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        Input(cut, "Amount to pay for INV-5501").Change("990");   // between the full payment (980) and the balance: not short
        cut.WaitForAssertion(() => Assert.Equal("USD 990.00", Text(cut, "total")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));

        await ChangeInvoiceAsync(ids[0], endDiscount: true);   // the ERP ended the discount
        Button(cut, "Make payment").Click();

        var reason = cut.WaitForElement("[data-testid=short-row] select", Timeout);
        Assert.Equal("Choose why you are paying less than USD 1,000.00 for INV-5501.", ErrorFor(cut, reason).TextContent.Trim());
        Assert.Contains("The invoices changed since you reviewed them, so nothing was charged.", Text(cut, "pay-error"));
        Assert.Equal("USD 990.00", Text(cut, "total"));
        Assert.Equal("USD 10.00", Text(cut, "line-short"));
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Empty(await PaymentsOfAccountAsync());

        Input(cut, "Short-pay reason for INV-5501").Change("Damaged");
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var line = (await Payments.GetReceiptAsync((await InvoicesAsync(ids)).Single().ActivePaymentId!.Value)).Lines.Single();
        Assert.Equal((Money.Create(990m, "USD"), Money.Create(10m, "USD"), "Damaged"), (line.Applied, line.ShortAmount, line.ShortReason));
    }

    [Fact]
    public async Task A_short_amount_the_ERP_made_the_full_balance_before_confirming_is_shown_paid_in_full_without_its_reason()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5502", 100_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        Input(cut, "Amount to pay for INV-5502").Change("600");
        Input(cut, "Short-pay reason for INV-5502").Change("Damaged");
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);

        await ChangeInvoiceAsync(ids[0], openMinor: 60_000);   // a credit was applied in the ERP
        Button(cut, "Make payment").Click();

        // The new figures: 600 now pays the invoice in full, so it is no longer short and takes no reason.
        cut.WaitForAssertion(() => Assert.Equal("USD 600.00", cut.FindAll("[data-testid=pay-line] td.pp-num")[0].TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));
        Assert.Contains("The invoices changed since you reviewed them, so nothing was charged.", Text(cut, "pay-error"));
        Assert.Equal("USD 600.00", Text(cut, "total"));
        Assert.Empty(await PaymentsOfAccountAsync());
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);

        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var line = (await Payments.GetReceiptAsync((await InvoicesAsync(ids)).Single().ActivePaymentId!.Value)).Lines.Single();
        Assert.Equal((Money.Create(600m, "USD"), Money.Zero("USD"), (string?)null), (line.Applied, line.ShortAmount, line.ShortReason));
    }

    // Review: a short payment charges the amount typed, so when the ERP ended the invoice's discount after the review the
    // total still matched and Make payment charged it with no discount and a larger short-paid amount than the clerk saw.
    [Fact]
    public async Task A_short_payment_whose_discount_the_ERP_ended_before_confirming_is_shown_again_not_charged()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-5503", 100_000, 2_000, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        Input(cut, "Amount to pay for INV-5503").Change("600");
        Input(cut, "Short-pay reason for INV-5503").Change("Damaged");
        cut.WaitForAssertion(() => Assert.Equal("USD 388.00", Text(cut, "line-short")), Timeout);

        await ChangeInvoiceAsync(ids[0], endDiscount: true);
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.Equal("USD 400.00", Text(cut, "line-short")), Timeout);
        Assert.Contains("The amounts changed", Text(cut, "pay-error"));
        Assert.Equal(("USD 600.00", "USD 0.00"), (Text(cut, "total"), Text(cut, "total-discounts")));
        Assert.Empty(await PaymentsOfAccountAsync());

        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var line = (await Payments.GetReceiptAsync((await InvoicesAsync(ids)).Single().ActivePaymentId!.Value)).Lines.Single();
        Assert.Equal((Money.Create(600m, "USD"), Money.Zero("USD"), Money.Create(400m, "USD")), (line.Applied, line.Discount, line.ShortAmount));
    }

    /// <summary>What an ERP sync does to an invoice row: its open balance, or the end of its discount.</summary>
    private async Task ChangeInvoiceAsync(long id, long? openMinor = null, bool endDiscount = false)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var row = await db.Invoices.SingleAsync(i => i.Id == id);
        row.OpenMinor = openMinor ?? row.OpenMinor;
        if (endDiscount)
        {
            (row.DiscountMinor, row.DiscountDate) = (null, null);
        }
        await db.SaveChangesAsync();
    }

    private async Task<List<PaymentRecord>> PaymentsOfAccountAsync()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Payments.Where(p => p.AccountId == AccountId).ToListAsync();
    }
}
