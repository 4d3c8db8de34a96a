#pragma warning disable BL0006 // The measuring renderer is a RenderTree.Renderer.
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using Portal.Payments.DemoErp;
using Portal.Payments.Grid;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Sync;
using Portal.Payments.Testing;
using Portal.Payments.Ui.Components;
using Portal.Payments.Users;

namespace Portal.Payments.Benchmarks.Grid;

/// <summary>
/// What one open-invoices grid costs a Blazor Server circuit, measured at the renderer: the component rendered by a
/// renderer that serialises every batch exactly as a circuit does (<see cref="MeasuringRenderer"/>), over the real
/// services on a SQLite file holding the demo ERP's 5,000-invoice account (Gus Globex's), signed in as a payer.
/// <list type="bullet">
/// <item>render batch bytes of the first render and of each action (next page, select a row, sort by due date);</item>
/// <item>server CPU per action (process CPU time from the click until the renders stop, so it includes the query);</item>
/// <item>live heap per circuit: N grids alive at once, full GC, heap growth over a warmed-up baseline, divided by N;</item>
/// <item>components per circuit.</item>
/// </list>
/// Run with <c>dotnet run -c Release --project tests/Portal.Payments.Benchmarks -- grid-render [circuits] [actions]</c>;
/// <c>--census</c> adds what the heap growth of the open grids is made of (<see cref="HeapCensus"/>).
/// </summary>
internal static class GridRenderMeasurement
{
    private const string Account = "GLOBEX";

    // Size of one RenderTreeFrame on a 64-bit process (its explicit layout).
    private const int FrameBytes = 40;

