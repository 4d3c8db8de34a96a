using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;

namespace Portal.Payments.Data;

/// <summary>
/// Creates the provider-specific context chosen by <see cref="PortalPaymentsOptions.Database"/>.
/// Options are built once; each call returns a new short-lived context (Blazor Server friendly).
/// </summary>
internal sealed class PaymentsDbContextFactory(IOptions<PortalPaymentsOptions> options) : IDbContextFactory<PaymentsDbContext>
{
    private readonly Lazy<Func<PaymentsDbContext>> _create = new(() => Build(options.Value.Database));

    public PaymentsDbContext CreateDbContext() => _create.Value();

    private static Func<PaymentsDbContext> Build(DatabaseOptions db)
    {
        switch (db.Provider)
        {
            case DatabaseProvider.Sqlite:
            {
                var o = new DbContextOptionsBuilder<SqlitePaymentsDbContext>().UsePortalDatabase(db, PortalDatabase.MigrationsHistoryTable).Options;
                return () => new SqlitePaymentsDbContext((DbContextOptions<SqlitePaymentsDbContext>)o);
            }
            case DatabaseProvider.Postgres:
            {
                var o = new DbContextOptionsBuilder<PostgresPaymentsDbContext>().UsePortalDatabase(db, PortalDatabase.MigrationsHistoryTable).Options;
                return () => new PostgresPaymentsDbContext((DbContextOptions<PostgresPaymentsDbContext>)o);
            }
            default:
                throw new InvalidOperationException("No database configured for Portal.Payments; call UseSqlite or UsePostgres.");
        }
    }
}
