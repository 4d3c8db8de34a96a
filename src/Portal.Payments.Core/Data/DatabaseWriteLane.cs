using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;

namespace Portal.Payments.Data;

/// <summary>
/// One lane for the short write transactions of the money path. SQLite has a single writer: many concurrent writers
/// in one process mostly sleep in SQLite's busy handler (8 charges in flight wrote 12 payments/s where one wrote 262/s),
/// so on SQLite every write through the lane waits its turn in memory instead — gateway calls still run in parallel.
/// On PostgreSQL the lane is open: writes go straight through. Adapters that store in the portal's database (the
/// sandbox gateway) use it too.
/// </summary>
public sealed class DatabaseWriteLane(IOptions<PortalPaymentsOptions> options)
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>True when writes are serialised (SQLite).</summary>
    public bool Serialized => options.Value.Database.Provider == DatabaseProvider.Sqlite;

    /// <summary>Runs <paramref name="write"/> (one short transaction) in the lane.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!Serialized)
        {
            return await write();
        }
        await _writer.WaitAsync(cancellationToken);
        try
        {
            return await write();
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Runs <paramref name="write"/> (one short transaction) in the lane.</summary>
    public Task RunAsync(Func<Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return RunAsync(async () =>
        {
            await write();
            return true;
        }, cancellationToken);
    }
}
