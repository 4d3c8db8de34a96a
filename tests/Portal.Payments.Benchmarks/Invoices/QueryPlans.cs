using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Portal.Payments.Data;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// Prints the SQL each benchmarked operation sends (captured from EF Core's diagnostic events, with its
/// parameter values), how long each command took, and its plan: SQLite <c>EXPLAIN QUERY PLAN</c>,
/// PostgreSQL <c>EXPLAIN (ANALYZE, BUFFERS)</c>. Run with
/// <c>dotnet run -c Release --project tests/Portal.Payments.Benchmarks -- plans [Sqlite|Postgres]</c>.
/// </summary>
public sealed class QueryPlans : OpenInvoicesBenchmarkBase, IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private readonly List<(string Sql, DbParameter[] Parameters, TimeSpan Duration)> _commands = [];
    private bool _capturing;
    private string _connectionString = "";

    /// <summary>Prints the plans for each provider named in <paramref name="args"/> (both when none).</summary>
    public static async Task RunAsync(IReadOnlyList<string> args)
    {
        var providers = args.Count == 0 ? Enum.GetValues<BenchmarkProvider>() : args.Select(Enum.Parse<BenchmarkProvider>).ToArray();
        foreach (var provider in providers)
        {
            var plans = new QueryPlans { Provider = provider };
            using var subscription = DiagnosticListener.AllListeners.Subscribe(plans);
            await plans.GlobalSetupAsync();
            try
            {
                await plans.PrintAsync();
            }
            finally
            {
                await plans.GlobalCleanupAsync();
            }
        }
    }

    private async Task PrintAsync()
    {
        _connectionString = ConnectionString;
        var operations = new (string Name, Func<Task> Run)[]
        {
            ("FirstPage", () => Invoices.QueryAsync(FirstPageQuery)),
            ("SearchPrefix", () => Invoices.QueryAsync(SearchQuery)),
            ("SearchContains", () => Invoices.QueryAsync(ContainsQuery)),
            ("SearchContainsBroad", () => Invoices.QueryAsync(ContainsBroadQuery)),
            ("Balances", () => Overview.GetSummaryAsync()),
            ("FirstPage count with the suggested IsOpen = @open", () => SuggestedFirstPageCountAsync()),
            ("SearchPrefix count with the suggested IsOpen = @open", () => SuggestedSearchCountAsync()),
            ("CsvExport100k", async () =>
            {
                await using var writer = new StreamWriter(Stream.Null);
                await Invoices.WriteCsvAsync(ExportQuery, AllColumns, writer);
            }),
        };
        foreach (var (name, run) in operations)
        {
            await run();
            _commands.Clear();
            _capturing = true;
            var watch = Stopwatch.StartNew();
            await run();
            _capturing = false;
            Console.WriteLine($"\n===== {Provider} {name}: {watch.Elapsed.TotalMilliseconds:F1} ms, {_commands.Count} commands =====");
            foreach (var (sql, parameters, duration) in _commands)
            {
                Console.WriteLine($"--- {duration.TotalMilliseconds:F1} ms; parameters: {string.Join(", ", parameters.Select(p => $"{p.ParameterName}={p.Value}"))}\n{sql}");
                Console.WriteLine(await ExplainAsync(sql, parameters));
            }
        }
    }

    // The open filter as an equality on a parameter, the fix suggested for SQLite (a bare "IsOpen" is no index term there).
    private async Task<int> SuggestedFirstPageCountAsync()
    {
        var open = true;
        var status = InvoiceStatus.Open;
        var (from, to) = (DueFrom, DueTo);
        await using var db = await DbFactory.CreateDbContextAsync();
        return await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == InvoiceDataSet.Account && i.IsOpen == open && i.Status == status && i.DueDate >= from && i.DueDate <= to)
            .CountAsync();
    }

    private async Task<int> SuggestedSearchCountAsync()
    {
        var open = true;
        var (lower, upper) = SearchKeys.PrefixRange(SearchKeys.Normalize(SearchText));
        await using var db = await DbFactory.CreateDbContextAsync();
        return await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == InvoiceDataSet.Account && i.IsOpen == open
                && ((string.Compare(i.NumberKey, lower) >= 0 && string.Compare(i.NumberKey, upper) < 0)
                    || (string.Compare(i.PoKey, lower) >= 0 && string.Compare(i.PoKey, upper) < 0)
                    || (string.Compare(i.ReferenceKey, lower) >= 0 && string.Compare(i.ReferenceKey, upper) < 0)))
            .CountAsync();
    }

    private async Task<string> ExplainAsync(string sql, DbParameter[] parameters)
    {
        await using DbConnection connection = Provider == BenchmarkProvider.Sqlite ? new SqliteConnection(_connectionString) : new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = (Provider == BenchmarkProvider.Sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN (ANALYZE, BUFFERS) ") + sql;
        foreach (var p in parameters)
        {
            var copy = command.CreateParameter();
            copy.ParameterName = p.ParameterName;
            copy.Value = p.Value;
            copy.DbType = p.DbType;
            command.Parameters.Add(copy);
        }
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(Provider == BenchmarkProvider.Sqlite ? $"  {reader.GetValue(1)} -> {reader.GetValue(3)}" : "  " + reader.GetString(0));
        }
        return string.Join(Environment.NewLine, lines);
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            value.Subscribe(this);
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (_capturing && value.Key == RelationalEventId.CommandExecuted.Name && value.Value is CommandExecutedEventData e)
        {
            _commands.Add((e.Command.CommandText, e.Command.Parameters.Cast<DbParameter>().ToArray(), e.Duration));
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }
}
