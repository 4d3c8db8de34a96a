using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
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
        Assert.Equal(["Zahler", "Bezahlt von", "Datum", "Belegnummer", "Zahlungsmethode", "Status"],
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
        Assert.Equal($"Zahlung {declined.ReceiptNumber} – fehlgeschlagen", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Veranlasst von"));
        Assert.DoesNotContain("Bezahlt von", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Beleg R-", cut.Markup, StringComparison.Ordinal);
        // Read back later, the gateway's English words are said in German through the stored code.
        Assert.Equal("Nicht belastet: Die Karte wurde von der ausgebenden Bank abgelehnt.", cut.Find("[data-testid=receipt-failure]").TextContent.Trim());
        Assert.DoesNotContain("declined", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("Versuchter Betrag", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.DoesNotContain("nothing charged", cut.Markup);
        Assert.DoesNotContain("Amount attempted", cut.Markup);
    }

    // Review: a returned bank debit was titled "Beleg …" with "Bezahlt von", its remittance saying it "ist nicht durchgegangen".
    [Theory]
    [InlineData("R01: the bank returned the debit for insufficient funds.", "Returned",
        "Die Rechnungen, die diese Zahlung beglichen hat; die Bank hat sie zurückgebucht, die Rechnungen sind daher wieder offen.")]   // the code's words: no more than "returned"
    [InlineData("R08: Zahlung vom Kontoinhaber gestoppt.", null,
        "Die Rechnungen, die diese Zahlung beglichen hat; die Bank hat sie zurückgebucht (R08: Zahlung vom Kontoinhaber gestoppt), die Rechnungen sind daher wieder offen.")]
    public async Task A_German_user_reads_a_returned_debit_as_returned(string reason, string? code, string remittance)
    {
        await StartAsync();
        var paid = await PayAsync();
        await ReturnAsync(paid.PaymentId, reason, code);
        using var german = TestCulture.Use("de-DE");

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Equal($"Zahlung {paid.ReceiptNumber} – von der Bank zurückgebucht", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Veranlasst von"));
        Assert.Equal("Von der Bank zurückgebucht", Fact(cut, "Status"));
        Assert.Equal(remittance, cut.Find("[data-testid=remittance-text]").TextContent.Trim());
        Assert.DoesNotContain("nicht durchgegangen", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Bezahlt von", cut.Markup, StringComparison.Ordinal);
        TextKeys.AssertNoneShown(cut.Markup, Areas);
    }

    [Theory]
    [InlineData("InvoicesChanged", "INV-3001 was paid or settled meanwhile. Nothing was charged; select the invoices again.",
        "Nicht belastet: Rechnungen dieser Zahlung wurden vor dem Zahlungsdatum bezahlt, geändert oder beanstandet. Es wurde nichts belastet; wählen Sie die Rechnungen erneut aus.")]
    [InlineData("MethodRemoved", "The payment method was removed.", "Nicht belastet: Die Zahlungsmethode wurde entfernt. Es wurde nichts belastet.")]
    [InlineData("AuthenticationAbandoned", "The payment was not confirmed with your bank in time. Nothing was charged; pay again when ready.",
        "Nicht belastet: Die Zahlung wurde nicht rechtzeitig bei Ihrer Bank bestätigt. Es wurde nichts belastet; zahlen Sie erneut, wenn Sie so weit sind.")]
    [InlineData(null, "Card blocked by the issuer's fraud desk.", "Nicht belastet: Card blocked by the issuer's fraud desk.")]   // no code: the stored words
    public async Task A_failure_the_portal_recorded_reads_in_German_and_in_English_as_stored(string? code, string reason, string inGerman)
    {
        await StartAsync();
        var paid = await PayAsync();
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            // As the runner or reconciler records it (the English words with their code).
            await db.Payments.Where(p => p.Id == paid.PaymentId).ExecuteUpdateAsync(s => s
                .SetProperty(p => p.Status, PaymentStatus.Failed).SetProperty(p => p.FailureReason, reason).SetProperty(p => p.FailureCode, code));
        }

        using (TestCulture.Use("de-DE"))
        {
            Assert.Equal(inGerman, RenderLoaded(paid.PaymentId).Find("[data-testid=receipt-failure]").TextContent.Trim());
        }
        Assert.Equal($"Not charged: {reason}", RenderLoaded(paid.PaymentId).Find("[data-testid=receipt-failure]").TextContent.Trim());
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
