using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;
using Portal.Payments.Sync;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>
/// The portal in a real web host on 127.0.0.1, for endpoint tests over HTTP: the real services on a temp SQLite file, the
/// demo ERP (account <see cref="PortalTestContext.AccountId"/>, synced) and the sandbox gateway, a <see cref="TestUserContext"/>.
/// </summary>
public sealed class PortalHttpHost : IAsyncDisposable
{
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"portal-http-tests-{Guid.NewGuid():N}.db");
    private WebApplication? _app;

    private PortalHttpHost()
    {
    }

    /// <summary>Who is signed in.</summary>
    public TestUsers Users { get; } = new();

    /// <summary>A client of the host.</summary>
    public HttpClient Client { get; private set; } = new();

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>Starts the host.</summary>
    /// <param name="services">Registers services before the portal (its <c>TryAdd</c>s then keep them), e.g. a clock.</param>
    /// <param name="pipeline">Adds middleware before the portal's endpoints are mapped, e.g. request localization.</param>
    /// <param name="invoiceCount">Open items of the demo account.</param>
    /// <param name="api">Conventions the host adds to the portal's API group, e.g. <c>RequireAuthorization()</c>.</param>
    /// <param name="options">Portal options after the test host's own (no background services), e.g. database interceptors.</param>
    /// <param name="portal">More registration on the portal's builder, e.g. another demo account or an ERP adapter.</param>
    public static async Task<PortalHttpHost> StartAsync(Action<IServiceCollection>? services = null, Action<WebApplication>? pipeline = null, int invoiceCount = 5,
        Action<IEndpointConventionBuilder>? api = null, Action<PortalPaymentsOptions>? options = null, Action<PortalPaymentsBuilder>? portal = null)
    {
        var host = new PortalHttpHost();
        try
        {
            await host.StartCoreAsync(services, pipeline, invoiceCount, api, options, portal);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(Action<IServiceCollection>? services, Action<WebApplication>? pipeline, int invoiceCount, Action<IEndpointConventionBuilder>? api,
        Action<PortalPaymentsOptions>? options, Action<PortalPaymentsBuilder>? portal)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Users);
        services?.Invoke(builder.Services);
        var payments = builder.Services.AddCustomerPortalPayments(o =>
            {
                o.RunBackgroundServices = false;
                options?.Invoke(o);
            })
            .UseSqlite($"Data Source={_dbPath}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true) // the test host runs in the Production environment
            .UseDemoErp(o => o.AllowInProduction = true)
            .ConfigureDemoErp(o => o.Accounts.Add(new DemoErpAccountOptions { AccountId = PortalTestContext.AccountId, InvoiceCount = invoiceCount }));
        portal?.Invoke(payments);
        _app = builder.Build();
        await _app.Services.MigratePortalPaymentsAsync();
        pipeline?.Invoke(_app);
        var portalApi = _app.MapCustomerPortalPayments();
        api?.Invoke(portalApi);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ErpSyncService>().SyncAccountAsync(PortalTestContext.AccountId);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" })
        {
            File.Delete(path);
        }
    }
}
