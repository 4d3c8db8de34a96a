using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class DatabaseTests(TestDatabase database)
{
    [Fact]
    public async Task Migrations_are_applied_and_match_the_model()
    {
        await using var h = new PortalHarness(database);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), $"The {database.Provider} migrations are behind the model: add a migration.");
    }

    [Fact]
    public async Task Invoices_are_vacuumed_after_one_percent_changed_so_balances_stay_an_index_only_scan()
    {
        await using var h = new PortalHarness(database);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        Assert.Contains("20261201150000_InvoicesVacuumForBalances", await db.Database.GetAppliedMigrationsAsync());
        if (database.Provider != DatabaseProvider.Postgres)
        {
            return; // SQLite has no visibility map: the migration is empty there
        }
        var options = await db.Database.SqlQueryRaw<string>("SELECT unnest(reloptions) AS \"Value\" FROM pg_class WHERE relname = 'pp_invoices'").ToListAsync();
        Assert.Contains("autovacuum_vacuum_scale_factor=0.01", options);
        Assert.Contains("autovacuum_vacuum_insert_scale_factor=0.01", options);
        Assert.Contains("autovacuum_vacuum_threshold=1000", options);
    }

    [Fact]
    public async Task Migrating_twice_is_harmless()
    {
        await using var h = new PortalHarness(database);
        await h.Services.MigratePortalPaymentsAsync();
        await h.Services.MigratePortalPaymentsAsync();
    }

    [Fact]
    public async Task Amounts_sort_and_sum_exactly_in_SQL()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        // As text these would sort 100.00 < 1000.50 < 9.99 < 10.00 and sum with float errors.
        decimal[] amounts = [9.99m, 10.00m, 100.00m, 1000.50m, 0.01m, 0.02m, 123456789.99m];
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var n = 0;
            foreach (var a in amounts)
            {
                var minor = Money.Create(a, "USD").ToMinorUnits();
                db.Invoices.Add(new InvoiceRecord
                {
                    AccountId = account, ExternalId = $"x{n}", Number = $"N{n++}", Type = OpenItemType.Invoice,
                    DocumentDate = new DateOnly(2026, 1, 1), DueDate = new DateOnly(2026, 2, 1), Currency = "USD",
                    OriginalMinor = minor, OpenMinor = minor, IsOpen = true, SyncedAt = DateTime.UtcNow,
                });
            }
            await db.SaveChangesAsync();
        }

        await using var read = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var query = read.Invoices.Where(i => i.AccountId == account);
        var sorted = await query.OrderBy(i => i.OpenMinor).Select(i => i.OpenMinor).ToListAsync();
        var sum = await query.SumAsync(i => i.OpenMinor);
        Assert.Equal(amounts.Order().Select(a => (long)(a * 100)), sorted);
        Assert.Equal(amounts.Sum(), Money.FromMinorUnits(sum, "USD").Amount);
        Assert.Contains("ORDER BY", query.OrderBy(i => i.OpenMinor).ToQueryString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Idempotency_keys_and_receipt_numbers_are_unique_in_the_database()
    {
        await using var h = new PortalHarness(database);
        var account = PortalHarness.NewAccount();
        var key = "k-" + Guid.NewGuid().ToString("N");
        PaymentRecord Payment(string receipt) => new()
        {
            Id = Guid.NewGuid(), AccountId = account, Kind = PaymentKind.InvoicePayment, Status = PaymentStatus.Processing,
            Currency = "USD", AmountMinor = 100, IdempotencyKey = key, GatewayKey = "sandbox", ReceiptNumber = receipt,
            CreatedByUserId = "u", CreatedAt = DateTime.UtcNow,
        };
        var factory = h.Get<IDbContextFactory<PaymentsDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.Payments.Add(Payment("R-" + Guid.NewGuid().ToString("N")[..10]));
            await db.SaveChangesAsync();
        }
        await using var db2 = await factory.CreateDbContextAsync();
        db2.Payments.Add(Payment("R-" + Guid.NewGuid().ToString("N")[..10]));
        await Assert.ThrowsAsync<DbUpdateException>(() => db2.SaveChangesAsync());
    }
}

public sealed class DatabaseTests_Sqlite(SqliteDatabase db) : DatabaseTests(db), IClassFixture<SqliteDatabase>;

public sealed class DatabaseTests_Postgres(PostgresDatabase db) : DatabaseTests(db), IClassFixture<PostgresDatabase>;
