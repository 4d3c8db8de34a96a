using BenchmarkDotNet.Attributes;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// The open-invoices grid of an account with 100,000 open items among 1,000,000 invoices, through the real
/// <see cref="Services.Invoices.InvoiceQueryService"/> and <see cref="Services.AccountOverviewService"/>,
/// against the naive first page (the whole account loaded and handed to an in-memory grid).
/// </summary>
[Config(typeof(OpenInvoicesQueryConfig))]
[MemoryDiagnoser]
public class OpenInvoicesBenchmarks : OpenInvoicesBenchmarkBase
{
    /// <summary>Open items due in the last 90 days, by due date, first 50 rows and the count, in the database.</summary>
    [Benchmark(Description = "FirstPage")]
    [BenchmarkCategory("FirstPage")]
    public async Task<int> FirstPage()
    {
        var page = await Invoices.QueryAsync(FirstPageQuery);
        return page.TotalCount + page.Items.Count;
    }

    /// <summary>The same first page the naive way: every open item of the account loaded, then filtered, sorted and paged in memory.</summary>
    [Benchmark(Baseline = true, Description = "NaiveFirstPage")]
    [BenchmarkCategory("FirstPage")]
    public async Task<int> NaiveFirstPage()
    {
        var (count, page) = await NaiveFirstPageAsync();
        return count + page.Count;
    }

    /// <summary>General search by invoice-number prefix, first 50 rows and the count.</summary>
    [Benchmark(Description = "SearchPrefix")]
    [BenchmarkCategory("SearchPrefix")]
    public async Task<int> SearchPrefix()
    {
        var page = await Invoices.QueryAsync(SearchQuery);
        return page.TotalCount + page.Items.Count;
    }

    /// <summary>General search matching anywhere (digits from inside a number: a handful of matches), first 50 rows and the count.</summary>
    [Benchmark(Description = "SearchContains")]
    [BenchmarkCategory("SearchContains")]
    public async Task<int> SearchContains()
    {
        var page = await Invoices.QueryAsync(ContainsQuery);
        return page.TotalCount + page.Items.Count;
    }

    /// <summary>General search matching anywhere (words inside references: hundreds of matches), first 50 rows and the count.</summary>
    [Benchmark(Description = "SearchContainsBroad")]
    [BenchmarkCategory("SearchContainsBroad")]
    public async Task<int> SearchContainsBroad()
    {
        var page = await Invoices.QueryAsync(ContainsBroadQuery);
        return page.TotalCount + page.Items.Count;
    }

    /// <summary>Total balance and balances by aging bucket.</summary>
    [Benchmark(Description = "Balances")]
    [BenchmarkCategory("Balances")]
    public async Task<int> Balances() => (await Overview.GetSummaryAsync()).OpenItemCount;
}

/// <summary>CSV export of the account's 100,000 open items (every column) to a writer that discards the bytes.</summary>
[Config(typeof(OpenInvoicesExportConfig))]
[MemoryDiagnoser]
public class OpenInvoicesCsvBenchmarks : OpenInvoicesBenchmarkBase
{
    /// <summary>Streams the whole result set as CSV.</summary>
    [Benchmark(Description = "CsvExport100k")]
    [BenchmarkCategory("CsvExport100k")]
    public async Task CsvExport100k()
    {
        await using var writer = new StreamWriter(Stream.Null);
        await Invoices.WriteCsvAsync(ExportQuery, AllColumns, writer);
    }
}
