using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Services.History;

/// <summary>Field names of the payment-history grid (filters, sorts, CSV columns).</summary>
public static class PaymentHistoryFields
{
    /// <summary>Created (payment date, UTC day for filters).</summary>
    public const string Date = "Date";
    /// <summary>Receipt number.</summary>
    public const string ReceiptNumber = "ReceiptNumber";
    /// <summary>Invoice payment or deposit.</summary>
    public const string Kind = "Kind";
    /// <summary>Masked method (CSV and display only).</summary>
    public const string Method = "Method";
    /// <summary>Amount.</summary>
    public const string Amount = "Amount";
    /// <summary>Convenience fee (part of the amount).</summary>
    public const string Fee = "Fee";
    /// <summary>Status.</summary>
    public const string Status = "Status";
    /// <summary>The user who made the payment (CSV and display only).</summary>
    public const string User = "User";
    /// <summary>Number of invoices paid.</summary>
    public const string Invoices = "Invoices";
    /// <summary>Scheduled date.</summary>
    public const string ScheduledFor = "ScheduledFor";
    /// <summary>Deposit note.</summary>
    public const string Memo = "Memo";

    /// <summary>The built-in column order of the grid and of an export that names no columns.</summary>
    public static IReadOnlyList<string> DefaultColumns { get; } =
        [Date, ReceiptNumber, Kind, Method, Amount, Status, User, Invoices, ScheduledFor];

    /// <summary>Every column with its title (CSV header).</summary>
    public static IReadOnlyDictionary<string, string> Titles { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [Date] = "Date",
        [ReceiptNumber] = "Receipt number",
        [Kind] = "Kind",
        [Method] = "Method",
        [Amount] = "Amount",
        [Fee] = "Convenience fee",
        [Status] = "Status",
        [User] = "Paid by",
        [Invoices] = "Invoices",
        [ScheduledFor] = "Scheduled date",
        [Memo] = "Note",
    };
}

