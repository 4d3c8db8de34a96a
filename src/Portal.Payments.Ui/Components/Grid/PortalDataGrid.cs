using Microsoft.AspNetCore.Components;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// Radzen's DataGrid, held still while its <see cref="PortalGrid{TRow}"/> says so: while a page of rows is loading
/// (and before the loading indicator is due) the grid does not render its old rows again for the indicator's sake. Radzen
/// still renders the rows once more, unchanged, at the end of its own page-change event.
/// </summary>
/// <typeparam name="TItem">Row type.</typeparam>
public sealed class PortalDataGrid<TItem> : RadzenDataGrid<TItem> where TItem : notnull
{
    /// <summary>True while the grid must not render. Default never.</summary>
    [Parameter] public Func<bool>? Held { get; set; }

    /// <inheritdoc />
    protected override bool ShouldRender() => Held?.Invoke() != true && base.ShouldRender();
}
