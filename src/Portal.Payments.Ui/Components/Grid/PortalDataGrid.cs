using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.RenderTree;
using Radzen;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

// This grid reads the render tree frames Radzen's grid builds and writes them again with their own sequence numbers
// (BL0006: the frame types are the framework's, pinned here by the .NET 10 target; ASP0006: the sequence numbers are
// Radzen's, copied so Blazor's diff sees the same tree). The grid and row tests render through this copy.
#pragma warning disable BL0006, ASP0006

/// <summary>
/// Radzen's DataGrid (header, sorting, filters, column moving and sizing, pager) with the portal's own rows: the render
/// tree Radzen builds is passed on unchanged except that each of Radzen's row components becomes a
/// <see cref="PortalGridRow{TItem}"/> (given the same item, columns and key). Radzen draws its rows in a private method,
/// so this is the one place the body can be swapped without taking the grid apart; a test renders a page and fails if
/// any Radzen row is left. Also held still while its <see cref="PortalGrid{TRow}"/> says so: while a page of rows is
/// loading (and before the loading indicator is due) the grid does not render its old rows again. For the shell only: the rows
/// take what <see cref="PortalGrid{TRow}"/> uses (columns with a template or a cell text, a class and an alignment, the
/// row classes) and none of Radzen's row features it leaves off (row and cell events and selection, RowRender and
/// CellRender, expanded and edited rows, frozen columns, grouping, virtualization).
/// </summary>
/// <typeparam name="TItem">Row type.</typeparam>
public sealed class PortalDataGrid<TItem> : RadzenDataGrid<TItem> where TItem : notnull
{
    private const string RowClass = "rz-data-row";
    private static readonly Type RadzenRow = typeof(RadzenDataGridRow<TItem>);
    private RenderFragment? _content;
    private RenderFragment? _ownContent;

    /// <summary>True while the grid must not render. Default never.</summary>
    [Parameter] public Func<bool>? Held { get; set; }

    /// <summary>A row's CSS classes besides Radzen's <c>rz-data-row</c> (a selected row's highlight). Default none.</summary>
    [Parameter] public Func<TItem, string?>? RowClasses { get; set; }

    /// <summary>
    /// Each column's body cells (classes with the alignment's, and the text of a column without a template) by the
    /// column's <c>UniqueID</c>, built once per column list by the shell. A column not in it gets plain cells. Default none.
    /// </summary>
    [Parameter] public IReadOnlyDictionary<string, PortalGridCell<TItem>>? Cells { get; set; }

    /// <inheritdoc />
    protected override bool ShouldRender() => Held?.Invoke() != true && base.ShouldRender();

