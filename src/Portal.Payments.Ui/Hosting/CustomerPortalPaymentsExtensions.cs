using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Hosting;
using Radzen;

// The conventional namespace for service-registration extensions, so hosts need no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the customer-portal payment components.</summary>
public static class CustomerPortalPaymentsExtensions
{
    /// <summary>
    /// Adds Portal.Payments: core services (see <c>AddPortalPaymentsCore</c>), the Radzen services its
    /// components use (once, even if the host added them too) and the UI services. Chain
    /// <c>.UseSqlite(...)</c> or <c>.UsePostgres(...)</c>, <c>.UseUserContext&lt;T&gt;()</c> and your adapters.
    /// Calling it twice registers nothing twice. The host layout must render <c>&lt;RadzenComponents /&gt;</c> once.
    /// </summary>
    public static PortalPaymentsBuilder AddCustomerPortalPayments(this IServiceCollection services, Action<PortalPaymentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddPortalPaymentsCore(configure);
        // AddRadzenComponents is not idempotent: add it only when nobody did.
        if (!services.Any(d => d.ServiceType == typeof(DialogService)))
        {
            services.AddRadzenComponents();
        }
        services.TryAddScoped<Portal.Payments.Ui.PortalUiState>();
        return builder;
    }
}
