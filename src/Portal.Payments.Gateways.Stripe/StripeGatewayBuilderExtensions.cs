using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Payments.Gateways;
using Portal.Payments.Gateways.Stripe;
using Portal.Payments.Gateways.Stripe.Webhooks;
using Portal.Payments.Hosting;

// The conventional namespace for service-registration extensions, so hosts need no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Stripe gateway to Portal.Payments.</summary>
public static class StripeGatewayBuilderExtensions
{
    /// <summary>
    /// Uses Stripe as the payment gateway (replacing any other, such as the sandbox): binds <c>CustomerPortalPayments:Stripe</c>
    /// (<see cref="StripeGatewayOptions"/>), then applies <paramref name="configure"/>; the keys are checked when the host
    /// starts. Registers the Stripe webhook handler that <c>MapCustomerPortalPayments()</c> maps to
    /// <c>POST /portal-payments/gateways/stripe/webhook</c>, and the capture form's texts (<see cref="StripeTexts"/>).
    /// Calling it twice registers nothing twice.
    /// </summary>
    public static PortalPaymentsBuilder AddStripeGateway(this PortalPaymentsBuilder builder, Action<StripeGatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(StripeMarker)))
        {
            services.AddSingleton<StripeMarker>();
            services.AddOptions();
            services.AddLogging();
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton<IConfigureOptions<StripeGatewayOptions>, BindStripeSection>();
            // A secret read from a file (a Kubernetes secret, a Docker secret) often ends with a line break: checked and used
            // without it, so the key that passes the check is the key sent.
            services.PostConfigure<StripeGatewayOptions>(o =>
            {
                o.SecretKey = o.SecretKey?.Trim();
                o.PublishableKey = o.PublishableKey?.Trim();
                o.WebhookSigningSecret = o.WebhookSigningSecret?.Trim();
            });
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StripeGatewayOptions>, StripeGatewayOptionsValidator>());
            services.AddOptions<StripeGatewayOptions>().ValidateOnStart();
            services.TryAddSingleton<StripeGateway>();
            // The capture form's texts (English and German built in); a host's own localizer registered first is kept.
            services.TryAddSingleton<Microsoft.Extensions.Localization.IStringLocalizer<StripeTexts>, StripeTextLocalizer>();
            services.TryAddEnumerable(ServiceDescriptor.Scoped<IGatewayWebhookHandler, StripeWebhookHandler>());
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        builder.AddGateway<StripeGateway>();
        return builder;
    }

    private sealed class StripeMarker;

    /// <summary>Binds the section when the host has configuration (test containers may not).</summary>
    private sealed class BindStripeSection(IServiceProvider services) : IConfigureOptions<StripeGatewayOptions>
    {
        public void Configure(StripeGatewayOptions options)
        {
            if (services.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(StripeGatewayOptions.SectionName).Bind(options);
            }
        }
    }
}
