using System.Reflection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Pdf;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The receipt PDF's texts from the portal's resources (<see cref="ReceiptPdfTexts"/>): English exactly the renderer's own,
/// German complete, and every German label fitting its place on the page.
/// </summary>
public sealed class GermanReceiptPdfTests
{
    private static readonly IStringLocalizer<PortalStrings> L = new PortalStringLocalizer(Options.Create(new PortalTextOptions()));

    private static readonly PropertyInfo[] Words =
        [.. typeof(ReceiptPdfText).GetProperties().Where(p => p.PropertyType == typeof(string))];

    /// <summary>The statuses whose words the PDF had before it was localized (the portal's words for the others replace enum names).</summary>
    private static readonly PaymentStatus[] WordedStatuses =
        [PaymentStatus.Succeeded, PaymentStatus.Failed, PaymentStatus.Returned, PaymentStatus.Scheduled, PaymentStatus.Processing, PaymentStatus.Cancelled, PaymentStatus.Refunded];

    private static Money Usd(decimal amount) => Money.Create(amount, "USD");

    [Fact]
    public void In_English_every_text_is_the_one_the_pdf_printed_before()
    {
        using var _ = TestCulture.Use("en-US");
        var english = ReceiptPdfText.English;

        var texts = ReceiptPdfTexts.For(L, TimeZoneInfo.Utc);

        Assert.True(Words.Length > 30, $"only {Words.Length} texts");
        Assert.All(Words, p => Assert.Equal(p.GetValue(english), p.GetValue(texts)));
        Assert.All(WordedStatuses, s => Assert.Equal(english.StatusName(s), texts.StatusName(s)));
        Assert.All(Enum.GetValues<PaymentKind>(), k => Assert.Equal(english.KindName(k), texts.KindName(k)));
        Assert.All(Enum.GetValues<OpenItemType>(), t => Assert.Equal(english.TypeName(t), texts.TypeName(t)));
    }

    [Fact]
    public void In_German_every_text_comes_from_the_German_resources()
    {
        using var _ = TestCulture.Use("de-DE");
        var english = ReceiptPdfText.English;

        var texts = ReceiptPdfTexts.For(L, TimeZoneInfo.Utc);

        // "Status" is the same word in German.
        Assert.All(Words.Where(p => p.Name != nameof(ReceiptPdfText.Status)),
            p => Assert.True(!Equals(p.GetValue(english), p.GetValue(texts)), $"{p.Name} is \"{p.GetValue(texts)}\" in German"));
        Assert.All(Words, p => Assert.DoesNotContain("ReceiptPdf.", (string)p.GetValue(texts)!, StringComparison.Ordinal));
        Assert.Equal("de-DE", texts.Culture.Name);
        Assert.Equal(["Bezahlt", "Fehlgeschlagen (nichts belastet)", "Von der Bank zurückgebucht", "Geplant"],
            new[] { PaymentStatus.Succeeded, PaymentStatus.Failed, PaymentStatus.Returned, PaymentStatus.Scheduled }.Select(texts.StatusName));
        Assert.Equal(["Rechnungszahlung", "Anzahlung"], new[] { PaymentKind.InvoicePayment, PaymentKind.Deposit }.Select(texts.KindName));
        Assert.Equal(["Rechnung", "Gutschrift"], new[] { OpenItemType.Invoice, OpenItemType.CreditMemo }.Select(texts.TypeName));
    }

