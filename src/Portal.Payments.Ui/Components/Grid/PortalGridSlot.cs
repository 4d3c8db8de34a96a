namespace Portal.Payments.Ui.Components;

/// <summary>
/// A row of a <see cref="PortalGrid{TRow}"/> in its place on the page. Radzen's DataGrid keys its row components by
/// item; keyed by place, a page change, sort or reload updates the page's row components in place (only the changed
/// texts and attributes go to the browser) instead of disposing every row and rendering new ones.
/// </summary>
/// <typeparam name="TRow">The grid's row type.</typeparam>
public sealed class PortalGridSlot<TRow> : IEquatable<PortalGridSlot<TRow>>
{
    /// <summary>The prefix of a column's property path on the slot ("Row.DueDate").</summary>
    public const string Prefix = nameof(Row) + ".";

    internal PortalGridSlot(int index, TRow row)
    {
        Index = index;
        Row = row;
    }

    /// <summary>Place on the page, from 0.</summary>
    public int Index { get; }

    /// <summary>The row shown there.</summary>
    public TRow Row { get; }

    /// <summary>The property path of a row property on the slot.</summary>
    internal static string? PathOf(string? property) => property is null ? null : Prefix + property;

    /// <summary>Slots are equal by place: the grid's row key.</summary>
    public bool Equals(PortalGridSlot<TRow>? other) => other is not null && other.Index == Index;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PortalGridSlot<TRow>);

    /// <inheritdoc />
    public override int GetHashCode() => Index;
}
