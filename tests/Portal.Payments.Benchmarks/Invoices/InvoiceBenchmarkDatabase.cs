using System.Diagnostics;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using NpgsqlTypes;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Testing;
using Portal.Payments.Users;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>Database the open-invoices benchmarks run on.</summary>
public enum BenchmarkProvider
{
    /// <summary>SQLite file.</summary>
    Sqlite,
    /// <summary>Throwaway PostgreSQL cluster.</summary>
    Postgres,
}

/// <summary>
/// The 1,000,000-invoice database of the open-invoices benchmarks, created with the real migrations,
/// bulk loaded (SQLite: one transaction re-executing one prepared INSERT; PostgreSQL: binary COPY), with the
/// secondary indexes of the migrations rebuilt after the load, every account marked as synced (so the
/// services never pull from the demo ERP), and ANALYZE run. Both are cached in the temp folder under
/// <see cref="InvoiceDataSet.Version"/> and the load date, so only the first run of a day pays the load.
/// </summary>
internal static class InvoiceBenchmarkDatabase
{
    private const string PostgresDatabase = "pp_bench";
    private const string LoadedMarker = "loaded.ok";

    private static readonly string[] Columns =
    [
        "Id", "AccountId", "ExternalId", "Number", "Type", "PoNumber", "Reference", "NumberKey", "PoKey", "ReferenceKey",
        "DocumentDate", "DueDate", "Currency", "OriginalMinor", "OpenMinor", "DiscountMinor", "DiscountDate", "IsOpen",
        "Status", "ScheduledFor", "ActivePaymentId", "CommentCount", "SyncedAt", "Version",
    ];

