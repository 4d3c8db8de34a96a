using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Payments.Erp;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Pages;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// Pay now, schedule and deposit in German: every text of the forms, the preview, the fee hints and the bank confirmation
/// in German, amounts and dates as a German user writes them, and the English texts gone. Real services and SQLite; today
/// is 10 March 2027. The method picker, the sandbox's own forms and the gateway's decline reasons are other areas.
/// </summary>
public partial class GermanPaymentFormsTests : PayTestContext
{
    private static string Text<T>(IRenderedComponent<T> cut, string testId) where T : IComponent =>
        Squeeze(cut.Find($"[data-testid={testId}]").TextContent);

    private static string Squeeze(string text) => Spaces().Replace(text, " ").Trim();

    private static List<string> Texts<T>(IRenderedComponent<T> cut, string selector) where T : IComponent =>
        cut.FindAll(selector).Select(e => Squeeze(e.TextContent)).ToList();

    /// <summary>None of <paramref name="english"/> is shown, and no text key stands in for a missing text.</summary>
    private static void NoEnglish<T>(IRenderedComponent<T> cut, params string[] english) where T : IComponent
    {
        Assert.All(english, e => Assert.DoesNotContain(e, cut.Markup, StringComparison.Ordinal));
        Assert.DoesNotMatch(@"(>|"")\s*(Pay|Preview|Schedule|Deposit|Fee|Action|Amount|Common|Dialog|History|Invoices|Scheduled|Type)\.[A-Z]\w*", cut.Markup);
    }

