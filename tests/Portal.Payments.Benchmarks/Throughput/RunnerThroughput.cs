using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Testing;
using Portal.Payments.Users;

namespace Portal.Payments.Benchmarks.Throughput;

/// <summary>
/// Scheduled runner throughput against a gateway that answers slowly (the sandbox with <see cref="SandboxGatewayOptions.Latency"/>),
/// measured as wall-clock payments per second per node. Every run seeds its own due payments (one invoice each, a sandbox
/// card), runs the runner(s) until nothing is due, then checks at the gateway's ledger that every payment was charged
/// exactly once and succeeded (a run with a payment charged twice, or not at all, is reported and fails the mode).
/// <list type="bullet">
/// <item><c>runner</c>: one node, the baseline (<c>MaxConcurrentCharges = 1</c>, the old sequential runner) side by side
/// with the default (32), 300 ms gateway, on each provider, several rounds; medians and the ratio.</item>
/// <item><c>runner-scale</c>: PostgreSQL, 800 ms gateway: one node against three nodes (separate service providers and
/// connection pools, as three web servers), several rounds; medians and the ratio.</item>
/// </list>
/// </summary>
internal static class RunnerThroughput
{
    private sealed record Run(string Label, int Nodes, int Payments, double Seconds, double LoadBefore, double LoadAfter, double CpuMsPerPayment,
        double CommandsPerPayment, double CommitsPerPayment, int ChargedTwice)
    {
        public double PerSecond => Payments / Seconds;
        public double PerNode => PerSecond / Nodes;
    }

