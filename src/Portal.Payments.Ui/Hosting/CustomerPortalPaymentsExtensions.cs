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
        // Each of Radzen's services that nobody registered yet: AddRadzenComponents is not idempotent, and a host on Radzen's
        // older setup registered some of them by hand (DialogService and three others, but no ThemeService, which a
        // RadzenTheme in the host's App.razor needs on every page).
        var radzen = new ServiceCollection();
        radzen.AddRadzenComponents();
        foreach (var descriptor in radzen)
        {
            services.TryAdd(descriptor);
        }
        // A host's user context reads the signed-in user from the request (the host guide's step 3 and the sample do);
        // a cookie or OpenID Connect host without ASP.NET Core Identity has no IHttpContextAccessor otherwise. Idempotent.
        services.AddHttpContextAccessor();
        // The operators' POST endpoints check antiforgery tokens themselves (idempotent; a Blazor host has it already).
        services.AddAntiforgery();
        services.TryAddScoped<Portal.Payments.Ui.PortalUiState>();
        services.TryAddScoped<Portal.Payments.Ui.UserTime>();
        // app.MapCustomerPortalPayments() forgotten: an error in the log once the app has started, and a line on every portal page.
        if (!services.Any(d => d.ServiceType == typeof(Portal.Payments.Ui.PortalEndpointCheck)))
        {
            services.AddSingleton<Portal.Payments.Ui.PortalEndpointCheck>();
            services.AddHostedService<Portal.Payments.Ui.PortalEndpointWarning>();
        }
        // The portal's texts: the host's overrides (CustomerPortalPayments:Texts), then English or German built in. A host
        // that registered its own IStringLocalizer<PortalStrings> first keeps it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IConfigureOptions<Portal.Payments.Ui.PortalTextOptions>, BindTexts>());
        // Checked at start against the built-in texts: an unknown key, a placeholder nothing fills, a stray brace.
        if (!services.Any(d => d.ImplementationType == typeof(Portal.Payments.Ui.PortalTextOptionsValidator)))
        {
            services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Portal.Payments.Ui.PortalTextOptions>, Portal.Payments.Ui.PortalTextOptionsValidator>();
            services.AddOptions<Portal.Payments.Ui.PortalTextOptions>().ValidateOnStart();
        }
        services.TryAddSingleton<Microsoft.Extensions.Localization.IStringLocalizer<Portal.Payments.Ui.PortalStrings>, Portal.Payments.Ui.PortalStringLocalizer>();
        // The emails ask the same texts, in the reader's language stored with the payment: overrides word them too.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Portal.Payments.Notifications.IEmailTextSource, Portal.Payments.Ui.LocalizedEmailTexts>());
        return builder;
    }

    /// <summary>Binds <c>CustomerPortalPayments:Texts</c> when the host has configuration (test containers may not).</summary>
    private sealed class BindTexts(IServiceProvider services) : Microsoft.Extensions.Options.IConfigureOptions<Portal.Payments.Ui.PortalTextOptions>
    {
        public void Configure(Portal.Payments.Ui.PortalTextOptions options)
        {
            if (services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration)) is Microsoft.Extensions.Configuration.IConfiguration configuration)
            {
                Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Portal.Payments.Ui.PortalTextOptions.SectionName), options.Overrides);
            }
        }
    }
}
