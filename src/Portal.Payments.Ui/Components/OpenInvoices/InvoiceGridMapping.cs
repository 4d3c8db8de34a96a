using System.Globalization;
using System.Text.Json;
using Radzen;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;

namespace Portal.Payments.Ui.Components;

/// <summary>One column of the open-invoices grid: the Radzen property path, the Core field, and the title.</summary>
/// <param name="Property">Property path on <see cref="InvoiceRow"/> that the DataGrid column binds (and reports in filters, sorts and settings).</param>
/// <param name="Field">The <see cref="InvoiceFields"/> name the query and the export use.</param>
/// <param name="Title">Column title.</param>
internal sealed record InvoiceColumn(string Property, string Field, string Title);

/// <summary>A saved layout of the open-invoices grid: Radzen's settings plus the search text and the aging period.</summary>
/// <param name="Grid">Columns (order, width, visibility), filters, sorts and page size.</param>
/// <param name="Search">General search text.</param>
/// <param name="AgingBucket">Aging period chosen on the balances.</param>
internal sealed record InvoiceGridLayout(DataGridSettings? Grid, string? Search, int? AgingBucket);

/// <summary>Maps between Radzen's DataGrid (LoadDataArgs, settings) and the Core query.</summary>
internal static class InvoiceGridMapping
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The data columns in their built-in order.</summary>
    public static IReadOnlyList<InvoiceColumn> Columns { get; } =
    [
        new(nameof(InvoiceRow.Number), InvoiceFields.Number, "Invoice number"),
        new(nameof(InvoiceRow.PoNumber), InvoiceFields.PoNumber, "PO number"),
        new(nameof(InvoiceRow.DocumentDate), InvoiceFields.DocumentDate, "Invoice date"),
        new(nameof(InvoiceRow.DueDate), InvoiceFields.DueDate, "Due date"),
        new("Original.Amount", InvoiceFields.Original, "Original amount"),
        new("OpenBalance.Amount", InvoiceFields.OpenBalance, "Open balance"),
        new(nameof(InvoiceRow.DiscountAmount), InvoiceFields.Discount, "Discount available"),
        new(nameof(InvoiceRow.DiscountDate), InvoiceFields.DiscountDate, "Discount date"),
        new(nameof(InvoiceRow.Type), InvoiceFields.Type, "Type"),
        new(nameof(InvoiceRow.Status), InvoiceFields.Status, "Status"),
        new(nameof(InvoiceRow.CommentCount), InvoiceFields.Comments, "Comments"),
    ];

    private static readonly Dictionary<string, InvoiceColumn> ByProperty = Columns.ToDictionary(c => c.Property, StringComparer.Ordinal);

    /// <summary>The Core query for the grid's request, with the general search and aging period.</summary>
    /// <exception cref="PortalValidationException">A filter the database query cannot express (OR within one column, ends with…).</exception>
    public static InvoiceQuery ToQuery(LoadDataArgs args, string? search, int? agingBucket, int pageSize) => new()
    {
        Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        AgingBucket = agingBucket,
        Filters = [.. (args.Filters ?? []).SelectMany(ToFilters)],
        Sorts = [.. (args.Sorts ?? []).Where(s => s.SortOrder is not null).Select(s => new GridSort(Column(s.Property).Field, s.SortOrder == SortOrder.Descending))],
        Skip = args.Skip ?? 0,
        Take = args.Top is > 0 ? args.Top.Value : pageSize,
    };

    /// <summary>The Core fields of the visible columns in view order (the built-in order before the user changes anything).</summary>
    public static IReadOnlyList<string> VisibleFields(DataGridSettings? settings) =>
        settings?.Columns is { } columns && columns.Any(c => c.Property is not null && ByProperty.ContainsKey(c.Property))
            ? [.. columns.Where(c => c.Visible && c.Property is not null && ByProperty.ContainsKey(c.Property)).OrderBy(c => c.OrderIndex ?? int.MaxValue).Select(c => ByProperty[c.Property].Field)]
            : [.. Columns.Select(c => c.Field)];

    /// <summary>The column title of a Core field.</summary>
    public static string Title(string field) => Columns.FirstOrDefault(c => c.Field == field)?.Title ?? field;

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
    public static string Serialize(InvoiceGridLayout layout) => JsonSerializer.Serialize(layout, Json);

    /// <summary>The layout in <paramref name="json"/>, or null when it is not a layout of this grid.</summary>
    public static InvoiceGridLayout? Deserialize(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<InvoiceGridLayout>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static InvoiceColumn Column(string? property) =>
        property is not null && ByProperty.TryGetValue(property, out var column)
            ? column
            : throw new PortalValidationException("column", $"The column \"{property}\" cannot be sorted or filtered.");

    private static IEnumerable<GridFilter> ToFilters(FilterDescriptor descriptor)
    {
        var column = Column(descriptor.Property);
        var first = IsActive(descriptor.FilterOperator, descriptor.FilterValue) ? ToFilter(column, descriptor.FilterOperator, descriptor.FilterValue) : null;
        var second = IsActive(descriptor.SecondFilterOperator, descriptor.SecondFilterValue) ? ToFilter(column, descriptor.SecondFilterOperator, descriptor.SecondFilterValue) : null;
        if (first is not null && second is not null && descriptor.LogicalFilterOperator == LogicalFilterOperator.Or)
        {
            // GridQuery combines filters with AND only; refusing is better than showing a wrong result.
            throw new PortalValidationException(column.Field, $"{column.Title}: combine the two conditions with \"And\" (\"Or\" is not supported).");
        }
        return new[] { first, second }.OfType<GridFilter>();
    }

    private static bool IsActive(FilterOperator op, object? value) =>
        op is FilterOperator.IsNull or FilterOperator.IsNotNull or FilterOperator.IsEmpty or FilterOperator.IsNotEmpty
        || (value is not null && Text(value) is { Length: > 0 });

    private static GridFilter ToFilter(InvoiceColumn column, FilterOperator op, object? value)
    {
        var mapped = op switch
        {
            FilterOperator.Equals => GridFilterOperator.Equals,
            FilterOperator.NotEquals => GridFilterOperator.NotEquals,
            FilterOperator.LessThan => GridFilterOperator.LessThan,
            FilterOperator.LessThanOrEquals => GridFilterOperator.LessThanOrEqual,
            FilterOperator.GreaterThan => GridFilterOperator.GreaterThan,
            FilterOperator.GreaterThanOrEquals => GridFilterOperator.GreaterThanOrEqual,
            FilterOperator.Contains => GridFilterOperator.Contains,
            FilterOperator.StartsWith => GridFilterOperator.StartsWith,
            FilterOperator.IsNull or FilterOperator.IsEmpty => GridFilterOperator.IsEmpty,
            FilterOperator.IsNotNull or FilterOperator.IsNotEmpty => GridFilterOperator.IsNotEmpty,
            _ => throw new PortalValidationException(column.Field, $"{column.Title} cannot be filtered with \"{op}\"."),
        };
        return new GridFilter(column.Field, mapped, value is null ? null : EnumName(column, Text(value)));
    }

    /// <summary>Enum values restored from JSON arrive as numbers; the query takes names.</summary>
    private static string EnumName(InvoiceColumn column, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? column.Field switch
        {
            InvoiceFields.Status when Enum.IsDefined(typeof(InvoiceStatus), n) => ((InvoiceStatus)n).ToString(),
            InvoiceFields.Type when Enum.IsDefined(typeof(OpenItemType), n) => ((OpenItemType)n).ToString(),
            _ => text,
        } : text;

    /// <summary>A filter value as the invariant text the Core query reads (dates "yyyy-MM-dd", numbers invariant, enums by name).</summary>
    private static string Text(object value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime dt => dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        // Settings restored from JSON carry their values as JSON elements.
        JsonElement { ValueKind: JsonValueKind.String } j => DateText(j.GetString()!),
        JsonElement { ValueKind: JsonValueKind.Number } j => j.GetRawText(),
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "",
        _ => value.ToString() ?? "",
    };

    private static string DateText(string text) =>
        text.Length > 10 && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var dt) && text[4] == '-'
            ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : text;
}
