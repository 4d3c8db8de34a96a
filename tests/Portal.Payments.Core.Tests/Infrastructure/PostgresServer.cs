using System.Diagnostics;
using Npgsql;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Core.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster started once per test run (temp folder, free port, loopback only)
/// and stopped when the process exits. A missing server is a test failure with a message saying how to install it.
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Task<string>> Started = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Connection string to the maintenance database of the running cluster.</summary>
    public static Task<string> GetAdminConnectionStringAsync() => Started.Value;

    private static async Task<string> StartAsync()
    {
        var cluster = new PostgresCluster(Path.Combine(Path.GetTempPath(), "pp-pg-" + Guid.NewGuid().ToString("N")[..8]));
        await cluster.StartAsync(commandTimeoutSeconds: 60);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                cluster.StopAsync(fast: false).GetAwaiter().GetResult();
                cluster.Delete();
            }
            catch (Exception)
            {
                // Best effort: the temp folder is disposable.
            }
        };
        return cluster.AdminConnectionString;
    }
}

/// <summary>
/// One PostgreSQL cluster in a folder of its own: initdb with trust auth (only when the folder holds no cluster yet,
/// so the benchmarks can keep a loaded one), a free loopback port, fsync off. PostgreSQL refuses to run as root, so
/// as root every server command runs as the postgres user. Shared with the benchmarks (linked source).
/// </summary>
internal sealed class PostgresCluster(string folder)
{
    private readonly bool _asRoot = Environment.UserName == "root";
    private readonly string _bin = FindBinDirectory();

    /// <summary>The cluster's folder (data, socket and server log).</summary>
    public string Folder { get; } = folder;

    /// <summary>Connection string to the maintenance database while the cluster runs.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>True when the folder already held a cluster when it was started (a previous run created it).</summary>
    public bool Reused { get; private set; }

    private string DataDir => Path.Combine(Folder, "data");

    /// <summary>Creates the cluster when the folder holds none, then starts it on a free loopback port.</summary>
    public async Task StartAsync(int commandTimeoutSeconds)
    {
        Reused = File.Exists(Path.Combine(DataDir, "PG_VERSION"));
        if (!Reused)
        {
            Delete();
            Directory.CreateDirectory(Folder);
            if (_asRoot)
            {
                await RunAsync("chown", ["postgres:postgres", Folder]);
            }
            await RunPgAsync(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
        }
        var port = LoopbackPort.Next();
        var options = $"-p {port} -k {Folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB";
        await RunPgAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-o", options, "-l", Path.Combine(Folder, "server.log"), "-w", "-t", "60", "start"]);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout={commandTimeoutSeconds}";
    }

    /// <summary>Stops the cluster: fast keeps the data folder valid for the next start, immediate is for throwaway clusters.</summary>
    public async Task StopAsync(bool fast)
    {
        NpgsqlConnection.ClearAllPools();
        await RunPgAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", fast ? "fast" : "immediate", "-w", "stop"]);
    }

    /// <summary>Deletes the cluster's folder (stop it first).</summary>
    public void Delete()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
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

}
