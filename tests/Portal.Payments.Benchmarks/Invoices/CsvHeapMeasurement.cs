using System.Diagnostics;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// Managed heap growth of the 100,000-row CSV export (BenchmarkDotNet reports bytes allocated, which is
/// not heap growth): a background thread samples <see cref="GC.GetTotalMemory(bool)"/> every 5 ms during
/// the export; growth = peak sample minus the heap after a full collection before the export.
/// Run with <c>dotnet run -c Release --project tests/Portal.Payments.Benchmarks -- csv-heap [Sqlite|Postgres]</c>.
/// </summary>
public sealed class CsvHeapMeasurement : OpenInvoicesBenchmarkBase
{
    private const int Runs = 7;

    /// <summary>Measures each provider named in <paramref name="args"/> (both when none) and prints a Markdown table.</summary>
    public static async Task RunAsync(IReadOnlyList<string> args)
    {
        var providers = args.Count == 0 ? Enum.GetValues<BenchmarkProvider>() : args.Select(Enum.Parse<BenchmarkProvider>).ToArray();
        var lines = new List<string>
        {
            "| provider | export time (median of 7) | max export time | peak managed heap growth (max of 7) | allocated per export | GCs gen0/1/2 per export |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        };
        foreach (var provider in providers)
        {
            var measurement = new CsvHeapMeasurement { Provider = provider };
            await measurement.GlobalSetupAsync();
            try
            {
                lines.Add(await measurement.MeasureAsync());
            }
            finally
            {
                await measurement.GlobalCleanupAsync();
            }
        }
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    private async Task<string> MeasureAsync()
    {
        await ExportAsync();
        var samples = new List<Sample>();
        for (var run = 0; run < Runs; run++)
        {
            samples.Add(await MeasureOnceAsync());
        }
        var times = samples.Select(s => s.Elapsed.TotalMilliseconds).Order().ToList();
        var last = samples[^1];
        return $"| {Provider} | {times[times.Count / 2]:N0} ms | {times[^1]:N0} ms | {samples.Max(s => s.HeapGrowth) / 1048576.0:N1} MB | "
            + $"{samples.Average(s => s.Allocated) / 1048576.0:N1} MB | {last.Gen0}/{last.Gen1}/{last.Gen2} |";
    }

    private async Task<Sample> MeasureOnceAsync()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var peak = before;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            while (!done.Wait(5))
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
            }
        }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        sampler.Start();
        var watch = Stopwatch.StartNew();
        await ExportAsync();
        watch.Stop();
        var end = GC.GetTotalMemory(forceFullCollection: false);
        done.Set();
        sampler.Join();
        return new Sample(
            watch.Elapsed,
            Math.Max(peak, end) - before,
            GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore,
            GC.CollectionCount(0) - gen0,
            GC.CollectionCount(1) - gen1,
            GC.CollectionCount(2) - gen2);
    }

    private async Task ExportAsync()
    {
        await using var writer = new StreamWriter(Stream.Null);
        await Invoices.WriteCsvAsync(ExportQuery, AllColumns, writer);
    }

    private sealed record Sample(TimeSpan Elapsed, long HeapGrowth, long Allocated, int Gen0, int Gen1, int Gen2);
}
