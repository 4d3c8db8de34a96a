using System.Globalization;
using System.Text;
using Radzen;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The style sheet that titles a grid's cells on a phone, where each row becomes a card: the n-th cell of every row gets
/// its column's title from one rule, so no cell carries a copy of its title (Radzen's responsive mode renders a title
/// element in every cell of every row, a third of a row's render tree).
/// </summary>
internal static class GridCardTitles
{
    /// <summary>The rules for the grid whose root element has id <paramref name="gridId"/>.</summary>
    /// <param name="gridId">Id of the grid's root element (rules of one grid never title another's cells).</param>
    /// <param name="columns">The grid's columns in their built-in order.</param>
    /// <param name="settings">The grid's layout (order and visibility), or null for the built-in layout.</param>
    public static string Css<TRow>(string gridId, IReadOnlyList<PortalGridColumn<TRow>> columns, DataGridSettings? settings)
    {
        var saved = settings?.Columns ?? [];
        var shown = columns
            .Select((column, index) => (column, index, saved: Saved(saved, column)))
            .Where(c => c.saved?.Visible ?? c.column.Visible)
            .OrderBy(c => c.saved?.OrderIndex ?? c.index)
            .ThenBy(c => c.index)
            .Select(c => c.column)
            .ToList();
        var css = new StringBuilder();
        css.Append("@media (max-width: 768px) {");
        for (var i = 0; i < shown.Count; i++)
        {
            if (shown[i].HeaderTemplate is not null)
            {
                // A column headed by a control (the page's select box) is that control in each card: no title.
                continue;
            }
            css.Append(CultureInfo.InvariantCulture, $" #{gridId} .pp-grid-cards tr.rz-data-row > td:nth-child({i + 1})::before {{ content: \"");
            AppendCssString(css, shown[i].Title);
            css.Append("\"; }");
        }
        return css.Append(" }").ToString();
    }

    /// <summary>A column's saved settings, found as Radzen's grid finds them: by unique id, else by the bound property path.</summary>
    private static DataGridColumnSettings? Saved<TRow>(IEnumerable<DataGridColumnSettings> saved, PortalGridColumn<TRow> column) =>
        saved.FirstOrDefault(s => !string.IsNullOrEmpty(s.UniqueID) && s.UniqueID == column.Id)
        ?? (PortalGridSlot<TRow>.PathOf(column.Property) is { } path ? saved.FirstOrDefault(s => s.Property == path) : null);

    /// <summary>
    /// A title as the inside of a CSS string: quotes, backslashes, line breaks and the characters HTML treats specially
    /// are escaped by code point, so no title can end the string, the rule or the style element.
    /// </summary>
    private static void AppendCssString(StringBuilder css, string text)
    {
        foreach (var c in text)
        {
            if (c is '"' or '\\' or '<' or '>' or '&' or '\'' || char.IsControl(c))
            {
                css.Append(CultureInfo.InvariantCulture, $"\\{(int)c:X} ");
            }
            else
            {
                css.Append(c);
            }
        }
    }
}