    /// <summary>Measures and prints a Markdown table.</summary>
    public static async Task RunAsync(IReadOnlyList<string> args)
    {
        var delayAt = args.ToList().IndexOf("--query-delay");
        var queryDelay = TimeSpan.Zero;
        if (delayAt >= 0)
        {
            if (delayAt + 1 >= args.Count || !int.TryParse(args[delayAt + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 10_000)
            {
                throw new ArgumentException("--query-delay takes a number of milliseconds from 0 to 10000, e.g. --query-delay 3.");
            }
            queryDelay = TimeSpan.FromMilliseconds(ms);
        }
        var census = args.Contains("--census");
        var positional = (delayAt >= 0 ? args.Where((_, i) => i != delayAt && i != delayAt + 1) : args).Where(a => a != "--census").ToList();
        var circuits = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 20;
        var actions = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 20;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.GetCultureInfo("en-US");
        var path = Path.Combine(Path.GetTempPath(), $"pp-grid-render-{Guid.NewGuid():N}.db");
        try
        {
            await using var root = BuildServices($"Data Source={path}", queryDelay);
            if (queryDelay > TimeSpan.Zero)
            {
                Console.WriteLine($"// every query waits {queryDelay.TotalMilliseconds:0} ms before it runs, as a database across a network does");
            }
            await root.MigratePortalPaymentsAsync();
            await using (var scope = root.CreateAsyncScope())
            {
                var sync = scope.ServiceProvider.GetRequiredService<ErpSyncService>();
                var loaded = await sync.SyncAccountAsync(Account);
                Console.WriteLine($"// {loaded.Inserted:N0} invoices loaded for {Account}");
            }

            // Warm up (JIT, EF query cache, Radzen's reflection caches), then the baseline heap.
            for (var i = 0; i < 3; i++)
            {
                await using var warm = await Circuit.OpenAsync(root);
                await warm.NextPageAsync();
                await warm.SelectRowAsync();
                await warm.SortAsync();
            }
            // A census holds its own tables (and ClrMD leaves caches): the one the growth is measured against is taken
            // while an earlier one is alive, as the later census sees this one alive, and before the baseline heap.
            var censusBefore = census ? HeapCensus.Take() : null;
            censusBefore = census ? HeapCensus.Take() : null;
            var baseline = FullGcHeap();

            var open = new List<Circuit>();
            var first = new List<long>();
            var components = new List<int>();
            for (var i = 0; i < circuits; i++)
            {
                var circuit = await Circuit.OpenAsync(root);
                open.Add(circuit);
                first.Add(circuit.Renderer.Bytes);
                components.Add(circuit.Renderer.LiveComponents);
            }
            var heapPerCircuit = (FullGcHeap() - baseline) / (double)circuits;
            // Written out now, so the later census's tables are garbage before the heap is measured again after the actions.
            var censusGrowth = censusBefore is null ? null : HeapCensus.Growth(censusBefore, HeapCensus.Take(), circuits, top: 30);

            var page = new List<Sample>();
            var select = new List<Sample>();
            var sort = new List<Sample>();
            var idle = new List<Sample>();
            for (var i = 0; i < actions; i++)
            {
                var circuit = open[i % open.Count];
                page.Add(await circuit.NextPageAsync());
                select.Add(await circuit.SelectRowAsync());
                sort.Add(await circuit.SortAsync());
                idle.Add(await circuit.IdleAsync());
            }
            // The page's query alone, as a page change runs it (next page, sorted by due date), in one circuit's scope:
            // the share of a click's CPU that is the database's, not the render's.
            var queryOnly = new List<double>();
            await using (var scope = root.CreateAsyncScope())
            {
                var invoices = scope.ServiceProvider.GetRequiredService<InvoiceQueryService>();
                for (var i = 0; i < actions; i++)
                {
                    var query = new InvoiceQuery { Sorts = [new GridSort(InvoiceFields.DueDate)], Skip = 25 * (1 + i % 8), Take = 25 };
                    var before = Process.GetCurrentProcess().TotalProcessorTime;
                    var result = await invoices.QueryAsync(query);
                    queryOnly.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds);
                    if (result.Items.Count != 25)
                    {
                        throw new InvalidOperationException($"The query returned {result.Items.Count} rows, not 25.");
                    }
                }
            }
            // After every action (buffers only grow: the steady state a circuit keeps).
            var heapAfterActions = (FullGcHeap() - baseline) / (double)circuits;
            var trees = await open[0].Renderer.TreeSizesAsync();
            // What one page change is made of, by component type.
            open[0].Renderer.Breakdown = [];
            open[0].Renderer.Contents = [];
            var measured = await open[0].NextPageAsync();
            var breakdown = open[0].Renderer.Breakdown!;
            var contents = open[0].Renderer.Contents!;
            open[0].Renderer.Breakdown = null;
            open[0].Renderer.Contents = null;
            // What one row selection re-renders, by component type (its batch is small; its CPU is the components it
            // renders and diffs to little).
            open[0].Renderer.Breakdown = [];
            await open[0].SelectRowAsync();
            var selectBreakdown = open[0].Renderer.Breakdown!;
            open[0].Renderer.Breakdown = null;
            var componentsAfter = open.Select(c => c.Renderer.LiveComponents).ToList();
            var errors = open.SelectMany(c => c.Renderer.Errors).Select(e => e.GetType().Name + ": " + e.Message).Distinct().ToList();
            foreach (var circuit in open)
            {
                await circuit.DisposeAsync();
            }

            Console.WriteLine();
            Console.WriteLine($"| measure ({circuits} circuits, {actions} of each action) | median | p95 | max |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            Row("first render, render batch bytes", first.Select(b => (double)b), Kb);
            Row("page change, render batch bytes", page.Select(s => (double)s.Bytes), Kb);
            Row("select a row, render batch bytes", select.Select(s => (double)s.Bytes), Kb);
            Row("sort by due date, render batch bytes", sort.Select(s => (double)s.Bytes), Kb);
            Row("page change, render batches (messages to the browser)", page.Select(s => (double)s.Batches), N);
            Row("select a row, render batches", select.Select(s => (double)s.Batches), N);
            Row("sort by due date, render batches", sort.Select(s => (double)s.Batches), N);
            Row("page change, bytes allocated (whole process, click to settled)", page.Select(s => (double)s.Allocated), Kb);
            Row("select a row, bytes allocated", select.Select(s => (double)s.Allocated), Kb);
            Row("sort by due date, bytes allocated", sort.Select(s => (double)s.Allocated), Kb);
            Row("no action, bytes allocated (the settle wait)", idle.Select(s => (double)s.Allocated), Kb);
            Row("page change, server CPU", page.Select(s => s.CpuMs), Ms);
            Row("select a row, server CPU", select.Select(s => s.CpuMs), Ms);
            Row("sort by due date, server CPU", sort.Select(s => s.CpuMs), Ms);
            Row("no action (the same wait, for reference), server CPU", idle.Select(s => s.CpuMs), Ms);
            Row("the page's query alone (page change's rows and count), server CPU", queryOnly, Ms);
            Row("components per circuit (after first render)", components.Select(c => (double)c), N);
            Row("components per circuit (after the actions)", componentsAfter.Select(c => (double)c), N);
            Console.WriteLine($"| live heap per circuit (heap growth with {circuits} grids open / {circuits}) | {heapPerCircuit / 1024 / 1024:F2} MB | | |");
            Console.WriteLine($"| live heap per circuit after the actions | {heapAfterActions / 1024 / 1024:F2} MB | | |");
            Console.WriteLine();
            Console.WriteLine("| one page change, by component type | components re-rendered | edits | frames sent |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            foreach (var (name, (count, edits, frames)) in breakdown.OrderByDescending(b => b.Value.ReferenceFrames + b.Value.Edits).ThenByDescending(b => b.Value.Components))
            {
                Console.WriteLine($"| {name} | {count:N0} | {edits:N0} | {frames:N0} |");
            }
            Console.WriteLine();
            Console.WriteLine("| one row selection, by component type | components re-rendered | edits | frames sent |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            foreach (var (name, (count, edits, frames)) in selectBreakdown.OrderByDescending(b => b.Value.ReferenceFrames + b.Value.Edits).ThenByDescending(b => b.Value.Components))
            {
                Console.WriteLine($"| {name} | {count:N0} | {edits:N0} | {frames:N0} |");
            }
            Console.WriteLine();
            Console.WriteLine($"| one page change ({measured.Bytes / 1024.0:F1} KB), by edit | edits | bytes of strings |");
            Console.WriteLine("| --- | ---: | ---: |");
            foreach (var (what, (count, bytes)) in contents.OrderByDescending(c => c.Value.Count * 16 + c.Value.StringBytes).Take(16))
            {
                Console.WriteLine($"| {what} | {count:N0} | {bytes:N0} |");
            }
            Console.WriteLine();
            Console.WriteLine("| render trees one circuit holds after the actions, by component type | components | frames | frames of capacity | KB (both buffers) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            foreach (var (name, (count, frames, capacity)) in trees.OrderByDescending(t => t.Value.Capacity).Take(12))
            {
                Console.WriteLine($"| {name} | {count:N0} | {frames:N0} | {capacity:N0} | {2.0 * capacity * FrameBytes / 1024:F1} |");
            }
            var allCapacity = trees.Values.Sum(t => t.Capacity);
            Console.WriteLine($"| all | {trees.Values.Sum(t => t.Components):N0} | {trees.Values.Sum(t => t.Frames):N0} | {allCapacity:N0} | {2.0 * allCapacity * FrameBytes / 1024:F1} |");
            if (censusGrowth is not null)
            {
                Console.Write(censusGrowth);
            }
            GC.KeepAlive(censusBefore);
            Console.WriteLine();
            Console.WriteLine($"// machine load average: {LoadAverage()}");
            foreach (var error in errors.Take(5))
            {
                Console.WriteLine($"// component error (JS interop answers are defaults here): {error}");
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    private static ServiceProvider BuildServices(string connectionString, TimeSpan queryDelay)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var users = new FakePortalUserContext { User = FakePortalUserContext.UserOn(Account, PortalPermissions.Pay, "gus", "Gus Globex") };
        var portal = services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false)
            .UseSqlite(connectionString)
            .UseSandboxGateway()
            .UseDemoErp()
            .ConfigureDemoErp(o => o.Accounts.Add(new DemoErpAccountOptions { AccountId = Account, InvoiceCount = 5000 }));
        if (queryDelay > TimeSpan.Zero)
        {
            // Only when asked: an interceptor on every query would be measured with the grid's own CPU.
            portal.AddDbInterceptor(new QueryDelay(queryDelay));
        }
        services.Replace(ServiceDescriptor.Scoped<IPortalUserContext>(_ => users));
        services.AddScoped<IJSRuntime, DefaultAnswerJSRuntime>();
        services.AddScoped<NavigationManager, FixedNavigationManager>();
        services.AddScoped<IErrorBoundaryLogger, ConsoleErrorBoundaryLogger>();
        return services.BuildServiceProvider();
    }

    private static long FullGcHeap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static void Row(string name, IEnumerable<double> values, Func<double, string> format)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            Console.WriteLine($"| {name} | — | — | — |");
            return;
        }
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        Console.WriteLine($"| {name} | {format(At(0.5))} | {format(At(0.95))} | {format(sorted[^1])} |");
    }

    private static string Kb(double bytes) => $"{bytes / 1024:F1} KB";

    private static string Ms(double ms) => $"{ms:F1} ms";

    private static string N(double n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    /// <summary>What one action cost.</summary>
    private sealed record Sample(long Bytes, double CpuMs, int Batches, long Allocated);

    /// <summary>One "circuit": a DI scope and a renderer showing the open-invoices grid.</summary>
    private sealed class Circuit : IAsyncDisposable
    {
        private readonly AsyncServiceScope _scope;
        private bool _sortDescending;

        private Circuit(AsyncServiceScope scope, MeasuringRenderer renderer)
        {
            _scope = scope;
            Renderer = renderer;
        }

        public MeasuringRenderer Renderer { get; }

        public static async Task<Circuit> OpenAsync(IServiceProvider root)
        {
            var scope = root.CreateAsyncScope();
            var renderer = new MeasuringRenderer(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<ILoggerFactory>());
            var circuit = new Circuit(scope, renderer);
            await renderer.RenderAsync(typeof(OpenInvoicesGrid));
            await renderer.SettleAsync(TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(10));
            if (!renderer.FindElements().Any(e => e.Name == "tr" && e.Attributes.ContainsKey("class") && e.HasClass("rz-data-row")))
            {
                var seen = string.Join(", ", renderer.FindElements().GroupBy(e => e.Name).Select(g => $"{g.Key}×{g.Count()}"));
                var errors = string.Join(Environment.NewLine, renderer.Errors.Select(e => e.ToString()[..Math.Min(600, e.ToString().Length)]));
                throw new InvalidOperationException($"The grid rendered no rows; the measurement would mean nothing. Elements: {seen}. Errors: {errors}");
            }
            return circuit;
        }

        /// <summary>The pager's "next page".</summary>
        public Task<Sample> NextPageAsync() => MeasureAsync(r => r.DispatchAsync(
            e => e.HasClass("rz-pager-next") && !e.HasClass("rz-state-disabled"), "onclick", new MouseEventArgs()));

        /// <summary>Ticks the first row's check box that is not ticked yet (or unticks the first when all are).</summary>
        public Task<Sample> SelectRowAsync() => MeasureAsync(async r =>
        {
            // A row's own box ("Select invoice …"), not the header's "select this page" box (nor its copies in the phone titles).
            var boxes = r.FindElements().Where(e => e.Name == "input" && e["type"] == "checkbox" && !e.Attributes.ContainsKey("disabled")
                && (e["aria-label"] ?? "").StartsWith("Select invoice", StringComparison.Ordinal)).ToList();
            var target = boxes.FirstOrDefault(b => !b.Attributes.ContainsKey("checked")) ?? boxes.FirstOrDefault();
            if (target is null)
            {
                return false;
            }
            var tick = !target.Attributes.ContainsKey("checked");
            return await r.DispatchAsync(e => ReferenceEquals(e, target) || (e.Name == "input" && e["aria-label"] == target["aria-label"]), "onchange",
                new ChangeEventArgs { Value = tick });
        });

        /// <summary>Clicks the Due date column header (sorting ascending, then descending).</summary>
        public Task<Sample> SortAsync() => MeasureAsync(async r =>
        {
            _sortDescending = !_sortDescending;
            // Radzen's header cell: a div inside the th whose text starts with the title.
            return await r.DispatchAsync(e => e.Name == "div" && e.Handlers.ContainsKey("onclick") && e.Text.StartsWith("Due date", StringComparison.Ordinal),
                "onclick", new MouseEventArgs());
        });

        /// <summary>Nothing: the same settle wait as an action, so the CPU the process spends meanwhile anyway shows.</summary>
        public Task<Sample> IdleAsync() => MeasureAsync(_ => Task.FromResult(true));

        private async Task<Sample> MeasureAsync(Func<MeasuringRenderer, Task<bool>> act)
        {
            var bytes = Renderer.Bytes;
            var batches = Renderer.Batches;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            // From the moment the click is dispatched (finding the element is the harness's work, not the server's).
            Renderer.Dispatching = () =>
            {
                cpu = Process.GetCurrentProcess().TotalProcessorTime;
                allocated = GC.GetTotalAllocatedBytes(precise: true);
            };
            if (!await act(Renderer))
            {
                var clickable = Renderer.FindElements().Where(e => e.Handlers.Count > 0 && (e.Text.Contains("Due", StringComparison.Ordinal) || e.Attributes.Values.Any(v => v.Contains("sort", StringComparison.OrdinalIgnoreCase))))
                    .Select(e => $"<{e.Name} {string.Join(" ", e.Attributes.Select(a => $"{a.Key}=\"{a.Value}\""))} handlers={string.Join(",", e.Handlers.Keys)}>{e.Text[..Math.Min(40, e.Text.Length)]}");
                throw new InvalidOperationException("The element to click was not found in the grid. Candidates: " + string.Join(Environment.NewLine, clickable.Take(20)));
            }
            await Renderer.SettleAsync(TimeSpan.FromMilliseconds(60), TimeSpan.FromSeconds(10));
            var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            return new Sample(Renderer.Bytes - bytes, spent.TotalMilliseconds, Renderer.Batches - batches, GC.GetTotalAllocatedBytes(precise: true) - allocated);
        }

        public async ValueTask DisposeAsync()
        {
            await Renderer.Dispatcher.InvokeAsync(Renderer.Dispose);
            await _scope.DisposeAsync();
        }
    }

    /// <summary>
    /// Makes every asynchronous query wait before it runs: SQLite answers a query before the awaiting code yields, a
    /// PostgreSQL server across a socket does not, and the grid renders differently when its load yields
    /// (<c>--query-delay</c>).
    /// </summary>
    private sealed class QueryDelay(TimeSpan delay) : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public override async ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            return result;
        }
    }

    /// <summary>JS interop with nobody on the other end: every call answers the type's default (as bUnit's loose mode does).</summary>
    private sealed class DefaultAnswerJSRuntime : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => new(Default<TValue>());

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => new(Default<TValue>());

        private static TValue Default<TValue>() =>
            typeof(TValue) == typeof(IJSObjectReference) ? (TValue)(object)new DefaultAnswerObject() : default!;

        private sealed class DefaultAnswerObject : IJSObjectReference
        {
            public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => new(Default<TValue>());

            public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => new(Default<TValue>());

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private sealed class ConsoleErrorBoundaryLogger : IErrorBoundaryLogger
    {
        public ValueTask LogErrorAsync(Exception exception)
        {
            Console.WriteLine($"// error boundary: {exception.GetType().Name}: {exception.Message}");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FixedNavigationManager : NavigationManager
    {
        public FixedNavigationManager() => Initialize("http://localhost/", "http://localhost/portal/invoices");

        protected override void NavigateToCore(string uri, NavigationOptions options) => Uri = ToAbsoluteUri(uri).ToString();
    }
}
