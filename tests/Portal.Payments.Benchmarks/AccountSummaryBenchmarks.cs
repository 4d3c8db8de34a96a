using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Data;
using Portal.Payments.Services;
using Portal.Payments.Sync;
using Portal.Payments.Testing;
using Portal.Payments.Users;

namespace Portal.Payments.Benchmarks;

/// <summary>
/// The account header (total + aging buckets) of a 5,000-item account among 20,000 items on SQLite:
/// the service's SQL GROUP BY against the naive way (load every open invoice and bucket in memory).
/// </summary>
[MemoryDiagnoser]
public class AccountSummaryBenchmarks
{
    private const string Account = "BENCH";
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"pp-bench-{Guid.NewGuid():N}.db");
    private ServiceProvider _root = null!;
    private AsyncServiceScope _scope;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        var users = new FakePortalUserContext { User = FakePortalUserContext.UserOn(Account, PortalPermissions.View) };
        services.AddPortalPaymentsCore(o => o.RunBackgroundServices = false)
            .UseSqlite($"Data Source={_path}")
            .UseSandboxGateway()
            .UseDemoErp(o =>
            {
                o.Accounts.Add(new() { AccountId = Account, InvoiceCount = 5_000 });
                o.DefaultInvoiceCount = 5_000;
            })
            .Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(_ => users));
        _root = services.BuildServiceProvider();
        await _root.MigratePortalPaymentsAsync();
        _scope = _root.CreateAsyncScope();
        var sync = _scope.ServiceProvider.GetRequiredService<ErpSyncService>();
        foreach (var account in new[] { Account, "OTHER1", "OTHER2", "OTHER3" })
        {
            await sync.SyncAccountAsync(account);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _scope.DisposeAsync();
        await _root.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_path);
    }

    [Benchmark(Baseline = true, Description = "naive: load all open invoices, bucket in memory")]
    public async Task<long> NaiveLoadAll()
    {
        var factory = _scope.ServiceProvider.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var rows = await db.Invoices.Where(i => i.AccountId == Account && i.IsOpen).ToListAsync();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var sums = new long[5];
        foreach (var r in rows)
        {
            sums[AccountOverviewService.BucketIndex(today.DayNumber - r.DueDate.DayNumber, [30, 60, 90])] += r.OpenMinor;
        }
        return sums.Sum();
    }

    [Benchmark(Description = "AccountOverviewService (SQL GROUP BY)")]
    public async Task<decimal> ServiceSummary() =>
        (await _scope.ServiceProvider.GetRequiredService<AccountOverviewService>().GetSummaryAsync()).TotalBalance.Amount;
}
