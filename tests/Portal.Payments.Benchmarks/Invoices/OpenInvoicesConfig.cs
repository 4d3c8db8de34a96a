using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Mathematics.OutlierDetection;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// Latency configuration of the open-invoices benchmarks: one call per iteration (so every measurement is
/// one request and the p95 is the p95 of requests, not of averages), outliers kept (they are the p95),
/// median and p95 columns, ratios per category. In-process, so the loaded database and the PostgreSQL
/// cluster are set up once per benchmark case instead of once per child process.
/// </summary>
public abstract class OpenInvoicesConfig : ManualConfig
{
    /// <summary>Creates the configuration with <paramref name="warmups"/> warm-up and <paramref name="iterations"/> measured calls.</summary>
    protected OpenInvoicesConfig(string id, int warmups, int iterations)
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(warmups)
            .WithIterationCount(iterations)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithOutlierMode(OutlierMode.DontRemove)
            .WithId(id));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Min, StatisticColumn.Max, CategoriesColumn.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>Grid requests: 5 warm-ups, 50 measured calls.</summary>
public sealed class OpenInvoicesQueryConfig() : OpenInvoicesConfig("Latency50", warmups: 5, iterations: 50);

/// <summary>The 100,000-row CSV export: 2 warm-ups, 15 measured exports.</summary>
public sealed class OpenInvoicesExportConfig() : OpenInvoicesConfig("Export15", warmups: 2, iterations: 15);
