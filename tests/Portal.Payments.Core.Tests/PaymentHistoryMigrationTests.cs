using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The PaymentHistory migration backfills the search keys of payments made before it (the class fixture's database is this class's alone).</summary>
public abstract class PaymentHistoryMigrationTests(TestDatabase database)
{
    [Fact]
    public async Task Existing_payments_get_receipt_memo_and_invoice_number_keys()
    {
        await using var h = new PortalHarness(database);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("InvoiceSearchAndViews");
        var id = Guid.NewGuid();
        object idValue = database.Provider == DatabaseProvider.Sqlite ? id.ToString().ToUpperInvariant() : id;
        var account = PortalHarness.NewAccount();
        var createdAt = new DateTime(2026, 2, 1, 10, 0, 0, DateTimeKind.Utc);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO pp_payments ("Id", "AccountId", "Kind", "Status", "Currency", "AmountMinor", "DiscountMinor", "ShortMinor", "MethodDescription",
                "IdempotencyKey", "GatewayKey", "ReceiptNumber", "CreatedByUserId", "CreatedByName", "CreatedByEmail", "CreatedAt", "InvoiceCount", "Attempts", "Memo")
            VALUES ({idValue}, {account}, 2, 3, 'USD', 1000, 0, 0, 'Visa', {account}, 'sandbox', {" r-old-" + account}, 'u', 'U', 'u@example.test', {createdAt}, 1, 1, {"  spring advance "})
            """);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO pp_payment_allocations ("PaymentId", "InvoiceId", "InvoiceExternalId", "InvoiceNumber", "InvoiceType", "OpenBalanceMinor", "DiscountMinor", "ShortMinor", "AppliedMinor")
            VALUES ({idValue}, 1, 'X', {"inv-old-" + account}, 0, 1000, 0, 0, 1000)
            """);

        await migrator.MigrateAsync();

        var payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).SingleAsync(p => p.Id == id);
        Assert.Equal(("R-OLD-" + account, "SPRING ADVANCE"), (payment.ReceiptKey, payment.MemoKey));
        Assert.Equal("INV-OLD-" + account, Assert.Single(payment.Allocations).InvoiceNumberKey);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }
}

public sealed class PaymentHistoryMigrationTests_Sqlite(SqliteDatabase db) : PaymentHistoryMigrationTests(db), IClassFixture<SqliteDatabase>;

public sealed class PaymentHistoryMigrationTests_Postgres(PostgresDatabase db) : PaymentHistoryMigrationTests(db), IClassFixture<PostgresDatabase>;
