using Microsoft.AspNetCore.Components;
using Radzen;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// One column of a <see cref="PortalGrid{TRow}"/>: written once, it gives the grid's header and cells, the "Arrange columns"
/// entry, the Core field its filter and sort go to, the spreadsheet cell and the CSV column.
/// </summary>
/// <typeparam name="TRow">The grid's row type.</typeparam>
public sealed class PortalGridColumn<TRow>
{
    /// <summary>Stable id (saved views refer to it): the row property for data columns, a name for the others. Required.</summary>
    public required string Id { get; init; }

    /// <summary>Column title (already localized). Required.</summary>
    public required string Title { get; init; }

    /// <summary>Property path on <typeparamref name="TRow"/> the grid binds (filters, sorts, settings report it); null for a column of controls.</summary>
    public string? Property { get; init; }

    /// <summary>The Core field of the grid query and the CSV export; null for a column of controls.</summary>
    public string? Field { get; init; }

    /// <summary>The enum of an enum column (saved filter values come back as numbers). Default none.</summary>
    public Type? EnumType { get; init; }

    /// <summary>
    /// The values of <see cref="EnumType"/> its filter offers, when rows word some members alike and the Core query takes
    /// one for all of them (a payment being charged reads "Processing", as a processing one does: the filter offers
    /// "Processing" once). Default: every member, as Radzen lists them.
    /// </summary>
    public IReadOnlyList<Enum>? FilterChoices { get; init; }

    /// <summary>The cell. Default: <see cref="Text"/> as plain text.</summary>
    public RenderFragment<TRow>? Template { get; init; }

    /// <summary>The cell as text (spreadsheet view; the cell when there is no <see cref="Template"/>). Default empty.</summary>
    public Func<TRow, string> Text { get; init; } = _ => "";

    /// <summary>Header content instead of the title (the title still names the column for screen readers and "Arrange columns"). Default none.</summary>
    public RenderFragment? HeaderTemplate { get; init; }

    /// <summary>CSS width, sized to the content (e.g. "7.5rem"). Default none (shares the rest).</summary>
    public string? Width { get; init; }

    /// <summary>Alignment: amounts and counts right. Default left.</summary>
    public TextAlign Align { get; init; } = TextAlign.Left;

    /// <summary>Shown in the built-in layout (the others are offered in "Arrange columns"). Default true.</summary>
    public bool Visible { get; init; } = true;

    /// <summary>Sortable and filterable (data columns only). Default true.</summary>
    public bool Sortable { get; init; } = true;

    /// <summary>Offered in "Arrange columns", movable and resizable. Default true for data columns, false for columns of controls.</summary>
    public bool? Pickable { get; init; }

    /// <summary>Extra CSS class of the cells and header. Default none.</summary>
    public string? CssClass { get; init; }

    /// <summary>
    /// Extra CSS class of the body cells only (not the header), so a cell of plain <see cref="Text"/> needs no element of
    /// its own for styles and tests to find it. The same for every row: a colour that changes from row to row belongs on
    /// an element inside the cell (recolouring Radzen's text span of a cell doubles the browser's work per page change).
    /// Default none.
    /// </summary>
    public string? CellCssClass { get; init; }

    /// <summary>True for a data column (it has a Core field).</summary>
    public bool IsData => Field is not null && Property is not null;

    internal bool IsPickable => Pickable ?? IsData;
}
