using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Portal.Payments.TestInfrastructure;
using Xunit.Abstractions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// How the sample host chooses its address: the usual ASP.NET Core settings move it, nothing set means
/// http://localhost:5080, and a taken port is one clear line. Each test starts its own HostSite process.
/// </summary>
[Collection(HostSiteCollection.Name)]
public sealed class HostSiteStartupTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "portal-startup-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task ASPNETCORE_HTTP_PORTS_moves_the_port()
    {
        var port = LoopbackPort.Next();
        var (process, log) = Start([], new() { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var _ = process;
        await AssertServesAsync($"http://127.0.0.1:{port}", process, log);
        // ":5080" and not "5080": the random port itself may be 25080, and the log names temporary paths.
        Assert.DoesNotMatch(@":5080\b", Text(log));
    }

    [Fact]
    public async Task ASPNETCORE_URLS_moves_the_port_and_command_line_urls_win_over_it()
    {
        var envPort = LoopbackPort.Next();
        var (byEnv, envLog) = Start([], new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{envPort}" });
        using (byEnv)
        {
            await AssertServesAsync($"http://127.0.0.1:{envPort}", byEnv, envLog);
        }

        var argPort = LoopbackPort.Next();
        var (byArg, argLog) = Start(["--urls", $"http://127.0.0.1:{argPort}"], new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LoopbackPort.Next()}" });
        using (byArg)
        {
            await AssertServesAsync($"http://127.0.0.1:{argPort}", byArg, argLog);
        }
    }

    [Fact]
    public async Task A_taken_port_is_one_clear_line_and_exit_code_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, text) = await RunUntilExitAsync(["--urls", $"http://127.0.0.1:{port}"], []);

        Assert.Equal(1, exitCode);
        var errorLines = text.Split('\n').Where(l => l.Contains("cannot start", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(errorLines);
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customers")]
    [InlineData("/customers/")]
    [InlineData("//evil.example")]
    public async Task A_malformed_path_base_is_one_clear_line_and_exit_code_1(string pathBase)
    {
        var (exitCode, text) = await RunUntilExitAsync(["--urls", $"http://127.0.0.1:{LoopbackPort.Next()}"], new() { ["HostSite__PathBase"] = pathBase });

        Assert.Equal(1, exitCode);
        var line = Assert.Single(text.Split('\n'), l => l.Contains("HostSite:PathBase", StringComparison.Ordinal));
        Assert.Contains($"'{pathBase}'", line, StringComparison.Ordinal);
        Assert.Contains("\"/customers\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_address_settings_the_demo_uses_localhost_5080()
    {
        // Another copy of the demo may hold 5080 on this machine: either way the address named is localhost:5080.
        var (process, log) = Start([], []);
        using var _ = process;
        try
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < HostSiteProcess.StartupTimeout && !process.HasExited
                   && !Text(log).Contains("localhost:5080", StringComparison.Ordinal))
            {
                await Task.Delay(250);
            }
            Assert.Contains("localhost:5080", Text(log), StringComparison.Ordinal);
        }
        finally
        {
            Stop(process);
            output.WriteLine(Text(log));
        }
    }

    [Fact]
    public async Task In_Production_the_demo_starts_because_it_opts_in_to_the_sandbox_and_every_portal_page_says_so()
    {
        var baseUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
        var (process, log) = Start(["--urls", baseUrl], new() { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        using var _ = process;
        try
        {
            using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
            using var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
            var watch = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(process.HasExited, $"HostSite refused to start in Production:\n{Text(log)}");
                Assert.True(watch.Elapsed < HostSiteProcess.StartupTimeout, $"HostSite did not answer within {HostSiteProcess.StartupTimeout.TotalSeconds:0} s.\n{Text(log)}");
                try
                {
                    using var login = await client.GetAsync("/login");
                    if (login.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                await Task.Delay(250);
            }

            await HostHttp.SignInAsync(client, "pat");
            foreach (var path in new[] { "/portal", "/portal/invoices" })
            {
                var html = WebUtility.HtmlDecode(await client.GetStringAsync(path));
                Assert.Contains(T("Sandbox: no real money moves."), html, StringComparison.Ordinal);
                Assert.Contains("invented by the demo ERP", html, StringComparison.Ordinal);
            }
            Assert.Contains("runs with the sandbox gateway, which only simulates", Text(log), StringComparison.Ordinal);
            Assert.Contains("runs with the demo ERP, which only simulates", Text(log), StringComparison.Ordinal);
        }
        finally
        {
            Stop(process);
            output.WriteLine(Text(log));
        }
    }

    public void Dispose()
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(_data); attempt++)
        {
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private async Task AssertServesAsync(string baseUrl, Process process, StringBuilder log)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        try
        {
            while (watch.Elapsed < HostSiteProcess.StartupTimeout)
            {
                Assert.False(process.HasExited, $"HostSite exited early:\n{Text(log)}");
                try
                {
                    using var response = await client.GetAsync(baseUrl + "/login");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Assert.Contains(baseUrl.Replace("127.0.0.1", "", StringComparison.Ordinal).Split(':')[^1], Text(log), StringComparison.Ordinal);
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                await Task.Delay(250);
            }
            Assert.Fail($"HostSite did not answer on {baseUrl} within {HostSiteProcess.StartupTimeout.TotalSeconds:0} s.\n{Text(log)}");
        }
        finally
        {
            Stop(process);
            output.WriteLine(Text(log));
        }
    }

    /// <summary>Starts the host, waits (at most 90 s) for it to exit and returns its exit code and what it wrote.</summary>
    private async Task<(int ExitCode, string Output)> RunUntilExitAsync(string[] args, Dictionary<string, string> environment)
    {
        var (process, log) = Start(args, environment);
        using var _ = process;
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(wait.Token);
        process.WaitForExit();
        var text = Text(log);
        output.WriteLine(text);
        return (process.ExitCode, text);
    }

    private (Process Process, StringBuilder Log) Start(string[] args, Dictionary<string, string> environment)
    {
        Directory.CreateDirectory(_data);
        var start = new ProcessStartInfo(DotnetHost(), [RepoPaths.HostSiteDll, .. args])
        {
            WorkingDirectory = _data,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("HostSite__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("CustomerPortalPayments__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["HostSite__DataDirectory"] = _data;
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var log = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, log);
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(15_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }


    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";
}
