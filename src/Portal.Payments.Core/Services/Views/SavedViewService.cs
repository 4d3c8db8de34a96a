using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Payments.Data;

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

/// <summary>
/// Saved grid views per user and account; shared views; each user's default.
/// Every entry point needs only the View permission, view-only users included: a view is a personal
/// display preference (columns, filters, sort) and changes nothing financial, so refusing it would only
/// make the portal worse for read-only users. Ownership rules still apply to every change.
/// </summary>
public sealed class SavedViewService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    TimeProvider clock)
{
    /// <summary>Grid keys that have saved views.</summary>
    public static readonly IReadOnlyList<string> Grids = ["invoices", "history"];

    /// <summary>Longest view name.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Largest layout, in UTF-8 bytes.</summary>
    public const int MaxLayoutBytes = 64 * 1024;

    /// <summary>Most views one user keeps per grid.</summary>
    public const int MaxViewsPerGrid = 50;

    /// <summary>The user's views and the account's shared views of <paramref name="grid"/>, by name.</summary>
    public async Task<IReadOnlyList<SavedView>> ListAsync(string grid, CancellationToken cancellationToken = default)
    {
        var key = ValidGrid(grid);
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var userId = scope.User.UserId;
        var rows = await Visible(db, scope, key).AsNoTracking().ToListAsync(cancellationToken);
        var defaultId = await DefaultIdAsync(db, scope, key, cancellationToken);
        // Sorted here, not in SQL: column collations differ between SQLite and PostgreSQL.
        return rows
            .OrderBy(r => r.Name, StringComparer.CurrentCultureIgnoreCase)
            .ThenBy(r => r.OwnerUserId == userId ? 0 : 1)
            .ThenBy(r => r.OwnerName, StringComparer.CurrentCultureIgnoreCase)
            .Select(r => ToView(r, userId, defaultId))
            .ToList();
    }

