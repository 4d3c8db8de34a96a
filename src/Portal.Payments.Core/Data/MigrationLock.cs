using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Portal.Payments.Hosting;

namespace Portal.Payments.Data;

/// <summary>
/// Lets one process at a time migrate a PostgreSQL database: several nodes started together each call
/// <c>MigratePortalPaymentsAsync()</c>, and without it they raced to create the same tables, indexes and history rows
/// ("relation … already exists", "duplicate key … PK___pp_migrations"), so all but one failed to start. A session-level
/// advisory lock on a connection of its own (no pooling: the lock ends with the session) is held around the portal's
/// migrations and those of the packages beside it; the other nodes wait for it, then find nothing left to do. SQLite is
/// one file of one node: nothing to take.
/// </summary>
internal sealed class MigrationLock : IAsyncDisposable
{
    // One key for the whole database: the pg_trgm extension exists once per database, whatever schema the portal uses.
    private const long Key = 0x5050_4D49_4752_4154;   // "PPMIGRAT"

    private readonly NpgsqlConnection? _connection;

    private MigrationLock(NpgsqlConnection? connection) => _connection = connection;

    /// <summary>Waits until this process may migrate <paramref name="database"/> (PostgreSQL), creating the database when missing.</summary>
    public static async Task<MigrationLock> TakeAsync(DatabaseOptions database, IDbContextFactory<PaymentsDbContext> factory, CancellationToken cancellationToken)
    {
        if (database.Provider != DatabaseProvider.Postgres)
        {
            return new MigrationLock(null);
        }
        // The lock needs a connection to the database itself, so a missing one is created first (as MigrateAsync would);
        // a node that loses the race to create it finds it made by another.
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var creator = db.GetService<IRelationalDatabaseCreator>();
            if (!await creator.ExistsAsync(cancellationToken))
            {
                try
                {
                    await creator.CreateAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                {
                    // Created by another node meanwhile.
                }
            }
        }
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PortalDatabase.PostgresConnectionString(database)) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({Key})", connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return new MigrationLock(connection);
    }

    /// <summary>Lets the next process migrate (closing the session ends the lock, also when the unlock cannot be sent).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is null)
        {
            return;
        }
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({Key})", _connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The session is gone, and its lock with it.
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
