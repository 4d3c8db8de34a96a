using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// Shared set-up of the open-invoices benchmarks: the 1,000,000-invoice database of the chosen provider,
/// the portal's core services signed in on the account under test, and the grid requests.
/// </summary>
public abstract class OpenInvoicesBenchmarkBase
{
    /// <summary>Page size of the grid requests.</summary>
    protected const int PageSize = 50;

    /// <summary>Invoice-number prefix of the search benchmark (about 90 items of the account).</summary>
    protected const string SearchText = "INV-0012";

    /// <summary>Digits from inside an invoice or PO number: what a clerk holding part of a number types (a handful of matches).</summary>
    protected const string ContainsText = "45678";

    /// <summary>Words from inside a reference ("Spring order 1234"): hundreds of matches, none of them by prefix.</summary>
    protected const string ContainsBroadText = "order 1";

    /// <summary>Every grid column, in the grid's default order (the CSV columns).</summary>
    protected static readonly IReadOnlyList<string> AllColumns =
    [
        InvoiceFields.Number, InvoiceFields.PoNumber, InvoiceFields.Reference, InvoiceFields.DocumentDate, InvoiceFields.DueDate,
        InvoiceFields.Original, InvoiceFields.OpenBalance, InvoiceFields.Discount, InvoiceFields.DiscountDate, InvoiceFields.Type,
        InvoiceFields.Status, InvoiceFields.Comments,
    ];

    private PostgresCluster? _postgres;
    private ServiceProvider _root = null!;
    private AsyncServiceScope _scope;

    /// <summary>Database under test.</summary>
    [Params(BenchmarkProvider.Sqlite, BenchmarkProvider.Postgres)]
    public BenchmarkProvider Provider { get; set; }

    /// <summary>Connection string of the database under test.</summary>
    protected string ConnectionString { get; private set; } = "";

    /// <summary>The grid service of the signed-in scope.</summary>
    protected InvoiceQueryService Invoices { get; private set; } = null!;

    /// <summary>The balances service of the signed-in scope.</summary>
    protected AccountOverviewService Overview { get; private set; } = null!;

    /// <summary>Context factory, for the naive baseline.</summary>
    protected IDbContextFactory<PaymentsDbContext> DbFactory { get; private set; } = null!;

    /// <summary>First day of the first-page due-date filter (90 days back).</summary>
    protected DateOnly DueFrom { get; private set; }

    /// <summary>Last day of the first-page due-date filter (today).</summary>
    protected DateOnly DueTo { get; private set; }

    /// <summary>The first page: Open items due in the last 90 days, by due date, 50 rows, with the count.</summary>
    protected InvoiceQuery FirstPageQuery { get; private set; } = null!;

    /// <summary>General search by invoice-number prefix, 50 rows, with the count.</summary>
    protected InvoiceQuery SearchQuery { get; } = new() { Search = SearchText, Take = PageSize };

    /// <summary>General search matching anywhere in number, PO or reference (few matches), 50 rows, with the count.</summary>
    protected InvoiceQuery ContainsQuery { get; } = new() { Search = ContainsText, Take = PageSize };

    /// <summary>General search matching anywhere (hundreds of matches), 50 rows, with the count.</summary>
    protected InvoiceQuery ContainsBroadQuery { get; } = new() { Search = ContainsBroadText, Take = PageSize };

    /// <summary>Every open item of the account (the CSV export's result set).</summary>
    protected InvoiceQuery ExportQuery { get; } = new() { Sorts = [new GridSort(InvoiceFields.DueDate)] };

    /// <summary>Opens the database (loading it on first use) and the services, then checks the results against the naive approach.</summary>
    [GlobalSetup]
    public async Task GlobalSetupAsync()
    {
        string connectionString;
        if (Provider == BenchmarkProvider.Sqlite)
        {
            connectionString = await InvoiceBenchmarkDatabase.PrepareSqliteAsync();
        }
        else
        {
            (_postgres, connectionString) = await InvoiceBenchmarkDatabase.StartPostgresAsync();
        }
        ConnectionString = connectionString;
        _root = InvoiceBenchmarkDatabase.BuildServices(Provider, connectionString);
        _scope = _root.CreateAsyncScope();
        Invoices = _scope.ServiceProvider.GetRequiredService<InvoiceQueryService>();
        Overview = _scope.ServiceProvider.GetRequiredService<AccountOverviewService>();
        DbFactory = _scope.ServiceProvider.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        DueTo = InvoiceBenchmarkDatabase.Today;
        DueFrom = DueTo.AddDays(-90);
        FirstPageQuery = new InvoiceQuery
        {
            Filters =
            [
                new GridFilter(InvoiceFields.Status, GridFilterOperator.Equals, nameof(InvoiceStatus.Open)),
                new GridFilter(InvoiceFields.DueDate, GridFilterOperator.GreaterThanOrEqual, DueFrom.ToString("yyyy-MM-dd")),
                new GridFilter(InvoiceFields.DueDate, GridFilterOperator.LessThanOrEqual, DueTo.ToString("yyyy-MM-dd")),
            ],
            Sorts = [new GridSort(InvoiceFields.DueDate)],
            Take = PageSize,
        };
        await VerifyResultsAsync();
    }

