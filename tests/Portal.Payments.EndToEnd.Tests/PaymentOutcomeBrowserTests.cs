using System.Globalization;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The sample host these tests run on: their own process and database (declined and unconfirmed payments, cards saved
/// by the dozen, invoices left Pending stay out of the shared Acme account), a sandbox that answers each charge after 1 s
/// (so a second click lands while the first is at the gateway), and a first status check 5 s after an unknown outcome.
/// </summary>
public sealed class PaymentOutcomeHost : IAsyncLifetime
{
    /// <summary>The host.</summary>
    public OwnHostSite Site { get; } = new("outcomes", new Dictionary<string, string>
    {
        ["CustomerPortalPayments__SandboxGateway__Latency"] = "00:00:01",
        ["CustomerPortalPayments__Charging__StatusCheckDelay"] = "00:00:05",
        ["CustomerPortalPayments__OutboxPollInterval"] = "00:00:01",
    });

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await Site.StartWarmAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// What an accounts-payable clerk sees when a payment does not simply go through, in Chromium: a declined card on the
/// pay panel and on the deposit page (the message, nothing charged, the invoice still open, the form kept for the next
/// card), a charge whose answer is lost, on both (unconfirmed, "Check again", then the receipt — one charge), and double clicks on
/// the confirm buttons (one payment, one charge). The sandbox's own ledger in the host's database says what was charged.
/// </summary>
public sealed class PaymentOutcomeBrowserTests(HostSiteFixture host, PaymentOutcomeHost own, ITestOutputHelper output)
    : PortalBrowserTest(host, output), IClassFixture<PaymentOutcomeHost>
{
    private const string GoodCard = PaymentFormSteps.GoodCard;
    private const string DecliningCard = "4000 0000 0000 0002";
    private const string LostAnswerCard = "4000 0000 0000 0119";

    /// <summary>The sandbox's reason for a decline (its code, Declined, is worded by the portal in the page's language).</summary>
    private const string DeclineReason = "The card was declined by the issuer.";

    // pp_payments.Status and pp_sandbox_charges.InitialStatus as stored.
    private const int Succeeded = 3, Failed = 4, Unconfirmed = 8;
    private const int ChargeProcessing = 1, ChargeSucceeded = 2, ChargeDeclined = 3;

    private OwnHostSite Site => own.Site;

    /// <inheritdoc />
    protected override string BaseUrl => Site.Process.BaseUrl;

    /// <inheritdoc />
    protected override string HostOutput => Site.Output;

    [Fact]
    public Task A_declined_card_leaves_the_invoice_open_and_the_next_card_in_the_same_panel_pays_it_once() => RunPageTest(async page =>
    {
        var logFrom = Site.Output.Length;
        await SignInAsync(page, Users.Pat);
        var (panel, number) = await OpenPayPanelForOneInvoiceAsync(page);
        var total = MoneyText.Parse(await panel.GetByTestId("total").InnerTextAsync());

        await AddCardAsync(panel, DecliningCard, "0002");
        await MakePaymentButton(panel).ClickAsync();

        // The friendly message, nothing else: no receipt, no "may have gone through".
        await Expect(AlertText(panel.GetByTestId("pay-error"))).ToHaveTextAsync(
            T("The payment was not made: {0} Your invoices are still open; choose another method and try again.", T(DeclineReason)));
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("pay-unconfirmed")).ToHaveCountAsync(0);
        await Expect(MakePaymentButton(panel)).ToBeEnabledAsync();
        await AssertAccessibleAsync(page);

        // Recorded as failed, declined at the gateway, nothing charged.
        var declined = Assert.Single(await PaymentsOfInvoiceAsync(number));
        Assert.Equal(Failed, declined.Status);
        var attempt = Assert.Single(await ChargesOfAsync(declined.Id));
        Assert.Equal(ChargeDeclined, attempt.InitialStatus);

        // Another tab: the invoice is Open and can be selected again.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync("/portal/invoices");
        await InvoiceGridSteps.WaitForGridAsync(other);
        await InvoiceGridSteps.SearchAsync(other, number);
        await Expect(InvoiceGridSteps.Statuses(other)).ToHaveTextAsync([T("Open")]);
        await Expect(SelectBox(other, number)).ToBeEnabledAsync();

        // Back in the same panel: the invoice and its total are kept; only the card is entered anew.
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("pay-lines")).ToContainTextAsync(number);
        await Expect(panel.GetByTestId("total")).ToHaveTextAsync(total.ToString());
        await AddCardAsync(panel, GoodCard, "4242");
        await MakePaymentButton(panel).ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("pay-error")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(T("Payment succeeded."));
        var receipt = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        Assert.Matches("^R-\\d{6}-[0-9A-Z]{6}$", receipt);
        await Expect(confirmation.Locator("p").First).ToHaveTextAsync(T("Receipt number {0} · {1}", receipt, total.ToString()));
        await AssertAccessibleAsync(page);

        // Two attempts, one charge: the declined one and the paid one, for the total shown.
        var payments = await PaymentsOfInvoiceAsync(number);
        Assert.Equal(2, payments.Count);
        var paid = Assert.Single(payments, p => p.Id != declined.Id);
        Assert.Equal(Succeeded, paid.Status);
        Assert.Equal(receipt, paid.ReceiptNumber);
        Assert.Equal(Failed, (await PaymentsOfInvoiceAsync(number)).Single(p => p.Id == declined.Id).Status);
        var charge = Assert.Single(await ChargesOfAsync(paid.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal(Minor(total), charge.AmountMinor);
        Assert.Equal(1, await MoneyMovingChargesOfInvoiceAsync(number));

        // The other tab, reloaded: now Pending, no longer selectable.
        await other.ReloadAsync();
        await InvoiceGridSteps.WaitForGridAsync(other);
        await InvoiceGridSteps.SearchAsync(other, number);
        await Expect(InvoiceGridSteps.Statuses(other)).ToHaveTextAsync([T("Pending")]);
        await Expect(SelectBox(other, number)).ToBeDisabledAsync();
        await AssertAccessibleAsync(other);
        AssertNoFailuresLoggedSince(logFrom);
    });

    [Fact]
    public Task A_charge_whose_answer_is_lost_is_unconfirmed_until_Check_again_shows_the_receipt_with_one_charge() => RunPageTest(async page =>
    {
        var logFrom = Site.Output.Length;
        await SignInAsync(page, Users.Pat);
        var (panel, number) = await OpenPayPanelForOneInvoiceAsync(page);
        var total = MoneyText.Parse(await panel.GetByTestId("total").InnerTextAsync());

        await AddCardAsync(panel, LostAnswerCard, "0119");
        await MakePaymentButton(panel).ClickAsync();

        // The charge went through at the gateway, but its answer never came: the payment is unconfirmed.
        var unsure = panel.GetByTestId("pay-unconfirmed");
        await Expect(unsure).ToBeVisibleAsync();
        var payment = Assert.Single(await PaymentsOfInvoiceAsync(number));
        Assert.Equal(Unconfirmed, payment.Status);
        var charge = Assert.Single(await ChargesOfAsync(payment.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal(Minor(total), charge.AmountMinor);

        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(T("The payment's outcome is not confirmed yet."));
        await Expect(AlertText(unsure.GetByRole(AriaRole.Alert))).ToHaveTextAsync(
            T("Your payment may have gone through: check Payment history before paying again. We are confirming it with the payment processor."));
        await Expect(unsure.GetByTestId("receipt-number")).ToHaveTextAsync(payment.ReceiptNumber);
        await Expect(unsure.Locator("p").Filter(new() { Has = page.GetByTestId("receipt-number") })).ToHaveTextAsync(
            T("Reference {0} · {1}. The invoices stay Pending meanwhile, so they cannot be paid twice.", payment.ReceiptNumber, total.ToString()));
        var checkAgain = unsure.GetByTestId("pay-check-again");
        await Expect(checkAgain).ToHaveTextAsync(T("Check again"));
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("pay-error")).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);

        // The clerk checks again until the processor's answer is in (the portal looks it up 5 s after the charge).
        var confirmation = panel.GetByTestId("pay-confirmation");
        await CheckAgainUntilConfirmedAsync(page, unsure, checkAgain, confirmation, payment.ReceiptNumber);
        await Expect(unsure).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(T("Payment succeeded."));
        await Expect(confirmation.GetByTestId("receipt-number")).ToHaveTextAsync(payment.ReceiptNumber);
        await Expect(confirmation.Locator("p").First).ToHaveTextAsync(T("Receipt number {0} · {1}", payment.ReceiptNumber, total.ToString()));
        await AssertAccessibleAsync(page);

        // One payment, now succeeded; one charge at the gateway for it.
        var settled = Assert.Single(await PaymentsOfInvoiceAsync(number));
        Assert.Equal(payment.Id, settled.Id);
        Assert.Equal(Succeeded, settled.Status);
        Assert.Single(await ChargesOfAsync(payment.Id));
        Assert.Equal(1, await MoneyMovingChargesOfInvoiceAsync(number));

        // The receipt it links to is that payment's.
        await confirmation.GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + $"/portal/payments/{payment.Id.ToLowerInvariant()}/receipt");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = TKey("Receipt.Heading", "Receipt {0}", payment.ReceiptNumber), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("receipt-amount")).ToHaveTextAsync(total.ToString());
        await AssertAccessibleAsync(page);
        AssertNoFailuresLoggedSince(logFrom);
    });

    [Fact]
    public Task Double_clicks_on_Make_payment_and_Confirm_deposit_make_one_payment_and_one_charge() => RunPageTest(async page =>
    {
        var logFrom = Site.Output.Length;
        await SignInAsync(page, Users.Pat);

        // A double click.
        var (panel, first) = await OpenPayPanelForOneInvoiceAsync(page);
        await AddCardAsync(panel, GoodCard, "4242");
        await MakePaymentButton(panel).DblClickAsync();
        await ExpectOnePaidConfirmationAsync(panel);
        await AssertOnePaymentAndOneChargeAsync(first);
        await AssertAccessibleAsync(page);
        await panel.GetByRole(AriaRole.Button, new() { Name = T("Close"), Exact = true }).ClickAsync();
        await Expect(panel).ToHaveCountAsync(0);

        // Two clicks sent together, the second not waiting for the first (on the same button element: its label changes
        // to "Paying…" after the first).
        var (again, second) = await OpenPayPanelForOneInvoiceAsync(page);
        Assert.NotEqual(first, second);
        await AddCardAsync(again, GoodCard, "4242");
        var makePayment = MakePaymentButton(again);
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync(new() { Trial = true });   // visible, stable, nothing in front of it
        var button = await makePayment.ElementHandleAsync();
        var clicks = await Task.WhenAll(ClickOnceAsync(button, "first"), ClickOnceAsync(button, "second"));
        Assert.Contains(true, clicks);
        await ExpectOnePaidConfirmationAsync(again);
        await AssertOnePaymentAndOneChargeAsync(second);

        // The deposit page's confirm button, double-clicked.
        var note = $"E2E double {Guid.NewGuid().ToString("N")[..8]}";
        var amount = 300m + Random.Shared.Next(1, 9_999) / 100m;
        await OpenDepositAsync(page, note);
        await page.GetByLabel(T("Amount"), new() { Exact = true }).FillAsync(amount.ToString("0.00", SuiteLanguage.Culture));
        var form = page.Locator("body");
        await AddCardAsync(form, GoodCard, "4242");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Review deposit"), Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("deposit-review")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).DblClickAsync();
        await Expect(page.GetByTestId("deposit-confirmation")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("Deposit succeeded."));
        await Expect(page.GetByTestId("deposit-error")).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);
        await page.WaitForTimeoutAsync(1_500);   // longer than a charge takes: a second one would be in the ledger now
        var deposit = Assert.Single(await PaymentsWithNoteAsync(note));
        Assert.Equal(Succeeded, deposit.Status);
        var charge = Assert.Single(await ChargesOfAsync(deposit.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal((long)(amount * 100), charge.AmountMinor);
        AssertNoFailuresLoggedSince(logFrom);
    });

    [Fact]
    public Task A_declined_card_on_the_deposit_page_charges_nothing_and_keeps_the_amount_and_note_for_the_next_card() => RunPageTest(async page =>
    {
        var logFrom = Site.Output.Length;
        var note = $"E2E declined deposit {Guid.NewGuid().ToString("N")[..8]}";
        var amount = 150m + Random.Shared.Next(1, 9_999) / 100m;
        var amountText = amount.ToString("0.00", SuiteLanguage.Culture);
        var amountField = page.GetByLabel(T("Amount"), new() { Exact = true });
        var noteField = page.GetByLabel(T("Note (optional)"), new() { Exact = true });
        var form = page.Locator("body");

        await SignInAsync(page, Users.Pat);
        await OpenDepositAsync(page, note);
        await amountField.FillAsync(amountText);
        await AddCardAsync(form, DecliningCard, "0002");
        var review = page.GetByRole(AriaRole.Button, new() { Name = T("Review deposit"), Exact = true });
        await review.ClickAsync();
        await Expect(page.GetByTestId("deposit-review").GetByTestId("review-method")).ToContainTextAsync("0002");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).ClickAsync();

        // The message; back on the form with what was typed.
        await Expect(AlertText(page.GetByTestId("deposit-error"))).ToHaveTextAsync(
            T("The deposit was not made: {0} Choose another method and review again.", T(DeclineReason)));
        await Expect(page.GetByTestId("deposit-confirmation")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("deposit-unconfirmed")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("deposit-review")).ToHaveCountAsync(0);
        await Expect(amountField).ToHaveValueAsync(amountText);
        await Expect(noteField).ToHaveValueAsync(note);
        await Expect(page.GetByTestId("note-counter")).ToHaveTextAsync(PaymentFormSteps.NoteCount(note));
        await AssertAccessibleAsync(page);

        // Recorded as failed; declined at the gateway; nothing charged.
        var declined = Assert.Single(await PaymentsWithNoteAsync(note));
        Assert.Equal(Failed, declined.Status);
        var attempt = Assert.Single(await ChargesOfAsync(declined.Id));
        Assert.Equal(ChargeDeclined, attempt.InitialStatus);

        // Another card; amount and note come along to the review untouched.
        await AddCardAsync(form, GoodCard, "4242");
        await review.ClickAsync();
        var reviewed = page.GetByTestId("deposit-review");
        await Expect(reviewed.GetByTestId("review-amount")).ToHaveTextAsync(new MoneyText("USD", amount).ToString());
        await Expect(reviewed.GetByTestId("review-note")).ToHaveTextAsync(note);
        await Expect(reviewed.GetByTestId("review-method")).ToContainTextAsync("4242");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).ClickAsync();
        var confirmation = page.GetByTestId("deposit-confirmation");
        await Expect(confirmation).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("Deposit succeeded."));
        await Expect(page.GetByTestId("deposit-error")).ToHaveCountAsync(0);
        var receipt = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        await AssertAccessibleAsync(page);

        var deposits = await PaymentsWithNoteAsync(note);
        Assert.Equal(2, deposits.Count);
        var paid = Assert.Single(deposits, d => d.Id != declined.Id);
        Assert.Equal(Succeeded, paid.Status);
        Assert.Equal(receipt, paid.ReceiptNumber);
        Assert.Equal(Failed, deposits.Single(d => d.Id == declined.Id).Status);
        var charge = Assert.Single(await ChargesOfAsync(paid.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal((long)(amount * 100), charge.AmountMinor);
        AssertNoFailuresLoggedSince(logFrom);
    });

    [Fact]
    public Task A_deposit_whose_answer_is_lost_is_unconfirmed_until_Check_again_shows_the_receipt_with_one_charge() => RunPageTest(async page =>
    {
        var logFrom = Site.Output.Length;
        var note = $"E2E lost deposit {Guid.NewGuid().ToString("N")[..8]}";
        var amount = 120m + Random.Shared.Next(1, 9_999) / 100m;
        var money = new MoneyText("USD", amount).ToString();

        await SignInAsync(page, Users.Pat);
        await OpenDepositAsync(page, note);
        await page.GetByLabel(T("Amount"), new() { Exact = true }).FillAsync(amount.ToString("0.00", SuiteLanguage.Culture));
        await AddCardAsync(page.Locator("body"), LostAnswerCard, "0119");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Review deposit"), Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("deposit-review").GetByTestId("review-method")).ToContainTextAsync("0119");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).ClickAsync();

        var unsure = page.GetByTestId("deposit-unconfirmed");
        await Expect(unsure).ToBeVisibleAsync();
        var deposit = Assert.Single(await PaymentsWithNoteAsync(note));
        Assert.Equal(Unconfirmed, deposit.Status);
        var charge = Assert.Single(await ChargesOfAsync(deposit.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal((long)(amount * 100), charge.AmountMinor);

        await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("The deposit's outcome is not confirmed yet."));
        await Expect(AlertText(unsure.GetByRole(AriaRole.Alert))).ToHaveTextAsync(
            T("Your payment may have gone through: check Payment history before paying again. We are confirming it with the payment processor."));
        await Expect(unsure.GetByTestId("receipt-number")).ToHaveTextAsync(deposit.ReceiptNumber);
        await Expect(unsure.Locator("p").Filter(new() { Has = page.GetByTestId("receipt-number") })).ToHaveTextAsync(
            T("Reference {0} · {1}.", deposit.ReceiptNumber, money));
        var checkAgain = unsure.GetByTestId("deposit-check-again");
        await Expect(checkAgain).ToHaveTextAsync(T("Check again"));
        await Expect(page.GetByTestId("deposit-confirmation")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("deposit-error")).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);

        var confirmation = page.GetByTestId("deposit-confirmation");
        await CheckAgainUntilConfirmedAsync(page, unsure, checkAgain, confirmation, deposit.ReceiptNumber);
        await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("Deposit succeeded."));
        await Expect(page.GetByTestId("deposit-error")).ToHaveCountAsync(0);
        await Expect(confirmation.GetByTestId("receipt-number")).ToHaveTextAsync(deposit.ReceiptNumber);
        await Expect(confirmation.Locator("p").First).ToHaveTextAsync(
            T("Deposit of {0} received. Receipt number {1}.", money, deposit.ReceiptNumber) + " " + T("A confirmation email is on its way."));
        await AssertAccessibleAsync(page);

        var settled = Assert.Single(await PaymentsWithNoteAsync(note));
        Assert.Equal(deposit.Id, settled.Id);
        Assert.Equal(Succeeded, settled.Status);
        Assert.Single(await ChargesOfAsync(deposit.Id));
        AssertNoFailuresLoggedSince(logFrom);
    });

    /// <summary>
    /// Presses "Check again" (once a second, up to a minute) until <paramref name="confirmation"/> replaces the unconfirmed
    /// state; meanwhile the state names the same <paramref name="reference"/>, never a new payment.
    /// </summary>
    private async Task CheckAgainUntilConfirmedAsync(IPage page, ILocator unsure, ILocator checkAgain, ILocator confirmation, string reference)
    {
        var checks = 0;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (await confirmation.CountAsync() == 0 && DateTime.UtcNow < until)
        {
            await checkAgain.ClickAsync();
            checks++;
            // The answer may come before the button shows "Checking…": whichever state is shown names the same payment.
            await Expect(confirmation.Or(checkAgain.Filter(new() { HasText = T("Check again") }))).ToBeVisibleAsync();
            await Expect(confirmation.Or(unsure).GetByTestId("receipt-number")).ToHaveTextAsync(reference);
            if (await confirmation.CountAsync() == 0)
            {
                await page.WaitForTimeoutAsync(1_000);
            }
        }
        Output.WriteLine($"Confirmed after {checks} check(s).");
        await Expect(confirmation).ToHaveCountAsync(1);
        await Expect(unsure).ToHaveCountAsync(0);
    }

    /// <summary>Open invoices → the first open, selectable invoice → Pay: the panel with its one line.</summary>
    private async Task<(ILocator Panel, string Number)> OpenPayPanelForOneInvoiceAsync(IPage page)
    {
        await OpenInvoicesFromNavAsync(page);
        await InvoiceGridSteps.SearchAsync(page, "INV-");
        var number = Assert.Single(await InvoiceGridSteps.FirstSelectableAsync(page, 1));
        await SelectBox(page, number).CheckAsync();
        await Expect(page.GetByText(T("{0} selected", 1))).ToBeVisibleAsync();
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("pay-lines")).ToContainTextAsync(number);
        await Expect(panel.GetByTestId("total")).ToBeVisibleAsync();
        return (panel, number);
    }

    /// <summary>
    /// "Add a payment method" in <paramref name="scope"/>'s picker, the card typed in, Continue: waits until the new card
    /// (ending <paramref name="last4"/>) is the chosen method.
    /// </summary>
    private static async Task AddCardAsync(ILocator scope, string number, string last4)
    {
        await Expect(scope.GetByRole(AriaRole.Radio, new() { Name = T("Add a payment method"), Exact = true })).ToBeVisibleAsync();
        await PaymentFormSteps.AddCardAsync(scope, number);
        await Expect(scope.GetByLabel(T("Card number"), new() { Exact = true })).ToHaveCountAsync(0);
        await Expect(scope.Locator("input[data-testid='picker-option']:checked + label")).ToContainTextAsync(last4);
    }

    /// <summary>
    /// One click on <paramref name="button"/> without the actionability wait (the other click of the pair may already
    /// have disabled or replaced it); true when it was sent.
    /// </summary>
    private async Task<bool> ClickOnceAsync(IElementHandle button, string which)
    {
        try
        {
            await button.ClickAsync(new() { Force = true, Timeout = 5_000 });
            Output.WriteLine($"The {which} click was sent.");
            return true;
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            Output.WriteLine($"The {which} click found no button any more: {ex.Message.Split('\n')[0]}");
            return false;
        }
    }

    /// <summary>The message of a Radzen alert (without its icon's ligature text, "error", "warning_amber").</summary>
    private static ILocator AlertText(ILocator alert) => alert.Locator(".rz-alert-content");

    private static ILocator MakePaymentButton(ILocator panel) =>
        panel.GetByRole(AriaRole.Button, new() { Name = T("Make payment"), Exact = true });

    private static ILocator SelectBox(IPage page, string number) =>
        page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true });

    private static async Task ExpectOnePaidConfirmationAsync(ILocator panel)
    {
        await Expect(panel.GetByTestId("pay-confirmation")).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(T("Payment succeeded."));
        await Expect(panel.GetByTestId("pay-error")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("pay-unconfirmed")).ToHaveCountAsync(0);
    }

    /// <summary>Exactly one payment for the invoice, succeeded, and one charge at the sandbox for it (after a charge's time).</summary>
    private async Task AssertOnePaymentAndOneChargeAsync(string number)
    {
        await Task.Delay(1_500);   // longer than a charge takes: a second one would be in the ledger now
        var payment = Assert.Single(await PaymentsOfInvoiceAsync(number));
        Assert.Equal(Succeeded, payment.Status);
        var charge = Assert.Single(await ChargesOfAsync(payment.Id));
        Assert.Equal(ChargeSucceeded, charge.InitialStatus);
        Assert.Equal(1, await MoneyMovingChargesOfInvoiceAsync(number));
    }

    /// <summary>Opens "Make a deposit" from the navigation and types the note until the form reacts (the circuit is live).</summary>
    private async Task OpenDepositAsync(IPage page, string note)
    {
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await nav.GetByRole(AriaRole.Link, new() { Name = T("Make a deposit"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/portal/deposit");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Make a deposit"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = T("Add a payment method"), Exact = true })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
        await PaymentFormSteps.TypeDepositNoteWhenInteractiveAsync(page, note);
    }

    private static long Minor(MoneyText money) => (long)(money.Amount * 100);

    /// <summary>
    /// The host logged no error (a "fail:" line: an unhandled exception in a circuit, a failed background job) since
    /// <paramref name="from"/>, its output's length when the test started.
    /// </summary>
    private void AssertNoFailuresLoggedSince(int from)
    {
        var log = Site.Output;
        var failures = log[Math.Min(from, log.Length)..].Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, "The host logged errors:\n" + string.Join('\n', failures));
    }

    private sealed record PaymentRow(string Id, int Status, string ReceiptNumber, long AmountMinor);

    private sealed record ChargeRow(int InitialStatus, long AmountMinor);

    private Task<List<PaymentRow>> PaymentsOfInvoiceAsync(string number) => PaymentsAsync(
        "SELECT p.Id, p.Status, p.ReceiptNumber, p.AmountMinor FROM pp_payments p JOIN pp_payment_allocations a ON a.PaymentId = p.Id WHERE a.InvoiceNumber = $key", number);

    private Task<List<PaymentRow>> PaymentsWithNoteAsync(string note) => PaymentsAsync(
        "SELECT Id, Status, ReceiptNumber, AmountMinor FROM pp_payments WHERE Memo = $key", note);

    private async Task<List<PaymentRow>> PaymentsAsync(string sql, string key)
    {
        await using var connection = await Site.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        var rows = new List<PaymentRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new PaymentRow(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3)));
        }
        return rows;
    }

    /// <summary>Every row of the sandbox's ledger for a payment (declines included).</summary>
    private async Task<List<ChargeRow>> ChargesOfAsync(string paymentId)
    {
        await using var connection = await Site.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT InitialStatus, AmountMinor FROM pp_sandbox_charges WHERE PaymentId = $id";
        command.Parameters.AddWithValue("$id", paymentId);
        var rows = new List<ChargeRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new ChargeRow(reader.GetInt32(0), reader.GetInt64(1)));
        }
        return rows;
    }

    /// <summary>Charges that moved money (succeeded or in flight) for any payment of the invoice.</summary>
    private Task<long> MoneyMovingChargesOfInvoiceAsync(string number) => Site.ScalarAsync(
        $"""
        SELECT COUNT(*) FROM pp_sandbox_charges c
        WHERE c.InitialStatus IN ({ChargeSucceeded}, {ChargeProcessing})
          AND c.PaymentId IN (SELECT a.PaymentId FROM pp_payment_allocations a WHERE a.InvoiceNumber = $id)
        """, number);
}
