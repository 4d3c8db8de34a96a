using System.Text;
using Microsoft.Data.Sqlite;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A sample host of one test class's own (its own data folder, port and configuration), for tests that need settings the
/// shared host does not have (a slow gateway, convenience fees) or that kill the process. Keeps the host's output for the
/// failure message, reads its SQLite database read-only, and deletes the folder afterwards.
/// </summary>
public sealed class OwnHostSite : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly StringBuilder _log = new();

    /// <summary>A host (not started yet) named <paramref name="name"/> with <paramref name="environment"/> on top of the test defaults.</summary>
    public OwnHostSite(string name, IReadOnlyDictionary<string, string> environment)
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), $"portal-{name}-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dataDirectory);
        Process = new HostSiteProcess(_dataDirectory, LoopbackPort.Next(), environment, line =>
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        });
    }

    /// <summary>The host process (start, kill, start again on the same folder and port).</summary>
    public HostSiteProcess Process { get; }

    /// <summary>
    /// Starts the host and asks it once, as <paramref name="userId"/>, for the account's figures and the open-invoices page
    /// (server-rendered), with time to spare: the first of these on a fresh process (query compilation, the grid's first
    /// render) can take longer than a browser test's 20 s wait on a busy machine, and then no test should be the one waiting.
    /// </summary>
    public async Task StartWarmAsync(string userId = "pat")
    {
        await Process.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = new Uri(Process.BaseUrl),
            Timeout = TimeSpan.FromSeconds(120),
        };
        await HostHttp.SignInAsync(client, userId);
        (await HostHttp.GetSummaryAsync(client)).Dispose();
        using var invoices = await client.GetAsync("/portal/invoices");
        Assert.True(invoices.IsSuccessStatusCode, $"GET /portal/invoices answered {(int)invoices.StatusCode} while warming the host up.");
    }

    /// <summary>What the host wrote to its console so far.</summary>
    public string Output
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The host's database, read-only, not pooled (the host keeps writing it).</summary>
    public async Task<SqliteConnection> OpenDatabaseAsync()
    {
        var connection = new SqliteConnection($"Data Source={Process.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>One number from the host's database; <c>$id</c> in <paramref name="sql"/> is <paramref name="id"/>.</summary>
    public async Task<long> ScalarAsync(string sql, string id)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Asks <paramref name="probe"/> until it answers something, or fails naming <paramref name="what"/>.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        SqliteConnection.ClearAllPools();
        HostSiteFixture.DeleteDirectory(_dataDirectory);
    }
}
