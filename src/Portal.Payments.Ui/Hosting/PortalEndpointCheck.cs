using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portal.Payments.Ui;

/// <summary>
/// Whether the host called <c>app.MapCustomerPortalPayments()</c>: read from the app's endpoints (every endpoint data
/// source of the host, as routing sees them) once the app has started. Without the call the pages work but every download
/// and the gateways' webhooks answer 404, so the host logs an error at start (<see cref="PortalEndpointWarning"/>) and
/// every portal page says so (<c>PortalSetupCheck</c>).
/// </summary>
internal sealed class PortalEndpointCheck(IServiceProvider services)
{
    internal const string NotMapped =
        "app.MapCustomerPortalPayments() is not called, so the portal's endpoints are missing: receipt PDFs and remittance CSVs, " +
        "the CSV exports of open invoices and payment history, invoice documents (preview and print), the account summary API, " +
        "the ERP's sync trigger and the payment gateways' webhooks (such as Stripe's) all answer 404. Add " +
        "app.MapCustomerPortalPayments(); to Program.cs after app.MapRazorComponents<App>() (see the host guide, step 4).";

    internal const string PagesNotMapped =
        "The portal's pages are not mapped: app.MapRazorComponents<App>() maps pages, but none of the portal's, so /portal and " +
        "every portal page answer 404. Add .AddAdditionalAssemblies(typeof(Portal.Payments.Ui.PortalRoutes).Assembly) to " +
        "app.MapRazorComponents<App>() in Program.cs (see the host guide, step 4).";

    internal const string InteractiveServerNotMapped =
        "The portal's pages are mapped without interactive server rendering: app.MapRazorComponents<App>() has no " +
        ".AddInteractiveServerRenderMode(), so every portal page (they declare @rendermode InteractiveServer) fails with an error " +
        "instead of rendering. Add builder.Services.AddRazorComponents().AddInteractiveServerComponents() and " +
        ".AddInteractiveServerRenderMode() to app.MapRazorComponents<App>() in Program.cs (see the host guide, step 4).";

    // The hub an interactive server circuit connects through (mapped by AddInteractiveServerRenderMode).
    private const string ComponentHub = "Microsoft.AspNetCore.Components.Server.ComponentHub";

    private bool _mapped;

    /// <summary>
    /// True when the portal's pages are mapped but no interactive server render mode is (<c>.AddInteractiveServerRenderMode()</c>
    /// forgotten: every portal page fails); false when it is; null when it cannot tell (no endpoint routing, or the portal's
    /// pages are not mapped).
    /// </summary>
    public bool? InteractiveServerMissing()
    {
        if (services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return null;
        }
        var all = endpoints.Endpoints;
        if (!all.Any(e => e.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type.Assembly == typeof(PortalEndpointCheck).Assembly))
        {
            return null;
        }
        return !all.Any(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.SignalR.HubMetadata>()?.HubType.FullName == ComponentHub);
    }

    /// <summary>
    /// True when the host maps Razor component pages but none of the portal's (<c>AddAdditionalAssemblies</c> forgotten);
    /// false when the portal's pages are mapped; null when it cannot tell (no endpoint routing, or no page is mapped at all).
    /// </summary>
    public bool? PagesMissing()
    {
        if (services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return null;
        }
        var pages = endpoints.Endpoints.Select(e => e.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type).OfType<Type>().ToList();
        return pages.Count == 0 ? null : !pages.Any(t => t.Assembly == typeof(PortalEndpointCheck).Assembly);
    }

    /// <summary>True when the portal's endpoints are mapped, false when not, null when it cannot tell (no endpoint routing).</summary>
    public bool? IsMapped()
    {
        if (_mapped)
        {
            return true;
        }
        if (services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return null;
        }
        _mapped = endpoints.Endpoints.Any(e => e.Metadata.GetMetadata<Marker>() is not null);
        return _mapped;
    }

    /// <summary>Metadata on every endpoint <c>MapCustomerPortalPayments()</c> maps.</summary>
    internal sealed class Marker
    {
        public static readonly Marker Instance = new();

        private Marker()
        {
        }
    }
}

/// <summary>
/// Logs <see cref="PortalEndpointCheck.NotMapped"/> as an error once the app has started, when the call is missing,
/// <see cref="PortalEndpointCheck.PagesNotMapped"/> when the host's pages are mapped without the portal's, and
/// <see cref="PortalEndpointCheck.InteractiveServerNotMapped"/> when the portal's pages are mapped without an interactive
/// server render mode.
/// </summary>
internal sealed class PortalEndpointWarning(PortalEndpointCheck check, IServiceProvider services, ILogger<PortalEndpointWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Endpoints are complete only once the app runs: hosted services start before the pipeline is built.
        services.GetService<IHostApplicationLifetime>()?.ApplicationStarted.Register(() =>
        {
            if (check.IsMapped() == false)
            {
                logger.LogError("{Problem}", PortalEndpointCheck.NotMapped);
            }
            if (check.PagesMissing() == true)
            {
                logger.LogError("{Problem}", PortalEndpointCheck.PagesNotMapped);
            }
            if (check.InteractiveServerMissing() == true)
            {
                logger.LogError("{Problem}", PortalEndpointCheck.InteractiveServerNotMapped);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
