namespace Portal.Payments.Ui.Components;

/// <summary>
/// How a <see cref="PortalDataGrid{TItem}"/> row writes one column's body cells: their CSS classes (the column's, the
/// cells' own and the alignment's, joined once) and, for a column without a template, their text.
/// </summary>
/// <typeparam name="TItem">Row type.</typeparam>
/// <param name="Class">The cells' classes; null for none.</param>
/// <param name="Text">The cell text of a column without a template (nothing is written for an empty text); null when the column has a template.</param>
public sealed record PortalGridCell<TItem>(string? Class, Func<TItem, string>? Text);
