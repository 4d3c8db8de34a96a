using System.Globalization;
using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Pdf;

/// <summary>
/// Renders a <see cref="PaymentReceipt"/> as a PDF (PDFsharp, US Letter): payer, account, date, receipt number,
/// method, status, the invoice breakdown (continued on further pages when long), credits, totals and the deposit
/// note. Its words, the culture of amounts and dates and the zone of the payment time come from a <see cref="ReceiptPdfText"/>
/// (English, invariant and UTC by default). Fonts come from <see cref="PortalFontResolver"/>, so no system font is needed.
/// </summary>
public static class ReceiptPdfRenderer
{
    private const double Margin = 50;
    private const double RowHeight = 16;

    /// <summary>The breakdown's columns: title, width in points, right-aligned (a number).</summary>
    private static (string Title, double Width, bool Number)[] Columns(ReceiptPdfText t) =>
    [
        (t.ColumnInvoice, 120, false),
        (t.ColumnOpenBalance, 88, true),
        (t.ColumnDiscount, 64, true),
        (t.ColumnShortPaid, 64, true),
        (t.ColumnShortReason, 104, false),
        (t.ColumnApplied, 72, true),
    ];

    /// <summary>The PDF bytes of <paramref name="receipt"/>, headed by the merchant's logo and name when <paramref name="merchant"/> has them.</summary>
    /// <param name="receipt">The receipt.</param>
    /// <param name="merchant">The host's merchant options (<c>CustomerPortalPayments:Merchant</c>); null for no merchant line.</param>
    /// <param name="text">The words, culture and time zone to print in; null for <see cref="ReceiptPdfText.English"/>.</param>
    public static byte[] Render(PaymentReceipt receipt, MerchantOptions? merchant = null, ReceiptPdfText? text = null)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var t = text ?? ReceiptPdfText.English;
        PortalFontResolver.EnsureInstalled();
        using var document = new PdfDocument();
        // Only a paid payment is a receipt; a failed or returned one says so from its title on (as its page does).
        var paid = ReceiptPdfText.IsPaid(receipt.Status);
        document.Info.Title = t.Format(t.TitleOf(receipt.Status), receipt.ReceiptNumber);
        document.Info.Subject = t.Format(paid ? t.Subject : t.SubjectNotPaid, receipt.AccountName, receipt.AccountId);
        if (!string.IsNullOrWhiteSpace(merchant?.Name))
        {
            document.Info.Author = merchant.Name;
        }
        using (var writer = new Writer(document, page => t.Format(paid ? t.Footer : t.FooterNotPaid, receipt.ReceiptNumber, page)))
        {
            Merchant(writer, merchant);
            Header(writer, receipt, t);
            Breakdown(writer, receipt, t);
            Totals(writer, receipt, t);
        }
        using var output = new MemoryStream();
        document.Save(output, closeStream: false);
        return output.ToArray();
    }

    /// <summary>The merchant's logo (at most 160 × 48 points, proportions kept) and name above the receipt.</summary>
    private static void Merchant(Writer w, MerchantOptions? merchant)
    {
        if (merchant?.LogoFilePath is { } path && File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            using var logo = XImage.FromStream(stream);
            w.Image(logo, maxWidth: 160, maxHeight: 48, gapAfter: 6);
        }
        if (!string.IsNullOrWhiteSpace(merchant?.Name))
        {
            w.Line(merchant.Name.Trim(), w.Heading, gapAfter: 10);
        }
    }

    private static void Header(Writer w, PaymentReceipt r, ReceiptPdfText t)
    {
        // Wrapped, not cut: a title that says what became of the payment ("Zahlung … – von der Bank zurückgebucht") can be
        // wider than the page.
        w.Wrapped(t.Format(t.TitleOf(r.Status), r.ReceiptNumber), w.Title, indent: 0);
        w.Gap(6);
        w.Fact(t.Payer, $"{r.AccountName} ({r.AccountId})");
        w.Fact(ReceiptPdfText.IsPaid(r.Status) ? t.PaidBy : t.SubmittedBy, r.PaidBy);
        var paidAt = TimeZoneInfo.ConvertTime(r.CreatedAt, t.TimeZone);
        w.Fact(t.Date, t.Format(t.DateValue, paidAt.DateTime, ZoneName(paidAt.Offset)));
        w.Fact(t.ReceiptNumber, r.ReceiptNumber);
        w.Fact(t.Kind, t.KindName(r.Kind));
        w.Fact(t.Method, t.MethodName(r.MethodDescription));
        w.Fact(t.Status, t.StatusName(r.Status));
        if (r.ScheduledFor is { } on)
        {
            w.Fact(t.ScheduledFor, t.Format(t.ScheduledDate, on));
        }
        if (r.GatewayReference is not null)
        {
            w.Fact(t.Reference, r.GatewayReference);
        }
        if (r.FailureReason is not null)
        {
            // Returned or refunded: it was charged, then the money went back.
            w.Fact(r.Status is PaymentStatus.Returned or PaymentStatus.Refunded ? t.Reversed : t.NotCharged, r.FailureReason);
        }
        w.Gap(10);
    }

    private static void Breakdown(Writer w, PaymentReceipt r, ReceiptPdfText t)
    {
        if (r.Lines.Count == 0)
        {
            return;
        }
        var columns = Columns(t);
        w.Line(t.Format(t.Breakdown, r.Amount.Currency), w.Heading, gapAfter: 4);
        w.TableHeader(columns);
        void Continued()
        {
            w.Line(t.BreakdownContinued, w.Heading, gapAfter: 4);
            w.TableHeader(columns);
        }
        foreach (var line in r.Lines)
        {
            var number = line.Type == Erp.OpenItemType.Invoice ? line.InvoiceNumber : $"{line.InvoiceNumber} ({t.TypeName(line.Type)})";
            w.TableRow(columns,
            [
                number, Amount(line.OpenBalance, t), line.Discount.IsZero ? "-" : Amount(line.Discount, t),
                line.ShortAmount.IsZero ? "-" : Amount(line.ShortAmount, t), line.ShortReason ?? "", Amount(line.Applied, t),
            ], Continued);
            if (!string.IsNullOrWhiteSpace(line.Comment))
            {
                // The payer's short-pay comment (the reason "Other" needs one) in full, wrapped under its line.
                w.Wrapped(t.Format(t.Comment, line.Comment.Trim()), w.Small, indent: 12);
            }
        }
        w.Gap(10);
    }

    private static void Totals(Writer w, PaymentReceipt r, ReceiptPdfText t)
    {
        var invoices = r.Lines.Where(l => l.OpenBalance.Amount > 0m).Aggregate(Money.Zero(r.Amount.Currency), (sum, l) => sum + l.OpenBalance);
        if (r.Lines.Count > 0)
        {
            w.Total(t.TotalInvoices, invoices.ToString(t.Culture), bold: false);
            w.Total(t.TotalDiscounts, (-r.DiscountTotal).ToString(t.Culture), bold: false);
            w.Total(t.TotalShortPaid, (-r.ShortTotal).ToString(t.Culture), bold: false);
            w.Total(t.TotalCredits, (-r.CreditsApplied).ToString(t.Culture), bold: false);
        }
        if (!r.Fee.IsZero)
        {
            if (r.Kind == PaymentKind.Deposit)
            {
                // What went on account, apart from the fee charged with it.
                w.Total(t.DepositAmount, (r.Amount - r.Fee).ToString(t.Culture), bold: false);
            }
            w.Total(r.FeeLabel ?? t.ConvenienceFee, r.Fee.ToString(t.Culture), bold: false);
        }
        var total = r.Status switch
        {
            PaymentStatus.Failed => t.AmountAttempted,
            PaymentStatus.Scheduled => t.AmountScheduled,
            PaymentStatus.Cancelled => t.AmountCancelled,
            PaymentStatus.Charging or PaymentStatus.Unconfirmed or PaymentStatus.RequiresAction => t.AmountUnconfirmed,
            PaymentStatus.Returned => t.AmountReturned,
            PaymentStatus.Refunded => t.AmountRefunded,
            _ => t.AmountPaid,
        };
        w.Total(total, r.Amount.ToString(t.Culture), bold: true);
        if (!string.IsNullOrWhiteSpace(r.Memo))
        {
            w.Gap(10);
            w.Fact(r.Kind == PaymentKind.Deposit ? t.DepositNote : t.Note, r.Memo);
        }
    }

    /// <summary>A table amount without the code (the heading names the currency once).</summary>
    private static string Amount(Money money, ReceiptPdfText t) =>
        money.Amount.ToString("N" + CurrencyInfo.Get(money.Currency).MinorUnits, t.Culture);

    /// <summary>"UTC", or the offset from it ("UTC+01:00", "UTC-05:00"), after the payment time.</summary>
    private static string ZoneName(TimeSpan offset) =>
        offset == TimeSpan.Zero ? "UTC" : "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    /// <summary>Writes top to bottom, starting a new page (with a footer) when the current one is full.</summary>
    private sealed class Writer : IDisposable
    {
        private readonly PdfDocument _document;
        private readonly Func<int, string> _footer;
        private readonly XFont _text = new(PortalFontResolver.FamilyName, 10);
        private readonly XFont _bold = new(PortalFontResolver.FamilyName, 10, XFontStyleEx.Bold);
        private readonly XFont _small = new(PortalFontResolver.FamilyName, 8);
        private PdfPage _page = null!;
        private XGraphics _gfx = null!;
        private double _y;

        /// <param name="document">The document to add pages to.</param>
        /// <param name="footer">The footer of the page with the given number.</param>
        public Writer(PdfDocument document, Func<int, string> footer)
        {
            _document = document;
            _footer = footer;
            NewPage();
        }

        public XFont Title { get; } = new(PortalFontResolver.FamilyName, 18, XFontStyleEx.Bold);
        public XFont Heading { get; } = new(PortalFontResolver.FamilyName, 12, XFontStyleEx.Bold);
        public XFont Small { get; } = new(PortalFontResolver.FamilyName, 9);

        private double Width => _page.Width.Point - 2 * Margin;

        public bool NeedsPage(double height) => _y + height > _page.Height.Point - Margin - 20;

        public void NewPage()
        {
            _gfx?.Dispose();
            _page = _document.AddPage();
            _page.Size = PageSize.Letter;
            _gfx = XGraphics.FromPdfPage(_page);
            _y = Margin;
            var footer = _footer(_document.PageCount);
            _gfx.DrawString(footer, _small, XBrushes.DimGray, new XRect(Margin, _page.Height.Point - Margin, Width, 12), XStringFormats.TopRight);
        }

        public void Gap(double points) => _y += points;

        public void Image(XImage image, double maxWidth, double maxHeight, double gapAfter)
        {
            var scale = Math.Min(1, Math.Min(maxWidth / image.PointWidth, maxHeight / image.PointHeight));
            var (width, height) = (image.PointWidth * scale, image.PointHeight * scale);
            EnsureRoom(height + gapAfter);
            _gfx.DrawImage(image, Margin, _y, width, height);
            _y += height + gapAfter;
        }

        public void Line(string text, XFont font, double gapAfter)
        {
            var height = font.GetHeight() + gapAfter;
            EnsureRoom(height);
            _gfx.DrawString(Fit(text, font, Width), font, XBrushes.Black, new XRect(Margin, _y, Width, font.GetHeight()), XStringFormats.TopLeft);
            _y += height;
        }

        /// <summary>Text over as many lines as it needs, <paramref name="indent"/> points in from the margin.</summary>
        public void Wrapped(string text, XFont font, double indent)
        {
            var width = Width - indent;
            foreach (var line in Lines(text, font, width))
            {
                var height = font.GetHeight() + 2;
                EnsureRoom(height);
                _gfx.DrawString(line, font, XBrushes.Black, new XRect(Margin + indent, _y, width, height), XStringFormats.TopLeft);
                _y += height;
            }
        }

        /// <summary>
        /// <paramref name="text"/> in lines no wider than <paramref name="width"/>, broken between words; a word wider than
        /// a line (a long invoice number, link or reference) is broken where the line is full, never cut off.
        /// </summary>
        private List<string> Lines(string text, XFont font, double width)
        {
            var lines = new List<string>();
            var line = "";
            foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                var word = token;
                while (_gfx.MeasureString(word, font).Width > width)
                {
                    if (line.Length > 0)
                    {
                        lines.Add(line);
                        line = "";
                    }
                    var fits = word.Length - 1;
                    while (fits > 1 && _gfx.MeasureString(word[..fits], font).Width > width)
                    {
                        fits--;
                    }
                    lines.Add(word[..fits]);
                    word = word[fits..];
                }
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (line.Length > 0 && _gfx.MeasureString(candidate, font).Width > width)
                {
                    lines.Add(line);
                    line = word;
                }
                else
                {
                    line = candidate;
                }
            }
            if (line.Length > 0 || lines.Count == 0)
            {
                lines.Add(line);
            }
            return lines;
        }

        /// <summary>
        /// A label and its value; a value wider than the page (why a payment failed, a deposit's note of up to 500
        /// characters, a long method or payer name) is wrapped over as many lines as it needs, never cut off.
        /// </summary>
        public void Fact(string label, string value)
        {
            var lines = Lines(value, _text, Width - 115);
            EnsureRoom(RowHeight + (lines.Count - 1) * LineHeight);
            _gfx.DrawString(Fit(label, _bold, 110), _bold, XBrushes.Black, new XRect(Margin, _y, 110, RowHeight), XStringFormats.TopLeft);
            for (var i = 0; i < lines.Count; i++)
            {
                _gfx.DrawString(lines[i], _text, XBrushes.Black, new XRect(Margin + 115, _y + i * LineHeight, Width - 115, RowHeight), XStringFormats.TopLeft);
            }
            _y += RowHeight + (lines.Count - 1) * LineHeight;
        }

        /// <summary>The table's column titles, each wrapped to its column, with room for a row under them.</summary>
        public void TableHeader((string Title, double Width, bool Number)[] columns)
        {
            var titles = Layout(columns, [.. columns.Select(c => c.Title)], _bold, wrapNumbers: true);
            EnsureRoom(Height(titles) + RowHeight);
            Draw(columns, titles, _bold);
            _gfx.DrawLine(XPens.Black, Margin, _y - 2, Margin + Width, _y - 2);
        }

        /// <summary>
        /// A row of the table: its text cells wrapped to their columns (an invoice number, a credit memo's type or a host's
        /// short-pay reason is printed whole, as the page shows it), its amounts on the first line. Starts a page with
        /// <paramref name="continued"/> first when the row does not fit on this one.
        /// </summary>
        public void TableRow((string Title, double Width, bool Number)[] columns, string[] cells, Action continued)
        {
            var lines = Layout(columns, cells, _text, wrapNumbers: false);
            if (NeedsPage(Height(lines)))
            {
                NewPage();
                continued();
            }
            Draw(columns, lines, _text);
            _gfx.DrawLine(XPens.LightGray, Margin, _y - 2, Margin + Width, _y - 2);
        }

        // The lines of each cell: text wrapped to its column; an amount on one line unless asked.
        private List<string>[] Layout((string Title, double Width, bool Number)[] columns, string[] cells, XFont font, bool wrapNumbers) =>
            [.. columns.Select((c, i) => c.Number && !wrapNumbers ? [cells[i]] : Lines(cells[i], font, c.Width - 4))];

        private double Height(List<string>[] lines) => RowHeight + (lines.Max(l => l.Count) - 1) * LineHeight;

        private void Draw((string Title, double Width, bool Number)[] columns, List<string>[] lines, XFont font)
        {
            var x = Margin;
            for (var i = 0; i < columns.Length; i++)
            {
                var (_, width, number) = columns[i];
                for (var l = 0; l < lines[i].Count; l++)
                {
                    var box = new XRect(x + 2, _y + l * LineHeight, width - 4, RowHeight);
                    _gfx.DrawString(Fit(lines[i][l], font, width - 4), font, XBrushes.Black, box, number ? XStringFormats.TopRight : XStringFormats.TopLeft);
                }
                x += width;
            }
            _y += Height(lines);
        }

        // The distance between the lines of a wrapped cell.
        private double LineHeight => _text.GetHeight() + 1;

        public void Total(string label, string amount, bool bold)
        {
            EnsureRoom(RowHeight);
            var font = bold ? _bold : _text;
            var right = Margin + Width;
            // The label's box ends where the amount's begins: room for "Amount (cancelled, not charged)" in bold.
            _gfx.DrawString(Fit(label, font, 216), font, XBrushes.Black, new XRect(right - 360, _y, 216, RowHeight), XStringFormats.TopLeft);
            _gfx.DrawString(amount, font, XBrushes.Black, new XRect(right - 140, _y, 140, RowHeight), XStringFormats.TopRight);
            _y += RowHeight;
        }

        public void Dispose() => _gfx.Dispose();

        private void EnsureRoom(double height)
        {
            if (NeedsPage(height))
            {
                NewPage();
            }
        }

        /// <summary>The text, shortened with "..." to fit <paramref name="width"/>.</summary>
        private string Fit(string text, XFont font, double width)
        {
            if (_gfx.MeasureString(text, font).Width <= width)
            {
                return text;
            }
            var cut = text.Length;
            while (cut > 0 && _gfx.MeasureString(text[..cut] + "...", font).Width > width)
            {
                cut--;
            }
            return text[..cut] + "...";
        }
    }
}
