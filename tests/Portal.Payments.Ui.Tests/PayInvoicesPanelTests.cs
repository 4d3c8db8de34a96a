using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Tests;

/// <summary>Seeds open items of the test account straight into the database, with known figures. Today is 10 March 2027.</summary>
public abstract class PayTestContext : PaymentMethodTestContext
{
    /// <summary>Today's date in the tests.</summary>
    protected static readonly DateOnly TodayDate = DateOnly.FromDateTime(Today.UtcDateTime);

    /// <summary>The real pay-now service.</summary>
    protected PaymentService Payments => Services.GetRequiredService<PaymentService>();

    /// <summary>Opens the selection's actions menu and chooses the action (it must be enabled).</summary>
    protected static void ChooseAction(IRenderedComponent<OpenInvoicesGrid> cut, string action)
    {
        cut.WaitForElement("[data-testid=invoice-actions]", Timeout).Click();
        var item = cut.WaitForElement($"[data-testid=invoice-actions-list] [data-testid={action}]", Timeout);
        Assert.False(item.HasAttribute("disabled"), $"{action} is disabled: {cut.FindAll($"[data-testid={action}-hint]").FirstOrDefault()?.TextContent}");
        item.Click();
        Assert.Empty(cut.FindAll("[data-testid=invoice-actions-list]"));   // the menu closes on a choice
    }

    /// <summary>Why the actions menu's action is disabled now, or null when it can be chosen; leaves the menu closed.</summary>
    protected static string? ActionDisabledReason(IRenderedComponent<OpenInvoicesGrid> cut, string action)
    {
        cut.WaitForElement("[data-testid=invoice-actions]", Timeout).Click();
        var item = cut.WaitForElement($"[data-testid=invoice-actions-list] [data-testid={action}]", Timeout);
        var reason = item.HasAttribute("disabled") ? cut.Find($"[data-testid={action}-hint]").TextContent.Trim() : null;
        cut.Find("[data-testid=invoice-actions-backdrop]").Click();
        Assert.Empty(cut.FindAll("[data-testid=invoice-actions-list]"));
        return reason;
    }

    /// <summary>Inserts open items (amounts in cents) and returns their ids in order.</summary>
    protected async Task<long[]> SeedAsync(params (string Number, long OpenMinor, long? DiscountMinor, OpenItemType Type)[] items)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var rows = items.Select((i, n) => new InvoiceRecord
        {
            AccountId = AccountId,
            ExternalId = "T-" + i.Number,
            Number = i.Number,
            NumberKey = SearchKeys.Normalize(i.Number, 64),
            Type = i.Type,
            DocumentDate = TodayDate.AddDays(-20),
            DueDate = TodayDate.AddDays(10 + n),
            Currency = "USD",
            OriginalMinor = Math.Abs(i.OpenMinor),
            OpenMinor = i.OpenMinor,
            DiscountMinor = i.DiscountMinor,
            DiscountDate = i.DiscountMinor is null ? null : TodayDate.AddDays(5),
            IsOpen = true,
            Status = InvoiceStatus.Open,
            SyncedAt = Today.UtcDateTime,
        }).ToList();
        db.Invoices.AddRange(rows);
        await db.SaveChangesAsync();
        return rows.Select(r => r.Id).ToArray();
    }

    /// <summary>The items' current rows.</summary>
    private protected async Task<List<InvoiceRecord>> InvoicesAsync(IEnumerable<long> ids)
    {
        var list = ids.ToList();
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Invoices.AsNoTracking().Where(i => list.Contains(i.Id)).ToListAsync();
    }
}

/// <summary>The "Pay selected invoices" panel on real services and SQLite.</summary>
public class PayInvoicesPanelTests : PayTestContext
{
    private readonly List<PaymentOutcome> _paid = [];
    private int _closed;

    private IRenderedComponent<PayInvoicesPanel> RenderPanel(IReadOnlyList<long> ids) =>
        Render<PayInvoicesPanel>(p => p
            .Add(x => x.InvoiceIds, ids)
            .Add(x => x.OnPaid, (PaymentOutcome o) => _paid.Add(o))
            .Add(x => x.OnClosed, () => _closed++));

