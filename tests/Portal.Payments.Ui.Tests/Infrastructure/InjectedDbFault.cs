using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// Fails the database commands whose SQL starts with <paramref name="verb"/> and names <paramref name="table"/> while
/// armed, as a lost database connection would (EF Core sends inserts and updates that return values as readers; plain
/// updates and deletes as non-queries: both are failed).
/// </summary>
/// <param name="verb">"INSERT", "UPDATE", "DELETE" or "SELECT".</param>
/// <param name="table">The table's name, e.g. <c>pp_payment_methods</c>.</param>
public sealed class InjectedDbFault(string verb, string table) : DbCommandInterceptor
{
    /// <summary>True while matching commands fail.</summary>
    public volatile bool Armed;

    /// <summary>How many commands failed.</summary>
    public int Failed;

    /// <summary>How many matching commands still pass while armed before the next ones fail. Default none.</summary>
    public int PassFirst;

    /// <summary>How many matching commands ran while armed (passed or failed).</summary>
    public int Matched;

    private bool Hits(DbCommand command)
    {
        if (!Armed || !command.CommandText.Contains(table, StringComparison.Ordinal))
        {
            return false;
        }
        var statements = command.CommandText.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!statements.Any(s => s.StartsWith(verb, StringComparison.OrdinalIgnoreCase) && s.Contains(table, StringComparison.Ordinal)))
        {
            return false;
        }
        Interlocked.Increment(ref Matched);
        if (Interlocked.Decrement(ref PassFirst) >= 0)
        {
            return false;
        }
        Interlocked.Increment(ref Failed);
        return true;
    }

    private static InvalidOperationException Lost() => new("Injected fault: the database connection was lost.");

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        Hits(command) ? throw Lost() : base.ReaderExecutingAsync(command, eventData, result, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        Hits(command) ? throw Lost() : base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
}