    [Fact]
    public void Every_German_label_fits_its_place_on_the_pdf()
    {
        using var _ = TestCulture.Use("de-DE");
        var texts = ReceiptPdfTexts.For(L, TimeZoneInfo.Utc);
        var failedDeposit = new PaymentReceipt
        {
            PaymentId = Guid.NewGuid(),
            ReceiptNumber = "R-260302-7KQ9ZX",
            AccountId = "ACME",
            AccountName = "Acme Industrial Supply",
            Kind = PaymentKind.Deposit,
            Status = PaymentStatus.Failed,
            CreatedAt = new DateTimeOffset(2026, 3, 2, 9, 15, 0, TimeSpan.Zero),
            ScheduledFor = new DateOnly(2026, 3, 20),
            PaidBy = "Pat Payer",
            MethodDescription = "Visa •••• 4242",
            Amount = Usd(1_003m),
            DiscountTotal = Usd(0m),
            ShortTotal = Usd(0m),
            CreditsApplied = Usd(0m),
            Fee = Usd(3m),
            Lines = [],
            Memo = "Vorauszahlung Frühjahrsbestellung",
            FailureReason = "Karte abgelehnt",
        };
        var returnedPayment = failedDeposit with
        {
            Kind = PaymentKind.InvoicePayment,
            Status = PaymentStatus.Returned,
            ScheduledFor = null,
            FailureReason = null,
            Fee = Usd(0m),
            Amount = Usd(1_020m),
            DiscountTotal = Usd(60m),
            ShortTotal = Usd(120m),
            Memo = "Sammelzahlung März",
            Lines = [.. Enumerable.Range(0, 60).Select(i => new ReceiptLine
            {
                InvoiceNumber = $"INV-{i:D3}", Type = OpenItemType.Invoice, OpenBalance = Usd(20m), Discount = Usd(1m), ShortAmount = Usd(2m),
                ShortReason = "Beschädigt", Comment = i == 0 ? "Zwei Kartons eingedrückt" : null, Applied = Usd(17m),
            })],
        };

        var deposit = PdfText.Words(ReceiptPdfRenderer.Render(failedDeposit, text: texts));
        var payment = PdfText.Words(ReceiptPdfRenderer.Render(returnedPayment, text: texts));

        foreach (var expected in new[] { "Art Anzahlung", "Status Fehlgeschlagen (nichts belastet)", "Geplant für 20.03.2026", "Nicht belastet Karte abgelehnt",
                     "Anzahlung auf das Konto USD 1.000,00", "Servicegebühr USD 3,00", "Versuchter Betrag USD 1.003,00", "Anzahlungsnotiz Vorauszahlung" })
        {
            Assert.Contains(expected, deposit);
        }
        // Only a paid payment is a "Zahlungsbeleg"; a failed or returned one says what became of it, not "Bezahlt von".
        Assert.StartsWith("Zahlung R-260302-7KQ9ZX – fehlgeschlagen Zahler", deposit, StringComparison.Ordinal);
        Assert.StartsWith("Zahlung R-260302-7KQ9ZX – von der Bank zurückgebucht Zahler", payment, StringComparison.Ordinal);
        Assert.Contains("Veranlasst von Pat Payer", deposit + payment);
        Assert.Contains("Zahlung R-260302-7KQ9ZX – Seite 2", payment);
        Assert.DoesNotContain("Bezahlt von", deposit + payment, StringComparison.Ordinal);
        Assert.DoesNotContain("Zahlungsbeleg", deposit + payment, StringComparison.Ordinal);
        foreach (var expected in new[] { "Status Von der Bank zurückgebucht", "Kommentar: Zwei Kartons eingedrückt", "Rechnungsaufstellung (Fortsetzung)",
                     "Skonto USD -60,00", "Kürzungen USD -120,00", "Betrag (zurückgebucht, nicht bezahlt) USD 1.020,00", "Notiz Sammelzahlung", "Seite 2" })
        {
            Assert.Contains(expected, payment);
        }
        var scheduled = PdfText.Words(ReceiptPdfRenderer.Render(returnedPayment with { Status = PaymentStatus.Scheduled }, text: texts));
        var cancelled = PdfText.Words(ReceiptPdfRenderer.Render(returnedPayment with { Status = PaymentStatus.Cancelled }, text: texts));
        Assert.Contains("Zu belastender Betrag USD 1.020,00", scheduled);
        Assert.Contains("Betrag (storniert, nicht belastet) USD 1.020,00", cancelled);
        Assert.DoesNotContain("Gezahlter Betrag", scheduled + cancelled);
        // Refunded after it was charged: neither paid nor "not charged"; the method in the reader's words, as on the page.
        const string Bank = "Sandbox Bank checking •••• 6789";
        var refunded = PdfText.Words(ReceiptPdfRenderer.Render(returnedPayment with
        {
            Status = PaymentStatus.Refunded, FailureReason = "Die Zahlung wurde erstattet.", MethodDescription = Bank,
        }, text: texts));
        Assert.Contains("Betrag (erstattet, nicht bezahlt) USD 1.020,00", refunded);
        Assert.True(refunded.Contains("Rückbuchung Die Zahlung wurde erstattet.", StringComparison.Ordinal), refunded);
        Assert.DoesNotContain("Nicht belastet", refunded);
        var german = PaymentText.Method(L, Bank);
        Assert.NotEqual(Bank, german);
        Assert.Contains($"Zahlungsmethode {german}", refunded);
        // A label too long for its place is cut with "...".
        Assert.DoesNotContain("...", deposit + payment + scheduled + cancelled, StringComparison.Ordinal);
    }
}