    /// <summary>Disposes the services and stops PostgreSQL.</summary>
    [GlobalCleanup]
    public async Task GlobalCleanupAsync()
    {
        await _scope.DisposeAsync();
        await _root.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_postgres is not null)
        {
            await _postgres.StopAsync(fast: true);
            _postgres = null;
        }
    }

    /// <summary>The naive first page: every open item of the account loaded as entities, then filtered, counted, sorted and paged in memory.</summary>
    private protected async Task<(int Count, List<InvoiceRecord> Page)> NaiveFirstPageAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        var all = await db.Invoices.AsNoTracking().Where(i => i.AccountId == InvoiceDataSet.Account && i.IsOpen).ToListAsync();
        var filtered = all.Where(i => i.Status == InvoiceStatus.Open && i.DueDate >= DueFrom && i.DueDate <= DueTo).ToList();
        var page = filtered.OrderBy(i => i.DueDate).ThenBy(i => i.Id).Take(PageSize).ToList();
        return (filtered.Count, page);
    }

    // The service must return what the naive approach returns, or the timings mean nothing.
    private async Task VerifyResultsAsync()
    {
        var naive = await NaiveFirstPageAsync();
        var page = await Invoices.QueryAsync(FirstPageQuery);
        Check(page.TotalCount == naive.Count && page.Items.Select(r => r.DueDate).SequenceEqual(naive.Page.Select(r => r.DueDate)),
            $"first page: service count {page.TotalCount}, naive count {naive.Count}, or the due dates of the page differ");

        var (lower, upper) = SearchKeys.PrefixRange(SearchKeys.Normalize(SearchText));
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            var keys = await db.Invoices.AsNoTracking().Where(i => i.AccountId == InvoiceDataSet.Account && i.IsOpen)
                .Select(i => new[] { i.NumberKey, i.PoKey, i.ReferenceKey }).ToListAsync();
            var expected = keys.Count(k => k.Any(key => string.CompareOrdinal(key, lower) >= 0 && string.CompareOrdinal(key, upper) < 0));
            var found = await Invoices.QueryAsync(SearchQuery);
            Check(found.TotalCount == expected && found.Items.Count == Math.Min(expected, PageSize) && expected > PageSize,
                $"search: service count {found.TotalCount} ({found.Items.Count} rows), expected {expected}");

            // Contains: every open item of the account with the text anywhere in a key, and nothing that starts with it only.
            foreach (var (query, text, atLeast) in new[] { (ContainsQuery, ContainsText, 1), (ContainsBroadQuery, ContainsBroadText, PageSize + 1) })
            {
                var term = SearchKeys.Normalize(text);
                var anywhere = keys.Count(k => k.Any(key => key.Contains(term, StringComparison.Ordinal)));
                var contained = await Invoices.QueryAsync(query);
                Check(contained.TotalCount == anywhere && contained.Items.Count == Math.Min(anywhere, PageSize) && anywhere >= atLeast,
                    $"contains search \"{text}\": service count {contained.TotalCount} ({contained.Items.Count} rows), expected {anywhere} (at least {atLeast})");
                Check(contained.Items.All(r => new[] { r.Number, r.PoNumber, r.Reference }.Any(t => SearchKeys.Normalize(t).Contains(term, StringComparison.Ordinal))),
                    $"contains search \"{text}\": a row without the text");
            }
        }

        using var buffer = new MemoryStream();
        await using (var writer = new StreamWriter(buffer, leaveOpen: true))
        {
            await Invoices.WriteCsvAsync(ExportQuery, AllColumns, writer);
        }
        var lines = buffer.ToArray().Count(b => b == (byte)'\n');
        Check(lines == InvoiceDataSet.ItemsPerAccount + 1, $"CSV export: {lines} lines, expected a header and {InvoiceDataSet.ItemsPerAccount:N0} rows");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new InvalidOperationException("Benchmark result check failed: " + message);
        }
    }
}