    private static void WaitForPreview<T>(IRenderedComponent<T> cut) where T : IComponent =>
        cut.WaitForAssertion(() =>
        {
            Assert.NotEmpty(cut.FindAll("[data-testid=pay-line]"));
            Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]"));
        }, Timeout);

    private IRenderedComponent<DepositForm> RenderDeposit()
    {
        var cut = Render<DepositForm>();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".pp-shell-loading")), Timeout);
        return cut;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [Fact]
    public async Task The_pay_now_panel_previews_asks_for_a_short_pay_reason_and_confirms_in_German()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-7001", 100_000, 2_000, OpenItemType.Invoice), ("CM-7002", -30_000, null, OpenItemType.CreditMemo));
        await AddCardAsync();
        using var _ = TestCulture.Use("de-DE");

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        WaitForPreview(cut);

        Assert.Equal("Ausgewählte Rechnungen bezahlen", Squeeze(cut.Find("h2").TextContent));
        Assert.Equal("Zu zahlende Posten am 10.03.2027", Squeeze(cut.Find("caption").TextContent));
        Assert.Equal(["Nummer", "Art", "Fällig", "Offener Saldo", "Skonto bei Zahlung heute", "Gekürzt", "Zu zahlen"], Texts(cut, "th[scope=col]"));
        var rows = cut.FindAll("[data-testid=pay-line]").Select(r => r.Children.Select(c => Squeeze(c.TextContent)).ToArray()).ToList();
        Assert.Equal(["INV-7001", "Rechnung", "20.03.2027", "USD 1.000,00", "USD 20,00", "—"], rows[0][..6]);
        Assert.Equal(["CM-7002", "Gutschrift", "21.03.2027", "USD -300,00", "—", "—", "USD -300,00"], rows[1]);
        Assert.Equal("980,00", cut.Find("[data-testid=amount-input]").GetAttribute("value"));
        Assert.Equal("Voller Betrag: USD 980,00", Squeeze(cut.Find($"#{cut.Find("[data-testid=amount-input]").GetAttribute("aria-describedby")}").TextContent));
        Assert.Equal(["Rechnungen", "Skonto", "Kürzungen", "Verrechnete Gutschriften", "Summe"], Texts(cut, "[data-testid=pay-totals] dt"));
        Assert.Equal("USD 680,00", Text(cut, "total"));
        Assert.NotNull(Button(cut, "Abbrechen"));
        NoEnglish(cut, "Pay selected invoices", "Discount if paid today", "Open balance", "Credits applied", "Make payment", "Credit memo", "Items to pay");

        Input(cut, "Zu zahlender Betrag für INV-7001").Change("600");

        var reason = Input(cut, "Kürzungsgrund für INV-7001");
        Assert.Equal("Wählen Sie, warum Sie für INV-7001 weniger als USD 980,00 zahlen.", ErrorFor(cut, reason).TextContent.Trim());
        Assert.Equal("Grund auswählen …", reason.QuerySelector("option")!.TextContent.Trim());
        // The built-in reasons read in German; what is stored and sent to the ERP stays the configured reason.
        Assert.Equal([("", "Grund auswählen …"), ("Incorrect price", "Falscher Preis"), ("Incorrect tax", "Falsche Steuer"), ("Item not received", "Ware nicht erhalten"),
                ("Damaged", "Beschädigt"), ("Other", "Sonstiges")],
            reason.QuerySelectorAll("option").Select(o => (o.GetAttribute("value") ?? "", o.TextContent.Trim())));
        Assert.True(Button(cut, "Zahlung ausführen").HasAttribute("disabled"));
        reason.Change("Other");
        var comment = Input(cut, "Kommentar zu INV-7001 (Pflichtfeld)");
        Assert.Equal("Erläutern Sie den Grund „Sonstiges“ für INV-7001 im Kommentar.", ErrorFor(cut, comment).TextContent.Trim());
        comment.Change("Zwei Paletten beschädigt");

        cut.WaitForAssertion(() => Assert.Equal("USD 300,00", Text(cut, "total")), Timeout);
        Assert.Equal("24 / 2.000", Squeeze(cut.Find("[data-testid=short-row] .pp-counter").TextContent));
        Assert.Equal("USD 388,00", Text(cut, "line-short"));
        Assert.StartsWith("Wenn Sie weniger als den vollen Betrag zahlen, kann sich das Skonto ändern:", Text(cut, "discount-notice"), StringComparison.Ordinal);
        Assert.Equal("Der für INV-7001 eingegebene Betrag ändert das Skonto von USD 20,00 auf USD 12,00.", Squeeze(cut.Find("[data-testid=discount-notice] li").TextContent));

        // Too many decimals: worded with the currency, in German.
        Input(cut, "Zu zahlender Betrag für INV-7001").Change("600,005");
        Assert.Equal("Zu zahlender Betrag für INV-7001: Beträge in USD haben höchstens 2 Nachkommastellen.",
            ErrorText(cut, "Zu zahlender Betrag für INV-7001"));
        Input(cut, "Zu zahlender Betrag für INV-7001").Change("600");
        cut.WaitForAssertion(() => Assert.False(Button(cut, "Zahlung ausführen").HasAttribute("disabled")), Timeout);
        NoEnglish(cut, "Short-pay reason", "Choose a reason", "Comment for", "(required)", "Paying less than the full amount", "changes its discount", "amounts have at most");

        Button(cut, "Zahlung ausführen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-confirmation]")), Timeout);
        Assert.Equal("Zahlung erfolgreich.", Text(cut, "pay-status"));
        Assert.Equal($"Belegnummer {Text(cut, "receipt-number")} · USD 300,00", Squeeze(cut.Find("[data-testid=pay-confirmation] p").TextContent));
        Assert.Single(cut.FindAll("a"), a => a.TextContent.Trim() == "Beleg anzeigen");
        Assert.NotNull(Button(cut, "Schließen"));
        NoEnglish(cut, "Payment succeeded.", "Receipt number", "View receipt", ">Close<");
    }

    [Fact]
    public async Task An_unknown_outcome_of_a_payment_is_explained_in_German()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-7101", 30_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000000000000119");   // the sandbox charges, then the answer is lost
        using var _ = TestCulture.Use("de-DE");
        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        WaitForPreview(cut);

        Button(cut, "Zahlung ausführen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=pay-unconfirmed]")), Timeout);
        Assert.Equal("Das Ergebnis der Zahlung ist noch nicht bestätigt.", Text(cut, "pay-status"));
        var unsure = cut.Find("[data-testid=pay-unconfirmed]");
        Assert.Contains("Ihre Zahlung ist möglicherweise schon erfolgt: Sehen Sie im Zahlungsverlauf nach", unsure.QuerySelector("[role=alert]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal($"Referenz {Text(cut, "receipt-number")} · USD 300,00. Die Rechnungen bleiben bis dahin ausstehend und können daher nicht doppelt bezahlt werden.",
            Squeeze(unsure.QuerySelector("p")!.TextContent));
        Assert.Single(unsure.QuerySelectorAll("a"), a => a.TextContent.Trim() == "Zahlungsverlauf");
        Assert.NotNull(Button(cut, "Erneut prüfen"));
        NoEnglish(cut, "may have gone through", "Reference <strong", "stay Pending", "Check again", "Payment history", "not confirmed yet");
    }

    [Theory]
    [InlineData("4000000000000002", "Die Karte wurde von der ausgebenden Bank abgelehnt.", "declined by the issuer")]
    [InlineData("4000000000009995", "Die Karte wurde abgelehnt: keine ausreichende Deckung.", "insufficient funds")]
    [InlineData("4000000000000069", "Die Karte wurde abgelehnt: Sie ist abgelaufen.", "has expired")]
    public async Task A_declined_payment_gives_the_reason_in_German(string card, string reason, string english)
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-7151", 12_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: card);
        using var _ = TestCulture.Use("de-DE");
        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        WaitForPreview(cut);

        Button(cut, "Zahlung ausführen").Click();

        cut.WaitForAssertion(() => Assert.Contains("Die Zahlung wurde nicht ausgeführt: ", Text(cut, "pay-error"), StringComparison.Ordinal), Timeout);
        Assert.Contains($"Die Zahlung wurde nicht ausgeführt: {reason} Ihre Rechnungen sind weiterhin offen; wählen Sie eine andere Zahlungsmethode und versuchen Sie es erneut.",
            Text(cut, "pay-error"), StringComparison.Ordinal);
        NoEnglish(cut, english, "The card was declined");
    }

    [Fact]
    public async Task A_declined_deposit_gives_the_reason_in_German()
    {
        await StartAsync();
        await AddCardAsync(number: "4000000000009995");
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderDeposit();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);
        Input(cut, "Betrag").Change("25");
        Button(cut, "Anzahlung prüfen").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);

        Button(cut, "Anzahlung bestätigen").Click();

        cut.WaitForAssertion(() => Assert.Contains(
            "Die Anzahlung wurde nicht ausgeführt: Die Karte wurde abgelehnt: keine ausreichende Deckung. Wählen Sie eine andere Zahlungsmethode und prüfen Sie erneut.",
            Text(cut, "deposit-error"), StringComparison.Ordinal), Timeout);
        NoEnglish(cut, "insufficient funds");
    }

    [Fact]
    public async Task The_bank_confirmation_step_and_a_refused_confirmation_are_in_German()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-7201", 9_000, null, OpenItemType.Invoice));
        await AddCardAsync(number: "4000002500003155");
        using var _ = TestCulture.Use("de-DE");
        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        WaitForPreview(cut);

        Button(cut, "Zahlung ausführen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=customer-action]")), Timeout);
        Assert.Equal("Ihre Bank bittet Sie, diese Zahlung zu bestätigen.", Text(cut, "pay-status"));
        var step = cut.Find("[data-testid=customer-action]");
        Assert.Equal("Bei Ihrer Bank bestätigen", Squeeze(step.QuerySelector("h3")!.TextContent));
        Assert.Matches(@"^Ihre Bank bittet Sie, diese Zahlung über USD 90,00 \(Referenz \S+\) zu bestätigen\. Bis dahin wird nichts belastet\.$",
            Squeeze(step.QuerySelector("p")!.TextContent));
        NoEnglish(cut, "Confirm with your bank", "Nothing is charged until you do", "Your bank asks you");

        // The sandbox's own "do not confirm" (its words are the sandbox's area).
        cut.Find("[data-testid=sandbox-bank-confirmation] button:not(.pp-primary)").Click();

        cut.WaitForAssertion(() => Assert.Contains("Die Zahlung wurde nicht ausgeführt: ", Text(cut, "pay-error"), StringComparison.Ordinal), Timeout);
        Assert.EndsWith("Ihre Rechnungen sind weiterhin offen; wählen Sie eine andere Zahlungsmethode und versuchen Sie es erneut.", Text(cut, "pay-error"), StringComparison.Ordinal);
        NoEnglish(cut, "The payment was not made", "choose another method");
    }

    [Fact]
    public async Task The_schedule_panel_offers_its_dates_and_confirms_in_German()
    {
        await StartAsync(configure: o => o.Scheduling.HorizonDays = 60);
        var ids = await SeedAsync(("INV-7301", 100_000, 2_000, OpenItemType.Invoice), ("INV-7302", 20_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        using var _ = TestCulture.Use("de-DE");

        var cut = Render<SchedulePaymentPanel>(p => p.Add(x => x.InvoiceIds, ids));
        WaitForPreview(cut);

        Assert.Equal("Zahlung für ausgewählte Rechnungen planen", Squeeze(cut.Find("h2").TextContent));
        Assert.NotNull(Input(cut, "Zahlungsdatum"));
        Assert.Equal("Möglich vom Donnerstag, 11. März 2027 bis Sonntag, 9. Mai 2027.", Text(cut, "schedule-window"));
        Assert.Contains("Skonto am 11.03.2027", Texts(cut, "th[scope=col]"));
        Assert.Equal("USD 1.180,00", Text(cut, "total"));
        NoEnglish(cut, "Schedule payment for selected invoices", "Payment date", "Discount on", "Confirm scheduled payment", ">Cancel<");

        Button(cut, "Geplante Zahlung bestätigen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=schedule-confirmation]")), Timeout);
        Assert.Equal("Zahlung für Donnerstag, 11. März 2027 geplant.", Text(cut, "schedule-status"));
        var confirmation = Squeeze(cut.Find("[data-testid=schedule-confirmation] p").TextContent);
        Assert.StartsWith($"Zahlung {Text(cut, "schedule-reference")} über USD 1.180,00 ist für Donnerstag, 11. März 2027 mit Visa •••• 4242 geplant. Bis dahin sind die Rechnungen als geplant markiert",
            confirmation, StringComparison.Ordinal);
        Assert.Equal("Donnerstag, 11. März 2027", Text(cut, "schedule-date"));
        Assert.NotNull(Button(cut, "Schließen"));
        NoEnglish(cut, "Payment scheduled for", "is scheduled for", "The invoices show Scheduled");
    }

    [Fact]
    public async Task Convenience_fees_are_disclosed_in_German_for_pay_now_schedule_and_deposit()
    {
        await StartAsync(configure: ConvenienceFeeDisclosureTests.CardFee);
        var ids = await SeedAsync(("INV-7401", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        using var _ = TestCulture.Use("de-DE");

        var pay = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));
        pay.WaitForAssertion(() => Assert.Equal("USD 410,00", Text(pay, "total-charged")), Timeout);
        var hint = Text(pay, "method-fee-hint");
        Assert.StartsWith("Karte: ", hint, StringComparison.Ordinal);
        Assert.EndsWith(", USD 10,00. Per Bankkonto: keine Gebühr.", hint, StringComparison.Ordinal);
        Assert.Contains("Belasteter Gesamtbetrag", Texts(pay, "[data-testid=pay-totals] dt"));
        Assert.NotNull(Button(pay, "Zahlung ausführen: USD 410,00"));
        NoEnglish(pay, "Card: ", "Pay by bank", "Total charged", "Make payment");

        var schedule = Render<SchedulePaymentPanel>(p => p.Add(x => x.InvoiceIds, ids));
        schedule.WaitForAssertion(() => Assert.Equal("USD 410,00", Text(schedule, "total-charged")), Timeout);
        Assert.Equal("Angezeigt ist die heutige Gebühr; es gilt die Gebührenregelung am Tag der Belastung.", Text(schedule, "fee-later"));
        Assert.NotNull(Button(schedule, "Geplante Zahlung bestätigen: USD 410,00"));
        NoEnglish(schedule, "The fee shown is today's", "Confirm scheduled payment");

        var deposit = RenderDeposit();
        deposit.WaitForAssertion(() => Assert.NotEmpty(deposit.FindAll("[data-testid=picker-option]")), Timeout);
        Input(deposit, "Betrag").Change("1.000");
        deposit.WaitForAssertion(() => Assert.EndsWith(", USD 25,00. Per Bankkonto: keine Gebühr.", Text(deposit, "method-fee-hint"), StringComparison.Ordinal), Timeout);
        Button(deposit, "Anzahlung prüfen").Click();
        deposit.WaitForAssertion(() => Assert.NotNull(deposit.Find("[data-testid=deposit-review]")), Timeout);
        Assert.Equal("USD 1.025,00", Text(deposit, "total-charged"));
        Assert.Contains("Belasteter Gesamtbetrag", Texts(deposit, "[data-testid=deposit-review] dt"));
        Assert.NotNull(Button(deposit, "Anzahlung bestätigen: USD 1.025,00"));
        NoEnglish(deposit, "Confirm deposit", "Total charged");
    }

    [Fact]
    public async Task A_waived_fee_is_named_in_German()
    {
        await StartAsync(configure: ConvenienceFeeDisclosureTests.CardFee);
        var ids = await SeedAsync(("INV-7501", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync("4000056655665556");   // a debit card: no fee
        using var _ = TestCulture.Use("de-DE");

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));

        // Review: the reason was the fee policy's English sentence ("Keine Zahlungsgebühr: No fee on debit cards.").
        cut.WaitForAssertion(() => Assert.Equal("Keine Zahlungsgebühr: Debitkarten sind davon ausgenommen.", Text(cut, "fee-waived")), Timeout);
        NoEnglish(cut, "No convenience fee", "No fee on");
    }

    // Review: a payment under the fee policy's minimum showed "No fee on payments under USD 500.00." in German too.
    [Fact]
    public async Task A_fee_waived_below_the_minimum_names_the_minimum_in_German()
    {
        await StartAsync(configure: o =>
        {
            ConvenienceFeeDisclosureTests.CardFee(o);
            o.ConvenienceFees.MinimumPayment = 500m;
        });
        var ids = await SeedAsync(("INV-7502", 40_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        using var _ = TestCulture.Use("de-DE");

        var cut = Render<PayInvoicesPanel>(p => p.Add(x => x.InvoiceIds, ids));

        cut.WaitForAssertion(() => Assert.Equal("Keine Zahlungsgebühr: Zahlungen unter USD 500,00 sind davon ausgenommen.", Text(cut, "fee-waived")), Timeout);
        NoEnglish(cut, "No fee on", "500.00");
    }

    [Fact]
    public async Task A_deposit_is_entered_checked_reviewed_and_confirmed_in_German()
    {
        await StartAsync();
        await AddCardAsync();
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderDeposit();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);

        Assert.Equal("Anzahlung leisten", Squeeze(cut.Find("h1").TextContent));
        var amount = Input(cut, "Betrag");
        Assert.Equal("Von USD 1,00 bis USD 100.000,00.", Squeeze(cut.Find($"#{amount.GetAttribute("aria-describedby")}").TextContent));
        Assert.NotNull(Input(cut, "Notiz (optional)"));
        NoEnglish(cut, "Make a deposit", "Review deposit", "Note (optional)", ">Amount<", "From USD");

        foreach (var (typed, message) in new[]
        {
            ("zehn", "Geben Sie den Betrag der Anzahlung als Zahl ein, z. B. 1.234,50."),
            ("0", "Die Anzahlung muss größer als null sein."),
            ("10,001", "Beträge in USD haben höchstens 2 Nachkommastellen."),
            ("0,50", "Anzahlungen sind von USD 1,00 bis USD 100.000,00 möglich."),
        })
        {
            Input(cut, "Betrag").Change(typed);
            Button(cut, "Anzahlung prüfen").Click();
            Assert.Equal(message, ErrorText(cut, "Betrag"));
        }
        Input(cut, "Betrag").Change("1.250,5");
        Input(cut, "Notiz (optional)").Input(new string('n', 501));
        Button(cut, "Anzahlung prüfen").Click();
        Assert.Equal("Die Notiz hat 501 Zeichen; kürzen Sie sie auf höchstens 500.", ErrorText(cut, "Notiz (optional)"));
        NoEnglish(cut, "Enter the deposit amount", "greater than zero", "decimal places", "Deposits are from", "The note is");

        Input(cut, "Notiz (optional)").Input("Vorauszahlung April");
        Button(cut, "Anzahlung prüfen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);
        Assert.Equal("Anzahlung prüfen", Squeeze(cut.Find("[data-testid=deposit-review] h2").TextContent));
        Assert.Equal(["Betrag", "Notiz", "Bezahlen mit"], Texts(cut, "[data-testid=deposit-review] dt"));
        Assert.Equal("USD 1.250,50", Text(cut, "review-amount"));
        Assert.Contains("Die Anzahlung wird Ihrem Konto gutgeschrieben und keiner Rechnung zugeordnet.", Texts(cut, "[data-testid=deposit-review] p"));
        Assert.NotNull(Button(cut, "Ändern"));
        NoEnglish(cut, "Review your deposit", "Pay with", "paid on account", ">Change<");

        Button(cut, "Anzahlung bestätigen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        Assert.Equal("Anzahlung erfolgreich.", Text(cut, "deposit-status"));
        Assert.Equal($"Anzahlung über USD 1.250,50 erhalten. Belegnummer {Text(cut, "receipt-number")}. Eine Bestätigung per E-Mail ist unterwegs.",
            Squeeze(cut.Find("[data-testid=deposit-confirmation] p").TextContent));
        Assert.Single(cut.FindAll("a"), a => a.TextContent.Trim() == "Beleg anzeigen");
        Assert.NotNull(Button(cut, "Weitere Anzahlung leisten"));
        NoEnglish(cut, "Deposit succeeded.", "received", "confirmation email", "View receipt", "Make another deposit");
    }

    [Fact]
    public async Task A_deposit_by_bank_account_says_in_German_that_it_is_processing()
    {
        await StartAsync();
        await AddBankAccountAsync();
        using var _ = TestCulture.Use("de-DE");
        var cut = RenderDeposit();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);
        Input(cut, "Betrag").Change("10");
        Button(cut, "Anzahlung prüfen").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-review]")), Timeout);

        Button(cut, "Anzahlung bestätigen").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=deposit-confirmation]")), Timeout);
        Assert.Equal("Anzahlung übermittelt und in Bearbeitung.", Text(cut, "deposit-status"));
        Assert.Equal($"Anzahlung über USD 10,00 erhalten. Belegnummer {Text(cut, "receipt-number")}. Die Zahlung ist in Bearbeitung. Eine Bestätigung per E-Mail ist unterwegs.",
            Squeeze(cut.Find("[data-testid=deposit-confirmation] p").TextContent));
        NoEnglish(cut, "Deposit submitted", "The payment is processing");
    }

    [Fact]
    public async Task Disabled_deposits_are_explained_in_German()
    {
        await StartAsync(configure: o => o.Deposits.Enabled = false);
        using var _ = TestCulture.Use("de-DE");

        var cut = RenderDeposit();

        Assert.Contains("Anzahlungen sind in diesem Portal nicht möglich.", cut.Markup, StringComparison.Ordinal);
        NoEnglish(cut, DepositService.DisabledMessage);
    }

    [Fact]
    public async Task A_view_only_user_is_told_in_German_that_deposits_are_not_possible()
    {
        await StartAsync(PortalPermissions.View);
        using var _ = TestCulture.Use("de-DE");

        var cut = RenderDeposit();

        Assert.Contains("Sie haben für dieses Konto nur Leserechte und können daher keine Anzahlungen leisten.", cut.Markup, StringComparison.Ordinal);
        NoEnglish(cut, "view-only");
    }

    [Fact]
    public async Task The_deposit_page_title_is_German()
    {
        await StartAsync();
        using var _ = TestCulture.Use("de-DE");

        var cut = Render(builder =>
        {
            builder.OpenComponent<HeadOutlet>(0);
            builder.CloseComponent();
            builder.OpenComponent<DepositPage>(1);
            builder.CloseComponent();
        });

        cut.WaitForAssertion(() => Assert.Equal("Anzahlung leisten", cut.Find("title").TextContent.Trim()), Timeout);
    }
}
