using BenchmarkDotNet.Running;
using Portal.Payments.Benchmarks.Invoices;

// dotnet run -c Release --project tests/Portal.Payments.Benchmarks -- --filter '*'
// Open-invoices grid only:        -- --filter '*OpenInvoices*'
// CSV export managed heap growth: -- csv-heap [Sqlite|Postgres]
// SQL and plans of each operation: -- plans [Sqlite|Postgres]
// Load the cached databases only:  -- prepare
// Grid render batches, CPU and heap per circuit: -- grid-render [circuits] [actions]
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
