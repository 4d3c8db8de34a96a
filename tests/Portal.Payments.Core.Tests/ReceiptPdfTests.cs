using System.Globalization;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Pdf;
using Portal.Payments.Services.Payments;
using UglyToad.PdfPig;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The receipt PDF, read back with PdfPig.</summary>
public sealed class ReceiptPdfTests
{
    private static Money Usd(decimal amount) => Money.Create(amount, "USD");

    private static PaymentReceipt Receipt(int lines, PaymentKind kind = PaymentKind.InvoicePayment, string? memo = null) => new()
    {
        PaymentId = Guid.NewGuid(),
        ReceiptNumber = "R-260302-7KQ9ZX",
        AccountId = "C-1001",
        AccountName = "Ünïcode Trading GmbH",
        Kind = kind,
        Status = PaymentStatus.Succeeded,
        CreatedAt = new DateTimeOffset(2026, 3, 2, 9, 15, 0, TimeSpan.Zero),
        PaidBy = "Pat Payer",
        MethodDescription = "Visa •••• 4242",
        Amount = Usd(1_180m + (lines - 3) * 10m),
        DiscountTotal = Usd(20m),
        ShortTotal = Usd(5m),
        CreditsApplied = Usd(50.50m),
        Lines =
        [
            new ReceiptLine { InvoiceNumber = "INV-10", Type = OpenItemType.Invoice, OpenBalance = Usd(1_000m), Discount = Usd(20m), ShortAmount = Usd(0m), Applied = Usd(980m) },
            new ReceiptLine { InvoiceNumber = "INV-11", Type = OpenItemType.Invoice, OpenBalance = Usd(255.50m), Discount = Usd(0m), ShortAmount = Usd(5m), ShortReason = "Damaged goods", Applied = Usd(250.50m) },
            new ReceiptLine { InvoiceNumber = "CM-12", Type = OpenItemType.CreditMemo, OpenBalance = Usd(-50.50m), Discount = Usd(0m), ShortAmount = Usd(0m), Applied = Usd(-50.50m) },
            .. Enumerable.Range(0, lines - 3).Select(i => new ReceiptLine
            {
                InvoiceNumber = $"BULK-{i:D3}", Type = OpenItemType.Invoice, OpenBalance = Usd(10m), Discount = Usd(0m), ShortAmount = Usd(0m), Applied = Usd(10m),
            }),
        ],
        Memo = memo,
        GatewayReference = "sbx_ch_123",
    };

    [Fact]
    public void Receipt_pdf_holds_number_payer_amounts_and_invoice_breakdown()
    {
        var bytes = ReceiptPdfRenderer.Render(Receipt(3));

        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        using var pdf = PdfDocument.Open(bytes);
        var page = Assert.Single(pdf.GetPages());
        var text = string.Join("\n", page.GetWords().Select(w => w.Text));
        foreach (var expected in new[] { "R-260302-7KQ9ZX", "Ünïcode", "C-1001", "Pat", "Visa", "4242", "Paid", "INV-10", "INV-11", "CM-12",
                     "1,000.00", "980.00", "255.50", "250.50", "-50.50", "20.00", "Damaged", "1,180.00", "sbx_ch_123" })
        {
            Assert.Contains(expected, text);
        }
        Assert.Contains("USD 1,180.00", page.Text);
    }

