using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>
/// Holds the database reads of one search at the database until released, as a slow database would hold them: every
/// read whose parameters contain the held text (letters and digits compared, case ignored) waits, others run.
/// </summary>
public sealed class SearchGate : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _passed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _held;

    /// <summary>Completes when a read of the held search waits.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Completes when a held read has run after the release.</summary>
    public Task Passed => _passed.Task;

    /// <summary>Holds the reads of searches for <paramref name="text"/> from now on.</summary>
    public void Hold(string text) => _held = Key(text);

    /// <summary>Lets the held reads run (and holds no more).</summary>
    public void Release()
    {
        _held = null;
        _release.TrySetResult();
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (_held is { } held && command.Parameters.Cast<DbParameter>().Any(p => p.Value is string s && Key(s).Contains(held, StringComparison.Ordinal)))
        {
            _reached.TrySetResult();
            await _release.Task;
            _passed.TrySetResult();
        }
        return result;
    }

    private static string Key(string text) => string.Concat(text.Where(char.IsLetterOrDigit)).ToUpperInvariant();
}
