using Portal.Payments.Ui.Pages;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>The printable receipt for a German user: texts, date and amounts in German.</summary>
public class GermanReceiptTests : ReceiptTestContext
{
    private static readonly string[] Areas = ["Receipt", "PaymentStatus", "Type", "Common"];

    [Fact]
    public async Task A_German_user_reads_the_receipt_in_German_with_German_dates_and_amounts()
    {
        await StartAsync();
        var paid = await PayAsync();
        using var german = TestCulture.Use("de-DE");

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Equal($"Beleg {paid.ReceiptNumber}", cut.Find("h1").TextContent.Trim());
        Assert.Equal(["Zahler", "Bezahlt von", "Datum", "Belegnummer", "Zahlungsmittel", "Status"],
            cut.FindAll("[data-testid=receipt-facts] dt").Select(d => d.TextContent.Trim()).Take(6));
        Assert.Equal("10.03.2027 12:00 UTC", Fact(cut, "Datum"));
        Assert.Equal("Bezahlt", Fact(cut, "Status"));
        Assert.Equal(["Nummer", "Art", "Offener Saldo", "Skonto", "Gekürzt", "Kürzungsgrund", "Verrechnet"],
            cut.FindAll("[data-testid=receipt-lines] th[scope=col]").Select(th => th.TextContent.Trim()));
        var rows = cut.FindAll("[data-testid=receipt-line]").Select(r => r.Children.Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["INV-3001", "Rechnung", "USD 1.000,00", "USD 20,00", "—", "", "USD 980,00"], rows[0]);
        Assert.Equal(["CM-3002", "Gutschrift", "USD -100,00", "—", "—", "", "USD -100,00"], rows[1]);
        Assert.Equal(["Rechnungen", "Skonti", "Verrechnete Gutschriften", "Gezahlter Betrag"],
            cut.FindAll("[data-testid=receipt-totals] dt").Select(d => d.TextContent.Trim()));
        Assert.Equal("USD 880,00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());
        Assert.NotNull(Button(cut, "Drucken"));
        Assert.Equal("Als PDF speichern", cut.Find("[data-testid=receipt-pdf]").TextContent.Trim());
        Assert.Equal("Zahlungsavis", cut.Find("[data-testid=remittance] h2").TextContent.Trim());
        Assert.Equal("Zahlungsavis als CSV exportieren", cut.Find("[data-testid=remittance-csv]").TextContent.Trim());

        // The receipt's own words (the sandbox banner above it is not the receipt's).
        var receipt = string.Concat(cut.Find("[data-testid=receipt]").Children
            .Where(c => c.GetAttribute("data-testid") != "sandbox-banner").Select(c => c.TextContent));
        foreach (var english in new[] { "Receipt", "Paid by", "Date", "Mar 10", "Invoice", "Credit memo", "Amount paid", "Remittance detail", "Save as PDF", "Print" })
        {
            Assert.DoesNotContain(english, receipt, StringComparison.Ordinal);
        }
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    [Fact]
    public async Task A_German_user_reads_a_declined_payment_in_German()
    {
        await StartAsync();
        var declined = await PayAsync("4000000000000002");
        using var german = TestCulture.Use("de-DE");

        var cut = RenderLoaded(declined.PaymentId);

        Assert.Equal("Fehlgeschlagen (nichts belastet)", Fact(cut, "Status"));
        Assert.StartsWith("Nicht belastet: ", cut.Find("[data-testid=receipt-failure]").TextContent.Trim());
        Assert.Equal("Versuchter Betrag", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.DoesNotContain("nothing charged", cut.Markup);
        Assert.DoesNotContain("Amount attempted", cut.Markup);
    }

    [Fact]
    public async Task A_German_user_is_told_in_German_that_a_receipt_is_not_found()
    {
        await StartAsync();
        using var german = TestCulture.Use("de-DE");

        var cut = RenderLoaded(Guid.NewGuid());

        Assert.Equal("Beleg nicht gefunden", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Wir konnten diesen Beleg nicht finden. Prüfen Sie den Link oder öffnen Sie ihn erneut über Ihre Zahlungen.",
            cut.Find("[data-testid=receipt-error]").TextContent.Trim());
        Assert.Equal("Zurück zum Zahlungsverlauf", cut.Find("a").TextContent.Trim());
        Assert.DoesNotContain("Receipt not found", cut.Markup);
    }

    [Fact]
    public async Task The_receipt_page_shows_the_receipt_in_German()
    {
        await StartAsync();
        var paid = await PayAsync();
        using var german = TestCulture.Use("de-DE");

        var cut = Render<ReceiptPage>(p => p.Add(x => x.PaymentId, paid.PaymentId));

        cut.WaitForAssertion(() => Assert.Equal($"Beleg {paid.ReceiptNumber}", cut.Find("h1").TextContent.Trim()), Timeout);
    }
}