    [Fact]
    public void An_Other_short_pay_comment_is_printed_in_full_and_no_column_title_is_cut()
    {
        const string comment = "Pallet 3 arrived with crushed corners; we keep the goods at the agreed 5 % reduction and will send photos of every carton to your claims desk";
        var receipt = Receipt(3);
        receipt = receipt with
        {
            Lines = [.. receipt.Lines.Select(l => l.InvoiceNumber == "INV-11" ? l with { ShortReason = "Other", Comment = comment } : l)],
        };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var text = string.Join(" ", Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text));
        Assert.Contains("Comment: " + comment, text);
        foreach (var title in new[] { "Invoice", "Open balance", "Discount", "Short paid", "Short-pay reason", "Applied" })
        {
            Assert.Contains(title, text);
        }
    }

    [Fact]
    public void A_comment_word_wider_than_the_page_is_broken_over_lines_not_cut_off()
    {
        var link = "https://claims.example.test/" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i:D2}ab"));
        var receipt = Receipt(3);
        receipt = receipt with
        {
            Lines = [.. receipt.Lines.Select(l => l.InvoiceNumber == "INV-11" ? l with { ShortReason = "Other", Comment = "Photos: " + link } : l)],
        };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var text = string.Concat(Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text));
        Assert.Contains("Photos:" + link, text);
        Assert.DoesNotContain("…", text);
    }

    [Fact]
    public void A_long_breakdown_continues_on_further_pages_and_a_deposit_shows_its_note()
    {
        var bytes = ReceiptPdfRenderer.Render(Receipt(120, memo: "Advance for the spring order"));

        using var pdf = PdfDocument.Open(bytes);
        var pages = pdf.GetPages().ToList();
        Assert.True(pages.Count >= 3, $"{pages.Count} pages");
        var all = string.Join("\n", pages.Select(p => p.Text));
        Assert.Contains("BULK-000", pages[0].Text);
        Assert.Contains("BULK-116", pages[^1].Text);
        Assert.Contains("Invoice breakdown (continued)", pages[1].Text);
        Assert.Contains($"page {pages.Count}", pages[^1].Text);
        Assert.Contains("Advance for the spring order", all);
        Assert.Equal(117, Enumerable.Range(0, 117).Count(i => all.Contains($"BULK-{i:D3}", StringComparison.Ordinal)));
    }

    [Fact]
    public void Without_texts_the_receipt_is_English_with_invariant_amounts_and_the_time_in_UTC()
    {
        var receipt = Receipt(3) with { ScheduledFor = new DateOnly(2026, 3, 20) };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var text = string.Join(" ", Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text));
        foreach (var expected in new[] { "Receipt R-260302-7KQ9ZX", "Date Mar 2, 2026 09:15 UTC", "Scheduled for Mar 20, 2026", "Kind Invoice payment",
                     "Invoice breakdown (amounts in USD)", "CM-12 (Credit", "Amount paid USD 1,180.00", "Receipt R-260302-7KQ9ZX - page 1" })
        {
            Assert.Contains(expected, text);
        }
        Assert.Equal("Receipt R-260302-7KQ9ZX", pdf.Information.Title);
        Assert.Equal("Payment receipt for Ünïcode Trading GmbH (C-1001)", pdf.Information.Subject);
    }

    // Review: the breakdown cut an invoice number longer than its column ("INV-2026-000..."), a credit memo's type, and a
    // host's short-pay reason with "...": an AP clerk could not match the invoices.
    [Fact]
    public void Long_invoice_numbers_types_and_reasons_are_printed_whole_on_as_many_lines_as_they_need()
    {
        const string Reason = "Goods arrived damaged in transit and the carrier confirmed it on the delivery note";
        var receipt = Receipt(3) with
        {
            Lines =
            [
                new ReceiptLine { InvoiceNumber = "INV-2026-000123", Type = OpenItemType.Invoice, OpenBalance = Usd(1_000m), Discount = Usd(0m), ShortAmount = Usd(5m), ShortReason = Reason, Applied = Usd(995m) },
                new ReceiptLine { InvoiceNumber = "CM-ACM100021", Type = OpenItemType.CreditMemo, OpenBalance = Usd(-50.50m), Discount = Usd(0m), ShortAmount = Usd(0m), Applied = Usd(-50.50m) },
                new ReceiptLine { InvoiceNumber = "INV-SUPERCALIFRAGILISTIC-0001", Type = OpenItemType.Invoice, OpenBalance = Usd(10m), Discount = Usd(0m), ShortAmount = Usd(0m), Applied = Usd(10m) },
            ],
        };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var words = Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text).ToList();
        var text = string.Join(" ", words);

        Assert.Contains("INV-2026-000123", words);
        Assert.Contains("CM-ACM100021", words);
        Assert.Contains("(Credit", words);
        Assert.Contains("memo)", words);
        Assert.All(Reason.Split(' '), w => Assert.Contains(w, words));
        // A number wider than its column is broken across lines, every character kept.
        Assert.Contains("INV-SUPERCALIFRAGILISTIC-0001", string.Concat(words.SkipWhile(w => !w.StartsWith("INV-SUPER", StringComparison.Ordinal)).Where(w => w != "-" && !w.Contains('.', StringComparison.Ordinal))));
        Assert.DoesNotContain("...", text, StringComparison.Ordinal);
        // The rows do not overlap: each amount is printed once, on its own row.
        Assert.Equal(1, words.Count(w => w == "995.00"));
    }

    // Review: the facts above the breakdown were cut to one line with "...": a deposit's note (up to 500 characters) and
    // the reason a payment failed or was returned (the portal's own reasons run to 300 characters in German) were lost.
    [Fact]
    public void A_long_deposit_note_and_a_long_failure_reason_are_printed_whole()
    {
        const string Note = "Advance for the spring order of pallets 1 to 40, to be applied against invoices of the Hamburg warehouse once issued; contact accounts payable before applying it anywhere else";
        const string Reason = "Invoices of this payment were paid, changed or disputed before its date. Nothing was charged; select the invoices again and pay or schedule them";
        var deposit = Receipt(3, PaymentKind.Deposit, Note) with { Lines = [] };
        var failed = Receipt(3) with { Status = PaymentStatus.Failed, FailureReason = Reason };

        using var depositPdf = PdfDocument.Open(ReceiptPdfRenderer.Render(deposit));
        using var failedPdf = PdfDocument.Open(ReceiptPdfRenderer.Render(failed));
        var depositText = string.Join(" ", Assert.Single(depositPdf.GetPages()).GetWords().Select(w => w.Text));
        var failedWords = Assert.Single(failedPdf.GetPages()).GetWords().Select(w => w.Text).ToList();

        Assert.Contains("Deposit note " + Note, depositText);
        Assert.DoesNotContain("...", depositText, StringComparison.Ordinal);
        Assert.Contains("Not charged " + Reason, string.Join(" ", failedWords));
        Assert.DoesNotContain("...", string.Join(" ", failedWords), StringComparison.Ordinal);
        // The lines after the reason are not printed over it: the breakdown still reads once.
        Assert.Equal(1, failedWords.Count(w => w == "980.00"));
    }

    // Review: the PDF of a failed or returned payment was titled "Receipt …", with "Paid by" and a "Receipt … - page 1"
    // footer, though its status said it failed or came back; only a paid payment is a receipt (as on its page).
    [Theory]
    [InlineData(PaymentStatus.Succeeded, "Receipt R-260302-7KQ9ZX", "Paid by", "Receipt R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Failed, "Payment R-260302-7KQ9ZX — failed", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Returned, "Payment R-260302-7KQ9ZX — returned by the bank", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Refunded, "Payment R-260302-7KQ9ZX — refunded", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Processing, "Payment R-260302-7KQ9ZX — processing", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Unconfirmed, "Payment R-260302-7KQ9ZX — not confirmed yet", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Scheduled, "Scheduled payment R-260302-7KQ9ZX", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    [InlineData(PaymentStatus.Cancelled, "Payment R-260302-7KQ9ZX — cancelled", "Submitted by", "Payment R-260302-7KQ9ZX - page 1")]
    public void Only_a_paid_payment_is_titled_a_receipt_and_paid_by_its_payer(PaymentStatus status, string title, string madeBy, string footer)
    {
        var receipt = Receipt(3) with { Status = status };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var page = Assert.Single(pdf.GetPages());
        var text = string.Join(" ", page.GetWords().Select(w => w.Text));

        Assert.Equal(title, pdf.Information.Title);
        Assert.StartsWith(title + " ", text, StringComparison.Ordinal);
        Assert.Contains($"{madeBy} {receipt.PaidBy}", text);
        Assert.Contains(footer, text);
        if (status != PaymentStatus.Succeeded)
        {
            Assert.DoesNotContain("Paid by", text);
            Assert.DoesNotContain("Receipt R-", text);
            Assert.Equal("Payment details for Ünïcode Trading GmbH (C-1001)", pdf.Information.Subject);
        }
    }

    [Theory]
    [InlineData(PaymentStatus.Scheduled, "Amount to be charged USD 1,180.00")]
    [InlineData(PaymentStatus.Cancelled, "Amount (cancelled, not charged) USD 1,180.00")]
    [InlineData(PaymentStatus.Failed, "Amount attempted USD 1,180.00")]
    [InlineData(PaymentStatus.Succeeded, "Amount paid USD 1,180.00")]
    [InlineData(PaymentStatus.Unconfirmed, "Amount (not confirmed yet) USD 1,180.00")]
    [InlineData(PaymentStatus.RequiresAction, "Amount (not confirmed yet) USD 1,180.00")]
    [InlineData(PaymentStatus.Returned, "Amount (returned, not paid) USD 1,180.00")]
    [InlineData(PaymentStatus.Refunded, "Amount (refunded, not paid) USD 1,180.00")]
    public void The_total_says_whether_the_amount_was_paid_is_still_to_be_charged_or_never_was(PaymentStatus status, string expected)
    {
        var receipt = Receipt(3) with { Status = status, ScheduledFor = new DateOnly(2026, 3, 20) };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt));
        var text = string.Join(" ", Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text));

        Assert.Contains(expected, text);
        if (status != PaymentStatus.Succeeded)
        {
            Assert.DoesNotContain("Amount paid", text);
        }
    }

    [Fact]
    public void A_German_reader_gets_German_words_amounts_and_dates_and_the_time_in_their_zone()
    {
        var german = new ReceiptPdfText
        {
            Culture = CultureInfo.GetCultureInfo("de-DE"),
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"),
            Title = "Zahlungsbeleg {0}",
            Subject = "Zahlungsbeleg für {0} ({1})",
            Footer = "Zahlungsbeleg {0} - Seite {1}",
            Date = "Datum",
            DateValue = "{0:dd.MM.yyyy HH:mm} {1}",
            ScheduledFor = "Geplant für",
            ScheduledDate = "{0:dd.MM.yyyy}",
            Breakdown = "Rechnungsaufstellung (Beträge in {0})",
            ColumnOpenBalance = "Offener Saldo",
            AmountPaid = "Gezahlter Betrag",
            StatusName = s => s == PaymentStatus.Succeeded ? "Bezahlt" : s.ToString(),
            TypeName = t => t == OpenItemType.CreditMemo ? "Gutschrift" : t.ToString(),
        };
        var receipt = Receipt(3) with { ScheduledFor = new DateOnly(2026, 3, 20) };

        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(receipt, text: german));
        var text = string.Join(" ", Assert.Single(pdf.GetPages()).GetWords().Select(w => w.Text));
        // Paid at 09:15 UTC: 10:15 in Berlin (winter time). The number column cuts the type name to fit, as in English.
        foreach (var expected in new[] { "Zahlungsbeleg R-260302-7KQ9ZX", "Datum 02.03.2026 10:15 UTC+01:00", "Geplant für 20.03.2026", "Status Bezahlt",
                     "Rechnungsaufstellung (Beträge in USD)", "Offener Saldo", "INV-10 1.000,00 20,00", "CM-12 (Gutschrift)", "-50,50",
                     "Gezahlter Betrag USD 1.180,00", "Zahlungsbeleg R-260302-7KQ9ZX - Seite 1" })
        {
            Assert.Contains(expected, text);
        }
        foreach (var english in new[] { "Receipt R-", "Mar 2", "UTC ", "1,000.00", "1,180.00", "Invoice breakdown", "Open balance", "Amount paid", "page 1" })
        {
            Assert.DoesNotContain(english, text);
        }
        Assert.Equal("Zahlungsbeleg R-260302-7KQ9ZX", pdf.Information.Title);
        Assert.Equal("Zahlungsbeleg für Ünïcode Trading GmbH (C-1001)", pdf.Information.Subject);
    }

    [Fact]
    public void Fonts_come_from_the_assembly_not_the_system()
    {
        var bytes = ReceiptPdfRenderer.Render(Receipt(3));

        using var pdf = PdfDocument.Open(bytes);
        var fonts = pdf.GetPage(1).Letters.Select(l => l.FontName ?? "").Distinct().ToList();
        Assert.True(fonts.Count > 0, string.Join(";", fonts));
        Assert.All(fonts, f => Assert.True(f.Contains("DejaVu", StringComparison.Ordinal), string.Join(";", fonts)));
        Assert.Contains(fonts, f => f.Contains("Bold", StringComparison.Ordinal));
        // The resolver serves only its embedded faces and never a system family.
        Assert.Null(PortalFontResolver.Instance.ResolveTypeface("Arial", bold: false, italic: false));
        Assert.Null(PortalFontResolver.Instance.GetFont("Arial"));
        var regular = Assert.IsType<byte[]>(PortalFontResolver.Instance.GetFont("DejaVuSans"));
        Assert.Equal(0x00010000u, (uint)(regular[0] << 24 | regular[1] << 16 | regular[2] << 8 | regular[3]));
    }
}
