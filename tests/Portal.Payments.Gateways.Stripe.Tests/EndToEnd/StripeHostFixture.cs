using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Playwright;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Gateways.Stripe.Tests.EndToEnd;

/// <summary>
/// Runs the built sample host (samples/HostSite) as a real process with <c>HostSite:Gateway = stripe</c>, its Stripe
/// keys pointing at a <see cref="StripeStandIn"/> on 127.0.0.1, and shares one Chromium. Pages get Stripe.js from the
/// JavaScript stand-in (Playwright answers <c>https://js.stripe.com/v3/</c>) and their calls to
/// <c>https://api.stripe.com</c> are answered by the API stand-in; any other request to a stripe.com host is aborted.
/// </summary>
public sealed class StripeHostFixture : IAsyncLifetime
{
    /// <summary>Chromium switches for this machine (no sandbox as root, no calls to Google's services).</summary>
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly StringBuilder _output = new();
    private readonly SemaphoreSlim _browserLock = new(1, 1);
    private readonly IReadOnlyDictionary<string, string> _settings;
    private Process? _process;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string _stripeJs = "";
    private int _stripeJsLoads;

    /// <summary>The shared host: the sample's settings as they are.</summary>
    public StripeHostFixture()
        : this(new Dictionary<string, string>())
    {
    }

    /// <summary>A host of a test's own, with environment <paramref name="settings"/> on top (e.g. a short charge lease).</summary>
    internal StripeHostFixture(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    /// <summary>Stripe's API stand-in the host and the browser talk to.</summary>
    public StripeStandIn StandIn { get; } = new();

    /// <summary>Root URL of the running host.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The host's data folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-stripe-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>How many times pages loaded Stripe.js from https://js.stripe.com/v3/.</summary>
    public int StripeJsLoads => Volatile.Read(ref _stripeJsLoads);

    /// <summary>Everything the host wrote to stdout and stderr.</summary>
    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>The host's SQLite database.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "portal.db");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _stripeJs = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "EndToEnd", "stripe-js-standin.js"));
        Directory.CreateDirectory(DataDirectory);
        BaseUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
        await StartAsync();
    }

    /// <summary>Starts the host (again, after <see cref="KillAsync"/>: same address, same data) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        var dll = HostSiteDll();
        Assert.True(File.Exists(dll), $"The sample host is not built: {dll} does not exist.");
        var start = new ProcessStartInfo(DotnetHost(), [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("HostSite__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("CustomerPortalPayments__", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["HostSite__DataDirectory"] = DataDirectory;
        start.Environment["HostSite__Gateway"] = "stripe";
        start.Environment["CustomerPortalPayments__Stripe__SecretKey"] = StripeStandIn.SecretKey;
        start.Environment["CustomerPortalPayments__Stripe__PublishableKey"] = StripeStandIn.PublishableKey;
        start.Environment["CustomerPortalPayments__Stripe__WebhookSigningSecret"] = StripeGatewayHarness.WebhookSecret;
        start.Environment["CustomerPortalPayments__Stripe__StatementDescriptor"] = "NORTHWIND SUPPLY";
        start.Environment["CustomerPortalPayments__Stripe__ApiBase"] = StandIn.Url;
        start.Environment["CustomerPortalPayments__Notifications__PortalBaseUrl"] = BaseUrl;
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in _settings)
        {
            start.Environment[key] = value;
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"The sample host exited with code {_process.ExitCode}.\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync(BaseUrl + "/login");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"The sample host did not answer GET /login within 120 s.\n{Output}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Kills the host process at once (no shutdown: a crash), leaving its data as the moment left it.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>A new page in a new context, with Stripe.js and Stripe's API answered locally.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(20_000);
        // Routes registered later are matched first: anything else on a stripe.com host is refused.
        await context.RouteAsync(new System.Text.RegularExpressions.Regex(@"^https?://([a-z0-9-]+\.)*stripe\.com/"), route => route.AbortAsync());
        await context.RouteAsync("https://js.stripe.com/v3/", async route =>
        {
            Interlocked.Increment(ref _stripeJsLoads);
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/javascript", Body = _stripeJs });
        });
        await context.RouteAsync("https://api.stripe.com/**", async route =>
        {
            var local = StandIn.Url.TrimEnd('/') + new Uri(route.Request.Url).PathAndQuery;
            var response = await route.FetchAsync(new RouteFetchOptions { Url = local });
            await route.FulfillAsync(new RouteFulfillOptions { Response = response });
        });
        return context;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
        await KillAsync();
        StandIn.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Still held open; the OS cleans the temp folder.
        }
    }

    private async Task<IBrowser> BrowserAsync()
    {
        await _browserLock.WaitAsync();
        try
        {
            if (_browser is null)
            {
                var chromium = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
                Assert.True(File.Exists(chromium), $"Chromium was not found at {chromium}; install Debian's chromium package (never 'playwright install').");
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs, Timeout = 60_000 });
            }
            return _browser;
        }
        finally
        {
            _browserLock.Release();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string HostSiteDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.Payments.sln")))
        {
            dir = dir.Parent;
        }
        var parts = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory).Split(Path.DirectorySeparatorChar);
        var configuration = parts[Array.LastIndexOf(parts, "bin") + 1];
        return Path.Combine(dir!.FullName, "samples", "HostSite", "bin", configuration, "net10.0", "HostSite.dll");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

}

/// <summary>The Stripe end-to-end tests share one host, one stand-in and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class StripeHostCollection : ICollectionFixture<StripeHostFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "Stripe host";
}
