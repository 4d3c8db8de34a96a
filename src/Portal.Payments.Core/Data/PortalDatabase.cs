using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Payments.Hosting;

namespace Portal.Payments.Data;

/// <summary>
/// The portal's database as a package that stores its own tables beside the portal's sees it (the sandbox gateway,
/// the demo ERP, an adapter of yours): the same provider, connection and PostgreSQL schema, each package with its own
/// migrations history table. Register an <see cref="IPortalDatabaseMigration"/> so <c>MigratePortalPaymentsAsync()</c>
/// creates the package's tables, and write through <see cref="DatabaseWriteLane"/> so SQLite's single writer is shared.
/// </summary>
public static partial class PortalDatabase
{
    /// <summary>The portal's own migrations history table: <c>__pp_migrations</c>.</summary>
    public const string MigrationsHistoryTable = "__pp_migrations";

    /// <summary>
    /// Points <paramref name="builder"/> at the portal's database: SQLite or PostgreSQL as configured, the connection
    /// string (on PostgreSQL with the search path set to <see cref="DatabaseOptions.EffectiveSchema"/>, so tables,
    /// raw SQL and trigger functions land in that schema), the migrations history table
    /// <paramref name="migrationsHistoryTable"/> (in the schema) and the interceptors added with
    /// <c>PortalPaymentsBuilder.AddDbInterceptor</c>. Migrations are looked up in the assembly of the context.
    /// </summary>
    /// <param name="builder">The options of a context of yours.</param>
    /// <param name="database">The portal's <see cref="PortalPaymentsOptions.Database"/>.</param>
    /// <param name="migrationsHistoryTable">Your package's own history table, e.g. <c>__myadapter_migrations</c>.</param>
    /// <exception cref="InvalidOperationException">No database is configured.</exception>
    public static DbContextOptionsBuilder UsePortalDatabase(this DbContextOptionsBuilder builder, DatabaseOptions database, string migrationsHistoryTable)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(migrationsHistoryTable);
        switch (database.Provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(database.ConnectionString, o => o.MigrationsHistoryTable(migrationsHistoryTable));
                break;
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(PostgresConnectionString(database), o => o.MigrationsHistoryTable(migrationsHistoryTable, database.EffectiveSchema));
                break;
            default:
                throw new InvalidOperationException("No database configured for Portal.Payments; call UseSqlite or UsePostgres.");
        }
        builder.AddInterceptors(database.Interceptors);
        return builder;
    }

    /// <summary>
    /// True when <paramref name="schema"/> is a PostgreSQL schema name the portal accepts: 1 to 63 lower-case ASCII
    /// letters, digits and underscores, starting with a letter or underscore and not with <c>pg_</c> (reserved).
    /// Such a name needs no quoting anywhere.
    /// </summary>
    public static bool IsValidSchemaName(string? schema) =>
        schema is not null && SchemaName().IsMatch(schema) && !schema.StartsWith("pg_", StringComparison.Ordinal);

    /// <summary>The PostgreSQL connection string with the search path set to the portal's schema.</summary>
    internal static string PostgresConnectionString(DatabaseOptions database) =>
        new NpgsqlConnectionStringBuilder(database.ConnectionString) { SearchPath = database.EffectiveSchema }.ConnectionString;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}

/// <summary>
/// The tables of a package stored in the portal's database (the sandbox gateway's ledger, the demo ERP's postings, an
/// adapter's own). Register implementations with <c>TryAddEnumerable</c>; <c>MigratePortalPaymentsAsync()</c> applies
/// every registered one, in registration order, after the portal's own migrations.
/// </summary>
public interface IPortalDatabaseMigration
{
    /// <summary>What is migrated, for messages, e.g. "sandbox gateway".</summary>
    string Name { get; }

    /// <summary>Creates or updates the package's tables (EF Core <c>MigrateAsync</c> on its own context).</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Throws when the package must not run here (the sandbox gateway's <c>OptionsValidationException</c> in Production);
    /// <c>MigratePortalPaymentsAsync()</c> asks every package before it creates anything. Default: allowed.
    /// </summary>
    void EnsureAllowed()
    {
    }
}
