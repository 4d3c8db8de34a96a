using System.Buffers;
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

/// <summary>
/// One CSV cell. Text (any string converts to it) is always quoted and guarded against spreadsheet formulas; a number or
/// date formatted here, invariant, is written bare so the spreadsheet can add it up.
/// </summary>
/// <param name="Value">The cell's text.</param>
/// <param name="IsText">True for text (quoted, guarded); false for an invariant number or date.</param>
internal readonly record struct CsvCell(string Value, bool IsText)
{
    /// <summary>A text cell; null is an empty text cell.</summary>
    public static implicit operator CsvCell(string? text) => new(text ?? "", IsText: true);

    /// <summary>A number or date formatted invariant (digits, '-', '.', ':', ' '), or empty for no value.</summary>
    public static CsvCell Number(string formatted) => new(formatted, IsText: false);
}

/// <summary>
/// RFC 4180 CSV of the exports (open invoices, payment history, remittance), guarded against spreadsheet formula injection:
/// every text cell is quoted, and a formula character at the start of the cell or of any part a spreadsheet could split
/// off (after a separator or a line break, past any spaces) gets a leading apostrophe.
/// </summary>
internal static class InvoiceCsv
{
    /// <summary>Most column names one export request may name (before duplicates are dropped).</summary>
    public const int MaxRequestedColumns = 50;

    /// <summary>Where a spreadsheet may start a new cell: the separators of every locale (',', ';', tab, '|') and line breaks.</summary>
    private static readonly SearchValues<char> Separators = SearchValues.Create(",;\t|\r\n");

    /// <summary>Characters that make a spreadsheet read a cell as a formula, with their full-width forms.</summary>
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\uFF1D\uFF0B\uFF0D\uFF20");

    /// <summary>Writes one record, CRLF-terminated: text cells quoted and guarded, numbers bare.</summary>
    public static Task WriteLineAsync(TextWriter output, IEnumerable<CsvCell> cells, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        foreach (var cell in cells)
        {
            if (line.Length > 0)
            {
                line.Append(',');
            }
            if (cell.IsText)
            {
                line.Append('"').Append(Guard(cell.Value).Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                line.Append(cell.Value);
            }
        }
        line.Append("\r\n");
        return output.WriteAsync(line, cancellationToken);
    }

    /// <summary>Writes the header record (titles are text cells).</summary>
    public static Task WriteHeaderAsync(TextWriter output, IEnumerable<string> titles, CancellationToken cancellationToken) =>
        WriteLineAsync(output, titles.Select(t => (CsvCell)t), cancellationToken);

    /// <summary>
    /// The cell of one open item. Amounts, dates and counts are numbers: a credit's "-12.50" must stay a number the
    /// spreadsheet can add up, not become "'-12.50".
    /// </summary>
    public static CsvCell Cell(InvoiceData row, string field) => field switch
    {
        InvoiceFields.Number => row.Number,
        InvoiceFields.PoNumber => row.PoNumber,
        InvoiceFields.Reference => row.Reference,
        InvoiceFields.DocumentDate => CsvCell.Number(Date(row.DocumentDate)),
        InvoiceFields.DueDate => CsvCell.Number(Date(row.DueDate)),
        InvoiceFields.Original => CsvCell.Number(Amount(row.OriginalMinor, row.Currency)),
        InvoiceFields.OpenBalance => CsvCell.Number(Amount(row.OpenMinor, row.Currency)),
        InvoiceFields.Discount => CsvCell.Number(row.DiscountMinor is { } d ? Amount(d, row.Currency) : ""),
        InvoiceFields.DiscountDate => CsvCell.Number(row.DiscountDate is { } dd ? Date(dd) : ""),
        InvoiceFields.Type => InvoiceText.TypeName(row.Type),
        InvoiceFields.Status => InvoiceText.StatusName(row.Status, row.ScheduledFor),
        InvoiceFields.Comments => CsvCell.Number(row.CommentCount.ToString(CultureInfo.InvariantCulture)),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not an invoice field."),
    };

    /// <summary>
    /// Puts an apostrophe before every formula character ('=', '+', '-', '@', also full-width) that starts the text or
    /// follows a separator or line break, spaces in between allowed: "=1+1", " =1+1" and "x;=1+1" (a second cell in a
    /// ';'-locale spreadsheet) all stay text. Other text is unchanged.
    /// </summary>
    public static string Guard(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.AsSpan().IndexOfAny(FormulaStarts) < 0)
        {
            return text ?? "";
        }
        var guarded = new StringBuilder(text.Length + 4);
        var atCellStart = true;
        foreach (var c in text)
        {
            if (atCellStart && FormulaStarts.Contains(c))
            {
                guarded.Append('\'');
                atCellStart = false;
            }
            else if (Separators.Contains(c))
            {
                atCellStart = true;
            }
            else if (!char.IsWhiteSpace(c))
            {
                atCellStart = false;
            }
            guarded.Append(c);
        }
        return guarded.ToString();
    }

    /// <summary>
    /// The export's columns: the names <paramref name="resolve"/> accepts, each once in the order first named (a name
    /// repeated, in any case, is dropped), at most <see cref="MaxRequestedColumns"/> names per request.
    /// </summary>
    public static List<T> Columns<T>(IReadOnlyList<string> requested, Func<string, T> resolve, Func<T, string> key)
    {
        if (requested.Count > MaxRequestedColumns)
        {
            throw PortalFieldError.Of("columns", "ExportTooManyColumns",
                "The export names {0} columns; name each column once, at most {1} in all.", requested.Count, MaxRequestedColumns).ToException();
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var columns = new List<T>();
        foreach (var name in requested)
        {
            var column = resolve(name);
            if (seen.Add(key(column)))
            {
                columns.Add(column);
            }
        }
        return columns;
    }

    internal static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Amount(long minor, string currency)
    {
        var info = CurrencyInfo.Get(currency);
        return (minor / info.Factor).ToString("F" + info.MinorUnits, CultureInfo.InvariantCulture);
    }
}
