using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>The autopay page for a German user: every text in German, amounts and dates the German way, no English left.</summary>
public class GermanAutopayTests : PayTestContext
{
    private IRenderedComponent<AutopayManager> RenderPage()
    {
        var cut = Render<AutopayManager>();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".pp-shell-loading")), Timeout);
        return cut;
    }

    private static void WaitForForm(IRenderedComponent<AutopayManager> cut) =>
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=picker-option]")), Timeout);

    private static string Text(IRenderedComponent<AutopayManager> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    /// <summary>
    /// None of the page's English texts is left (as text or accessible name), and no text key shows. The method picker
    /// and the sandbox banner are other components with their own tests.
    /// </summary>
    private static void AssertNoEnglish(IRenderedComponent<AutopayManager> cut)
    {
        var shown = cut.FindAll(".pp-picker, .pp-sandbox-banner").Aggregate(cut.Find("section").TextContent, (text, other) => text.Replace(other.TextContent, ""))
            + string.Join("\n", cut.FindAll("[aria-label], [title]").Select(e => e.GetAttribute("aria-label") + " " + e.GetAttribute("title")));
        foreach (var english in new[] { "Autopay is", "Set up autopay", "Review autopay", "When to pay", "Largest payment", "Pay with", "Turn on", "Turn off",
                     "Keep autopay", "No limit", "When you turn it off", "Last changed", "Debit date", "Scheduled", "Exclude", "Put back", "Cancel", "Credits" })
        {
            Assert.DoesNotContain(english, shown, StringComparison.Ordinal);
        }
        Assert.DoesNotMatch(@"(>|"")\s*(Autopay|Common|PaymentStatus)\.[A-Z]\w*", cut.Markup);
    }

    [Fact]
    public async Task A_German_user_sets_up_autopay_reviews_it_and_manages_its_invoices_in_German()
    {
        await StartAsync();
        await SeedAsync(("INV-3001", 120_000, null, OpenItemType.Invoice), ("INV-3002", 45_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        using var german = TestCulture.Use("de-DE");
        var cut = RenderPage();

        Assert.Equal("Automatische Zahlung", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Automatische Zahlung ist nicht aktiv", cut.Find("[data-testid=autopay-off] h2").TextContent.Trim());
        Assert.StartsWith("Mit der automatischen Zahlung bezahlt das Portal", cut.Find("[data-testid=autopay-off] p").TextContent.Trim());
        AssertNoEnglish(cut);

        Button(cut, "Automatische Zahlung einrichten").Click();
        WaitForForm(cut);
        Assert.Equal("Automatische Zahlung einrichten", cut.Find("[data-testid=autopay-form] h2").TextContent.Trim());
        var legends = cut.FindAll("[data-testid=autopay-form] legend").Select(l => l.TextContent.Trim()).ToList();
        Assert.Equal("Bezahlen mit", legends[0]);
        Assert.Contains("Wann jede Rechnung bezahlt wird", legends);
        Assert.Contains("Gutschriften", legends);
        Input(cut, "Einige Tage vor dem Fälligkeitsdatum").Change(true);
        Input(cut, "Tage vor dem Fälligkeitsdatum (1 bis 30)").Change("5");
        Input(cut, "Höchstbetrag je automatischer Zahlung (optional)").Change("1.500");
        Assert.NotNull(Input(cut, "Offene Gutschriften mit automatischen Zahlungen verrechnen"));
        AssertNoEnglish(cut);
        Button(cut, "Automatische Zahlung prüfen").Click();

        Assert.Equal(["Bezahlen mit", "Zeitpunkt", "Höchstbetrag", "Gutschriften", "Endet"],
            cut.FindAll("[data-testid=autopay-review] dt").Select(d => d.TextContent.Trim()));
        Assert.Equal("5 Tage vor dem Fälligkeitsdatum jeder Rechnung", Text(cut, "review-rule"));
        Assert.Equal("USD 1.500,00", Text(cut, "review-max"));
        Assert.Equal("Wenn Sie sie deaktivieren", Text(cut, "review-end"));
        AssertNoEnglish(cut);
        Button(cut, "Automatische Zahlung aktivieren").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=autopay-summary]")), Timeout);
        Assert.Equal("Die automatische Zahlung ist aktiv. Eine Bestätigung per E-Mail ist unterwegs.", Text(cut, "autopay-status"));
        Assert.Equal("Automatische Zahlung ist aktiv", cut.Find("[data-testid=autopay-summary] h2").TextContent.Trim());
        Assert.Equal("5 Tage vor dem Fälligkeitsdatum jeder Rechnung", Text(cut, "summary-rule"));
        Assert.Equal("von Pat Payer am 10. März 2027", cut.FindAll("[data-testid=autopay-summary] dd").Last().TextContent.Trim());
        Assert.Equal(["Rechnung", "Abbuchung am", "Betrag", "Status", "Aktion"], cut.FindAll("[data-testid=autopay-items] th[scope=col]").Select(h => h.TextContent.Trim()));
        var rows = cut.FindAll("[data-testid=autopay-item]").Select(r => r.Children.Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["INV-3001", "15.03.2027", "USD 1.200,00", "Geplant", "Ausnehmen"], rows[0]);
        AssertNoEnglish(cut);

        Button(cut, "INV-3001 von der automatischen Zahlung ausnehmen").Click();
        cut.WaitForAssertion(() => Assert.Equal("INV-3001 ist von der automatischen Zahlung ausgenommen; die geplante Zahlung ist storniert.", Text(cut, "autopay-status")), Timeout);
        Assert.Equal("Von Ihnen ausgenommen", cut.FindAll("[data-testid=autopay-item-state]")[0].TextContent.Trim());
        Button(cut, "INV-3001 wieder in die automatische Zahlung aufnehmen").Click();
        cut.WaitForAssertion(() => Assert.Equal("INV-3001 ist wieder in der automatischen Zahlung: Abbuchung am 15.03.2027.", Text(cut, "autopay-status")), Timeout);

        Button(cut, "Automatische Zahlung deaktivieren").Click();
        Assert.Equal("Automatische Zahlung deaktivieren?", cut.Find("[data-testid=autopay-confirm-off] h2").TextContent.Trim());
        Assert.Contains("Die 2 automatisch eingeplanten Zahlungen werden storniert.", Text(cut, "autopay-confirm-off"));
        Assert.Contains("Sie bezahlen Ihre Rechnungen selbst.", Text(cut, "autopay-confirm-off"));
        Assert.NotNull(Button(cut, "Automatische Zahlung beibehalten"));
        AssertNoEnglish(cut);
    }

    // Review: why autopay skipped an invoice was Core's English sentence on the German page ("Übersprungen: USD 1,200.00 is
    // above the autopay maximum of USD 1,000.00.").
    [Fact]
    public async Task A_German_user_reads_why_autopay_skipped_an_invoice_in_German_with_German_amounts()
    {
        await StartAsync();
        await SeedAsync(("INV-3001", 120_000, null, OpenItemType.Invoice), ("INV-3002", 45_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        using var german = TestCulture.Use("de-DE");
        var cut = RenderPage();
        Button(cut, "Automatische Zahlung einrichten").Click();
        WaitForForm(cut);
        Input(cut, "Höchstbetrag je automatischer Zahlung (optional)").Change("1.000");
        Button(cut, "Automatische Zahlung prüfen").Click();
        Button(cut, "Automatische Zahlung aktivieren").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=autopay-summary]")), Timeout);

        var states = cut.FindAll("[data-testid=autopay-item]").ToDictionary(r => r.Children[0].TextContent.Trim(), r => r.QuerySelector("[data-testid=autopay-item-state]")!.TextContent.Trim());
        Assert.Equal("Übersprungen: USD 1.200,00 liegt über dem Höchstbetrag der automatischen Zahlung von USD 1.000,00.", states["INV-3001"]);
        Assert.Equal("Geplant", states["INV-3002"]);
        AssertNoEnglish(cut);
        Assert.DoesNotContain("above the autopay maximum", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_German_user_reads_what_to_correct_in_German()
    {
        await StartAsync();
        await AddCardAsync();
        using var german = TestCulture.Use("de-DE");
        var cut = RenderPage();
        Button(cut, "Automatische Zahlung einrichten").Click();
        WaitForForm(cut);
        Input(cut, "Einige Tage vor dem Fälligkeitsdatum").Change(true);
        Input(cut, "Tage vor dem Fälligkeitsdatum (1 bis 30)").Change("45");
        Input(cut, "Höchstbetrag je automatischer Zahlung (optional)").Change("zwölf");
        Input(cut, "Letzter Tag der automatischen Zahlung (optional)").Change(TodayDate.ToString("yyyy-MM-dd"));

        Button(cut, "Automatische Zahlung prüfen").Click();

        Assert.Equal("Geben Sie 1 bis 30 Tage vor dem Fälligkeitsdatum ein.", ErrorText(cut, "Tage vor dem Fälligkeitsdatum (1 bis 30)"));
        Assert.Equal("Geben Sie den Höchstbetrag als Zahl ein, z. B. 1.234,50; für unbegrenzt lassen Sie das Feld leer.",
            ErrorText(cut, "Höchstbetrag je automatischer Zahlung (optional)"));
        Assert.Equal("Der letzte Tag muss nach heute liegen; soll sie nicht enden, lassen Sie das Feld leer.",
            ErrorText(cut, "Letzter Tag der automatischen Zahlung (optional)"));

        Input(cut, "Höchstbetrag je automatischer Zahlung (optional)").Change("12,345");
        Button(cut, "Automatische Zahlung prüfen").Click();
        Assert.Equal("Beträge in USD haben höchstens 2 Nachkommastellen.", ErrorText(cut, "Höchstbetrag je automatischer Zahlung (optional)"));
        AssertNoEnglish(cut);
    }

    [Fact]
    public async Task A_German_user_reads_that_autopay_ended_and_that_a_payment_being_charged_goes_through_in_German()
    {
        await StartAsync();
        await SeedAsync(("INV-3901", 20_000, null, OpenItemType.Invoice), ("INV-3902", 30_000, null, OpenItemType.Invoice));
        await AddCardAsync();
        var setUp = RenderPage();
        Button(setUp, "Set up autopay").Click();
        WaitForForm(setUp);
        Button(setUp, "Review autopay").Click();
        Button(setUp, "Turn on autopay").Click();
        setUp.WaitForAssertion(() => Assert.Equal(2, setUp.FindAll("[data-testid=autopay-item]").Count), Timeout);
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.AutopayEnrollments.Where(e => e.AccountId == AccountId).ExecuteUpdateAsync(s => s.SetProperty(e => e.EndDate, TodayDate.AddDays(-1)));
            var charging = await db.Payments.Where(p => p.Allocations.Any(a => a.InvoiceNumber == "INV-3901")).Select(p => p.Id).SingleAsync();
            await db.Payments.Where(p => p.Id == charging).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PaymentStatus.Charging));
        }
        using var german = TestCulture.Use("de-DE");

        var cut = RenderPage();
        Assert.Equal("Die automatische Zahlung endete am 9. März 2027", cut.Find("[data-testid=autopay-summary] h2").TextContent.Trim());
        Assert.StartsWith("Nach ihrem Enddatum bezahlt die automatische Zahlung nichts mehr.", Text(cut, "autopay-ended"));
        Assert.Contains("In Bearbeitung", cut.FindAll("[data-testid=autopay-item-state]").Select(s => s.TextContent.Trim()));
        AssertNoEnglish(cut);
        Button(cut, "Automatische Zahlung deaktivieren").Click();
        Assert.Equal("Die automatische Zahlung für INV-3901 wird bereits abgebucht; sie lässt sich nicht mehr aufhalten.", Text(cut, "autopay-off-being-paid"));
        AssertNoEnglish(cut);
    }

    [Fact]
    public async Task A_German_user_of_a_portal_without_autopay_is_told_so_in_German()
    {
        await StartAsync(configure: o => o.Autopay.Enabled = false);
        using var german = TestCulture.Use("de-DE");

        var cut = RenderPage();

        Assert.Contains("Automatische Zahlung ist in diesem Portal nicht verfügbar.", cut.Find("[role=alert]").TextContent);
        Assert.DoesNotContain("Autopay is not available", cut.Markup);
    }
}
