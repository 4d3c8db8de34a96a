using System.Globalization;
using Radzen;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Services.History;

namespace Portal.Payments.Ui.Components;

/// <summary>A saved layout of the payment-history grid: Radzen's settings plus the search text.</summary>
/// <param name="Grid">Columns (order, width, visibility), filters, sorts and page size.</param>
/// <param name="Search">General search text.</param>
internal sealed record PaymentHistoryLayout(DataGridSettings? Grid, string? Search);

/// <summary>The payment-history columns on the shared <see cref="GridColumnMap"/>, and their display texts.</summary>
internal static class PaymentHistoryMapping
{
    /// <summary>The data columns in their built-in order.</summary>
    public static GridColumnMap Map { get; } = new(
    [
        new(nameof(PaymentHistoryRow.CreatedAt), PaymentHistoryFields.Date, "Date"),
        new(nameof(PaymentHistoryRow.ReceiptNumber), PaymentHistoryFields.ReceiptNumber, "Receipt number"),
        new(nameof(PaymentHistoryRow.Kind), PaymentHistoryFields.Kind, "Kind", typeof(PaymentKind)),
        new(nameof(PaymentHistoryRow.MethodDescription), PaymentHistoryFields.Method, "Method"),
        new(nameof(PaymentHistoryRow.AmountValue), PaymentHistoryFields.Amount, "Amount"),
        new(nameof(PaymentHistoryRow.Status), PaymentHistoryFields.Status, "Status", typeof(PaymentStatus)),
        new(nameof(PaymentHistoryRow.PaidBy), PaymentHistoryFields.User, "Paid by"),
        new(nameof(PaymentHistoryRow.InvoiceCount), PaymentHistoryFields.Invoices, "Invoices"),
        new(nameof(PaymentHistoryRow.ScheduledFor), PaymentHistoryFields.ScheduledFor, "Scheduled date"),
        new(nameof(PaymentHistoryRow.Memo), PaymentHistoryFields.Memo, "Note"),
    ]);

    /// <summary>The Core query for the grid's request and the general search.</summary>
    /// <exception cref="Services.PortalValidationException">A filter the database query cannot express.</exception>
    public static GridQuery ToQuery(LoadDataArgs args, string? search, int pageSize) => new()
    {
        Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        Filters = Map.Filters(args),
        Sorts = Map.Sorts(args),
        Skip = args.Skip ?? 0,
        Take = args.Top is > 0 ? args.Top.Value : pageSize,
    };

    /// <summary>A row's value of <paramref name="field"/> as display text in the current culture.</summary>
    public static string CellText(PaymentHistoryRow row, string field) => field switch
    {
        PaymentHistoryFields.Date => DateTime(row.CreatedAt),
        PaymentHistoryFields.ReceiptNumber => row.ReceiptNumber,
        PaymentHistoryFields.Kind => PaymentHistoryText.KindName(row.Kind),
        PaymentHistoryFields.Method => row.MethodDescription,
        PaymentHistoryFields.Amount => InvoiceGridMapping.Amount(row.Amount),
        PaymentHistoryFields.Status => row.Status.ToString(),
        PaymentHistoryFields.User => row.PaidBy,
        PaymentHistoryFields.Invoices => row.InvoiceCount.ToString("N0", CultureInfo.CurrentCulture),
        PaymentHistoryFields.ScheduledFor => row.ScheduledFor is { } d ? InvoiceGridMapping.Date(d) : "",
        PaymentHistoryFields.Memo => row.Memo ?? "",
        _ => "",
    };

    /// <summary>"Mar 2, 2026 09:15 UTC"-style date and time in the current culture.</summary>
    public static string DateTime(DateTimeOffset at) => at.UtcDateTime.ToString("g", CultureInfo.CurrentCulture) + " UTC";
}
