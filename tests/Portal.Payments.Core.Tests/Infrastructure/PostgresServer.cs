using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster started once per test run (temp folder, free port, loopback only)
/// and stopped when the process exits. PostgreSQL refuses to run as root, so as root it runs as the
/// postgres user. A missing server is a test failure with a message saying how to install it.
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Task<string>> Started = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Connection string to the maintenance database of the running cluster.</summary>
    public static Task<string> GetAdminConnectionStringAsync() => Started.Value;

    private static async Task<string> StartAsync()
    {
        var bin = FindBinDirectory();
        var dir = Path.Combine(Path.GetTempPath(), "pp-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", dir]);
        }
        var port = FreePort();
        await RunPgAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
        var options = $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB";
        await RunPgAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(dir, "data"), "-o", options, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60", "start"]);

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunPgAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception)
            {
                // Best effort: the temp folder is disposable.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout=60";
    }

    private static string FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("PORTAL_TEST_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }
        const string root = "/usr/lib/postgresql";
        var candidate = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d).FirstOrDefault()
            : null;
        return candidate ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin. Install them (apt-get install -y postgresql) or set PORTAL_TEST_PG_BIN. The test script scripts/test.sh installs them.");
    }

    private static Task RunPgAsync(bool asRoot, string exe, string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);

    private static async Task RunAsync(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {exe}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
