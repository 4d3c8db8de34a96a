using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Grid;

namespace Portal.Payments.Services.Invoices;

/// <summary>Field names of the open-invoices grid (filters, sorts, CSV columns).</summary>
public static class InvoiceFields
{
    /// <summary>Invoice number.</summary>
    public const string Number = "Number";
    /// <summary>PO number.</summary>
    public const string PoNumber = "PoNumber";
    /// <summary>Reference.</summary>
    public const string Reference = "Reference";
    /// <summary>Invoice (document) date.</summary>
    public const string DocumentDate = "DocumentDate";
    /// <summary>Due date.</summary>
    public const string DueDate = "DueDate";
    /// <summary>Original amount.</summary>
    public const string Original = "Original";
    /// <summary>Open balance.</summary>
    public const string OpenBalance = "OpenBalance";
    /// <summary>Discount available.</summary>
    public const string Discount = "Discount";
    /// <summary>Last discount date.</summary>
    public const string DiscountDate = "DiscountDate";
    /// <summary>Invoice, credit memo, unapplied cash.</summary>
    public const string Type = "Type";
    /// <summary>Open, Pending, Scheduled, Processing.</summary>
    public const string Status = "Status";
    /// <summary>Number of comments.</summary>
    public const string Comments = "Comments";
}

/// <summary>Open-invoices grid request: the grid query plus the aging period chosen on the balances.</summary>
public sealed record InvoiceQuery : GridQuery
{
    /// <summary>Index into <see cref="AccountSummary.Buckets"/> (0 = current); null for every period.</summary>
    public int? AgingBucket { get; init; }
}

/// <summary>One row of the open-invoices grid.</summary>
public sealed record InvoiceRow
{
    /// <summary>Local id (what the pay, comment and preview calls take).</summary>
    public required long Id { get; init; }
    /// <summary>Document number.</summary>
    public required string Number { get; init; }
    /// <summary>Invoice, credit memo or unapplied cash.</summary>
    public required OpenItemType Type { get; init; }
    /// <summary>PO number.</summary>
    public string? PoNumber { get; init; }
    /// <summary>Reference.</summary>
    public string? Reference { get; init; }
    /// <summary>Document date.</summary>
    public required DateOnly DocumentDate { get; init; }
    /// <summary>Due date.</summary>
    public required DateOnly DueDate { get; init; }
    /// <summary>Original amount.</summary>
    public required Money Original { get; init; }
    /// <summary>Open balance (negative for credits).</summary>
    public required Money OpenBalance { get; init; }
    /// <summary>Early-payment discount offered (null when none).</summary>
    public Money? DiscountAvailable { get; init; }
    /// <summary>Last day of the discount.</summary>
    public DateOnly? DiscountDate { get; init; }
    /// <summary>Local payment status.</summary>
    public required InvoiceStatus Status { get; init; }
    /// <summary>Scheduled date when <see cref="Status"/> is Scheduled.</summary>
    public DateOnly? ScheduledFor { get; init; }
    /// <summary>Number of comments.</summary>
    public required int CommentCount { get; init; }
    /// <summary>Days past due today (0 or less when not due).</summary>
    public required int DaysPastDue { get; init; }
    /// <summary>Only Open items can be selected for payment.</summary>
    public bool CanSelect => Status == InvoiceStatus.Open;
}

/// <summary>
/// The open-invoices grid: search, filter, sort, page and CSV export of the signed-in account's open items,
/// all in the database.
/// </summary>
public sealed class InvoiceQueryService
{
    /// <summary>One page and the total count of the filtered open items.</summary>
    public Task<GridPage<InvoiceRow>> QueryAsync(InvoiceQuery query, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>
    /// Writes every row of the filtered, sorted result (all pages; <see cref="GridQuery.Skip"/>/<see cref="GridQuery.Take"/>
    /// ignored) as CSV with the given columns in that order, streaming.
    /// </summary>
    public Task WriteCsvAsync(InvoiceQuery query, IReadOnlyList<string> columns, TextWriter output, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
