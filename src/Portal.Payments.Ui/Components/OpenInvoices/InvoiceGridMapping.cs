using System.Globalization;
using Radzen;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;

namespace Portal.Payments.Ui.Components;

/// <summary>A saved layout of the open-invoices grid: Radzen's settings plus the search text and the aging period.</summary>
/// <param name="Grid">Columns (order, width, visibility), filters, sorts and page size.</param>
/// <param name="Search">General search text.</param>
/// <param name="AgingBucket">Aging period chosen on the balances.</param>
internal sealed record InvoiceGridLayout(DataGridSettings? Grid, string? Search, int? AgingBucket);

/// <summary>Maps between Radzen's DataGrid (LoadDataArgs, settings) and the Core query.</summary>
internal static class InvoiceGridMapping
{
    /// <summary>The data columns in their built-in order, mapped to Radzen by the shared <see cref="GridColumnMap"/>.</summary>
    private static readonly GridColumnMap Map = new(
    [
        new(nameof(InvoiceRow.Number), InvoiceFields.Number, "Invoice number"),
        new(nameof(InvoiceRow.PoNumber), InvoiceFields.PoNumber, "PO number"),
        new(nameof(InvoiceRow.DocumentDate), InvoiceFields.DocumentDate, "Invoice date"),
        new(nameof(InvoiceRow.DueDate), InvoiceFields.DueDate, "Due date"),
        new("Original.Amount", InvoiceFields.Original, "Original amount"),
        new("OpenBalance.Amount", InvoiceFields.OpenBalance, "Open balance"),
        new(nameof(InvoiceRow.DiscountAmount), InvoiceFields.Discount, "Discount available"),
        new(nameof(InvoiceRow.DiscountDate), InvoiceFields.DiscountDate, "Discount date"),
        new(nameof(InvoiceRow.Type), InvoiceFields.Type, "Type", typeof(OpenItemType)),
        new(nameof(InvoiceRow.Status), InvoiceFields.Status, "Status", typeof(InvoiceStatus)),
        new(nameof(InvoiceRow.CommentCount), InvoiceFields.Comments, "Comments"),
    ]);

    /// <summary>The Core query for the grid's request, with the general search and aging period.</summary>
    /// <exception cref="PortalValidationException">A filter the database query cannot express (OR within one column, ends with…).</exception>
    public static InvoiceQuery ToQuery(LoadDataArgs args, string? search, int? agingBucket, int pageSize) => new()
    {
        Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        AgingBucket = agingBucket,
        Filters = Map.Filters(args),
        Sorts = Map.Sorts(args),
        Skip = args.Skip ?? 0,
        Take = args.Top is > 0 ? args.Top.Value : pageSize,
    };

    /// <summary>The Core fields of the visible columns in view order (the built-in order before the user changes anything).</summary>
    public static IReadOnlyList<string> VisibleFields(DataGridSettings? settings) => Map.VisibleFields(settings);

    /// <summary>The column title of a Core field.</summary>
    public static string Title(string field) => Map.Title(field);

    /// <summary>A row's value of <paramref name="field"/> as display text in the current culture.</summary>
    public static string CellText(InvoiceRow row, string field) => field switch
    {
        InvoiceFields.Number => row.Number,
        InvoiceFields.PoNumber => row.PoNumber ?? "",
        InvoiceFields.Reference => row.Reference ?? "",
        InvoiceFields.DocumentDate => Date(row.DocumentDate),
        InvoiceFields.DueDate => Date(row.DueDate),
        InvoiceFields.Original => Amount(row.Original),
        InvoiceFields.OpenBalance => Amount(row.OpenBalance),
        InvoiceFields.Discount => row.DiscountAvailable is { } d ? Amount(d) : "",
        InvoiceFields.DiscountDate => row.DiscountDate is { } dd ? Date(dd) : "",
        InvoiceFields.Type => InvoiceText.TypeName(row.Type),
        InvoiceFields.Status => StatusText(row),
        InvoiceFields.Comments => row.CommentCount.ToString("N0", CultureInfo.CurrentCulture),
        _ => "",
    };

    /// <summary>"Open", "Pending", "Processing", "Scheduled for 3/15/2026".</summary>
    public static string StatusText(InvoiceRow row) =>
        row.Status == InvoiceStatus.Scheduled && row.ScheduledFor is { } on ? $"Scheduled for {Date(on)}" : row.Status.ToString();

    /// <summary>A date in the current culture's short format.</summary>
    public static string Date(DateOnly date) => date.ToString("d", CultureInfo.CurrentCulture);

    /// <summary>An amount with the currency's decimals, without the code (the grid shows one currency).</summary>
    public static string Amount(Money money) => money.Amount.ToString("N" + CurrencyInfo.Get(money.Currency).MinorUnits, CultureInfo.CurrentCulture);

    /// <summary>The layout as JSON (for saved views).</summary>
    public static string Serialize(InvoiceGridLayout layout) => GridColumnMap.Serialize(layout);

    /// <summary>The layout in <paramref name="json"/>, or null when it is not a layout of this grid.</summary>
    public static InvoiceGridLayout? Deserialize(string? json) => GridColumnMap.Deserialize<InvoiceGridLayout>(json);
}
