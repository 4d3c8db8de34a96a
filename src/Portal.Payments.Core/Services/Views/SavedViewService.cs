namespace Portal.Payments.Services.Views;

/// <summary>A saved grid layout visible to the signed-in user: theirs, or shared with the account.</summary>
public sealed record SavedView
{
    /// <summary>Id.</summary>
    public required Guid Id { get; init; }
    /// <summary>Grid key ("invoices", "history").</summary>
    public required string Grid { get; init; }
    /// <summary>Name.</summary>
    public required string Name { get; init; }
    /// <summary>Shared with every user of the account.</summary>
    public required bool IsShared { get; init; }
    /// <summary>The signed-in user's own view (only the owner renames, re-shares, overwrites or deletes it).</summary>
    public required bool IsMine { get; init; }
    /// <summary>Owner's name.</summary>
    public required string OwnerName { get; init; }
    /// <summary>The signed-in user's default view for this grid.</summary>
    public required bool IsMyDefault { get; init; }
    /// <summary>Opaque layout JSON written by the grid (columns, order, widths, filters, sort, page size).</summary>
    public required string LayoutJson { get; init; }
    /// <summary>Last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Save the current layout as a new view, or overwrite one of the user's own views.</summary>
/// <param name="Grid">Grid key.</param>
/// <param name="Name">1 to 100 characters, unique among the user's views of that grid.</param>
/// <param name="LayoutJson">Layout JSON (a JSON object, at most 64 KB).</param>
public sealed record SaveViewRequest(string Grid, string Name, string LayoutJson)
{
    /// <summary>Share with every user of the account.</summary>
    public bool IsShared { get; init; }
    /// <summary>Make it the user's default.</summary>
    public bool MakeDefault { get; init; }
    /// <summary>Overwrite this view (the user's own) instead of creating one.</summary>
    public Guid? ReplaceId { get; init; }
}

/// <summary>Saved grid views per user and account; shared views; each user's default.</summary>
public sealed class SavedViewService
{
    /// <summary>The user's views and the account's shared views of <paramref name="grid"/>, by name.</summary>
    public Task<IReadOnlyList<SavedView>> ListAsync(string grid, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>The user's default view of <paramref name="grid"/>, or null for the built-in layout.</summary>
    public Task<SavedView?> GetDefaultAsync(string grid, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Creates or overwrites a view.</summary>
    public Task<SavedView> SaveAsync(SaveViewRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Renames one of the user's views.</summary>
    public Task<SavedView> RenameAsync(Guid viewId, string name, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Shares or unshares one of the user's views.</summary>
    public Task<SavedView> SetSharedAsync(Guid viewId, bool shared, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Makes a visible view the user's default for its grid; null restores the built-in layout as default.</summary>
    public Task SetDefaultAsync(string grid, Guid? viewId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Deletes one of the user's views.</summary>
    public Task DeleteAsync(Guid viewId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
