using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// One row of a <see cref="PortalDataGrid{TItem}"/>'s body, in place of Radzen's row component: a <c>tr</c> and a
/// <c>td</c> per visible column holding the column's template, nothing else. Radzen's row wraps every cell in two
/// cascading values' worth of regions, an attribute splat and a text <c>span</c> (9 frames a cell before its content);
/// this row is small enough for Blazor's 64-frame render-tree buffer, two of which a circuit keeps per row for its life.
/// The grid's keyboard handler does not see keys typed in a cell (an amount being typed is not grid navigation).
/// </summary>
/// <typeparam name="TItem">Row type.</typeparam>
internal sealed class PortalGridRow<TItem> : ComponentBase where TItem : notnull
{
    /// <summary>The row's item (Radzen's row parameter of that name).</summary>
    [Parameter] public TItem Item { get; set; } = default!;

    /// <summary>The visible columns in the order the header shows them (Radzen's row parameter of that name).</summary>
    [Parameter] public IList<RadzenDataGridColumn<TItem>> Columns { get; set; } = [];

    /// <summary>The grid the row belongs to.</summary>
    [Parameter] public PortalDataGrid<TItem> Grid { get; set; } = default!;

    /// <inheritdoc />
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "tr");
        builder.AddAttribute(1, "role", "row");
        builder.AddAttribute(2, "class", Grid.RowCssClass(Item));
        builder.AddEventStopPropagationAttribute(3, "onkeydown", true);
        foreach (var column in Columns)
        {
            builder.OpenElement(4, "td");
            // Keyed by its column: a column moved or hidden moves its cells, and a cell's content is only ever compared
            // with its own column's (the template's frames stand in the cell without a region).
            builder.SetKey(column);
            builder.AddAttribute(5, "role", "gridcell");
            var cell = Grid.Cell(column);
            builder.AddAttribute(6, "class", cell?.Class);
            if (column.Template is { } template)
            {
                // Straight into the cell, without a region: the cell's children are the template's frames alone, and the
                // cell's key keeps them compared with the same column's frames only.
                template(Item)(builder);
            }
            else if (cell?.Text?.Invoke(Item) is { Length: > 0 } text)
            {
                // Plain text straight in the cell (no region around it); an empty cell holds no frame.
                builder.AddContent(8, text);
            }
            builder.CloseElement();
        }
        builder.CloseElement();
    }
}
