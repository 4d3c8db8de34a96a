using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;

namespace Portal.Payments.Benchmarks.Throughput;

/// <summary>Helpers shared by the throughput measurement modes: load average, medians, databases, round-trip counting.</summary>
internal static class Measure
{
    /// <summary>The machine's 1-minute load average (from /proc/loadavg), or NaN where there is none.</summary>
    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="values"/>.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Formats a number for the tables (invariant culture).</summary>
    public static string F(double value, int decimals = 1) => value.ToString("N" + decimals, CultureInfo.InvariantCulture);

    /// <summary>A fresh database on the shared throwaway PostgreSQL cluster of the Core tests.</summary>
    public static async Task<string> NewPostgresDatabaseAsync(string prefix)
    {
        var admin = await PostgresServer.GetAdminConnectionStringAsync();
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..10];
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>A SQLite file in the temp folder, deleted by <see cref="DeleteSqlite"/>.</summary>
    public static string NewSqlitePath(string prefix) => Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}.db");

    /// <summary>Deletes a SQLite file and its WAL files.</summary>
    public static void DeleteSqlite(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }
    }

    /// <summary>Wall-clock seconds of <paramref name="work"/>.</summary>
    public static async Task<(T Result, double Seconds)> TimeAsync<T>(Func<Task<T>> work)
    {
        var sw = Stopwatch.StartNew();
        var result = await work();
        return (result, sw.Elapsed.TotalSeconds);
    }
}

/// <summary>Counts database round trips (commands executed, transactions committed) of every context it is added to.</summary>
internal sealed class RoundTripCounter : DbCommandInterceptor, IDbTransactionInterceptor
{
    private long _commands;
    private long _commits;

    /// <summary>Commands sent (queries, updates, inserts; a batched SaveChanges is one).</summary>
    public long Commands => Interlocked.Read(ref _commands);

    /// <summary>Transactions committed (one more round trip each).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Starts counting from zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _commands, 0);
        Interlocked.Exchange(ref _commits, 0);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Interlocked.Increment(ref _commands);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commands);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Interlocked.Increment(ref _commands);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commands);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Interlocked.Increment(ref _commands);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commands);
        return ValueTask.FromResult(result);
    }

    void IDbTransactionInterceptor.TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Interlocked.Increment(ref _commits);

    Task IDbTransactionInterceptor.TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _commits);
        return Task.CompletedTask;
    }
}
