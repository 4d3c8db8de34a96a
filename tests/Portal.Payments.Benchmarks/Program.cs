using BenchmarkDotNet.Running;
using Portal.Payments.Benchmarks.Browser;
using Portal.Payments.Benchmarks.Invoices;
using Portal.Payments.Benchmarks.Throughput;

// dotnet run -c Release --project tests/Portal.Payments.Benchmarks -- --filter '*'
// Open-invoices grid only:        -- --filter '*OpenInvoices*'
// CSV export managed heap growth: -- csv-heap [Sqlite|Postgres]
// SQL and plans of each operation: -- plans [Sqlite|Postgres]
// Load the cached databases only:  -- prepare
// Throughput (wall-clock measurement modes, see docs/benchmarks.md):
//   -- runner [Sqlite|Postgres] [--rounds 3] [--payments N] [--baseline 20] [--latency 300]
//   -- runner-scale [--rounds 3] [--payments 1200] [--latency 800]
//   -- load [--sessions 1,25] [--actions 10] [--think 1000] [--tiered-pgo off] [--ws-compression off] [--spin-limit 0] [--host-env NAME=VALUE]…
//                                                                   (HostSite + Chromium sessions on Gus Globex's grid)
//   -- scale-out [--sessions 6] [--payments 600] [--latency 300]  (3 HostSite nodes on PostgreSQL behind nginx)
//   -- autopay [Sqlite|Postgres] [--accounts 10000] [--invoices 10]  (one autopay expansion pass)
//   -- outbox [Sqlite|Postgres] [--rounds 3] [--messages 800] [--baseline 40] [--erp 200] [--smtp 200] [--slow-smtp 1000]
if (args is ["runner", .. var runnerArgs])
{
    Environment.ExitCode = await RunnerThroughput.RunAsync(runnerArgs);
    return;
}
if (args is ["runner-scale", .. var scaleArgs])
{
    Environment.ExitCode = await RunnerThroughput.RunScaleAsync(scaleArgs);
    return;
}
if (args is ["autopay", .. var autopayArgs])
{
    Environment.ExitCode = await AutopayExpansion.RunAsync(autopayArgs);
    return;
}
if (args is ["outbox", .. var outboxArgs])
{
    Environment.ExitCode = await OutboxThroughput.RunAsync(outboxArgs);
    return;
}
if (args is ["load", .. var loadArgs])
{
    Environment.ExitCode = await LoadBenchmark.RunAsync(loadArgs);
    return;
}
if (args is ["scale-out", .. var scaleOutArgs])
{
    Environment.ExitCode = await ScaleOutBenchmark.RunAsync(scaleOutArgs);
    return;
}
// Grid render batches, CPU and heap per circuit: -- grid-render [circuits] [actions] [--query-delay ms] [--census]
if (args is ["plans", .. var planProviders])
{
    await QueryPlans.RunAsync(planProviders);
    return;
}
if (args is ["grid-render", .. var gridArgs])
{
    await Portal.Payments.Benchmarks.Grid.GridRenderMeasurement.RunAsync(gridArgs);
    return;
}
if (args is ["prepare"])
{
    await InvoiceBenchmarkDatabase.PrepareSqliteAsync();
    var (postgres, _) = await InvoiceBenchmarkDatabase.StartPostgresAsync();
    await postgres.StopAsync(fast: true);
    return;
}
if (args is ["csv-heap", .. var providers])
{
    await CsvHeapMeasurement.RunAsync(providers);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point.</summary>
public partial class Program;
