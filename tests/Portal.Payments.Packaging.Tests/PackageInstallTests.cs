using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// Packs the library the way it ships and installs it into a fresh host the way a vendor does:
/// PackageReference from a feed, no project references, none of the repository's build settings.
/// </summary>
public sealed class PackageInstallTests(ITestOutputHelper output)
{
    /// <summary>The packable projects under src/, in dependency order.</summary>
    private static readonly string[] PackableProjects =
    [
        "Portal.Payments.Abstractions",
        "Portal.Payments.Core",
        "Portal.Payments.Ui",
        "Portal.Payments.Testing",
        "Portal.Payments.Gateways.Stripe",
    ];

    // Restore and build on a 2-core machine take minutes: generous limits, each step reports its output.
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(12);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Packed_packages_install_into_a_fresh_host_that_serves_the_account_overview()
    {
        var repo = FindRepoRoot();
        var version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var work = Path.Combine(Path.GetTempPath(), "portal-packaging-" + Guid.NewGuid().ToString("N")[..12]);
        Assert.False(IsUnder(work, repo), $"The temp folder {work} is inside the repository {repo}; set TMPDIR elsewhere.");
        var feed = Path.Combine(work, "feed");
        var source = Path.Combine(work, "source");
        var hostFolder = Path.Combine(work, "host");
        Process? host = null;
        var hostOutput = new StringBuilder();
        try
        {
            // 1. Pack a snapshot of the working tree (so the repository's obj/ folders are left alone).
            var projects = PackableProjects.Where(p => File.Exists(Path.Combine(repo, "src", p, p + ".csproj"))).ToList();
            foreach (var missing in PackableProjects.Except(projects))
            {
                output.WriteLine($"NOTE: src/{missing}/{missing}.csproj does not exist yet; packing the others.");
            }
            Assert.Contains("Portal.Payments.Ui", projects);
            CopySnapshot(repo, source);
            var slnx = Path.Combine(source, "pack.slnx");
            File.WriteAllText(slnx, "<Solution>\n" + string.Concat(projects.Select(p => $"  <Project Path=\"src/{p}/{p}.csproj\" />\n")) + "</Solution>\n");

            var pack = await DotnetCli.RunAsync(source, PackTimeout,
                "pack", slnx, "-c", "Release", $"-p:Version={version}", $"-p:PackageOutputPath={feed}",
                "--disable-build-servers", "-nodeReuse:false");
            output.WriteLine($"dotnet pack: exit {pack.ExitCode} in {pack.Elapsed.TotalSeconds:0} s");
            Assert.True(pack.ExitCode == 0,
                $"Packing failed (paths under {source} are a copy of the repository {repo}: fix the files there). " + pack.Describe());

            // 2. The packages: one per project, README, license, and the Ui's static web assets.
            var nupkgs = Directory.Exists(feed) ? Directory.GetFiles(feed, "*.nupkg").Select(f => Path.GetFileName(f)).Order().ToList() : [];
            var expected = projects.Select(p => $"{p}.{version}.nupkg").Order().ToList();
            Assert.True(expected.SequenceEqual(nupkgs),
                $"Expected exactly {string.Join(", ", expected)} in the feed; found {string.Join(", ", nupkgs)}.\n{pack.Describe()}");
            foreach (var project in projects)
            {
                CheckPackage(Path.Combine(feed, $"{project}.{version}.nupkg"), project, version);
            }

            // 3. A vendor's host: PackageReference only, its own build files, restored from the feed.
            var database = Path.Combine(work, "p.db");
            var csproj = ThrowawayHost.Write(hostFolder, feed, version, database);
            var build = await DotnetCli.RunAsync(hostFolder, BuildTimeout, "build", csproj, "--disable-build-servers", "-nodeReuse:false");
            output.WriteLine($"dotnet build (host): exit {build.ExitCode} in {build.Elapsed.TotalSeconds:0} s");
            Assert.True(build.ExitCode == 0, "The host that installs the packages did not build. " + build.Describe());

            // 4. Run it and look at what it serves.
            var dll = Path.Combine(hostFolder, "bin", "Debug", "net10.0", ThrowawayHost.Name + ".dll");
            Assert.True(File.Exists(dll), $"{dll} was not built.\n{build.Describe()}");
            var baseUrl = $"http://127.0.0.1:{FreeLoopbackPort()}";
            host = DotnetCli.Start(hostFolder, [dll, "--urls", baseUrl], hostOutput, new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
            });
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
            await WaitUntilListeningAsync(client, host, hostOutput);

            using (var page = await client.GetAsync("/portal"))
            {
                var html = await page.Content.ReadAsStringAsync();
                Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /portal answered {(int)page.StatusCode}.\n{html}\n{HostLog(hostOutput)}");
                Assert.True(html.Contains("Account overview", StringComparison.Ordinal) && html.Contains("Total account balance", StringComparison.Ordinal),
                    $"GET /portal did not prerender the account overview.\n--- html ---\n{CommandResult.Tail(html, 6000)}\n{HostLog(hostOutput)}");
            }

            using (var css = await client.GetAsync("/_content/Portal.Payments.Ui/portal-payments.css"))
            {
                Assert.True(css.StatusCode == HttpStatusCode.OK,
                    $"GET /_content/Portal.Payments.Ui/portal-payments.css answered {(int)css.StatusCode}: the package's static web assets are not served.\n{HostLog(hostOutput)}");
                Assert.NotEmpty(await css.Content.ReadAsStringAsync());
            }

            using (var summary = await client.GetAsync("/portal-payments/api/summary"))
            {
                var body = await summary.Content.ReadAsStringAsync();
                Assert.True(summary.StatusCode == HttpStatusCode.OK, $"GET /portal-payments/api/summary answered {(int)summary.StatusCode}: {body}\n{HostLog(hostOutput)}");
                using var json = JsonDocument.Parse(body);
                Assert.Equal("ACME", json.RootElement.GetProperty("accountId").GetString());
            }
        }
        finally
        {
            if (host is not null)
            {
                DotnetCli.Kill(host);
                host.Dispose();
            }
            DeleteDirectory(work);
            DeleteInstalledTestPackages(version);
        }
    }

    /// <summary>Opens a .nupkg and checks id, version, README, license and (Ui) static web assets.</summary>
    private static void CheckPackage(string nupkg, string id, string version)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var nuspecEntry = zip.Entries.SingleOrDefault(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        Assert.True(nuspecEntry is not null, $"{id}: no .nuspec at the root of the package. Entries: {string.Join(", ", entries)}");
        XDocument nuspec;
        using (var stream = nuspecEntry!.Open())
        {
            nuspec = XDocument.Load(stream);
        }
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Meta(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal(id, Meta("id"));
        Assert.Equal(version, Meta("version"));
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")), $"{id}: no description.");

        var readme = Meta("readme");
        Assert.True(readme is not null, $"{id}: the nuspec has no <readme> element.\n{nuspec}");
        Assert.True(entries.Contains(readme!.Replace('\\', '/')), $"{id}: the nuspec names readme '{readme}' but the package has no such entry. Entries: {string.Join(", ", entries)}");
        Assert.Equal("README.md", readme);

        var license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
        Assert.True(license is not null && !string.IsNullOrWhiteSpace(license.Value), $"{id}: the nuspec has no <license> (expression or file).\n{nuspec}");
        if ((string?)license!.Attribute("type") == "file")
        {
            Assert.Contains(license.Value, entries);
        }
        else
        {
            Assert.Equal("expression", (string?)license.Attribute("type"));
        }

        if (id == "Portal.Payments.Ui")
        {
            Assert.True(entries.Any(e => e.StartsWith("staticwebassets/", StringComparison.Ordinal)),
                $"Portal.Payments.Ui has no staticwebassets/ entries. Entries: {string.Join(", ", entries)}");
            Assert.Contains("staticwebassets/portal-payments.css", entries);
            // The Ui package must depend on Core of the very same version.
            var core = metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Portal.Payments.Core");
            Assert.True(core is not null, $"Portal.Payments.Ui does not depend on Portal.Payments.Core.\n{nuspec}");
            Assert.Equal(version, (string?)core!.Attribute("version"));
        }

        if (id == "Portal.Payments.Gateways.Stripe")
        {
            // The capture component's module is served from the package; Stripe.js itself always comes from js.stripe.com.
            Assert.Contains("staticwebassets/stripe-capture.js", entries);
            var core = metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Portal.Payments.Core");
            Assert.True(core is not null, $"Portal.Payments.Gateways.Stripe does not depend on Portal.Payments.Core.\n{nuspec}");
            Assert.Equal(version, (string?)core!.Attribute("version"));
            Assert.Contains(metadata.Descendants(), e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Stripe.net");
        }
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

    private static async Task WaitUntilListeningAsync(HttpClient client, Process host, StringBuilder hostOutput)
    {
        var watch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (watch.Elapsed < StartupTimeout)
        {
            if (host.HasExited)
            {
                host.WaitForExit();
                Assert.Fail($"The installed host exited with code {host.ExitCode} before it listened.\n{HostLog(hostOutput)}");
            }
            try
            {
                // Any HTTP answer means Kestrel listens and the app (migrations included) has started.
                using var response = await client.GetAsync("/portal-payments/api/summary");
                return;
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
        Assert.Fail($"The installed host did not answer within {StartupTimeout.TotalSeconds:0} s (last: {last}).\n{HostLog(hostOutput)}");
    }

    private static string HostLog(StringBuilder hostOutput) =>
        "--- host output ---\n" + CommandResult.Tail(DotnetCli.Snapshot(hostOutput), 12_000);

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

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Removes this run's unique version of the packages from the global packages folder.</summary>
    private void DeleteInstalledTestPackages(string version)
    {
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var project in PackableProjects)
        {
            var idFolder = Path.Combine(globalPackages, project.ToLowerInvariant());
            var folder = Path.Combine(idFolder, version.ToLowerInvariant());
            DeleteDirectory(folder);
            if (Directory.Exists(folder))
            {
                output.WriteLine($"Could not delete {folder}.");
            }
            else if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                Directory.Delete(idFolder);
            }
        }
    }

    private static void DeleteDirectory(string path)
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
