using System.Globalization;
using System.Text.Json;
using Radzen;
using Portal.Payments.Grid;
using Portal.Payments.Services;

namespace Portal.Payments.Ui.Components;

/// <summary>One column of a Radzen grid backed by a Core grid query: the Radzen property path, the Core field, and the title.</summary>
/// <param name="Property">Property path on the row type that the DataGrid column binds (and reports in filters, sorts and settings).</param>
/// <param name="Field">The Core field name the query and the export use.</param>
/// <param name="Title">Column title.</param>
/// <param name="EnumType">The enum of an enum column (saved filter values come back as numbers and are turned into names).</param>
/// <param name="Visible">Shown in the built-in layout (and exported when no layout names the columns).</param>
internal sealed record GridColumn(string Property, string Field, string Title, Type? EnumType = null, bool Visible = true);

/// <summary>
/// Maps between Radzen's DataGrid (LoadDataArgs, settings) and a Core <see cref="GridQuery"/> for one grid's columns.
/// Built from a <see cref="PortalGrid{TRow}"/>'s column list.
/// </summary>
internal sealed class GridColumnMap
{
    /// <summary>The map of the data columns of <paramref name="columns"/>.</summary>
    public static GridColumnMap For<TRow>(IEnumerable<PortalGridColumn<TRow>> columns) =>
        new([.. columns.Where(c => c.IsData).Select(c => new GridColumn(c.Property!, c.Field!, c.Title, c.EnumType, c.Visible))]);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, GridColumn> _byProperty;

    /// <summary>A map of <paramref name="columns"/> (the data columns in their built-in order).</summary>
    public GridColumnMap(IReadOnlyList<GridColumn> columns)
    {
        Columns = columns;
        _byProperty = columns.ToDictionary(c => c.Property, StringComparer.Ordinal);
    }

    /// <summary>The data columns in their built-in order.</summary>
    public IReadOnlyList<GridColumn> Columns { get; }

    /// <summary>The Core filters of the grid's column filters.</summary>
    /// <exception cref="PortalValidationException">A filter the database query cannot express (OR within one column, ends with…).</exception>
    public IReadOnlyList<GridFilter> Filters(LoadDataArgs args) => [.. (args.Filters ?? []).SelectMany(ToFilters)];

    /// <summary>The Core sorts of the grid's sorted columns, most significant first.</summary>
    public IReadOnlyList<GridSort> Sorts(LoadDataArgs args) =>
        [.. (args.Sorts ?? []).Where(s => s.SortOrder is not null).Select(s => new GridSort(Column(s.Property).Field, s.SortOrder == SortOrder.Descending))];

    /// <summary>The Core fields of the visible columns in view order (the built-in layout before the user changes anything).</summary>
    public IReadOnlyList<string> VisibleFields(DataGridSettings? settings)
    {
        var saved = (settings?.Columns ?? [])
            .Select(c => (Settings: c, Column: Bare(c.Property) is { } p ? _byProperty.GetValueOrDefault(p) : null))
            .Where(c => c.Column is not null)
            .ToList();
        return saved.Count > 0
            ? [.. saved.Where(c => c.Settings.Visible).OrderBy(c => c.Settings.OrderIndex ?? int.MaxValue).Select(c => c.Column!.Field)]
            : [.. Columns.Where(c => c.Visible).Select(c => c.Field)];
    }

    /// <summary>The column title of a Core field.</summary>
    public string Title(string field) => Columns.FirstOrDefault(c => c.Field == field)?.Title ?? field;

    /// <summary>
    /// A column filter's refusal that names its column by the Core field's English title ("Open balance"), named by the
    /// column's title as the grid shows it ("Offener Saldo" in German); null for any other refusal.
    /// </summary>
    public PortalValidationException? Retitled(PortalValidationException refusal) =>
        refusal.Error is { Arguments: [string title, ..] } error
        && error.Code.StartsWith("GridFilter", StringComparison.Ordinal)
        && Columns.FirstOrDefault(c => string.Equals(c.Field, error.Field, StringComparison.OrdinalIgnoreCase)) is { } column
        && title != column.Title
            ? (error with { Arguments = [column.Title, .. error.Arguments.Skip(1)] }).ToException()
            : null;

    /// <summary>A saved layout as JSON.</summary>
    public static string Serialize<TLayout>(TLayout layout) => JsonSerializer.Serialize(layout, Json);

    /// <summary>The layout in <paramref name="json"/>, or null when it is not a layout of this shape.</summary>
    public static TLayout? Deserialize<TLayout>(string? json) where TLayout : class
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TLayout>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A column's property as the row names it: the grid binds the row's slot ("Row.DueDate"); layouts saved before
    /// that name the row's property ("DueDate").
    /// </summary>
    private static string? Bare(string? property) =>
        property is not null && property.StartsWith(PortalGridSlot<object>.Prefix, StringComparison.Ordinal) ? property[PortalGridSlot<object>.Prefix.Length..] : property;