    private static void WaitForPreview(IRenderedComponent<PayInvoicesPanel> cut) =>
        cut.WaitForAssertion(() =>
        {
            Assert.NotEmpty(cut.FindAll("[data-testid=pay-line]"));
            Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]"));
        }, Timeout);

    private static string Text(IRenderedComponent<PayInvoicesPanel> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    // The confirm button's own click handler, called as a click the browser sent before the render that disabled the button is.
    private static Task ClickMakePaymentAsync(IRenderedComponent<PayInvoicesPanel> cut) =>
        cut.InvokeAsync(() => cut.FindComponents<RadzenButton>().Single(b => b.Instance.Text == "Make payment").Instance.OnClick(new MouseEventArgs()));

    private async Task<List<PaymentRecord>> PaymentRowsAsync()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Payments.AsNoTracking().Where(p => p.AccountId == AccountId).ToListAsync();
    }

    [Fact]
    public async Task The_servers_preview_is_shown_line_by_line_with_totals()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1001", 100_000, 2_000, OpenItemType.Invoice), ("INV-1002", 25_050, null, OpenItemType.Invoice),
            ("CM-2001", -30_000, null, OpenItemType.CreditMemo));
        await AddCardAsync();

        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        var rows = cut.FindAll("[data-testid=pay-line]").Select(r => r.Children.Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["INV-1001", "Invoice", "3/20/2027", "USD 1,000.00", "USD 20.00", "—"], rows[0][..6]);
        Assert.Equal(["INV-1002", "Invoice", "3/21/2027", "USD 250.50", "—", "—"], rows[1][..6]);
        Assert.Equal(["CM-2001", "Credit memo", "3/22/2027", "USD -300.00", "—", "—", "USD -300.00"], rows[2]);
        Assert.Equal(["980.00", "250.50"], cut.FindAll("[data-testid=amount-input]").Select(i => i.GetAttribute("value")));
        Assert.Equal("USD 1,250.50", Text(cut, "total-invoices"));
        Assert.Equal("USD -20.00", Text(cut, "total-discounts"));
        Assert.Equal("USD -300.00", Text(cut, "total-credits"));
        Assert.Equal("USD 930.50", Text(cut, "total"));
        Assert.Contains(cut.FindAll("th[scope=col]"), th => th.TextContent.Trim() == "Discount if paid today");
        Assert.False(Button(cut, "Make payment").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Make_payment_confirms_with_the_receipt_number_and_a_View_receipt_link()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1101", 40_000, null, OpenItemType.Invoice), ("INV-1102", 10_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var outcome = Assert.Single(_paid);
        Assert.Equal(PaymentStatus.Succeeded, outcome.Status);
        Assert.Equal(outcome.ReceiptNumber, Text(cut, "receipt-number"));
        Assert.Equal("Payment succeeded.", Text(cut, "pay-status"));
        Assert.Equal("status", cut.Find("[data-testid=pay-status]").GetAttribute("role"));
        var link = Assert.Single(cut.FindAll("a"), a => a.TextContent.Trim() == "View receipt");
        Assert.Equal($"portal/payments/{outcome.PaymentId}/receipt", link.GetAttribute("href"));
        Assert.Empty(Buttons(cut.Find("[data-testid=pay-panel]"), "Make payment"));
        Assert.All(await InvoicesAsync(ids), i => Assert.Equal(InvoiceStatus.Pending, i.Status));

        Button(cut, "Close").Click();
        Assert.Equal(1, _closed);
    }

    [Fact]
    public async Task The_panel_takes_the_focus_to_its_title_when_it_opens()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1111", 10_000, null, OpenItemType.Invoice));
        await AddCardAsync();

        var dialogJs = JSInterop.SetupModule(PanelFocusChecks.DialogModule);
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        var title = cut.Find("h2");
        Assert.Equal("-1", title.GetAttribute("tabindex"));
        Assert.Equal(title.Id, cut.Find("[data-testid=pay-panel]").GetAttribute("aria-labelledby"));
        await PanelFocusChecks.AssertTakesAndGivesBackTheFocusAsync(cut, JSInterop, dialogJs);
    }

    [Fact]
    public async Task A_click_that_arrives_while_an_amount_is_invalid_charges_nothing()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1121", 100_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        // Invalid: nothing is payable (no lines, which would pay in full), and the preview still shows the full payment.
        Input(cut, "Amount to pay for INV-1121").Change("12x");
        Assert.True(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Equal("USD 1,000.00", Text(cut, "total"));

        await ClickMakePaymentAsync(cut);

        Assert.Empty(_paid);
        Assert.Empty(await PaymentRowsAsync());
        Assert.Equal(0, await Services.GetRequiredService<SandboxGateway>().CountChargesAsync());
        Assert.Equal(InvoiceStatus.Open, (await InvoicesAsync(ids)).Single().Status);
        Assert.Empty(cut.FindAll("[data-testid=pay-confirmation]"));
    }

    [Fact]
    public async Task A_click_that_arrives_while_the_preview_is_recomputed_charges_nothing_and_the_next_click_pays_the_amount_entered()
    {
        var gate = new SearchGate();
        await StartAsync(configure: o => o.Database.Interceptors.Add(gate));
        var ids = await SeedAsync(("INV-1131", 100_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Input(cut, "Amount to pay for INV-1131").Change("600");
        cut.WaitForAssertion(() => Assert.Equal("USD 600.00", Text(cut, "total")), Timeout);   // the draft's total: the reason is missing

        // The reason completes the line: the server recomputes the preview, and its read is held meanwhile.
        gate.Hold(AccountId);
        Input(cut, "Short-pay reason for INV-1131").Change("Damaged");
        await gate.Reached;
        var click = ClickMakePaymentAsync(cut);
        gate.Release();
        await click;

        Assert.Empty(_paid);
        Assert.Empty(await PaymentRowsAsync());
        Assert.Equal(0, await Services.GetRequiredService<SandboxGateway>().CountChargesAsync());
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=pay-error]"));

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal(Money.Create(600m, "USD"), Assert.Single(_paid).Amount);
    }

    [Fact]
    public async Task An_unknown_outcome_says_the_payment_may_have_gone_through_and_checking_again_never_charges_twice()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1151", 30_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000000000000119");   // the sandbox charges, then the answer is lost
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-unconfirmed]")), Timeout);
        var unsure = cut.Find("[data-testid=pay-unconfirmed]");
        Assert.Contains("Your payment may have gone through: check Payment history before paying again.", unsure.TextContent);
        Assert.Equal("alert", unsure.QuerySelector("[role=alert]")!.GetAttribute("role"));
        Assert.Equal("portal/payments", Assert.Single(unsure.QuerySelectorAll("a"), a => a.TextContent.Trim() == "Payment history").GetAttribute("href"));
        var outcome = Assert.Single(_paid);
        Assert.True(outcome.MayHaveGoneThrough);
        Assert.Equal(outcome.ReceiptNumber, Text(cut, "receipt-number"));
        Assert.All(await InvoicesAsync(ids), i => Assert.Equal(InvoiceStatus.Pending, i.Status));

        // Checking again sends the same confirmation (same key): the same payment answers, and the gateway is asked about
        // it at once (not at the status check five minutes later), by its key: it charged, so the payment succeeded.
        Button(cut, "Check again").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal(2, _paid.Count);
        Assert.Equal((outcome.PaymentId, PaymentStatus.Succeeded), (_paid[1].PaymentId, _paid[1].Status));
        Assert.Equal("Payment succeeded.", Text(cut, "pay-status"));
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var payment = Assert.Single(await db.Payments.AsNoTracking().Where(p => p.AccountId == AccountId).ToListAsync());
        Assert.Equal((outcome.PaymentId, PaymentStatus.Succeeded), (payment.Id, payment.Status));
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(payment.Id));
    }

    [Fact]
    public async Task A_payment_that_may_have_gone_through_and_was_then_returned_shows_as_not_made_and_the_grid_hears_of_it()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1156", 21_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000000000000119");   // the sandbox charges, then the answer is lost
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-unconfirmed]")), Timeout);
        var unsure = Assert.Single(_paid);

        // Meanwhile the gateway reports the charge returned (its webhook).
        await using (var scope = Services.CreateAsyncScope())
        {
            var sink = scope.ServiceProvider.GetRequiredService<IGatewayEventSink>();
            Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, new ChargeStatusEvent("evt_returned_1156", Today)
            {
                PaymentId = unsure.PaymentId,
                Status = ChargeStatus.Returned,
                ErrorCode = GatewayErrorCode.Returned,
                Message = "R01: the bank returned the debit for insufficient funds.",
            }));
        }

        Button(cut, "Check again").Click();

        // Not "submitted": the failure it is, the invoices open again, and the grid is told (it showed them Pending).
        cut.WaitForAssertion(() => Assert.Contains("The payment was not made: R01: the bank returned the debit for insufficient funds.", Text(cut, "pay-error")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=pay-confirmation]"));
        Assert.Empty(cut.FindAll("[data-testid=pay-unconfirmed]"));
        Assert.Equal(2, _paid.Count);
        Assert.Equal((unsure.PaymentId, PaymentStatus.Returned), (_paid[1].PaymentId, _paid[1].Status));
        Assert.All(await InvoicesAsync(ids), i => Assert.Equal(InvoiceStatus.Open, i.Status));
        Assert.False(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(unsure.PaymentId));
    }

    [Fact]
    public async Task A_bank_confirmation_the_gateway_did_not_hand_over_offers_Check_again_which_fetches_it()
    {
        await StartAsync();
        PaymentOutcome? resolved = null;
        var waiting = new PaymentOutcome { PaymentId = Guid.NewGuid(), ReceiptNumber = "R-9", Status = PaymentStatus.RequiresAction, Amount = Money.Create(50m, "USD") };
        var cut = Render<CustomerActionStep>(p => p
            .Add(x => x.Outcome, waiting)
            .Add(x => x.Complete, _ => Task.FromResult(waiting with { CustomerAction = SandboxGateway.ActionPrefix + "fetched" }))
            .Add(x => x.OnResolved, (PaymentOutcome o) => resolved = o));

        Assert.Contains("cannot be shown just now", cut.Find("[data-testid=customer-action-missing]").TextContent);
        cut.Find("[data-testid=customer-action-check-again]").Click();

        cut.WaitForAssertion(() => Assert.Equal(SandboxGateway.ActionPrefix + "fetched", resolved?.CustomerAction), Timeout);
    }

    [Fact]
    public async Task A_card_whose_bank_asks_for_confirmation_is_confirmed_in_the_gateways_component_then_paid()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1161", 18_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000002500003155");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=customer-action]")), Timeout);
        Assert.Equal("Your bank asks you to confirm this payment.", Text(cut, "pay-status"));
        Assert.Contains("Nothing is charged until you do.", cut.Find("[data-testid=customer-action]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=sandbox-bank-confirmation]"));
        Assert.All(await InvoicesAsync(ids), i => Assert.Equal(InvoiceStatus.Pending, i.Status));
        Assert.Empty(_paid);

        Button(cut, "Confirm payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal("Payment succeeded.", Text(cut, "pay-status"));
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(_paid).Status);
    }

    [Fact]
    public async Task Figures_that_cannot_be_read_keep_the_short_amount_and_reason_typed_and_the_payment_is_the_amount_entered()
    {
        var lost = new InjectedDbFault("SELECT", "pp_invoices");
        await StartAsync(configure: o => o.Database.Interceptors.Add(lost));
        var ids = await SeedAsync(("INV-1161", 100_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        lost.Armed = true;

        // The draft's totals and then the complete line's preview both fail to read: the page stays, with what was typed.
        Input(cut, "Amount to pay for INV-1161").Change("600");
        cut.WaitForAssertion(() => Assert.Contains("Something went wrong on our side", Text(cut, "pay-error")), Timeout);
        Input(cut, "Short-pay reason for INV-1161").Change("Damaged");
        cut.WaitForAssertion(() => Assert.True(lost.Failed >= 2), Timeout);
        cut.WaitForAssertion(() => Assert.Contains("Something went wrong on our side", Text(cut, "pay-error")), Timeout);
        Assert.Equal("600", Input(cut, "Amount to pay for INV-1161").GetAttribute("value"));
        Assert.Equal("Damaged", Input(cut, "Short-pay reason for INV-1161").GetAttribute("value"));
        Assert.Empty(_paid);

        // Reads work again: paying recomputes on the server and charges the amount entered, once.
        lost.Armed = false;
        Button(cut, "Make payment").Click();
        if (cut.FindAll("[data-testid=pay-confirmation]").Count == 0)
        {
            // The server's total differed from the figures shown: it shows its own for confirmation first.
            cut.WaitForAssertion(() => Assert.Equal("USD 600.00", Text(cut, "total")), Timeout);
            cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
            Button(cut, "Make payment").Click();
        }
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var paid = Assert.Single(_paid);
        Assert.Equal(Money.Create(600m, "USD"), paid.Amount);
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(paid.PaymentId));
    }

    // Review: when the server refused a changed total and its new figures could not be read, the panel dropped the
    // figures: the table, the entries and the method picker went, only Close was left.
    [Fact]
    public async Task A_changed_total_whose_new_figures_cannot_be_read_keeps_the_form_and_the_old_total_is_never_charged()
    {
        var lost = new InjectedDbFault("SELECT", "pp_invoices");
        await StartAsync(configure: o => o.Database.Interceptors.Add(lost));
        var ids = await SeedAsync(("INV-1181", 50_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Assert.Equal("USD 500.00", Text(cut, "total"));

        // How many invoice reads a refused payment and the panel's reading of the new figures take, then the figures alone.
        lost.PassFirst = 1_000;
        lost.Armed = true;
        await OpenMinorAsync(ids[0], 40_000);   // the ERP lowered the invoice meanwhile
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.Equal("USD 400.00", Text(cut, "total")), Timeout);
        var refusedAndRead = lost.Matched;
        lost.Matched = 0;
        await Payments.PreviewAsync(ids, null, card.Id);
        var read = lost.Matched;
        Assert.InRange(read, 1, refusedAndRead - 1);

        // Again, and this time the new figures cannot be read.
        await OpenMinorAsync(ids[0], 30_000);
        (lost.PassFirst, lost.Matched) = (refusedAndRead - read, 0);
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.Contains("Something went wrong on our side", Text(cut, "pay-error")), Timeout);
        Assert.True(lost.Failed > 0);
        Assert.NotEmpty(cut.FindAll("[data-testid=pay-line]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]"));
        Assert.Equal("USD 400.00", Text(cut, "total"));
        Assert.Empty(_paid);

        // Reads work again: the old total is refused once more and the new one shown; paying charges that, once.
        lost.Armed = false;
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.Equal("USD 300.00", Text(cut, "total")), Timeout);
        Assert.Empty(_paid);
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var paid = Assert.Single(_paid);
        Assert.Equal(Money.Create(300m, "USD"), paid.Amount);
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(paid.PaymentId));
    }

    // Review: when the ERP raised an invoice between review and confirm, the refused payment showed the new total, but the
    // amount to pay still read the old full amount and asked why less was paid (a short payment the clerk never made);
    // Make payment then charged the new full amount under the old figure. Lowered, the input read more than is owed.
    [Theory]
    [InlineData(60_000, "600.00", "USD 700.00")]
    [InlineData(40_000, "400.00", "USD 500.00")]
    public async Task A_balance_the_ERP_changed_before_confirming_shows_its_new_full_amount_in_the_amount_to_pay(long newOpenMinor, string input, string total)
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1171", 50_000, null, OpenItemType.Invoice), ("INV-1172", 10_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Assert.Equal(["500.00", "100.00"], cut.FindAll("[data-testid=amount-input]").Select(i => i.GetAttribute("value")));

        await OpenMinorAsync(ids[0], newOpenMinor);   // the ERP changed it meanwhile
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.Equal(total, Text(cut, "total")), Timeout);
        Assert.Contains("The amounts changed", Text(cut, "pay-error"));
        Assert.Equal(input, Input(cut, "Amount to pay for INV-1171").GetAttribute("value"));
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));

        // Another line's change sends no amount for this invoice: it is still paid in full, at its new balance.
        Input(cut, "Amount to pay for INV-1172").Change("100");
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=amount-error]"));
        Assert.Empty(cut.FindAll("[data-testid=short-row]"));
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var paid = Assert.Single(_paid);
        Assert.Equal(total, "USD " + paid.Amount.Amount.ToString("N2", System.Globalization.CultureInfo.InvariantCulture));
        var line = (await Payments.GetReceiptAsync(paid.PaymentId)).Lines.Single(l => l.InvoiceNumber == "INV-1171");
        Assert.Equal((Money.FromMinorUnits(newOpenMinor, "USD"), Money.Zero("USD")), (line.Applied, line.ShortAmount));
    }

    private async Task OpenMinorAsync(long id, long openMinor)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        Assert.Equal(1, await db.Invoices.Where(i => i.Id == id).ExecuteUpdateAsync(u => u.SetProperty(i => i.OpenMinor, openMinor)));
    }

    // Review: a database failure while the panel read its first figures escaped, and the page was replaced by "something
    // went wrong showing this part of the page", losing the selection.
    [Fact]
    public async Task A_panel_opened_while_the_invoices_cannot_be_read_says_so_and_the_page_stays()
    {
        var lost = new InjectedDbFault("SELECT", "pp_invoices");
        await StartAsync(configure: o => o.Database.Interceptors.Add(lost));
        var ids = await SeedAsync(("INV-1191", 10_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        lost.Armed = true;

        var cut = RenderPanel(ids);

        cut.WaitForAssertion(() => Assert.EndsWith("This could not be loaded right now. Please try again in a moment.", Text(cut, "pay-error")), Timeout);
        Assert.True(lost.Failed > 0);
        Assert.Empty(_paid);
    }

    [Fact]
    public async Task A_bank_confirmation_whose_check_fails_on_our_side_keeps_the_step_and_Check_again_finishes_it_with_one_charge()
    {
        var lost = new InjectedDbFault("UPDATE", "pp_payments");
        await StartAsync(configure: o => o.Database.Interceptors.Add(lost));
        var ids = await SeedAsync(("INV-1166", 18_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000002500003155");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sandbox-bank-confirmation]")), Timeout);
        lost.Armed = true;

        Button(cut, "Confirm payment").Click();

        cut.WaitForAssertion(() => Assert.Contains("could not be asked about this payment just now",
            cut.Find("[data-testid=customer-action-check-failed]").TextContent), Timeout);
        Assert.True(lost.Failed > 0);
        Assert.NotNull(cut.Find("[data-testid=customer-action]"));   // the page and the step stay
        Assert.Empty(_paid);

        lost.Armed = false;
        cut.Find("[data-testid=customer-action-check-again]").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal("Payment succeeded.", Text(cut, "pay-status"));
        var paid = Assert.Single(_paid);
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
        Assert.Equal(1, await Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(paid.PaymentId));
    }

    // Review (German UI): a bank confirmation the payer did not give was recorded without a code, so a German page showed
    // the gateway's English "The payment was not confirmed with your bank." It has its own code, worded in German.
    [Fact]
    public async Task A_refused_bank_confirmation_is_told_in_German_to_a_German_user()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1172", 9_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000002500003155");
        using var german = TestCulture.Use("de-DE");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Button(cut, "Zahlung ausführen").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sandbox-bank-confirmation]")), Timeout);

        Button(cut, "Nicht bestätigen").Click();

        cut.WaitForAssertion(() => Assert.Contains("Die Zahlung wurde bei Ihrer Bank nicht bestätigt. Es wurde nichts belastet", Text(cut, "pay-error")), Timeout);
        Assert.DoesNotContain("confirmed", Text(cut, "pay-error"), StringComparison.Ordinal);
        Assert.Equal(PaymentFailureCodes.AuthenticationFailed, Assert.Single(_paid).FailureCode);
    }

    [Fact]
    public async Task A_refused_bank_confirmation_says_nothing_was_charged_and_leaves_the_invoices_payable()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1171", 9_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000002500003155");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        Button(cut, "Make payment").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sandbox-bank-confirmation]")), Timeout);

        Button(cut, "Do not confirm").Click();

        cut.WaitForAssertion(() => Assert.Contains("The payment was not made: The payment was not confirmed with your bank.", Text(cut, "pay-error")), Timeout);
        Assert.All(await InvoicesAsync(ids), i => Assert.Equal(InvoiceStatus.Open, i.Status));
        Assert.False(Button(cut, "Make payment").HasAttribute("disabled"));
        Assert.Equal(PaymentStatus.Failed, Assert.Single(_paid).Status);   // the grid reloads: the invoices are open again
    }

    [Fact]
    public async Task A_decline_shows_the_reason_and_another_method_can_pay_as_a_new_payment()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1201", 15_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000000000009995");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.Contains("insufficient funds", Text(cut, "pay-error")), Timeout);
        Assert.Equal("alert", cut.Find("[data-testid=pay-error]").GetAttribute("role"));
        Assert.Contains("still open", Text(cut, "pay-error"));
        Assert.Empty(_paid);
        Assert.Equal(InvoiceStatus.Open, (await InvoicesAsync(ids)).Single().Status);

        Input(cut, "Add a payment method").Change(true);
        cut.WaitForAssertion(() => Assert.NotNull(Input(cut, "Card number")), Timeout);
        EnterCard(cut, number: "5555 5555 5555 4444", month: "6", year: "2029");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("section.pp-add-method")), Timeout);
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(_paid).Status);
        Assert.Empty(cut.FindAll("[data-testid=pay-error]"));
    }

    // Review: a method chosen while Make payment was running was not quoted once the payment came back declined: the
    // figures shown were the old method's, so Make payment stayed disabled with no reason given, until another method was
    // chosen and then this one again.
    [Fact]
    public async Task A_method_chosen_while_a_declined_payment_was_running_can_pay_once_the_decline_is_shown()
    {
        var gate = new SearchGate();
        await StartAsync(configure: o => o.Database.Interceptors.Add(gate));
        var ids = await SeedAsync(("INV-1211", 15_000, null, OpenItemType.Invoice));
        var declining = await AddCardAsync(number: "4000000000009995");
        var other = await AddCardAsync(number: "5555555555554444");
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        gate.Hold(AccountId);
        var click = ClickMakePaymentAsync(cut);
        await gate.Reached;
        cut.Find($"[data-testid=picker-option][value='{other.Id}']").Change(true);   // while the payment is being made
        gate.Release();
        await click;

        cut.WaitForAssertion(() => Assert.Contains("insufficient funds", Text(cut, "pay-error")), Timeout);
        Assert.Empty(_paid);
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Make payment").HasAttribute("disabled")), Timeout);
        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        var paid = Assert.Single(_paid);
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
        Assert.Contains("4444", (await Payments.GetReceiptAsync(paid.PaymentId)).MethodDescription);
    }

    [Fact]
    public async Task An_invoice_paid_meanwhile_in_another_tab_gets_the_already_being_paid_message()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1301", 15_000, null, OpenItemType.Invoice));
        var visa = await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);
        await Payments.PayInvoicesAsync(new PayInvoicesRequest(ids, visa.Id, Guid.NewGuid().ToString("N")));   // the other tab

        Button(cut, "Make payment").Click();

        cut.WaitForAssertion(() => Assert.Contains("INV-1301 is already being paid (Pending)", Text(cut, "pay-error")), Timeout);
        Assert.Empty(_paid);
        Assert.Empty(cut.FindAll("[data-testid=pay-confirmation]"));
    }

    [Fact]
    public async Task A_view_only_user_is_told_and_offered_no_payment()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1401", 15_000, null, OpenItemType.Invoice));
        Users.SignIn(PortalPermissions.View);

        var cut = RenderPanel(ids);

        cut.WaitForAssertion(() => Assert.Contains("view-only", Text(cut, "pay-error")), Timeout);
        Assert.Empty(Buttons(cut.Find("[data-testid=pay-panel]"), "Make payment"));
        Assert.Empty(cut.FindAll("[data-testid=pay-line]"));
    }

    [Fact]
    public async Task Cancel_closes_without_paying()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-1501", 15_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var cut = RenderPanel(ids);
        WaitForPreview(cut);

        Button(cut, "Cancel").Click();

        Assert.Equal(1, _closed);
        Assert.Empty(_paid);
        Assert.Equal(InvoiceStatus.Open, (await InvoicesAsync(ids)).Single().Status);
    }
}