    /// <summary>The user's default view of <paramref name="grid"/>, or null for the built-in layout.</summary>
    public async Task<SavedView?> GetDefaultAsync(string grid, CancellationToken cancellationToken = default)
    {
        var key = ValidGrid(grid);
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await DefaultIdAsync(db, scope, key, cancellationToken) is not { } defaultId)
        {
            return null;
        }
        // A default that was deleted or unshared since is no longer visible: the built-in layout applies.
        var row = await Visible(db, scope, key).AsNoTracking().FirstOrDefaultAsync(v => v.Id == defaultId, cancellationToken);
        return row is null ? null : ToView(row, scope.User.UserId, defaultId);
    }

    /// <summary>Creates or overwrites a view.</summary>
    public async Task<SavedView> SaveAsync(SaveViewRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = ValidGrid(request.Grid);
        var name = ValidName(request.Name);
        var layout = ValidLayout(request.LayoutJson);
        var scope = await access.ForViewAsync(cancellationToken);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        SavedViewRecord row;
        if (request.ReplaceId is { } replaceId)
        {
            row = await FindMineAsync(db, scope, replaceId, cancellationToken);
            if (row.Grid != key)
            {
                throw PortalFieldError.Of("grid", "ViewOtherGrid", "That view belongs to another grid.").ToException();
            }
            await EnsureNameFreeAsync(db, scope, key, name, row.Id, cancellationToken);
            if (row.IsShared && !request.IsShared)
            {
                await UnshareAsync(db, scope, row, cancellationToken);
            }
            else
            {
                row.IsShared = request.IsShared;
            }
        }
        else
        {
            var count = await db.SavedViews.CountAsync(v => v.AccountId == scope.AccountId && v.Grid == key && v.OwnerUserId == scope.User.UserId, cancellationToken);
            if (count >= MaxViewsPerGrid)
            {
                throw PortalFieldError.Of("name", "ViewLimit", "You have {0} saved views for this list, the most allowed. Delete one or overwrite it instead.", MaxViewsPerGrid).ToException();
            }
            await EnsureNameFreeAsync(db, scope, key, name, null, cancellationToken);
            row = new SavedViewRecord
            {
                Id = Guid.NewGuid(),
                AccountId = scope.AccountId,
                OwnerUserId = scope.User.UserId,
                OwnerName = OwnerName(scope),
                Grid = key,
                IsShared = request.IsShared,
                CreatedAt = now,
            };
            db.SavedViews.Add(row);
        }
        row.Name = name;
        row.LayoutJson = layout;
        row.UpdatedAt = now;
        await SaveUniqueAsync(db, name, cancellationToken);
        if (request.MakeDefault)
        {
            await WriteDefaultAsync(db, scope, key, row.Id, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        var defaultId = await DefaultIdAsync(db, scope, key, cancellationToken);
        return ToView(row, scope.User.UserId, defaultId);
    }

    /// <summary>Renames one of the user's views.</summary>
    public async Task<SavedView> RenameAsync(Guid viewId, string name, CancellationToken cancellationToken = default)
    {
        var trimmed = ValidName(name);
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await FindMineAsync(db, scope, viewId, cancellationToken);
        await EnsureNameFreeAsync(db, scope, row.Grid, trimmed, row.Id, cancellationToken);
        row.Name = trimmed;
        row.UpdatedAt = Now;
        await SaveUniqueAsync(db, trimmed, cancellationToken);
        return ToView(row, scope.User.UserId, await DefaultIdAsync(db, scope, row.Grid, cancellationToken));
    }

    /// <summary>Shares or unshares one of the user's views. Unsharing sends the other users who chose it as their default back to the built-in layout.</summary>
    public async Task<SavedView> SetSharedAsync(Guid viewId, bool shared, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await FindMineAsync(db, scope, viewId, cancellationToken);
        if (shared)
        {
            row.IsShared = true;
        }
        else
        {
            await UnshareAsync(db, scope, row, cancellationToken);
        }
        row.UpdatedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ToView(row, scope.User.UserId, await DefaultIdAsync(db, scope, row.Grid, cancellationToken));
    }

    /// <summary>Makes a visible view the user's default for its grid; null restores the built-in layout as default.</summary>
    public async Task SetDefaultAsync(string grid, Guid? viewId, CancellationToken cancellationToken = default)
    {
        var key = ValidGrid(grid);
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (viewId is { } id && !await Visible(db, scope, key).AnyAsync(v => v.Id == id, cancellationToken))
        {
            throw new PortalNotFoundException("That view was not found. It may have been deleted or is no longer shared.");
        }
        await WriteDefaultAsync(db, scope, key, viewId, cancellationToken);
    }

    /// <summary>Deletes one of the user's views; every user who had it as default goes back to the built-in layout.</summary>
    public async Task DeleteAsync(Guid viewId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await FindMineAsync(db, scope, viewId, cancellationToken);
        var now = Now;
        await db.GridPreferences
            .Where(p => p.AccountId == scope.AccountId && p.DefaultViewId == viewId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.DefaultViewId, (Guid?)null).SetProperty(p => p.UpdatedAt, now), cancellationToken);
        db.SavedViews.Remove(row);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private static IQueryable<SavedViewRecord> Visible(PaymentsDbContext db, AccountScope scope, string grid)
    {
        var userId = scope.User.UserId;
        return db.SavedViews.Where(v => v.AccountId == scope.AccountId && v.Grid == grid && (v.OwnerUserId == userId || v.IsShared));
    }

    private static async Task<SavedViewRecord> FindMineAsync(PaymentsDbContext db, AccountScope scope, Guid viewId, CancellationToken ct)
    {
        var userId = scope.User.UserId;
        var row = await db.SavedViews.FirstOrDefaultAsync(v => v.Id == viewId && v.AccountId == scope.AccountId && (v.OwnerUserId == userId || v.IsShared), ct)
            ?? throw new PortalNotFoundException("That view was not found. It may have been deleted or is no longer shared.");
        return row.OwnerUserId == userId
            ? row
            : throw new PortalAccessDeniedException($"\u201c{row.Name}\u201d is shared by {row.OwnerName}; only they can change or delete it. Save it under a new name to have your own copy.");
    }

    private static async Task UnshareAsync(PaymentsDbContext db, AccountScope scope, SavedViewRecord row, CancellationToken ct)
    {
        row.IsShared = false;
        var owner = scope.User.UserId;
        var id = row.Id;
        await db.GridPreferences
            .Where(p => p.AccountId == scope.AccountId && p.DefaultViewId == id && p.UserId != owner)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.DefaultViewId, (Guid?)null), ct);
    }

    private static async Task EnsureNameFreeAsync(PaymentsDbContext db, AccountScope scope, string grid, string name, Guid? except, CancellationToken ct)
    {
        // At most 50 names: compared here, case-insensitively, instead of lower-casing the column in SQL.
        var userId = scope.User.UserId;
        var names = await db.SavedViews.AsNoTracking()
            .Where(v => v.AccountId == scope.AccountId && v.Grid == grid && v.OwnerUserId == userId && v.Id != except)
            .Select(v => v.Name)
            .ToListAsync(ct);
        if (names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw DuplicateName(name);
        }
    }

    private static async Task SaveUniqueAsync(PaymentsDbContext db, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // Another tab saved the same name between the check and this insert: the unique index refused it.
            throw DuplicateName(name);
        }
    }

    private async Task WriteDefaultAsync(PaymentsDbContext db, AccountScope scope, string grid, Guid? viewId, CancellationToken ct)
    {
        var userId = scope.User.UserId;
        var now = Now;
        var updated = await db.GridPreferences
            .Where(p => p.AccountId == scope.AccountId && p.UserId == userId && p.Grid == grid)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.DefaultViewId, viewId).SetProperty(p => p.UpdatedAt, now), ct);
        if (updated > 0)
        {
            return;
        }
        var preference = new GridPreferenceRecord { AccountId = scope.AccountId, UserId = userId, Grid = grid, DefaultViewId = viewId, UpdatedAt = now };
        db.GridPreferences.Add(preference);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (db.Database.CurrentTransaction is null)
        {
            // Another tab created the row first: this choice is the later one, so it wins.
            db.Entry(preference).State = EntityState.Detached;
            await db.GridPreferences
                .Where(p => p.AccountId == scope.AccountId && p.UserId == userId && p.Grid == grid)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.DefaultViewId, viewId).SetProperty(p => p.UpdatedAt, now), ct);
        }
    }

    private static async Task<Guid?> DefaultIdAsync(PaymentsDbContext db, AccountScope scope, string grid, CancellationToken ct)
    {
        var userId = scope.User.UserId;
        return await db.GridPreferences.AsNoTracking()
            .Where(p => p.AccountId == scope.AccountId && p.UserId == userId && p.Grid == grid)
            .Select(p => p.DefaultViewId)
            .FirstOrDefaultAsync(ct);
    }

    private static string ValidGrid(string? grid) =>
        grid is not null && Grids.Contains(grid, StringComparer.Ordinal)
            ? grid
            : throw PortalFieldError.Of("grid", "ViewUnknownGrid", "Views can be saved for the {0} lists only.", string.Join(" and ", Grids)).ToException();

    private static string ValidName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw PortalFieldError.Of("name", "ViewNameMissing", "Give the view a name.").ToException();
        }
        return trimmed.Length > MaxNameLength
            ? throw PortalFieldError.Of("name", "ViewNameTooLong", "A view name can be at most {0} characters; this one has {1}.", MaxNameLength, trimmed.Length).ToException()
            : trimmed;
    }

    private static string ValidLayout(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw PortalFieldError.Of("layout", "ViewLayoutMissing", "The list sent no layout to save; reload the page and try again.").ToException();
        }
        if (Encoding.UTF8.GetByteCount(json) > MaxLayoutBytes)
        {
            throw PortalFieldError.Of("layout", "ViewLayoutTooLarge", "This layout is too large to save (over 64 KB). Clear some filters and try again.").ToException();
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? json
                : throw PortalFieldError.Of("layout", "ViewLayoutNotObject", "The layout must be a JSON object; reload the page and try again.").ToException();
        }
        catch (JsonException)
        {
            throw PortalFieldError.Of("layout", "ViewLayoutInvalid", "The layout is not valid JSON; reload the page and try again.").ToException();
        }
    }

    private static PortalValidationException DuplicateName(string name) =>
        PortalFieldError.Of("name", "ViewNameTaken", "You already have a view named \u201c{0}\u201d. Choose another name, or overwrite that view.", name).ToException();

    private static string OwnerName(AccountScope scope)
    {
        var name = scope.User.DisplayName.Trim();
        return name.Length > 200 ? name[..200] : name;
    }

    private static SavedView ToView(SavedViewRecord r, string userId, Guid? defaultId) => new()
    {
        Id = r.Id,
        Grid = r.Grid,
        Name = r.Name,
        IsShared = r.IsShared,
        IsMine = r.OwnerUserId == userId,
        OwnerName = r.OwnerName,
        IsMyDefault = r.Id == defaultId,
        LayoutJson = r.LayoutJson,
        UpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(r.UpdatedAt, DateTimeKind.Utc)),
    };

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
