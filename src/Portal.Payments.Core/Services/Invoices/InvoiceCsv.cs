using System.Globalization;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Erp;

namespace Portal.Payments.Services.Invoices;

/// <summary>Display texts of open items, shared by the grid and the CSV export.</summary>
public static class InvoiceText
{
    /// <summary>"Invoice", "Credit memo", "Unapplied cash".</summary>
    public static string TypeName(OpenItemType type) => type switch
    {
        OpenItemType.CreditMemo => "Credit memo",
        OpenItemType.UnappliedCash => "Unapplied cash",
        _ => "Invoice",
    };

    /// <summary>"Open", "Pending", "Processing", or "Scheduled 2026-03-10" when the date is known.</summary>
    public static string StatusName(InvoiceStatus status, DateOnly? scheduledFor) => status switch
    {
        InvoiceStatus.Scheduled when scheduledFor is { } d => $"Scheduled {d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
        _ => status.ToString(),
    };
}

/// <summary>RFC 4180 CSV cells of the open-invoices export, guarded against spreadsheet formula injection.</summary>
internal static class InvoiceCsv
{
    private static readonly char[] NeedsQuotes = [',', '"', '\r', '\n'];
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    /// <summary>Writes one record (cells already guarded), CRLF-terminated.</summary>
    public static Task WriteLineAsync(TextWriter output, IEnumerable<string> cells, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        foreach (var cell in cells)
        {
            if (line.Length > 0)
            {
                line.Append(',');
            }
            line.Append(Escape(cell));
        }
        line.Append("\r\n");
        return output.WriteAsync(line, cancellationToken);
    }

    /// <summary>
    /// The text of one cell. Only text that comes from the ERP or a user (number, PO, reference) goes through
    /// <see cref="Guard"/>: amounts, dates, counts and enum names are formatted here, invariant, so they cannot hold a
    /// formula — and a credit's "-12.50" must stay a number the spreadsheet can add up, not become "'-12.50".
    /// </summary>
    public static string Cell(InvoiceData row, string field) => field switch
    {
        InvoiceFields.Number => Guard(row.Number),
        InvoiceFields.PoNumber => Guard(row.PoNumber),
        InvoiceFields.Reference => Guard(row.Reference),
        InvoiceFields.DocumentDate => Date(row.DocumentDate),
        InvoiceFields.DueDate => Date(row.DueDate),
        InvoiceFields.Original => Amount(row.OriginalMinor, row.Currency),
        InvoiceFields.OpenBalance => Amount(row.OpenMinor, row.Currency),
        InvoiceFields.Discount => row.DiscountMinor is { } d ? Amount(d, row.Currency) : "",
        InvoiceFields.DiscountDate => row.DiscountDate is { } dd ? Date(dd) : "",
        InvoiceFields.Type => InvoiceText.TypeName(row.Type),
        InvoiceFields.Status => InvoiceText.StatusName(row.Status, row.ScheduledFor),
        InvoiceFields.Comments => row.CommentCount.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not an invoice field."),
    };

    /// <summary>Prefixes a single quote to text a spreadsheet would read as a formula.</summary>
    public static string Guard(string? text) =>
        string.IsNullOrEmpty(text) ? "" : Array.IndexOf(FormulaStarts, text[0]) >= 0 ? "'" + text : text;

    /// <summary>Quotes a cell holding a comma, quote or line break, doubling its quotes.</summary>
    public static string Escape(string cell) =>
        cell.IndexOfAny(NeedsQuotes) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Amount(long minor, string currency)
    {
        var info = CurrencyInfo.Get(currency);
        return (minor / info.Factor).ToString("F" + info.MinorUnits, CultureInfo.InvariantCulture);
    }
}
