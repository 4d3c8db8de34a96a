using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>The portal's texts for tests that render a component without registering the whole portal.</summary>
internal static class PortalStringsRegistration
{
    /// <summary>Registers the built-in <c>IStringLocalizer&lt;PortalStrings&gt;</c> (English and German, no host overrides).</summary>
    public static IServiceCollection AddPortalStrings(this IServiceCollection services)
    {
        services.AddOptions<PortalTextOptions>();
        services.AddSingleton<IStringLocalizer<PortalStrings>, PortalStringLocalizer>();
        return services;
    }
}
