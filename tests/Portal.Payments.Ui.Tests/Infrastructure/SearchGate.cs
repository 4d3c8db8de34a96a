using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>
/// Holds (until released) or fails (once) the database reads of one search, as a slow or failing database would: a read
/// whose parameters contain the text (letters and digits compared, case ignored) and whose SQL the optional predicate
/// accepts meets the fault; other reads run.
/// </summary>
public sealed class SearchGate : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _passed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<DbCommand, bool> _holding = new();
    private (string Text, Func<string, bool>? Sql, bool Fail)? _fault;
    private int _failed;

    /// <summary>The "select all matching" count: one row of COUNT and SUM.</summary>
    public static bool IsPayableCount(string sql) =>
        sql.Contains("COUNT(", StringComparison.OrdinalIgnoreCase) && sql.Contains("SUM(", StringComparison.OrdinalIgnoreCase);

    /// <summary>Completes when a read of the held search waits.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Completes when a held read has run after the release.</summary>
    public Task Passed => _passed.Task;

    /// <summary>Reads failed so far.</summary>
    public int Failed => _failed;

    /// <summary>Holds the reads of searches for <paramref name="text"/> (those <paramref name="sql"/> accepts) from now on.</summary>
    public void Hold(string text, Func<string, bool>? sql = null) => _fault = (Key(text), sql, false);

    /// <summary>Fails the next read of a search for <paramref name="text"/> (one <paramref name="sql"/> accepts).</summary>
    public void FailOnce(string text, Func<string, bool>? sql = null) => _fault = (Key(text), sql, true);

    /// <summary>Lets the held reads run (and holds no more).</summary>
    public void Release()
    {
        _fault = null;
        _release.TrySetResult();
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (_fault is { } fault && (fault.Sql?.Invoke(command.CommandText) ?? true)
            && command.Parameters.Cast<DbParameter>().Any(p => p.Value is string s && Key(s).Contains(fault.Text, StringComparison.Ordinal)))
        {
            if (fault.Fail)
            {
                _fault = null;
                Interlocked.Increment(ref _failed);
                throw new InvalidOperationException("Injected fault: the database connection was lost.");
            }
            _holding[command] = true;
            _reached.TrySetResult();
            await _release.Task;
        }
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        if (_holding.TryRemove(command, out _))
        {
            _passed.TrySetResult();
        }
        return ValueTask.FromResult(result);
    }

    private static string Key(string text) => string.Concat(text.Where(char.IsLetterOrDigit)).ToUpperInvariant();
}
