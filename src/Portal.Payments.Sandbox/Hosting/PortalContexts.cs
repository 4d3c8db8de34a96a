using Microsoft.EntityFrameworkCore;
using Portal.Payments.Data;
using Portal.Payments.Hosting;

namespace Portal.Payments.Sandbox;

/// <summary>Builds this package's contexts on the portal's database through Core's <see cref="PortalDatabase"/>.</summary>
internal static class PortalContexts
{
    /// <summary>A factory of the provider flavour of <typeparamref name="TBase"/> chosen by <paramref name="database"/>; options built once.</summary>
    public static Func<TBase> Build<TBase, TSqlite, TPostgres>(
        DatabaseOptions database, string historyTable,
        Func<DbContextOptions<TSqlite>, TSqlite> sqlite, Func<DbContextOptions<TPostgres>, TPostgres> postgres)
        where TBase : DbContext
        where TSqlite : TBase
        where TPostgres : TBase
    {
        switch (database.Provider)
        {
            case DatabaseProvider.Sqlite:
            {
                var options = (DbContextOptions<TSqlite>)new DbContextOptionsBuilder<TSqlite>().UsePortalDatabase(database, historyTable).Options;
                return () => sqlite(options);
            }
            case DatabaseProvider.Postgres:
            {
                var options = (DbContextOptions<TPostgres>)new DbContextOptionsBuilder<TPostgres>().UsePortalDatabase(database, historyTable).Options;
                return () => postgres(options);
            }
            default:
                throw new InvalidOperationException("No database configured for Portal.Payments; call UseSqlite or UsePostgres.");
        }
    }

    /// <summary>Options for <c>dotnet ef</c> (never connects).</summary>
    public static DbContextOptions<TContext> DesignTime<TContext>(DatabaseProvider provider, string historyTable) where TContext : DbContext =>
        (DbContextOptions<TContext>)new DbContextOptionsBuilder<TContext>().UsePortalDatabase(new DatabaseOptions
        {
            Provider = provider,
            ConnectionString = provider == DatabaseProvider.Sqlite ? "Data Source=design.db" : "Host=localhost;Database=design",
        }, historyTable).Options;
}