    private GridColumn Column(string? property) =>
        Bare(property) is { } bare && _byProperty.TryGetValue(bare, out var column)
            ? column
            : throw new PortalValidationException("column", $"The column \"{property}\" cannot be sorted or filtered.");

    private IEnumerable<GridFilter> ToFilters(FilterDescriptor descriptor)
    {
        var column = Column(descriptor.Property);
        var first = IsActive(descriptor.FilterOperator, descriptor.FilterValue) ? ToFilter(column, descriptor.FilterOperator, descriptor.FilterValue) : null;
        var second = IsActive(descriptor.SecondFilterOperator, descriptor.SecondFilterValue) ? ToFilter(column, descriptor.SecondFilterOperator, descriptor.SecondFilterValue) : null;
        if (first is not null && second is not null && descriptor.LogicalFilterOperator == LogicalFilterOperator.Or)
        {
            // GridQuery combines filters with AND only; refusing is better than showing a wrong result.
            throw PortalFieldError.Of(column.Field, "GridFilterOr", "{0}: combine the two conditions with \"And\" (\"Or\" is not supported).", column.Title).ToException();
        }
        if (first is not null && second is not null && Reversed(descriptor) is { } range)
        {
            // "From 31.03. to 01.03.": nothing can match, and "Nothing matches" would not say why.
            throw PortalFieldError.Of(column.Field, "GridFilterRangeReversed", "{0}: the range starts after it ends ({1} to {2}); swap the start and the end.",
                column.Title, range.Start, range.End).ToException();
        }
        return new[] { first, second }.OfType<GridFilter>();
    }

    /// <summary>
    /// The start and end of a range whose start (a "greater than" condition) lies after its end (a "less than" one), as
    /// dates or amounts; null for anything else.
    /// </summary>
    private static (object Start, object End)? Reversed(FilterDescriptor descriptor)
    {
        static bool IsStart(FilterOperator op) => op is FilterOperator.GreaterThan or FilterOperator.GreaterThanOrEquals;
        static bool IsEnd(FilterOperator op) => op is FilterOperator.LessThan or FilterOperator.LessThanOrEquals;
        var (start, end) = IsStart(descriptor.FilterOperator) && IsEnd(descriptor.SecondFilterOperator)
            ? (Bound(descriptor.FilterValue), Bound(descriptor.SecondFilterValue))
            : IsEnd(descriptor.FilterOperator) && IsStart(descriptor.SecondFilterOperator)
                ? (Bound(descriptor.SecondFilterValue), Bound(descriptor.FilterValue))
                : (null, null);
        return start is not null && end is not null && start.GetType() == end.GetType() && start.CompareTo(end) > 0 ? (start, end) : null;
    }

    /// <summary>A range bound as a date or a decimal (also as restored from a saved view's JSON); null when it is neither.</summary>
    private static IComparable? Bound(object? value) => value switch
    {
        DateOnly d => d,
        DateTime dt => DateOnly.FromDateTime(dt),
        DateTimeOffset dto => DateOnly.FromDateTime(dto.DateTime),
        decimal m => m,
        int i => (decimal)i,
        long l => (decimal)l,
        double d when double.IsFinite(d) && Math.Abs(d) < 1e15 => (decimal)d,
        JsonElement { ValueKind: JsonValueKind.Number } j when j.TryGetDecimal(out var m) => m,
        JsonElement { ValueKind: JsonValueKind.String } j when DateOnly.TryParseExact(DateText(j.GetString()!), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
        _ => null,
    };

    private static bool IsActive(FilterOperator op, object? value) =>
        op is FilterOperator.IsNull or FilterOperator.IsNotNull or FilterOperator.IsEmpty or FilterOperator.IsNotEmpty
        || (value is not null && Text(value) is { Length: > 0 });

    private static GridFilter ToFilter(GridColumn column, FilterOperator op, object? value)
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
            _ => throw PortalFieldError.Of(column.Field, "GridFilterOperator", "{0} cannot be filtered with \"{1}\".", column.Title, op.ToString()).ToException(),
        };
        return new GridFilter(column.Field, mapped, value is null ? null : EnumName(column, Text(value)));
    }

    /// <summary>Enum values restored from JSON arrive as numbers; the query takes names.</summary>
    private static string EnumName(GridColumn column, string text) =>
        column.EnumType is { } type && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && Enum.IsDefined(type, n)
            ? Enum.GetName(type, n)!
            : text;

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
