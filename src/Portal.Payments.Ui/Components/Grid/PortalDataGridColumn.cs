using Radzen;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// Radzen's column, offering in its filter menu only the operators the portal's database queries run (see
/// <see cref="GridColumnMap"/>): no "ends with", "does not contain", "in" or "not in", which would only be refused.
/// </summary>
/// <typeparam name="TItem">Row type.</typeparam>
public sealed class PortalDataGridColumn<TItem> : RadzenDataGridColumn<TItem> where TItem : notnull
{
    /// <summary>The operators <see cref="GridColumnMap"/> turns into a query.</summary>
    internal static readonly IReadOnlySet<FilterOperator> Supported = new HashSet<FilterOperator>
    {
        FilterOperator.Equals, FilterOperator.NotEquals, FilterOperator.LessThan, FilterOperator.LessThanOrEquals,
        FilterOperator.GreaterThan, FilterOperator.GreaterThanOrEquals, FilterOperator.Contains, FilterOperator.StartsWith,
        FilterOperator.IsNull, FilterOperator.IsNotNull, FilterOperator.IsEmpty, FilterOperator.IsNotEmpty,
    };

    /// <inheritdoc />
    public override IEnumerable<FilterOperator> GetFilterOperators() => base.GetFilterOperators().Where(Supported.Contains);
}
