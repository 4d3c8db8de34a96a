namespace Portal.Payments.Grid;

/// <summary>
/// The values a choice column can be filtered by, in a refusal (<c>GridFilterChoice</c>): the English message names the
/// members, a page in another language words each value as its grid does (a payment's status, an item's type).
/// </summary>
/// <param name="Values">The enum's members, in declaration order.</param>
public sealed record GridChoices(IReadOnlyList<System.Enum> Values)
{
    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Values);
}

/// <summary>How a <see cref="GridFilter"/> compares a field with its value.</summary>
public enum GridFilterOperator
{
    /// <summary>Equal to the value.</summary>
    Equals = 0,
    /// <summary>Not equal to the value.</summary>
    NotEquals,
    /// <summary>Text starts with the value (case-insensitive).</summary>
    StartsWith,
    /// <summary>Text contains the value (case-insensitive).</summary>
    Contains,
    /// <summary>Less than the value.</summary>
    LessThan,
    /// <summary>Less than or equal to the value.</summary>
    LessThanOrEqual,
    /// <summary>Greater than the value.</summary>
    GreaterThan,
    /// <summary>Greater than or equal to the value.</summary>
    GreaterThanOrEqual,
    /// <summary>No value (null or empty).</summary>
    IsEmpty,
    /// <summary>Has a value.</summary>
    IsNotEmpty,
}

/// <summary>
/// One column filter. <see cref="Value"/> is invariant text: numbers and money as decimals ("1234.50"),
/// dates as ISO "yyyy-MM-dd", enums by name. A range is two filters on the same field (AND).
/// </summary>
/// <param name="Field">A field name of the grid (for invoices, <c>InvoiceFields</c>).</param>
/// <param name="Operator">Comparison.</param>
/// <param name="Value">Value as invariant text; ignored by <see cref="GridFilterOperator.IsEmpty"/> and <see cref="GridFilterOperator.IsNotEmpty"/>.</param>
public sealed record GridFilter(string Field, GridFilterOperator Operator, string? Value);

/// <summary>One sort key; several make a multi-column sort, first one first.</summary>
/// <param name="Field">A field name of the grid.</param>
/// <param name="Descending">Descending order.</param>
public sealed record GridSort(string Field, bool Descending = false);

/// <summary>
/// A grid's request: general search, column filters (all must hold), sort and page. Everything runs in
/// the database; the total count comes from the same filtered query.
/// </summary>
public record GridQuery
{
    /// <summary>General search text (one box); null or blank for none.</summary>
    public string? Search { get; init; }

    /// <summary>Column filters, combined with AND.</summary>
    public IReadOnlyList<GridFilter> Filters { get; init; } = [];

    /// <summary>Sort keys, most significant first. A stable tie-breaker is always appended.</summary>
    public IReadOnlyList<GridSort> Sorts { get; init; } = [];

    /// <summary>Rows to skip (paging).</summary>
    public int Skip { get; init; }

    /// <summary>Rows to return (page size).</summary>
    public int Take { get; init; } = 25;

    /// <summary>
    /// The user's time zone (an IANA or Windows id): a date filter on a timestamp (a payment's time) means that zone's day,
    /// as the grid shows the time in it. Null, blank or unknown: UTC days. Date fields (due dates) are calendar dates.
    /// </summary>
    public string? TimeZone { get; init; }
}

/// <summary>One page of a grid and the number of rows of the whole filtered result.</summary>
/// <typeparam name="T">Row type.</typeparam>
/// <param name="Items">The page.</param>
/// <param name="TotalCount">Rows matching the search and filters (all pages).</param>
public sealed record GridPage<T>(IReadOnlyList<T> Items, int TotalCount);