    /// <summary><c>runner [Sqlite|Postgres] [--rounds N] [--payments N] [--baseline N] [--latency ms] [--concurrency N]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds", 3);
        var latency = TimeSpan.FromMilliseconds(Option(args, "--latency", 300));
        var baseline = Option(args, "--baseline", 20);
        var concurrency = Option(args, "--concurrency", new SchedulingOptions().MaxConcurrentCharges);
        var providers = Providers(args);
        var failed = false;
        foreach (var provider in providers)
        {
            var payments = Option(args, "--payments", provider == DatabaseProvider.Postgres ? 1000 : 500);
            await using var db = await Database.CreateAsync(provider);
            Console.WriteLine($"== runner, {provider}, gateway {latency.TotalMilliseconds:0} ms, baseline {baseline} payments at 1, {payments} payments at {concurrency}, {rounds} rounds");
            await OneRunAsync(db, "warm-up", 1, 64, concurrency, latency); // JIT, pools, plans
            var runs = new List<Run>();
            for (var r = 1; r <= rounds; r++)
            {
                runs.Add(await OneRunAsync(db, "sequential (MaxConcurrentCharges = 1)", 1, baseline, 1, latency));
                runs.Add(await OneRunAsync(db, $"parallel (MaxConcurrentCharges = {concurrency})", 1, payments, concurrency, latency));
            }
            failed |= Report(provider, runs);
        }
        return failed ? 1 : 0;
    }

    /// <summary><c>runner-scale [--rounds N] [--payments N] [--latency ms]</c>: PostgreSQL, 1 node vs 3 nodes.</summary>
    public static async Task<int> RunScaleAsync(string[] args)
    {
        var rounds = Option(args, "--rounds", 3);
        var latency = TimeSpan.FromMilliseconds(Option(args, "--latency", 800));
        var payments = Option(args, "--payments", 1200);
        var concurrency = new SchedulingOptions().MaxConcurrentCharges;
        await using var db = await Database.CreateAsync(DatabaseProvider.Postgres);
        Console.WriteLine($"== runner-scale, Postgres, gateway {latency.TotalMilliseconds:0} ms, {payments} payments per run, {concurrency} charges per node, {rounds} rounds");
        await OneRunAsync(db, "warm-up", 3, 96, concurrency, latency);
        var runs = new List<Run>();
        for (var r = 1; r <= rounds; r++)
        {
            runs.Add(await OneRunAsync(db, "1 node", 1, payments, concurrency, latency));
            runs.Add(await OneRunAsync(db, "3 nodes", 3, payments, concurrency, latency));
        }
        return Report(DatabaseProvider.Postgres, runs) ? 1 : 0;
    }

    private static bool Report(DatabaseProvider provider, List<Run> runs)
    {
        Console.WriteLine();
        Console.WriteLine($"| {provider} | runs | median payments/s | median per node | min – max per node | load avg (1 min) | CPU ms/payment (this process) | commands/payment | commits/payment | charged twice |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in runs.GroupBy(r => r.Label))
        {
            var g = group.ToList();
            Console.WriteLine($"| {group.Key} | {g.Count} | {Measure.F(Measure.Median(g.Select(r => r.PerSecond)))} | {Measure.F(Measure.Median(g.Select(r => r.PerNode)))} " +
                              $"| {Measure.F(g.Min(r => r.PerNode))} – {Measure.F(g.Max(r => r.PerNode))} " +
                              $"| {Measure.F(g.Min(r => Math.Min(r.LoadBefore, r.LoadAfter)), 2)} – {Measure.F(g.Max(r => Math.Max(r.LoadBefore, r.LoadAfter)), 2)} " +
                              $"| {Measure.F(Measure.Median(g.Select(r => r.CpuMsPerPayment)))} | {Measure.F(Measure.Median(g.Select(r => r.CommandsPerPayment)))} " +
                              $"| {Measure.F(Measure.Median(g.Select(r => r.CommitsPerPayment)))} | {g.Sum(r => r.ChargedTwice)} |");
        }
        var labels = runs.Select(r => r.Label).Distinct().ToList();
        if (labels.Count == 2)
        {
            var a = Measure.Median(runs.Where(r => r.Label == labels[0]).Select(r => r.PerSecond));
            var b = Measure.Median(runs.Where(r => r.Label == labels[1]).Select(r => r.PerSecond));
            Console.WriteLine($"Ratio of medians (payments/s, {labels[1]} / {labels[0]}): {Measure.F(b / a, 2)}×");
        }
        Console.WriteLine();
        return runs.Any(r => r.ChargedTwice > 0);
    }

    private static async Task<Run> OneRunAsync(Database database, string label, int nodeCount, int payments, int concurrency, TimeSpan latency)
    {
        var counter = new RoundTripCounter();
        var nodes = Enumerable.Range(0, nodeCount).Select(i => database.Node($"bench-node-{i}", concurrency, latency, counter)).ToList();
        try
        {
            var account = await database.SeedAsync(nodes[0], payments);
            counter.Reset();
            var loadBefore = Measure.LoadAverage();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var (ran, seconds) = await Measure.TimeAsync(() => Task.WhenAll(nodes.Select(n => Task.Run(() => n.GetRequiredService<ScheduledPaymentRunner>().RunDueAsync()))));
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var loadAfter = Measure.LoadAverage();
            var (commands, commits) = (counter.Commands, counter.Commits);
            var check = await database.CheckAsync(nodes[0], account, payments);
            var run = new Run(label, nodeCount, payments, seconds, loadBefore, loadAfter, cpu.TotalMilliseconds / payments,
                (double)commands / payments, (double)commits / payments, check.ChargedTwice);
            Console.WriteLine($"{label,-40} {payments,5} payments in {seconds,7:0.00} s = {run.PerSecond,6:0.0}/s ({run.PerNode:0.0}/s per node; ran per node {string.Join("+", ran)}), " +
                              $"load {loadBefore:0.00}→{loadAfter:0.00}, CPU {run.CpuMsPerPayment:0.0} ms/payment, {run.CommandsPerPayment:0.0} commands + {run.CommitsPerPayment:0.0} commits per payment; {check}");
            if (!check.Ok)
            {
                throw new InvalidOperationException($"{label}: {check}");
            }
            return run;
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }
        }
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    internal static List<DatabaseProvider> Providers(string[] args)
    {
        var named = args.Where(a => Enum.GetNames<DatabaseProvider>().Contains(a, StringComparer.OrdinalIgnoreCase))
            .Select(a => Enum.Parse<DatabaseProvider>(a, ignoreCase: true)).ToList();
        return named.Count > 0 ? named : [DatabaseProvider.Postgres, DatabaseProvider.Sqlite];
    }

    /// <summary>What the gateway's ledger says about one run.</summary>
    internal sealed record LedgerCheck(int Payments, int Succeeded, int Charged, int ChargedTwice, int NotCharged)
    {
        public bool Ok => Succeeded == Payments && Charged == Payments && ChargedTwice == 0 && NotCharged == 0;

        public override string ToString() =>
            $"{Succeeded}/{Payments} succeeded, ledger: {Charged} payments charged, {ChargedTwice} with more than one charge, {NotCharged} without a charge";
    }

    /// <summary>One benchmark database (SQLite file or PostgreSQL database) and the nodes that share it.</summary>
    internal sealed class Database : IAsyncDisposable
    {
        private readonly string? _sqlitePath;

        private Database(DatabaseProvider provider, string connection, string? sqlitePath)
        {
            Provider = provider;
            Connection = connection;
            _sqlitePath = sqlitePath;
        }

        public DatabaseProvider Provider { get; }

        public string Connection { get; }

        /// <summary>An existing, migrated database (not deleted on dispose).</summary>
        public static Database Attach(DatabaseProvider provider, string connection) => new(provider, connection, null);

        public static async Task<Database> CreateAsync(DatabaseProvider provider)
        {
            Database db;
            if (provider == DatabaseProvider.Sqlite)
            {
                var path = Measure.NewSqlitePath("pp-bench-throughput");
                db = new Database(provider, $"Data Source={path};Default Timeout=30", path);
            }
            else
            {
                db = new Database(provider, await Measure.NewPostgresDatabaseAsync("pp_bench_tp"), null);
            }
            await using var node = db.Node("bench-migrate", 1, TimeSpan.Zero, null);
            await node.MigratePortalPaymentsAsync();
            return db;
        }

        /// <summary>A node: its own service provider (and, on PostgreSQL, its own connection pool), background services off.</summary>
        public ServiceProvider Node(string name, int concurrency, TimeSpan latency, RoundTripCounter? counter,
            Action<PortalPaymentsOptions>? configure = null, Action<PortalPaymentsBuilder>? build = null)
        {
            var services = new ServiceCollection();
            var users = new FakePortalUserContext();
            var builder = services.AddPortalPaymentsCore(o =>
            {
                o.RunBackgroundServices = false;
                o.NodeName = name;
                o.Scheduling.MaxConcurrentCharges = concurrency;
                configure?.Invoke(o);
            });
            if (Provider == DatabaseProvider.Sqlite)
            {
                builder.UseSqlite(Connection);
            }
            else
            {
                // One pool per node, as on separate servers (the pool is keyed by the connection string).
                builder.UsePostgres(new NpgsqlConnectionStringBuilder(Connection) { ApplicationName = name, MaxPoolSize = 60 }.ConnectionString);
            }
            builder.UseSandboxGateway().UseDemoErp().ConfigureSandboxGateway(o => o.Latency = latency);
            if (counter is not null)
            {
                builder.AddDbInterceptor(counter);
            }
            build?.Invoke(builder);
            builder.Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(_ => users));
            return services.BuildServiceProvider();
        }

        /// <summary>Seeds <paramref name="count"/> due scheduled payments (one invoice each) on a new account; returns the account.</summary>
        public async Task<string> SeedAsync(IServiceProvider node, int count)
        {
            var account = "B" + Guid.NewGuid().ToString("N")[..10];
            var now = DateTime.UtcNow;
            var today = DateOnly.FromDateTime(now);
            await using var db = await node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var methodId = Guid.NewGuid();
            db.PaymentMethods.Add(new PaymentMethodRecord
            {
                Id = methodId, AccountId = account, GatewayKey = SandboxGateway.GatewayKey, Token = "sbx_pm_card_ok_" + account, Type = PaymentMethodType.Card,
                BrandOrBank = "Visa", Last4 = "4242", ExpiryMonth = 12, ExpiryYear = 2099, CreatedAt = now, UpdatedAt = now, CreatedByUserId = "bench",
            });
            var invoices = Enumerable.Range(1, count).Select(i => new InvoiceRecord
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
                Currency = "USD", AmountMinor = inv.OpenMinor, PaymentMethodId = methodId, MethodDescription = "Visa •••• 4242", IdempotencyKey = Guid.NewGuid().ToString("N"),
                GatewayKey = SandboxGateway.GatewayKey, ReceiptNumber = $"R-{account}-{i:D5}", CreatedByUserId = "bench", CreatedByName = "Bench",
                CreatedByEmail = "bench@example.test", CreatedAt = now, StatusChangedAt = now, InvoiceCount = 1,
                Allocations = [new PaymentAllocationRecord { InvoiceId = inv.Id, InvoiceExternalId = inv.ExternalId, InvoiceNumber = inv.Number, OpenBalanceMinor = inv.OpenMinor, AppliedMinor = inv.OpenMinor }],
            }).ToList();
            db.Payments.AddRange(payments);
            await db.SaveChangesAsync();
            for (var i = 0; i < invoices.Count; i++)
            {
                invoices[i].ActivePaymentId = payments[i].Id;
                db.Entry(invoices[i]).Property(x => x.ActivePaymentId).IsModified = true;
            }
            await db.SaveChangesAsync();
            return account;
        }

        /// <summary>Counts the gateway's ledger rows per payment of <paramref name="account"/>.</summary>
        public async Task<LedgerCheck> CheckAsync(IServiceProvider node, string account, int payments)
        {
            await using var db = await node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
            await using var ledger = await node.GetRequiredService<IDbContextFactory<Portal.Payments.Sandbox.SandboxGatewayDbContext>>().CreateDbContextAsync();
            var perPayment = await ledger.SandboxCharges.AsNoTracking().Where(c => c.AccountId == account)
                .GroupBy(c => c.PaymentId).Select(g => g.Count()).ToListAsync();
            var succeeded = await db.Payments.CountAsync(p => p.AccountId == account && p.Status == PaymentStatus.Succeeded);
            var ids = await db.Payments.Where(p => p.AccountId == account).Select(p => p.Id).ToListAsync();
            var charged = await ledger.SandboxCharges.Where(c => c.AccountId == account).Select(c => c.PaymentId).Distinct().ToListAsync();
            return new LedgerCheck(payments, succeeded, perPayment.Count, perPayment.Count(c => c > 1), ids.Except(charged).Count());
        }

        public async ValueTask DisposeAsync()
        {
            if (_sqlitePath is not null)
            {
                Measure.DeleteSqlite(_sqlitePath);
            }
            else
            {
                NpgsqlConnection.ClearAllPools();
            }
            await Task.CompletedTask;
        }
    }
}
