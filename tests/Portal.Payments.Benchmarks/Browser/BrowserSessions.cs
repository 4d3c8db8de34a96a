using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Playwright;

namespace Portal.Payments.Benchmarks.Browser;

/// <summary>Chromium (Debian's, never downloaded) driven by Playwright, and the per-node diagnostics of the sample host.</summary>
internal sealed class BrowserSessions : IAsyncDisposable
{
    /// <summary>Chromium switches for this machine (no sandbox as root, no calls to Google's services).</summary>
    public static readonly IReadOnlyList<string> ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    private readonly IPlaywright _playwright;

    private BrowserSessions(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<BrowserSessions> StartAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"Chromium was not found at '{chromium}': apt-get install -y chromium, or set PORTAL_CHROMIUM.");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs });
        return new BrowserSessions(playwright, browser);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
    }

    /// <summary>A signed-in session on the open-invoices grid, counting the bytes the server sends over its WebSocket.</summary>
    public async Task<Session> OpenAsync(string baseUrl, string user)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, Locale = "en-US", ViewportSize = new() { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(60_000);
        // The page counts what its WebSockets receive itself (see Probe): no per-frame events through the DevTools protocol.
        await context.AddInitScriptAsync(Probe);
        var page = await context.NewPageAsync();
        var session = new Session(context, page, user);
        await page.GotoAsync("/login");
        await page.Locator($"button[data-user='{user}']").ClickAsync();
        await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal));
        await page.GotoAsync("/portal/invoices");
        await page.Locator("[data-testid=grid-grid] .pp-inv-number").First.WaitForAsync(new() { Timeout = 120_000 });
        // The circuit is live when the pager reacts: wait for it before measuring.
        await session.WaitInteractiveAsync();
        return session;
    }

    /// <summary>
    /// Installed in every page before its own scripts: each WebSocket the page opens (Blazor's circuit) adds the bytes of
    /// the messages it receives to a counter and notes when the last one came, so a session reads both with one call.
    /// </summary>
    private const string Probe = """
        (() => {
            let received = 0;
            let messagesIn = 0;
            let messagesOut = 0;
            let last = 0;
            const Native = window.WebSocket;
            window.WebSocket = class extends Native {
                constructor(...args) {
                    super(...args);
                    this.addEventListener('message', e => {
                        const d = e.data;
                        received += typeof d === 'string' ? new TextEncoder().encode(d).length : (d.byteLength ?? d.size ?? 0);
                        messagesIn++;
                        last = performance.now();
                    });
                }
                send(data) {
                    messagesOut++;
                    return super.send(data);
                }
            };
            window.__ppSocket = () => ({ received, messagesIn, messagesOut, last });
        })();
        """;

    /// <summary>
    /// One grid action measured inside the page: click the pager button, wait (at most <c>timeout</c> ms) until the first
    /// row shows another invoice (a MutationObserver, no polling) and the next frame starts, then until the circuit's
    /// WebSocket has been quiet for 100 ms. Returns [click-to-rows ms, bytes received, WebSocket messages received, sent].
    /// </summary>
    private const string PageAction = """
        async ({ next, timeout }) => {
            const grid = document.querySelector('[data-testid=grid-grid]');
            const first = () => grid.querySelector('.pp-inv-number')?.textContent.trim() ?? '';
            const usable = b => b && !b.disabled && !b.classList.contains('rz-state-disabled');
            let button = grid.querySelector(next ? '.rz-pager-next' : '.rz-pager-prev');
            if (!usable(button)) button = grid.querySelector(next ? '.rz-pager-prev' : '.rz-pager-next');
            const before = first();
            const socketBefore = window.__ppSocket();
            const start = performance.now();
            const ms = await new Promise((resolve, reject) => {
                const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`The rows did not change within ${timeout} ms.`)); }, timeout);
                const observer = new MutationObserver(() => {
                    if (first() !== before) {
                        observer.disconnect();
                        clearTimeout(timer);
                        requestAnimationFrame(() => resolve(performance.now() - start));
                    }
                });
                observer.observe(grid, { subtree: true, childList: true, characterData: true });
                button.click();
            });
            await new Promise(resolve => {
                const check = () => performance.now() - window.__ppSocket().last >= 100 ? resolve() : setTimeout(check, 50);
                setTimeout(check, 50);
            });
            const socket = window.__ppSocket();
            return [ms, socket.received - socketBefore.received, socket.messagesIn - socketBefore.messagesIn, socket.messagesOut - socketBefore.messagesOut];
        }
        """;

    /// <summary>One grid action as the page saw it: click-to-rows, bytes received, WebSocket messages received and sent.</summary>
    internal readonly record struct PageActionResult(double Ms, long Bytes, int MessagesIn, int MessagesOut);

    /// <summary>One browser context (own cookies), one page.</summary>
    internal sealed class Session(IBrowserContext context, IPage page, string user) : IAsyncDisposable
    {
        public IPage Page { get; } = page;

        public string User { get; } = user;

        /// <summary>Pages until the rows change (a prerendered page does nothing until its circuit connects).</summary>
        public async Task WaitInteractiveAsync()
        {
            for (var attempt = 0; attempt < 60; attempt++)
            {
                try
                {
                    await ActAsync(next: true, TimeSpan.FromSeconds(2));
                    return;
                }
                catch (PlaywrightException)
                {
                    // not connected yet
                }
            }
            throw new TimeoutException($"The grid of {User}'s session never reacted to the pager.");
        }

        /// <summary>
        /// One grid action (next or previous page; the other way on the first or last page), measured in the page (see
        /// <see cref="PageAction"/>): the click-to-rows time, and the WebSocket bytes received and messages received and
        /// sent until 100 ms of quiet (a WebSocket message is a SignalR frame: a render batch, an interop call, an ack).
        /// </summary>
        public Task<PageActionResult> PageAsync(bool next) => ActAsync(next, TimeSpan.FromSeconds(30));

        private async Task<PageActionResult> ActAsync(bool next, TimeSpan timeout)
        {
            var result = await Page.EvaluateAsync<double[]>(PageAction, new { next, timeout = timeout.TotalMilliseconds });
            return new PageActionResult(result[0], (long)result[1], (int)result[2], (int)result[3]);
        }

        /// <summary>
        /// The page's main-thread work so far, from Chromium's own counters (DevTools <c>Performance.getMetrics</c>): all
        /// tasks, and of them script, style recalculation and layout, in ms. Read before and after a phase, the difference
        /// is what the page did: wall time of its tasks, close to their CPU time while the box has cores to spare, and
        /// inflated by the time a task waits for a core when it does not.
        /// </summary>
        public async Task<PageWork> WorkAsync()
        {
            if (_devTools is null)
            {
                _devTools = await context.NewCDPSessionAsync(Page);
                await _devTools.SendAsync("Performance.enable");
            }
            var metrics = (await _devTools.SendAsync("Performance.getMetrics"))!.Value.GetProperty("metrics").EnumerateArray()
                .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble() * 1000);
            return new(metrics["TaskDuration"], metrics["ScriptDuration"], metrics["RecalcStyleDuration"], metrics["LayoutDuration"]);
        }

        private ICDPSession? _devTools;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Page.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });
            }
            catch (PlaywrightException)
            {
                // already gone
            }
            await context.CloseAsync();
        }
    }

    /// <summary>A page's main-thread work in ms (see <see cref="Session.WorkAsync"/>).</summary>
    internal readonly record struct PageWork(double Tasks, double Script, double Style, double Layout)
    {
        public static PageWork operator -(PageWork a, PageWork b) => new(a.Tasks - b.Tasks, a.Script - b.Script, a.Style - b.Style, a.Layout - b.Layout);

        public static PageWork operator +(PageWork a, PageWork b) => new(a.Tasks + b.Tasks, a.Script + b.Script, a.Style + b.Style, a.Layout + b.Layout);

        public PageWork Times(double factor) => new(Tasks * factor, Script * factor, Style * factor, Layout * factor);
    }

    /// <summary>What <c>GET /diagnostics/heap</c> and <c>/diagnostics/cpu</c> of the sample host answer (HostSite:Diagnostics=true).</summary>
    internal sealed record NodeDiagnostics(
        [property: JsonPropertyName("node")] string Node,
        [property: JsonPropertyName("pid")] int Pid,
        [property: JsonPropertyName("circuits")] int Circuits,
        [property: JsonPropertyName("heapBytes")] long HeapBytes,
        [property: JsonPropertyName("cpuMs")] double CpuMs)
    {
        public static async Task<NodeDiagnostics> ReadAsync(HttpClient http, string baseUrl, bool forcedGc) =>
            (await http.GetFromJsonAsync<NodeDiagnostics>(baseUrl + (forcedGc ? "/diagnostics/heap" : "/diagnostics/cpu")))!;
    }
}
