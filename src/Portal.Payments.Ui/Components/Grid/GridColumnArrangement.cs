namespace Portal.Payments.Ui.Components;

/// <summary>
/// A movable column of a grid as <see cref="GridColumnsDialog"/> shows and returns it: its id, title, whether it is shown,
/// and its width ("140px"; null for the column's standard width).
/// </summary>
/// <param name="Id">The column's id (<see cref="PortalGridColumn{TRow}.Id"/>).</param>
/// <param name="Title">The column's title.</param>
/// <param name="Visible">Shown in the grid.</param>
/// <param name="Width">CSS width, or null for the column's standard.</param>
public sealed record GridColumnArrangement(string Id, string Title, bool Visible, string? Width);
