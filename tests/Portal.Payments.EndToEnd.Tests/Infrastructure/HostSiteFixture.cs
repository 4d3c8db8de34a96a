using System.Net;
using System.Text;
using Microsoft.Playwright;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Runs the built sample host (samples/HostSite) as a real process on a free loopback port, with a
/// fresh data folder, for the whole <see cref="HostSiteCollection"/>; shares one Chromium for the
/// browser tests. Dispose kills the process tree and deletes the data folder.
/// </summary>
public sealed class HostSiteFixture : IAsyncLifetime
{
    /// <summary>Chromium switches for this machine (no sandbox as root, no calls to Google's services).</summary>
    public static readonly IReadOnlyList<string> ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private readonly StringBuilder _output = new();
    private readonly object _outputLock = new();
    private readonly SemaphoreSlim _browserLock = new(1, 1);
    private HostSiteProcess? _process;
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
        Directory.CreateDirectory(DataDirectory);
        _process = new HostSiteProcess(DataDirectory, LoopbackPort.Next(), new Dictionary<string, string>(), Append);
        BaseUrl = _process.BaseUrl;
        try
        {
            await _process.StartAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- host output ---\n{Output}", ex);
        }
        ReadyAt = DateTimeOffset.UtcNow;
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
            await _process.DisposeAsync();
        }
        _browserLock.Dispose();
        DeleteDirectory(DataDirectory);
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

    /// <summary>Deletes a data folder, retrying while files are still being closed.</summary>
    internal static void DeleteDirectory(string path)
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
