using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// A throwaway PostgreSQL cluster for the benchmarks, started the way the Core tests start theirs
/// (tests/Portal.Payments.Core.Tests/Infrastructure/PostgresServer.cs: initdb with trust auth, a free
/// loopback port, fsync off, as the postgres user when running as root), except that its data folder is
/// kept in the temp folder under a data-version key, so the 1,000,000-row load happens once and later
/// runs only start the cluster. <see cref="StopAsync"/> shuts it down (called from GlobalCleanup).
/// </summary>
internal sealed class BenchmarkPostgres
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asRoot = Environment.UserName == "root";

    private BenchmarkPostgres(string bin, string dir)
    {
        _bin = bin;
        _dir = dir;
    }

    /// <summary>Connection string to the maintenance database while the cluster runs.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>True when the data folder already existed (a previous run created it).</summary>
    public bool Reused { get; private set; }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>Starts a cluster in <paramref name="folder"/>, creating it with initdb when it does not exist yet.</summary>
    public static async Task<BenchmarkPostgres> StartAsync(string folder)
    {
        var server = new BenchmarkPostgres(FindBinDirectory(), folder);
        await server.StartAsync();
        return server;
    }

    /// <summary>Deletes the cluster's folder (a failed load must not be reused).</summary>
    public static void Delete(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Stops the cluster (fast shutdown: the data folder stays valid for the next run).</summary>
    public async Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunPgAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "stop"]);
    }

    private async Task StartAsync()
    {
        Reused = File.Exists(Path.Combine(DataDir, "PG_VERSION"));
        if (!Reused)
        {
            Delete(_dir);
            Directory.CreateDirectory(_dir);
            if (_asRoot)
            {
                await RunAsync("chown", ["postgres:postgres", _dir]);
            }
            await RunPgAsync(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
        }
        var port = FreePort();
        var options = $"-p {port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB";
        await RunPgAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-o", options, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "start"]);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout=600";
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
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin. Install them (apt-get install -y postgresql) or set PORTAL_TEST_PG_BIN.");
    }

    private Task RunPgAsync(string exe, string[] args) =>
        _asRoot ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);

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
