using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// Packs the library the way it ships and builds a vendor's host from the packages once for every test of the class:
/// PackageReference from a feed, no project references, none of the repository's build settings. Runs that host in
/// the configurations the tests ask for (global or per-page interactivity, with or without Radzen's assets) and shares
/// one Chromium.
/// </summary>
public sealed class PackedHostFixture : IAsyncLifetime
{
    /// <summary>The packable projects under src/, in dependency order.</summary>
    public static readonly string[] PackableProjects =
    [
        "Portal.Payments.Abstractions",
        "Portal.Payments.Core",
        "Portal.Payments.Sandbox",
        "Portal.Payments.Ui",
        "Portal.Payments.Testing",
        "Portal.Payments.Testing.XunitV3",
        "Portal.Payments.Gateways.Stripe",
    ];

    // Restore and build on a 2-core machine take minutes: generous limits, each step reports its output.
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(12);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, RunningHost> _hosts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The unique version the packages were packed with.</summary>
    public string Version { get; } = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>A temp folder outside the repository holding the feed, the source snapshot and the host.</summary>
    public string Work { get; } = Path.Combine(Path.GetTempPath(), "portal-packaging-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The folder of .nupkg files.</summary>
    public string Feed => Path.Combine(Work, "feed");

    /// <summary>The packable projects that exist in this working tree.</summary>
    public IReadOnlyList<string> Projects { get; private set; } = [];

    /// <summary>What packing printed.</summary>
    public CommandResult? Pack { get; private set; }

    /// <summary>Notes for the test output (projects not present yet, timings).</summary>
    public List<string> Notes { get; } = [];

    private string HostFolder => Path.Combine(Work, "host");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var repo = FindRepoRoot();
        if (IsUnder(Work, repo))
        {
            throw new InvalidOperationException($"The temp folder {Work} is inside the repository {repo}; set TMPDIR elsewhere.");
        }
        var source = Path.Combine(Work, "source");

        // 1. Pack a snapshot of the working tree (so the repository's obj/ folders are left alone).
        Projects = PackableProjects.Where(p => File.Exists(Path.Combine(repo, "src", p, p + ".csproj"))).ToList();
        foreach (var missing in PackableProjects.Except(Projects))
        {
            Notes.Add($"NOTE: src/{missing}/{missing}.csproj does not exist; packing the others.");
        }
        CopySnapshot(repo, source);
        var slnx = Path.Combine(source, "pack.slnx");
        File.WriteAllText(slnx, "<Solution>\n" + string.Concat(Projects.Select(p => $"  <Project Path=\"src/{p}/{p}.csproj\" />\n")) + "</Solution>\n");
        Pack = await DotnetCli.RunAsync(source, PackTimeout,
            "pack", slnx, "-c", "Release", $"-p:Version={Version}", $"-p:PackageOutputPath={Feed}",
            "--disable-build-servers", "-nodeReuse:false");
        Notes.Add($"dotnet pack: exit {Pack.ExitCode} in {Pack.Elapsed.TotalSeconds:0} s");
        if (Pack.ExitCode != 0)
        {
            throw new InvalidOperationException($"Packing failed (paths under {source} are a copy of the repository {repo}: fix the files there). " + Pack.Describe());
        }

        // 2. A vendor's host: PackageReference only, its own build files, restored from the feed.
        var csproj = ThrowawayHost.Write(HostFolder, Feed, Version, Path.Combine(Work, "p.db"));
        var build = await DotnetCli.RunAsync(HostFolder, BuildTimeout, "build", csproj, "--disable-build-servers", "-nodeReuse:false");
        Notes.Add($"dotnet build (host): exit {build.ExitCode} in {build.Elapsed.TotalSeconds:0} s");
        if (build.ExitCode != 0 || !File.Exists(HostDll))
        {
            throw new InvalidOperationException("The host that installs the packages did not build. " + build.Describe());
        }
    }

    private string HostDll => Path.Combine(HostFolder, "bin", "Debug", "net10.0", ThrowawayHost.Name + ".dll");