    /// <summary>"Today" of the data set and of the services (the day the cache was built for).</summary>
    public static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    // The newest migration is part of the key: a cached database built on an older schema (other indexes) is never reused.
    private static readonly string SchemaVersion = typeof(PaymentsDbContext).Assembly.GetTypes()
        .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Id)
        .OfType<string>()
        .Max(StringComparer.Ordinal)![..14];

    private static string CacheKey => $"{InvoiceDataSet.Version}-{SchemaVersion}-{Today:yyyyMMdd}";

    /// <summary>Builds the portal's core services on the database, signed in as a viewer of the account under test.</summary>
    public static ServiceProvider BuildServices(BenchmarkProvider provider, string connectionString)
    {
        var services = new ServiceCollection();
        var users = new FakePortalUserContext { User = FakePortalUserContext.UserOn(InvoiceDataSet.Account, PortalPermissions.View) };
        var builder = services.AddPortalPaymentsCore(o => o.RunBackgroundServices = false);
        _ = provider == BenchmarkProvider.Sqlite ? builder.UseSqlite(connectionString) : builder.UsePostgres(connectionString);
        builder.UseSandboxGateway().UseDemoErp();
        builder.Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(_ => users));
        return services.BuildServiceProvider();
    }

    /// <summary>The cached SQLite file's connection string, loading the file first when it does not exist.</summary>
    public static async Task<string> PrepareSqliteAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pp-bench-invoices-{CacheKey}.db");
        if (!File.Exists(path))
        {
            var loading = path + ".loading";
            DeleteSqliteFiles(loading);
            await LoadAsync(BenchmarkProvider.Sqlite, $"Data Source={loading}", BulkInsertSqliteAsync);
            SqliteConnection.ClearAllPools();
            File.Move(loading, path);
        }
        return $"Data Source={path};Default Timeout=30";
    }

    /// <summary>
    /// Starts the cached PostgreSQL cluster (kept in the temp folder under the data-version key, so the 1,000,000-row load
    /// happens once and later runs only start it), loading it first when it was not loaded yet; stop it with
    /// <see cref="PostgresCluster.StopAsync"/> (fast, so the folder stays valid).
    /// </summary>
    public static async Task<(PostgresCluster Server, string ConnectionString)> StartPostgresAsync()
    {
        var server = new PostgresCluster(Path.Combine(Path.GetTempPath(), $"pp-bench-pg-{CacheKey}"));
        await server.StartAsync(commandTimeoutSeconds: 600);
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = PostgresDatabase }.ConnectionString;
        if (server.Reused && File.Exists(Path.Combine(server.Folder, LoadedMarker)))
        {
            return (server, connectionString);
        }
        if (server.Reused)
        {
            // An interrupted load: start over from an empty cluster.
            await server.StopAsync(fast: true);
            server.Delete();
            await server.StartAsync(commandTimeoutSeconds: 600);
            connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = PostgresDatabase }.ConnectionString;
        }
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {PostgresDatabase}", admin);
            await create.ExecuteNonQueryAsync();
        }
        await LoadAsync(BenchmarkProvider.Postgres, connectionString, BulkCopyPostgresAsync);
        await File.WriteAllTextAsync(Path.Combine(server.Folder, LoadedMarker), DateTime.UtcNow.ToString("O"));
        return (server, connectionString);
    }

    private static async Task LoadAsync(BenchmarkProvider provider, string connectionString, Func<string, IEnumerable<InvoiceRecord>, Task> bulkLoad)
    {
        var watch = Stopwatch.StartNew();
        await using (var root = BuildServices(provider, connectionString))
        {
            await root.MigratePortalPaymentsAsync();
        }
        var now = DateTime.UtcNow;
        await bulkLoad(connectionString, InvoiceDataSet.Generate(Today, now));
        await using (var root = BuildServices(provider, connectionString))
        {
            var factory = root.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
            await using var db = await factory.CreateDbContextAsync();
            db.ErpSyncStates.AddRange(InvoiceDataSet.Accounts.Select(a => new ErpSyncStateRecord { AccountId = a, LastSyncedAt = now }));
            await db.SaveChangesAsync();
        }
        Console.WriteLine($"// Loaded {InvoiceDataSet.TotalRows:N0} invoices into {provider} in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task BulkInsertSqliteAsync(string connectionString, IEnumerable<InvoiceRecord> rows)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-512000;");
        var indexes = await DropSecondaryIndexesAsync(connection, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pp_invoices' AND sql IS NOT NULL");
        // The contains-search index (FTS5) is kept by triggers: rebuilt in one pass after the load instead of a million times.
        var triggers = await DropTriggersAsync(connection, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'pp_invoices'");

        await using (var tx = connection.BeginTransaction())
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO pp_invoices ({string.Join(", ", Columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})";
            var p = Columns.ToDictionary(c => c, c => insert.Parameters.Add(new SqliteParameter { ParameterName = "$" + c }));
            insert.Prepare();
            foreach (var r in rows)
            {
                // Stored the way EF Core's SQLite provider stores them: dates as ISO text, Guids as upper-case text, enums and bools as integers.
                p["Id"].Value = r.Id;
                p["AccountId"].Value = r.AccountId;
                p["ExternalId"].Value = r.ExternalId;
                p["Number"].Value = r.Number;
                p["Type"].Value = (int)r.Type;
                p["PoNumber"].Value = (object?)r.PoNumber ?? DBNull.Value;
                p["Reference"].Value = (object?)r.Reference ?? DBNull.Value;
                p["NumberKey"].Value = r.NumberKey;
                p["PoKey"].Value = r.PoKey;
                p["ReferenceKey"].Value = r.ReferenceKey;
                p["DocumentDate"].Value = r.DocumentDate;
                p["DueDate"].Value = r.DueDate;
                p["Currency"].Value = r.Currency;
                p["OriginalMinor"].Value = r.OriginalMinor;
                p["OpenMinor"].Value = r.OpenMinor;
                p["DiscountMinor"].Value = (object?)r.DiscountMinor ?? DBNull.Value;
                p["DiscountDate"].Value = (object?)r.DiscountDate ?? DBNull.Value;
                p["IsOpen"].Value = r.IsOpen;
                p["Status"].Value = (int)r.Status;
                p["ScheduledFor"].Value = (object?)r.ScheduledFor ?? DBNull.Value;
                p["ActivePaymentId"].Value = (object?)r.ActivePaymentId?.ToString().ToUpperInvariant() ?? DBNull.Value;
                p["CommentCount"].Value = r.CommentCount;
                p["SyncedAt"].Value = r.SyncedAt;
                p["Version"].Value = r.Version;
                await insert.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }

        foreach (var sql in indexes.Concat(triggers))
        {
            await ExecuteAsync(connection, sql);
        }
        await ExecuteAsync(connection, "INSERT INTO pp_invoice_search(pp_invoice_search) VALUES('rebuild');");
        await ExecuteAsync(connection, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private static async Task BulkCopyPostgresAsync(string connectionString, IEnumerable<InvoiceRecord> rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var indexes = await DropSecondaryIndexesAsync(connection, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'pp_invoices' AND indexname <> 'PK_pp_invoices'");

        await using (var copy = await connection.BeginBinaryImportAsync($"COPY pp_invoices ({string.Join(", ", Columns.Select(c => $"\"{c}\""))}) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(r.Id, NpgsqlDbType.Bigint);
                await copy.WriteAsync(r.AccountId, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.ExternalId, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.Number, NpgsqlDbType.Varchar);
                await copy.WriteAsync((int)r.Type, NpgsqlDbType.Integer);
                await WriteNullableAsync(copy, r.PoNumber, NpgsqlDbType.Varchar);
                await WriteNullableAsync(copy, r.Reference, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.NumberKey, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.PoKey, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.ReferenceKey, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.DocumentDate, NpgsqlDbType.Date);
                await copy.WriteAsync(r.DueDate, NpgsqlDbType.Date);
                await copy.WriteAsync(r.Currency, NpgsqlDbType.Varchar);
                await copy.WriteAsync(r.OriginalMinor, NpgsqlDbType.Bigint);
                await copy.WriteAsync(r.OpenMinor, NpgsqlDbType.Bigint);
                await WriteNullableAsync(copy, r.DiscountMinor, NpgsqlDbType.Bigint);
                await WriteNullableAsync(copy, r.DiscountDate, NpgsqlDbType.Date);
                await copy.WriteAsync(r.IsOpen, NpgsqlDbType.Boolean);
                await copy.WriteAsync((int)r.Status, NpgsqlDbType.Integer);
                await WriteNullableAsync(copy, r.ScheduledFor, NpgsqlDbType.Date);
                await WriteNullableAsync(copy, r.ActivePaymentId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(r.CommentCount, NpgsqlDbType.Integer);
                await copy.WriteAsync(r.SyncedAt, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(r.Version, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync();
        }

        foreach (var sql in indexes)
        {
            await ExecuteAsync(connection, sql);
        }
        // Explicit ids were copied: move the identity past them, as inserts through EF would have.
        await ExecuteAsync(connection, "SELECT setval(pg_get_serial_sequence('pp_invoices', 'Id'), (SELECT max(\"Id\") FROM pp_invoices))");
        // VACUUM as autovacuum would after a bulk load, then ANALYZE. FREEZE marks every page all-visible: with a
        // partial visibility map (a plain VACUUM right after the COPY left a third of the pages out) the planner
        // prices the balances' index-only scan too high and reads the whole account's heap instead (180 ms vs 30 ms).
        await ExecuteAsync(connection, "VACUUM (FREEZE, ANALYZE)");
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : class =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, type);

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : struct =>
        value is { } v ? copy.WriteAsync(v, type) : copy.WriteNullAsync();

    // Bulk loads are faster into a table without secondary indexes; the migrations' own definitions are re-run afterwards.
    private static async Task<List<string>> DropSecondaryIndexesAsync(System.Data.Common.DbConnection connection, string listSql)
    {
        var indexes = new List<(string Name, string Sql)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = listSql;
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, _) in indexes)
        {
            await ExecuteAsync(connection, $"DROP INDEX \"{name}\"");
        }
        return indexes.Select(i => i.Sql).ToList();
    }

    private static async Task<List<string>> DropTriggersAsync(System.Data.Common.DbConnection connection, string listSql)
    {
        var triggers = new List<(string Name, string Sql)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = listSql;
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                triggers.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, _) in triggers)
        {
            await ExecuteAsync(connection, $"DROP TRIGGER \"{name}\"");
        }
        return triggers.Select(t => t.Sql).ToList();
    }

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static void DeleteSqliteFiles(string path)
    {
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }
    }
}