    /// <inheritdoc />
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        // Radzen's tree is a cascading value of the grid whose child content is the whole table: copied as it is, with
        // that child content wrapped so the table is copied with the portal's rows.
        using var radzen = new RenderTreeBuilder();
        base.BuildRenderTree(radzen);
        Copy(radzen.GetFrames(), builder, wrapContent: true);
    }

    internal string RowCssClass(TItem item) => RowClasses?.Invoke(item) is { Length: > 0 } extra ? $"{RowClass} {extra}" : RowClass;

    /// <summary>A column's body cells as the shell declared them (none: no class, no text).</summary>
    internal PortalGridCell<TItem>? Cell(RadzenDataGridColumn<TItem> column) =>
        column.UniqueID is { } id ? Cells?.GetValueOrDefault(id) : null;

    private void RenderTable(RenderTreeBuilder builder)
    {
        using var radzen = new RenderTreeBuilder();
        _content!(radzen);
        Copy(radzen.GetFrames(), builder, wrapContent: false);
    }

    private void Copy(ArrayRange<RenderTreeFrame> frames, RenderTreeBuilder builder, bool wrapContent)
    {
        try
        {
            CopyRange(frames.Array, 0, frames.Count, builder, wrapContent);
        }
        finally
        {
            // The buffer goes back to the shared pool: it must not keep this circuit's objects alive.
            Array.Clear(frames.Array, 0, frames.Count);
        }
    }

    private void CopyRange(RenderTreeFrame[] frames, int start, int end, RenderTreeBuilder builder, bool wrapContent)
    {
        for (var i = start; i < end;)
        {
            var frame = frames[i];
            switch (frame.FrameType)
            {
                case RenderTreeFrameType.Element:
                    builder.OpenElement(frame.Sequence, frame.ElementName);
                    builder.SetKey(frame.ElementKey);
                    CopyRange(frames, i + 1, i + frame.ElementSubtreeLength, builder, wrapContent);
                    builder.CloseElement();
                    i += frame.ElementSubtreeLength;
                    break;
                case RenderTreeFrameType.Component when frame.ComponentType == RadzenRow:
                    CopyRow(frames, i, builder);
                    i += frame.ComponentSubtreeLength;
                    break;
                case RenderTreeFrameType.Component:
                    builder.OpenComponent(frame.Sequence, frame.ComponentType);
                    builder.SetKey(frame.ComponentKey);
                    CopyRange(frames, i + 1, i + frame.ComponentSubtreeLength, builder, wrapContent);
                    builder.CloseComponent();
                    i += frame.ComponentSubtreeLength;
                    break;
                case RenderTreeFrameType.Region:
                    builder.OpenRegion(frame.Sequence);
                    CopyRange(frames, i + 1, i + frame.RegionSubtreeLength, builder, wrapContent);
                    builder.CloseRegion();
                    i += frame.RegionSubtreeLength;
                    break;
                case RenderTreeFrameType.Attribute:
                    if (wrapContent && frame.AttributeName == nameof(CascadingValue<object>.ChildContent) && frame.AttributeValue is RenderFragment content)
                    {
                        _content = content;
                        builder.AddComponentParameter(frame.Sequence, frame.AttributeName, _ownContent ??= RenderTable);
                    }
                    else
                    {
                        builder.AddAttribute(frame.Sequence, frame.AttributeName, frame.AttributeValue);
                        if (frame.AttributeEventUpdatesAttributeName is { } updates)
                        {
                            builder.SetUpdatesAttributeName(updates);
                        }
                    }
                    i++;
                    break;
                case RenderTreeFrameType.Text:
                    builder.AddContent(frame.Sequence, frame.TextContent);
                    i++;
                    break;
                case RenderTreeFrameType.Markup:
                    builder.AddMarkupContent(frame.Sequence, frame.MarkupContent);
                    i++;
                    break;
                case RenderTreeFrameType.ElementReferenceCapture:
                    builder.AddElementReferenceCapture(frame.Sequence, frame.ElementReferenceCaptureAction);
                    i++;
                    break;
                case RenderTreeFrameType.ComponentReferenceCapture:
                    builder.AddComponentReferenceCapture(frame.Sequence, frame.ComponentReferenceCaptureAction);
                    i++;
                    break;
                case RenderTreeFrameType.ComponentRenderMode:
                    builder.AddComponentRenderMode(frame.ComponentRenderMode);
                    i++;
                    break;
                case RenderTreeFrameType.NamedEvent:
                    builder.AddNamedEvent(frame.NamedEventType, frame.NamedEventAssignedName);
                    i++;
                    break;
                default:
                    throw new InvalidOperationException($"A render tree frame of type {frame.FrameType} in Radzen's grid is not copied.");
            }
        }
    }

    // Radzen's row (item, index, columns, grid, edit state) as the portal's: the same place, item, key and columns.
    private void CopyRow(RenderTreeFrame[] frames, int at, RenderTreeBuilder builder)
    {
        var row = frames[at];
        builder.OpenComponent<PortalGridRow<TItem>>(row.Sequence);
        builder.SetKey(row.ComponentKey);
        for (var i = at + 1; i < at + row.ComponentSubtreeLength; i++)
        {
            if (frames[i] is { FrameType: RenderTreeFrameType.Attribute, AttributeName: nameof(PortalGridRow<TItem>.Item) or nameof(PortalGridRow<TItem>.Columns) } parameter)
            {
                builder.AddComponentParameter(parameter.Sequence, parameter.AttributeName, parameter.AttributeValue);
            }
        }
        builder.AddComponentParameter(row.Sequence + 100, nameof(PortalGridRow<TItem>.Grid), this);
        builder.CloseComponent();
    }
}