/// <summary>One row of the payment-history grid.</summary>
public sealed record PaymentHistoryRow
{
    /// <summary>Payment id (the receipt page and downloads take it).</summary>
    public required Guid Id { get; init; }
    /// <summary>When the payment was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Invoice payment or deposit.</summary>
    public required PaymentKind Kind { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>Amount.</summary>
    public required Money Amount { get; init; }
    /// <summary>Amount as a plain number (grid column and filters).</summary>
    public decimal AmountValue => Amount.Amount;
    /// <summary>The convenience fee included in <see cref="Amount"/> (zero when none).</summary>
    public Money Fee { get; init; }
    /// <summary>Fee as a plain number (grid column and filters).</summary>
    public decimal FeeValue => Fee.Amount;
    /// <summary>Status.</summary>
    public required PaymentStatus Status { get; init; }
    /// <summary>The user who made it.</summary>
    public required string PaidBy { get; init; }
    /// <summary>Number of invoices and credits paid.</summary>
    public required int InvoiceCount { get; init; }
    /// <summary>Scheduled date, when scheduled.</summary>
    public DateOnly? ScheduledFor { get; init; }
    /// <summary>Deposit note.</summary>
    public string? Memo { get; init; }
}

/// <summary>The invoices one payment paid and the amount applied to each (remittance detail).</summary>
public sealed record PaymentRemittance
{
    /// <summary>Payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>When the payment was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>
    /// The payment's date for the payer's books: the date a scheduled payment is (or was) charged on, else the day it was
    /// made, both in the portal's <see cref="PortalPaymentsOptions.BusinessTimeZone"/>.
    /// </summary>
    public required DateOnly PaymentDate { get; init; }
    /// <summary>
    /// The payment's status: only a payment that went through (or is going through) paid the lines; a failed, cancelled,
    /// returned or refunded one did not.
    /// </summary>
    public required PaymentStatus Status { get; init; }
    /// <summary>One line per invoice or credit.</summary>
    public required IReadOnlyList<ReceiptLine> Lines { get; init; }
    /// <summary>Sum of the applied amounts.</summary>
    public required Money TotalApplied { get; init; }
    /// <summary>The convenience fee charged with the payment (zero when none): not applied to any invoice.</summary>
    public Money Fee { get; init; }
    /// <summary>The fee line's label, or null.</summary>
    public string? FeeLabel { get; init; }
}

/// <summary>
/// Payment history: search, filter, sort, page and CSV export of the signed-in account's portal payments (all in the
/// database, on the shared <see cref="GridQueryBuilder{TRecord}"/>), and the remittance detail of one payment.
/// </summary>
public sealed class PaymentHistoryService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentService payments,
    IOptions<PortalPaymentsOptions> options)
{
    /// <summary>The grid's filterable and sortable fields. Reused for every query.</summary>
    internal static readonly GridQueryBuilder<PaymentRecord> Grid = new GridQueryBuilder<PaymentRecord>(p => p.Id)
        .Date(PaymentHistoryFields.Date, "Date", p => p.CreatedAt)
        .Text(PaymentHistoryFields.ReceiptNumber, "Receipt number", p => p.ReceiptKey)
        .Enum(PaymentHistoryFields.Kind, "Kind", p => p.Kind)
        .Text(PaymentHistoryFields.Method, "Method", p => p.MethodKey)
        .Money(PaymentHistoryFields.Amount, "Amount", p => p.AmountMinor)
        .Money(PaymentHistoryFields.Fee, "Convenience fee", p => p.FeeMinor)
        .Enum(PaymentHistoryFields.Status, "Status", p => p.Status)
        .Text(PaymentHistoryFields.User, "Paid by", p => p.PaidByKey)
        .Int(PaymentHistoryFields.Invoices, "Invoices", p => p.InvoiceCount)
        .Date(PaymentHistoryFields.ScheduledFor, "Scheduled date", p => p.ScheduledFor)
        .Text(PaymentHistoryFields.Memo, "Note", p => p.MemoKey)
        .SearchOn(p => p.ReceiptKey)
        .SearchOn(p => p.MemoKey)
        .SearchOn(p => p.Allocations, a => a.InvoiceNumberKey);

    private static readonly GridSort NewestFirst = new(PaymentHistoryFields.Date, Descending: true);

    /// <summary>One page and the total count of the filtered payments (newest first unless sorted otherwise).</summary>
    public async Task<GridPage<PaymentHistoryRow>> QueryAsync(GridQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var scope = await access.ForViewAsync(cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var filtered = Filtered(db, scope.AccountId, query);
        var page = GridQueryBuilder<PaymentRecord>.Page(Sorted(filtered, query), query);
        var total = await filtered.CountAsync(cancellationToken);
        var rows = await Project(page).ToListAsync(cancellationToken);
        PortalPaymentsTelemetry.GridQueryDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("grid", "history"));
        return new GridPage<PaymentHistoryRow>(rows.ConvertAll(r => r.ToRow()), total);
    }

    /// <summary>
    /// Writes every row of the filtered, sorted result (all pages; paging ignored) as CSV with the given
    /// <see cref="PaymentHistoryFields"/> columns in that order, streaming.
    /// </summary>
    public async Task WriteCsvAsync(GridQuery query, IReadOnlyList<string> columns, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(output);
        var fields = Columns(columns);
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sorted = Sorted(Filtered(db, scope.AccountId, query), query);

        await InvoiceCsv.WriteHeaderAsync(output, fields.Select(f => PaymentHistoryFields.Titles[f]), cancellationToken);
        await foreach (var row in Project(sorted).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await InvoiceCsv.WriteLineAsync(output, fields.Select(f => row.Cell(f)), cancellationToken);
        }
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>The invoices payment <paramref name="paymentId"/> paid (not found for another account's payment).</summary>
    public async Task<PaymentRemittance> GetRemittanceAsync(Guid paymentId, CancellationToken cancellationToken = default)
    {
        var receipt = await payments.GetReceiptAsync(paymentId, cancellationToken);
        return new PaymentRemittance
        {
            PaymentId = receipt.PaymentId,
            ReceiptNumber = receipt.ReceiptNumber,
            CreatedAt = receipt.CreatedAt,
            PaymentDate = receipt.ScheduledFor ?? options.Value.DateAt(receipt.CreatedAt),
            Status = receipt.Status,
            Lines = receipt.Lines,
            TotalApplied = receipt.Lines.Aggregate(Money.Zero(receipt.Amount.Currency), (sum, l) => sum + l.Applied),
            Fee = receipt.Fee,
            FeeLabel = receipt.FeeLabel,
        };
    }

    /// <summary>Writes the remittance detail of one payment as CSV (one line per invoice or credit) for the customer's AP system.</summary>
    public async Task WriteRemittanceCsvAsync(Guid paymentId, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var remittance = await GetRemittanceAsync(paymentId, cancellationToken);
        // The status on every line: an AP import must not book the lines of a payment that did not go through as paid.
        string[] header = ["Receipt number", "Payment date", "Payment status", "Invoice number", "Type", "Open balance", "Discount taken", "Short paid", "Short-pay reason", "Short-pay comment", "Amount applied"];
        await InvoiceCsv.WriteHeaderAsync(output, header, cancellationToken);
        var date = CsvCell.Number(InvoiceCsv.Date(remittance.PaymentDate));
        var status = PaymentStatusText.Label(remittance.Status);
        foreach (var line in remittance.Lines)
        {
            await InvoiceCsv.WriteLineAsync(output,
            [
                remittance.ReceiptNumber, date, status, line.InvoiceNumber, InvoiceText.TypeName(line.Type),
                Amount(line.OpenBalance), Amount(line.Discount), Amount(line.ShortAmount), line.ShortReason, line.Comment, Amount(line.Applied),
            ], cancellationToken);
        }
        if (!remittance.Fee.IsZero)
        {
            // The fee was charged with the payment but applied to no invoice: its own line, with no invoice number.
            await InvoiceCsv.WriteLineAsync(output,
                [remittance.ReceiptNumber, date, status, "", remittance.FeeLabel ?? "Convenience fee", "", "", "", "", "", Amount(remittance.Fee)], cancellationToken);
        }
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Validated export columns; the default ones when none are named.</summary>
    internal static IReadOnlyList<string> Columns(IReadOnlyList<string> columns)
    {
        if (columns.Count == 0)
        {
            return PaymentHistoryFields.DefaultColumns;
        }
        return InvoiceCsv.Columns(columns, c => PaymentHistoryFields.Titles.Keys.FirstOrDefault(k => string.Equals(k, c, StringComparison.OrdinalIgnoreCase))
            // The names the export takes (not the CSV's titles, which it refuses: "Receipt number" is ReceiptNumber).
            ?? throw PortalFieldError.Of("columns", "HistoryNoColumn", "The history has no column called \"{0}\". Columns: {1}.",
                c.Length > 40 ? c[..40] + "…" : c, string.Join(", ", PaymentHistoryFields.Titles.Keys)).ToException(), k => k);
    }

    private static CsvCell Amount(Money money) => CsvCell.Number(InvoiceCsv.Amount(money.ToMinorUnits(), money.Currency));

    private IQueryable<PaymentRecord> Filtered(PaymentsDbContext db, string accountId, GridQuery query)
    {
        var source = db.Payments.AsNoTracking().Where(p => p.AccountId == accountId);
        // A payment being charged reads "Processing" in the grid, as a bank debit still settling does: the status filter
        // "Processing" means both (the grid offers it once; a saved or hand-written filter may name either), so it finds
        // every row that reads so.
        List<GridFilter> processing = query.Filters.Count > GridQueryBuilder<PaymentRecord>.MaxConditions ? [] : [.. query.Filters.Where(IsProcessingFilter)];
        foreach (var filter in processing)
        {
            source = filter.Operator == GridFilterOperator.Equals
                ? source.Where(p => p.Status == PaymentStatus.Processing || p.Status == PaymentStatus.Charging)
                : source.Where(p => p.Status != PaymentStatus.Processing && p.Status != PaymentStatus.Charging);
        }
        if (processing.Count > 0)
        {
            query = query with { Filters = [.. query.Filters.Except(processing)] };
        }
        return Grid.Filter(source, query, CurrencyInfo.Get(options.Value.Currency), key => TextSearch.Payments(db, key));
    }

    private static bool IsProcessingFilter(GridFilter filter) =>
        string.Equals(filter.Field, PaymentHistoryFields.Status, StringComparison.OrdinalIgnoreCase)
        && filter.Operator is GridFilterOperator.Equals or GridFilterOperator.NotEquals
        && (string.Equals(filter.Value?.Trim(), nameof(PaymentStatus.Processing), StringComparison.OrdinalIgnoreCase)
            || string.Equals(filter.Value?.Trim(), nameof(PaymentStatus.Charging), StringComparison.OrdinalIgnoreCase));

    private static IOrderedQueryable<PaymentRecord> Sorted(IQueryable<PaymentRecord> source, GridQuery query) =>
        Grid.Sort(source, query.Sorts.Count == 0 ? query with { Sorts = [NewestFirst] } : query);

    private static IQueryable<PaymentHistoryData> Project(IQueryable<PaymentRecord> source) =>
        source.Select(p => new PaymentHistoryData(p.Id, p.CreatedAt, p.ReceiptNumber, p.Kind, p.MethodDescription, p.Currency, p.AmountMinor,
            p.Status, p.CreatedByName, p.InvoiceCount, p.ScheduledFor, p.Memo, p.FeeMinor));
}

/// <summary>The columns a history row needs, as read from the database.</summary>
internal sealed record PaymentHistoryData(
    Guid Id, DateTime CreatedAt, string ReceiptNumber, PaymentKind Kind, string MethodDescription, string Currency, long AmountMinor,
    PaymentStatus Status, string PaidBy, int InvoiceCount, DateOnly? ScheduledFor, string? Memo, long FeeMinor = 0)
{
    /// <summary>The grid row.</summary>
    public PaymentHistoryRow ToRow() => new()
    {
        Id = Id,
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
        ReceiptNumber = ReceiptNumber,
        Kind = Kind,
        MethodDescription = MethodDescription,
        Amount = Money.FromMinorUnits(AmountMinor, Currency),
        Fee = Money.FromMinorUnits(FeeMinor, Currency),
        Status = Status,
        PaidBy = PaidBy,
        InvoiceCount = InvoiceCount,
        ScheduledFor = ScheduledFor,
        Memo = Memo,
    };

    /// <summary>
    /// The CSV cell of one field: texts are quoted and formula-guarded when written; amounts, dates and counts are
    /// invariant numbers.
    /// </summary>
    public CsvCell Cell(string field) => field switch
    {
        PaymentHistoryFields.Date => CsvCell.Number(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
        PaymentHistoryFields.ReceiptNumber => ReceiptNumber,
        PaymentHistoryFields.Kind => PaymentHistoryText.KindName(Kind),
        PaymentHistoryFields.Method => MethodDescription,
        PaymentHistoryFields.Amount => CsvCell.Number(InvoiceCsv.Amount(AmountMinor, Currency)),
        PaymentHistoryFields.Fee => CsvCell.Number(InvoiceCsv.Amount(FeeMinor, Currency)),
        PaymentHistoryFields.Status => PaymentStatusText.Label(Status),
        PaymentHistoryFields.User => PaidBy,
        PaymentHistoryFields.Invoices => CsvCell.Number(InvoiceCount.ToString(CultureInfo.InvariantCulture)),
        PaymentHistoryFields.ScheduledFor => CsvCell.Number(ScheduledFor is { } d ? InvoiceCsv.Date(d) : ""),
        PaymentHistoryFields.Memo => Memo,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not a history field."),
    };
}

/// <summary>Display texts of payments, shared by the grid, the receipt PDF and the CSV export.</summary>
public static class PaymentHistoryText
{
    /// <summary>"Invoice payment" or "Deposit".</summary>
    public static string KindName(PaymentKind kind) => kind == PaymentKind.Deposit ? "Deposit" : "Invoice payment";
}