    /// <summary>
    /// The host running with <paramref name="interactivity"/> ("global" or "per-page") and Radzen's assets on or off, in
    /// <paramref name="environment"/> with <paramref name="settings"/> (environment variables such as
    /// <c>CustomerPortalPayments__DemoErp__AllowInProduction</c>); started on first use, kept for the other tests.
    /// </summary>
    public async Task<RunningHost> HostAsync(string interactivity, bool radzen = true, string environment = "Development", IReadOnlyDictionary<string, string>? settings = null)
    {
        var key = $"{interactivity}/{radzen}/{environment}/" + string.Join(";", (settings ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        await _lock.WaitAsync();
        try
        {
            if (_hosts.TryGetValue(key, out var running) && !running.Process.HasExited)
            {
                return running;
            }
            var baseUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
            var output = new StringBuilder();
            var process = DotnetCli.Start(HostFolder, [HostDll, "--urls", baseUrl], output, HostEnvironment(environment, settings, new()
            {
                ["PackTest__Interactivity"] = interactivity,
                ["PackTest__Radzen"] = radzen ? "on" : "off",
            }));
            running = new RunningHost(baseUrl, process, output);
            _hosts[key] = running;
            await running.WaitUntilListeningAsync(StartupTimeout);
            return running;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Runs the host in <paramref name="environment"/> with <paramref name="settings"/> expecting it to stop by itself
    /// (a refused start): its exit code and everything it printed, or exit code -1 when it was still running after
    /// <see cref="StartupTimeout"/> (then it is killed).
    /// </summary>
    public async Task<CommandResult> RunUntilExitAsync(string environment, IReadOnlyDictionary<string, string> settings)
    {
        var output = new StringBuilder();
        var baseUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
        using var process = DotnetCli.Start(HostFolder, [HostDll, "--urls", baseUrl], output, HostEnvironment(environment, settings, []));
        var watch = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(StartupTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            DotnetCli.Kill(process);
            return new CommandResult($"{ThrowawayHost.Name} ({environment})", -1, DotnetCli.Snapshot(output), watch.Elapsed);
        }
        process.WaitForExit(); // drains the output
        return new CommandResult($"{ThrowawayHost.Name} ({environment})", process.ExitCode, DotnetCli.Snapshot(output), watch.Elapsed);
    }

    private static Dictionary<string, string> HostEnvironment(string environment, IReadOnlyDictionary<string, string>? settings, Dictionary<string, string> extra)
    {
        extra["ASPNETCORE_ENVIRONMENT"] = environment;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            extra[key] = value;
        }
        return extra;
    }

    /// <summary>The shared headless Chromium (the system's /usr/bin/chromium, or PORTAL_CHROMIUM); fails, never skips, without it.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (_browser is not null)
            {
                return _browser;
            }
            var chromium = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
            if (!File.Exists(chromium))
            {
                throw new InvalidOperationException($"Chromium was not found at '{chromium}': install Debian's chromium package or set PORTAL_CHROMIUM. Do not run 'playwright install'.");
            }
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
                Timeout = 60_000,
            });
            return _browser;
        }
        finally
        {
            _lock.Release();
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
            // Gone already.
        }
        _playwright?.Dispose();
        foreach (var host in _hosts.Values)
        {
            host.Dispose();
        }
        DeleteDirectory(Work);
        DeleteInstalledTestPackages();
        _lock.Dispose();
    }

    /// <summary>Copies the repository's root build files and src/ (without bin/obj) to <paramref name="target"/>.</summary>
    private static void CopySnapshot(string repo, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(repo))
        {
            if (!file.EndsWith(".sln", StringComparison.OrdinalIgnoreCase) && !file.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
        CopyTree(Path.Combine(repo, "src"), Path.Combine(target, "src"));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (name is "bin" or "obj" or "TestResults")
            {
                continue;
            }
            CopyTree(dir, Path.Combine(to, name));
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.Payments.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Portal.Payments.sln was not found in {AppContext.BaseDirectory} or any folder above it.");
    }

    private static bool IsUnder(string path, string folder) =>
        Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar, StringComparison.Ordinal);


    /// <summary>Removes this run's unique version of the packages from the global packages folder.</summary>
    private void DeleteInstalledTestPackages()
    {
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var project in PackableProjects)
        {
            var idFolder = Path.Combine(globalPackages, project.ToLowerInvariant());
            DeleteDirectory(Path.Combine(idFolder, Version.ToLowerInvariant()));
            if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                Directory.Delete(idFolder);
            }
        }
    }

    internal static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>The built host running as a process on a loopback port.</summary>
/// <param name="BaseUrl">e.g. http://127.0.0.1:5123</param>
/// <param name="Process">The dotnet process.</param>
/// <param name="Output">Everything it printed.</param>
public sealed record RunningHost(string BaseUrl, Process Process, StringBuilder Output) : IDisposable
{
    /// <summary>The tail of the host's output, for failure messages.</summary>
    public string Log => "--- host output ---\n" + CommandResult.Tail(DotnetCli.Snapshot(Output), 12_000);

    /// <summary>A client for the host.</summary>
    public HttpClient Client() => new() { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Waits until the host answers HTTP (migrations done), or fails with its output.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        using var client = Client();
        var watch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (watch.Elapsed < timeout)
        {
            if (Process.HasExited)
            {
                Process.WaitForExit();
                throw new InvalidOperationException($"The installed host exited with code {Process.ExitCode} before it listened.\n{Log}");
            }
            try
            {
                using var response = await client.GetAsync("/portal-payments/api/summary");
                return;
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
        throw new TimeoutException($"The installed host did not answer within {timeout.TotalSeconds:0} s (last: {last}).\n{Log}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DotnetCli.Kill(Process);
        Process.Dispose();
    }
}
