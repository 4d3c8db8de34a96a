using System.Collections.Concurrent;
using Portal.Payments.Benchmarks.Throughput;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Benchmarks.Browser;

/// <summary>
/// <c>load [--sessions 1,25] [--actions 10] [--think 1000] [--user gus] [--database sqlite|postgres] [--tiered-pgo off] [--ws-compression off] [--spin-limit 0] [--host-env NAME=VALUE]…</c>: the sample host (samples/HostSite, built
/// dll, SQLite in a temp folder, or with <c>--database postgres</c> a new database on the benchmarks' throwaway PostgreSQL
/// cluster, <c>HostSite:Diagnostics=true</c>) and N Chromium sessions signed in as Gus Globex (5,000
/// invoices) on the open-invoices grid. For each N: the live managed heap per circuit (forced GC: heap with N circuits
/// minus the heap with none, over N), then every session pages the grid (next, next, previous, …) <c>--actions</c>
/// times with <c>--think</c> ms between its clicks, all sessions at once; per action the click-to-rows time (from the
/// click until the first row shows another invoice and the next frame starts, measured inside the page with a
/// MutationObserver) and the bytes the server sent over the session's WebSocket (render batches and acknowledgements,
/// until 100 ms of quiet, counted by the page) and the WebSocket messages received and sent; the server's CPU time over the action
/// phase divided by the actions (it includes the idle cost of the open circuits and the background services), and beside
/// it the Chromium processes' CPU, the pages' own main-thread work (Chromium's task, script, style and layout counters:
/// wall time of the page's tasks, close to their CPU time on a quiet box, inflated by waiting for a core on a saturated
/// one) and the whole machine's busy CPU over the same phase, per action. The host is
/// warmed up first (three sessions of 30 clicks) and each measurement waits until the host's background JIT is done, so
/// the figures are the steady state.
/// </summary>
internal static class LoadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sessionCounts = (Option(args, "--sessions") ?? "1,25").Split(',').Select(int.Parse).ToArray();
        var actions = int.Parse(Option(args, "--actions") ?? "10");
        var think = int.Parse(Option(args, "--think") ?? "1000");
        var user = Option(args, "--user") ?? "gus";
        // "--tiered-pgo off" runs the host with DOTNET_TieredPGO=0 (less background JIT, for comparison).
        var tieredPgo = OnOff(args, "--tiered-pgo");
        // "--ws-compression off" runs the host with HostSite:WebSocketCompression=false (no per-message deflate of the circuits).
        var compression = OnOff(args, "--ws-compression");
        // "--spin-limit 0" runs the host with DOTNET_ThreadPool_UnfairSemaphoreSpinLimit (idle thread-pool workers spin less
        // before they sleep; the runtime's default is 70).
        var spinLimit = Option(args, "--spin-limit");
        if (spinLimit is not null && !(int.TryParse(spinLimit, out var spins) && spins is >= 0 and <= short.MaxValue))
        {
            throw new ArgumentException($"--spin-limit takes a whole number from 0 to {short.MaxValue}, not '{spinLimit}'.", nameof(args));
        }
        var database = Option(args, "--database") ?? "sqlite";
        if (database is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException($"--database takes 'sqlite' or 'postgres', not '{database}'.", nameof(args));
        }
        var data = Directory.CreateTempSubdirectory("pp-load-");
        var port = LoopbackPort.Next();
        var log = new ConcurrentQueue<string>();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", // static web assets from the build output (not published)
            ["HostSite__TestClock"] = "false",
            ["HostSite__Diagnostics"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_TieredPGO"] = tieredPgo == "off" ? "0" : "1",
            ["HostSite__WebSocketCompression"] = compression == "on" ? "true" : "false",
        };
        if (spinLimit is not null)
        {
            environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = spinLimit;
        }
        // "--host-env NAME=VALUE" (repeatable) sets any other variable of the host's environment, for a one-off comparison
        // (for example DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1); it is printed with the run's settings.
        var hostEnvironment = HostEnvironment(args);
        foreach (var (name, value) in hostEnvironment)
        {
            environment[name] = value;
        }
        if (database == "postgres")
        {
            // The host migrates and seeds it as it does its SQLite file (HostSite reads ConnectionStrings:PortalPostgres).
            environment["ConnectionStrings__PortalPostgres"] = await Measure.NewPostgresDatabaseAsync("pp_load");
        }
        await using var host = new HostSiteProcess(data.FullName, port, environment, line =>
        {
            if (line is not null)
            {
                log.Enqueue(line);
            }
        });
        try
        {
            await host.StartAsync();
            await using var browser = await BrowserSessions.StartAsync();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            Console.WriteLine($"== load, HostSite on {(database == "postgres" ? "PostgreSQL" : "SQLite")} at {host.BaseUrl}, user {user}, sessions {string.Join(",", sessionCounts)}, {actions} actions per session, think {think} ms, tiered PGO {tieredPgo}, WebSocket compression {compression}, thread-pool spin limit {spinLimit ?? "default"}{string.Concat(hostEnvironment.Select(e => $", {e.Key}={e.Value}"))}");

            // Warm-up: the first visit pulls the account from the demo ERP (5,000 invoices) and JIT-compiles the grid. Three
            // sessions open and click (sign-in, circuit start and the grid's paths each run 30 times, the count at which
            // .NET queues a method for its optimized tier)…
            for (var s = 0; s < 3; s++)
            {
                await using var warm = await browser.OpenAsync(host.BaseUrl, user);
                for (var i = 0; i < 30; i++)
                {
                    await warm.PageAsync(next: i % 3 != 2);
                }
            }
            // …then the host is left alone until its background JIT (tiered compilation, which recompiles the hot methods
            // for seconds to minutes after they first run) is done: a level measures the steady state, not the start-up.
            var settled = await WaitForQuietAsync(http, host.BaseUrl);
            Console.WriteLine($"// host quiet after the warm-up: {Measure.F(settled.CpuMsPerSecond)} ms CPU/s after {Measure.F(settled.Waited.TotalSeconds)} s");
            Console.WriteLine();
            Console.WriteLine("| sessions | live heap per circuit (MB) | click-to-rows median (ms) | p95 (ms) | max (ms) | bytes per action median (KB) | p95 (KB) | WebSocket messages per action: received / sent (median) | server CPU per action (ms): all (net of idle) | browsers' CPU per action (ms): all (net of idle) | page's main thread per action (ms): tasks (script / style / layout) | machine's busy CPU per action (ms) | actions | load avg (1 min) |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var n in sessionCounts)
            {
                Console.WriteLine("| " + await OneLevelAsync(browser, http, host.BaseUrl, user, n, actions, think) + " |");
            }
            Console.WriteLine();
            return 0;
        }
        catch
        {
            Console.Error.WriteLine(string.Join('\n', log.TakeLast(60)));
            throw;
        }
        finally
        {
            await host.KillAsync();
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    private static async Task<string> OneLevelAsync(BrowserSessions browser, HttpClient http, string baseUrl, string user, int n, int actions, int think)
    {
        // Heap with no circuit (closed sessions end their circuits when the page unloads).
        var idle = await WaitForCircuitsAsync(http, baseUrl, 0);
        var sessions = new List<BrowserSessions.Session>();
        try
        {
            // Open in small groups so sign-in and first render do not all land at once.
            foreach (var group in Enumerable.Range(0, n).Chunk(5))
            {
                sessions.AddRange(await Task.WhenAll(group.Select(_ => browser.OpenAsync(baseUrl, user))));
            }
            var full = await WaitForCircuitsAsync(http, baseUrl, n);
            var heapPerCircuit = (full.HeapBytes - idle.HeapBytes) / (double)n / (1024 * 1024);

            // The host's CPU while the sessions sit idle (open circuits, background services), subtracted below; first
            // the JIT work the new sessions started settles (see WaitForQuietAsync).
            await WaitForQuietAsync(http, baseUrl);
            var idleBefore = await CpuTimes.ReadAsync(http, baseUrl);
            var idleWatch = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(8));
            var idlePerSecond = (await CpuTimes.ReadAsync(http, baseUrl) - idleBefore).Times(1 / idleWatch.Elapsed.TotalSeconds);

            var results = new ConcurrentBag<BrowserSessions.PageActionResult>();
            var load = new List<double> { Measure.LoadAverage() };
            var workBefore = await Task.WhenAll(sessions.Select(s => s.WorkAsync()));
            var cpuBefore = await CpuTimes.ReadAsync(http, baseUrl);
            var phase = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(sessions.Select(async (s, i) =>
            {
                var random = new Random(i);
                await Task.Delay(random.Next(think + 1)); // spread the first clicks
                for (var a = 0; a < actions; a++)
                {
                    results.Add(await s.PageAsync(next: a % 3 != 2));
                    await Task.Delay(think / 2 + random.Next(think + 1));
                }
            }));
            var used = await CpuTimes.ReadAsync(http, baseUrl) - cpuBefore;
            var workAfter = await Task.WhenAll(sessions.Select(s => s.WorkAsync()));
            var pageWork = workAfter.Zip(workBefore, (after, before) => after - before).Aggregate((a, b) => a + b).Times(1.0 / results.Count);
            var perAction = used.Times(1.0 / results.Count);
            var netPerAction = (used - idlePerSecond.Times(phase.Elapsed.TotalSeconds)).Times(1.0 / results.Count);
            load.Add(Measure.LoadAverage());
            var ms = results.Select(r => r.Ms).ToList();
            var kb = results.Select(r => r.Bytes / 1024.0).ToList();
            var messagesIn = Measure.Median(results.Select(r => (double)r.MessagesIn).ToList());
            var messagesOut = Measure.Median(results.Select(r => (double)r.MessagesOut).ToList());
            return $"{n} | {Measure.F(heapPerCircuit, 2)} | {Measure.F(Measure.Median(ms))} | {Measure.F(Measure.Percentile(ms, 95))} | {Measure.F(ms.Max())} " +
                   $"| {Measure.F(Measure.Median(kb))} | {Measure.F(Measure.Percentile(kb, 95))} | {Measure.F(messagesIn)} / {Measure.F(messagesOut)} | {Measure.F(perAction.Host)} ({Measure.F(netPerAction.Host)} net of idle {Measure.F(idlePerSecond.Host)} ms/s) | {Measure.F(perAction.Browsers)} ({Measure.F(netPerAction.Browsers)} net of idle {Measure.F(idlePerSecond.Browsers)} ms/s) | {Measure.F(pageWork.Tasks)} ({Measure.F(pageWork.Script)} / {Measure.F(pageWork.Style)} / {Measure.F(pageWork.Layout)}) | {Measure.F(perAction.Machine)} | {results.Count} | {Measure.F(load.Min(), 2)} – {Measure.F(load.Max(), 2)}";
        }
        finally
        {
            foreach (var s in sessions)
            {
                await s.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Waits (at most 4 minutes) until the host uses less than 30 ms of CPU a second over two 3-second windows in a row;
    /// returns the last window's rate and the time waited.
    /// </summary>
    private static async Task<(double CpuMsPerSecond, TimeSpan Waited)> WaitForQuietAsync(HttpClient http, string baseUrl)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var quietWindows = 0;
        var rate = double.NaN;
        while (quietWindows < 2 && watch.Elapsed < TimeSpan.FromMinutes(4))
        {
            var before = await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: false);
            var window = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var after = await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: false);
            rate = (after.CpuMs - before.CpuMs) / window.Elapsed.TotalSeconds;
            quietWindows = rate < 30 ? quietWindows + 1 : 0;
        }
        return (rate, watch.Elapsed);
    }

    private static async Task<BrowserSessions.NodeDiagnostics> WaitForCircuitsAsync(HttpClient http, string baseUrl, int circuits)
    {
        BrowserSessions.NodeDiagnostics last = await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: true);
        // A closed browser's circuit is kept as a disconnected circuit for Blazor's retention period (3 minutes by
        // default) before it closes on the server: between levels, wait that long and a little more.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (last.Circuits != circuits && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            last = await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: false);
        }
        if (last.Circuits != circuits)
        {
            throw new InvalidOperationException($"The host has {last.Circuits} circuits, expected {circuits}.");
        }
        return await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: true);
    }

    /// <summary>CPU time used so far (ms): the host's process, the Chromium processes, and the whole machine (all cores, busy).</summary>
    private readonly record struct CpuTimes(double Host, double Browsers, double Machine)
    {
        public static async Task<CpuTimes> ReadAsync(HttpClient http, string baseUrl) =>
            new((await BrowserSessions.NodeDiagnostics.ReadAsync(http, baseUrl, forcedGc: false)).CpuMs, ProcessCpu.BrowsersMs(), ProcessCpu.MachineBusyMs());

        public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.Host - b.Host, a.Browsers - b.Browsers, a.Machine - b.Machine);

        public CpuTimes Times(double factor) => new(Host * factor, Browsers * factor, Machine * factor);
    }

    /// <summary>An on/off option ("on" when absent); any other value is refused with the option's name.</summary>
    private static string OnOff(string[] args, string name)
    {
        var value = Option(args, name) ?? "on";
        return value is "on" or "off" ? value : throw new ArgumentException($"{name} takes 'on' or 'off', not '{value}'.", nameof(args));
    }

    private static List<KeyValuePair<string, string>> HostEnvironment(string[] args)
    {
        var settings = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != "--host-env")
            {
                continue;
            }
            var setting = i + 1 < args.Length ? args[i + 1] : "";
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--host-env takes NAME=VALUE, not '{setting}'.", nameof(args));
            }
            settings.Add(new(setting[..equals], setting[(equals + 1)..]));
        }
        return settings;
    }

    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
