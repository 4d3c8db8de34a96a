using System.Diagnostics;
using System.Net;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One run of the built sample host (samples/HostSite) as a real process on a loopback port, with its data folder as
/// working directory and only the configuration given here (nothing from the test runner's environment). It can be
/// killed like a crashed server and started again on the same folder and port.
/// </summary>
public sealed class HostSiteProcess(string dataDirectory, int port, IReadOnlyDictionary<string, string> environment, Action<string?> output) : IAsyncDisposable
{
    /// <summary>How long the host may take to answer GET /login with 200.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    private Process? _process;

    /// <summary>Root URL of the host, e.g. http://127.0.0.1:5123 (no trailing slash).</summary>
    public string BaseUrl { get; } = $"http://127.0.0.1:{port}";

    /// <summary>The host's SQLite database.</summary>
    public string DatabasePath => Path.Combine(dataDirectory, "portal.db");

    /// <summary>Starts the host and waits until GET /login answers 200.</summary>
    public async Task StartAsync()
    {
        var dll = RepoPaths.HostSiteDll;
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"The sample host is not built: {dll} does not exist. Build the test project (its ProjectReference builds samples/HostSite in the same configuration, {RepoPaths.Configuration}).");
        }
        var start = new ProcessStartInfo(DotnetHost(), [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = dataDirectory,
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
        start.Environment["HostSite__DataDirectory"] = dataDirectory;
        // Links in emails: the site's root, below its path base when it has one.
        start.Environment["CustomerPortalPayments__Notifications__PortalBaseUrl"] = BaseUrl + environment.GetValueOrDefault("HostSite__PathBase", "");
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        // The test-only clock (POST /test/clock/advance) and a quick scheduled-payment runner.
        start.Environment["HostSite__TestClock"] = "true";
        start.Environment["CustomerPortalPayments__Scheduling__RunnerInterval"] = "00:00:01";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => output(e.Data);
        _process.ErrorDataReceived += (_, e) => output(e.Data);
        if (!_process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName} {string.Join(' ', start.ArgumentList)}.");
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync();
    }

    /// <summary>Kills the host at once (SIGKILL, as a crash or an OOM kill would), and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }
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
        _process = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await KillAsync();

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
                throw new InvalidOperationException($"The sample host exited with code {_process.ExitCode} before answering GET /login.");
            }
            try
            {
                using var response = await client.GetAsync(BaseUrl + "/login");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException or IOException)
            {
                // Not listening yet. A connection the starting host resets at once can surface as a bare SocketException
                // ("Transport endpoint is not connected"), not wrapped in an HttpRequestException.
                last = ex.Message;
            }
            catch (TaskCanceledException)
            {
                last = "request timed out";
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The sample host did not answer GET {BaseUrl}/login with 200 within {StartupTimeout.TotalSeconds:0} s (last: {last}).");
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
}
