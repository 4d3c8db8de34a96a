using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Runs the built sample host (samples/HostSite) as a real process on a free loopback port, with a
/// fresh data folder, for the whole <see cref="HostSiteCollection"/>; shares one Chromium for the
/// browser tests. Dispose kills the process tree and deletes the data folder.
/// </summary>
public sealed class HostSiteFixture : IAsyncLifetime
{
    /// <summary>How long the host may take to answer GET /login with 200.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Chromium switches for this machine (no sandbox as root, no calls to Google's services).</summary>
    public static readonly IReadOnlyList<string> ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private readonly StringBuilder _output = new();
    private readonly object _outputLock = new();
    private readonly SemaphoreSlim _browserLock = new(1, 1);
    private Process? _process;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Root URL of the running host, e.g. http://127.0.0.1:5123 (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>When the host first answered GET /login (its demo data was seeded before that).</summary>
    public DateTimeOffset ReadyAt { get; private set; }

    /// <summary>The host's data folder (SQLite database), also its working directory.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Everything the host wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The Chromium executable: PORTAL_CHROMIUM, or /usr/bin/chromium.</summary>
    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var dll = RepoPaths.HostSiteDll;
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"The sample host is not built: {dll} does not exist. Build the test project (its ProjectReference builds samples/HostSite in the same configuration, {RepoPaths.Configuration}).");
        }
        Directory.CreateDirectory(DataDirectory);
        var port = FreeLoopbackPort();
        BaseUrl = $"http://127.0.0.1:{port}";

        var start = new ProcessStartInfo(DotnetHost(), [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Nothing from the test runner's environment may change the host's configuration.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("HostSite__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("CustomerPortalPayments__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["HostSite__DataDirectory"] = DataDirectory;
        start.Environment["CustomerPortalPayments__Notifications__PortalBaseUrl"] = BaseUrl;
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        // The test-only clock (POST /test/clock/advance) and a quick scheduled-payment runner.
        start.Environment["HostSite__TestClock"] = "true";
        start.Environment["CustomerPortalPayments__Scheduling__RunnerInterval"] = "00:00:01";
        start.Environment["DOTNET_NOLOGO"] = "1";

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!_process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName} {string.Join(' ', start.ArgumentList)}.");
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitUntilReadyAsync();
    }

    /// <summary>A client for the host (no cookies unless <paramref name="cookies"/> is given; redirects are not followed).</summary>
    public HttpClient CreateHttpClient(CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new CookieContainer(),
        };
        return new HttpClient(handler) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The shared Chromium, launched on first use. Fails (never skips) when Chromium is missing.</summary>
    public async Task<IBrowser> GetBrowserAsync()
    {
        await _browserLock.WaitAsync();
        try
        {
            if (_browser is not null)
            {
                return _browser;
            }
            var chromium = ChromiumPath;
            if (!File.Exists(chromium))
            {
                throw new InvalidOperationException(
                    $"Chromium was not found at '{chromium}'. The end-to-end tests need a Chromium browser: install Debian's package " +
                    "('apt-get install chromium', which provides /usr/bin/chromium) or set PORTAL_CHROMIUM to a Chromium executable. " +
                    "Do not run 'playwright install': these tests use the system browser.");
            }
            _playwright ??= await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
            return _browser;
        }
        finally
        {
            _browserLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        try
        {
            if (_browser is not null)
            {
                await _browser.CloseAsync();
            }
        }
        catch (PlaywrightException)
        {
            // The browser is gone already.
        }
        _playwright?.Dispose();

        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    await _process.WaitForExitAsync(wait.Token);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Exited meanwhile, or would not die in time: nothing more to do here.
            }
            _process.Dispose();
        }
        _browserLock.Dispose();
        DeleteDirectory(DataDirectory);
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (watch.Elapsed < StartupTimeout)
        {
            if (_process!.HasExited)
            {
                // Let the output readers drain before reporting.
                _process.WaitForExit();
                throw new InvalidOperationException(
                    $"The sample host exited with code {_process.ExitCode} before answering GET /login.\n--- host output ---\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync(BaseUrl + "/login");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ReadyAt = DateTimeOffset.UtcNow;
                    return;
                }
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException)
            {
                last = "request timed out";
            }
            await Task.Delay(250);
        }
        throw new TimeoutException(
            $"The sample host did not answer GET {BaseUrl}/login with 200 within {StartupTimeout.TotalSeconds:0} s (last: {last}).\n--- host output ---\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The dotnet host that runs these tests (DOTNET_HOST_PATH under dotnet test), else dotnet on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return "dotnet";
    }

    private static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>All end-to-end tests share one host process and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class HostSiteCollection : ICollectionFixture<HostSiteFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "HostSite";
}
