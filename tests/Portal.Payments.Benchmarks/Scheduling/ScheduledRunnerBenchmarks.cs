using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;

namespace Portal.Payments.Benchmarks.Scheduling;

/// <summary>
/// Scheduled payment runner throughput: <see cref="Payments"/> due payments (one invoice each, a sandbox card)
/// charged by 1 or 3 runners, each in its own service provider (as separate nodes), on SQLite and PostgreSQL.
/// Every operation is one payment claimed, re-checked, charged and recorded (status, ERP posting, email).
/// </summary>
[Config(typeof(RunnerConfig))]
public class ScheduledRunnerBenchmarks
{
    /// <summary>Due payments per iteration.</summary>
    public const int Payments = 500;

    private readonly string _sqlitePath = Path.Combine(Path.GetTempPath(), $"pp-bench-runner-{Guid.NewGuid():N}.db");
    private readonly List<ServiceProvider> _nodes = [];
    private Guid _methodId;

    /// <summary>Database provider.</summary>
    [Params(DatabaseProvider.Sqlite, DatabaseProvider.Postgres)]
    public DatabaseProvider Provider { get; set; }

    /// <summary>Runner instances working at once.</summary>
    [Params(1, 3)]
    public int Runners { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var connection = Provider == DatabaseProvider.Sqlite ? $"Data Source={_sqlitePath};Default Timeout=30" : await NewPostgresDatabaseAsync();
        for (var i = 0; i < Runners; i++)
        {
            _nodes.Add(Node(connection, i));
        }
        await _nodes[0].MigratePortalPaymentsAsync();
        _methodId = Guid.NewGuid();
        await using var db = await Factory.CreateDbContextAsync();
        db.PaymentMethods.Add(new PaymentMethodRecord
        {
            Id = _methodId, AccountId = "BENCH", GatewayKey = SandboxGateway.GatewayKey, Token = "sbx_pm_card_ok_bench", Type = PaymentMethodType.Card,
            BrandOrBank = "Visa", Last4 = "4242", ExpiryMonth = 12, ExpiryYear = 2099, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, CreatedByUserId = "bench",
        });
        await db.SaveChangesAsync();
    }

    [IterationSetup]
    public void SeedDuePayments() => SeedAsync().GetAwaiter().GetResult();

    /// <summary>All runners charge the due payments until none is left.</summary>
    [Benchmark(OperationsPerInvoke = Payments, Description = "runner: claim, check, charge, record (per payment)")]
    public async Task<int> RunDue()
    {
        var ran = await Task.WhenAll(_nodes.Select(n => Task.Run(() => n.GetRequiredService<ScheduledPaymentRunner>().RunDueAsync())));
        return ran.Sum() == Payments ? Payments : throw new InvalidOperationException($"{ran.Sum()} payments ran, expected {Payments}.");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var n in _nodes)
        {
            await n.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        foreach (var f in new[] { _sqlitePath, _sqlitePath + "-wal", _sqlitePath + "-shm" })
        {
            File.Delete(f);
        }
    }

    private IDbContextFactory<PaymentsDbContext> Factory => _nodes[0].GetRequiredService<IDbContextFactory<PaymentsDbContext>>();

    private ServiceProvider Node(string connection, int index)
    {
        var services = new ServiceCollection();
        var users = new FakePortalUserContext();
        var builder = services.AddPortalPaymentsCore(o =>
        {
            o.RunBackgroundServices = false;
            o.NodeName = $"bench-node-{index}";
        });
        if (Provider == DatabaseProvider.Sqlite)
        {
            builder.UseSqlite(connection);
        }
        else
        {
            builder.UsePostgres(connection);
        }
        builder.UseSandboxGateway().UseDemoErp();
        builder.Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(_ => users));
        return services.BuildServiceProvider();
    }

    private async Task SeedAsync()
    {
        var account = "B" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTime.UtcNow;
        var today = DateOnly.FromDateTime(now);
        await using var db = await Factory.CreateDbContextAsync();
        var invoices = Enumerable.Range(1, Payments).Select(i => new InvoiceRecord
        {
            AccountId = account, ExternalId = $"X-{i}", Number = $"INV-{i:D5}", NumberKey = $"INV-{i:D5}", Type = OpenItemType.Invoice,
            DocumentDate = today.AddDays(-30), DueDate = today.AddDays(10), Currency = "USD", OriginalMinor = 10_000 + i, OpenMinor = 10_000 + i,
            IsOpen = true, Status = InvoiceStatus.Scheduled, ScheduledFor = today, SyncedAt = now,
        }).ToList();
        db.Invoices.AddRange(invoices);
        await db.SaveChangesAsync();
        var payments = invoices.Select((inv, i) => new PaymentRecord
        {
            Id = Guid.NewGuid(), AccountId = account, Kind = PaymentKind.InvoicePayment, Status = PaymentStatus.Scheduled, ScheduledFor = today,
            Currency = "USD", AmountMinor = inv.OpenMinor, PaymentMethodId = _methodId, MethodDescription = "Visa •••• 4242", IdempotencyKey = Guid.NewGuid().ToString("N"),
            GatewayKey = SandboxGateway.GatewayKey, ReceiptNumber = $"R-{account}-{i:D5}", CreatedByUserId = "bench", CreatedByName = "Bench",
            CreatedByEmail = "bench@example.test", CreatedAt = now, InvoiceCount = 1,
            Allocations = [new PaymentAllocationRecord { InvoiceId = inv.Id, InvoiceExternalId = inv.ExternalId, InvoiceNumber = inv.Number, OpenBalanceMinor = inv.OpenMinor, AppliedMinor = inv.OpenMinor }],
        }).ToList();
        db.Payments.AddRange(payments);
        await db.SaveChangesAsync();
        for (var i = 0; i < invoices.Count; i++)
        {
            invoices[i].ActivePaymentId = payments[i].Id;
        }
        await db.SaveChangesAsync();
        // The method belongs to "BENCH"; the runner looks it up by the payment's account.
        await db.PaymentMethods.Where(m => m.Id == _methodId).ExecuteUpdateAsync(s => s.SetProperty(m => m.AccountId, account));
    }

    /// <summary>In process (the loaded build box times out building a separate benchmark process), one warm-up and three measured runs.</summary>
    private sealed class RunnerConfig : ManualConfig
    {
        public RunnerConfig() => AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(1).WithUnrollFactor(1));
    }

    private static async Task<string> NewPostgresDatabaseAsync()
    {
        var admin = await PostgresServer.GetAdminConnectionStringAsync();
        var name = "pp_bench_" + Guid.NewGuid().ToString("N")[..10];
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }
}
