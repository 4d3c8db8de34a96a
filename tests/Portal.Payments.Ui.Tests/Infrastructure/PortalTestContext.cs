using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>
/// A bUnit context wired to the REAL Portal.Payments services: a per-test SQLite file, the built-in
/// demo ERP and sandbox gateway, and a <see cref="TestUserContext"/> whose user each test sets.
/// </summary>
public abstract class PortalTestContext : BunitContext
{
    /// <summary>Account every test works on.</summary>
    public const string AccountId = "ACME";

    /// <summary>Display name of <see cref="AccountId"/>.</summary>
    public const string AccountName = "Acme Industrial Supply";

    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"portal-ui-tests-{Guid.NewGuid():N}.db");
    private bool _portalAdded;

    protected PortalTestContext()
    {
        // Amounts are formatted with the current culture: pin it so "USD 12,345.67" is what a US user sees.
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("en-US");
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en-US");
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    /// <summary>Who is signed in.</summary>
    protected TestUsers Users { get; } = new();

    /// <summary>Registers the portal like a host would (background services off), once per test.</summary>
    protected void AddPortal(Action<PortalPaymentsOptions>? configure = null, int invoiceCount = 40)
    {
        if (_portalAdded)
        {
            throw new InvalidOperationException("AddPortal was already called in this test.");
        }
        _portalAdded = true;
        Services.AddSingleton(Users);
        Services.AddCustomerPortalPayments(o =>
            {
                o.RunBackgroundServices = false;
                configure?.Invoke(o);
            })
            .UseSqlite($"Data Source={_dbPath}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway()
            .UseDemoErp(o => o.Accounts.Add(new DemoErpAccountOptions { AccountId = AccountId, InvoiceCount = invoiceCount }));
    }

    /// <summary>Registers the portal and creates the database (this builds the service provider).</summary>
    protected async Task AddPortalAndMigrateAsync(Action<PortalPaymentsOptions>? configure = null, int invoiceCount = 40)
    {
        AddPortal(configure, invoiceCount);
        // BunitServiceProvider is both the collection and the provider: the first resolve builds it.
        await Services.MigratePortalPaymentsAsync();
    }

    /// <summary>
    /// Frames in a component's current render tree: the circuit keeps it twice, each at the power of two above its largest size.
    /// </summary>
    protected int RenderTreeFrames(int componentId)
    {
#pragma warning disable BL0006 // Blazor's render tree types: read here only to measure a tree
        var frames = typeof(Microsoft.AspNetCore.Components.RenderTree.Renderer)
            .GetMethod("GetCurrentRenderTreeFrames", BindingFlags.NonPublic | BindingFlags.Instance)!
            .Invoke(Renderer, [componentId])!;
#pragma warning restore BL0006
        return (int)frames.GetType().GetField("Count")!.GetValue(frames)!;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteDatabase();
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        DeleteDatabase();
    }

    private void DeleteDatabase()
    {
        // Pooled connections keep the file open (and WAL files alive) until the pool lets go.
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm", _dbPath + "-journal" })
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp file must not fail the test run.
            }
        }
    }
}
