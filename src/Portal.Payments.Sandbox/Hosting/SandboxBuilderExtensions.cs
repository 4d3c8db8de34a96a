using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;

// The conventional namespace for service-registration extensions, so hosts need no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Opts a demo or test site in to the sandbox gateway and the demo ERP. Neither is ever used unless the host asks for it:
/// both are announced by a warning at start and a banner on every portal page, and both refuse to start in the
/// Production environment unless their <c>AllowInProduction</c> option is set.
/// </summary>
public static class SandboxBuilderExtensions
{
    /// <summary>
    /// Uses the sandbox gateway as the payment gateway (replacing any other): test cards and bank accounts, magic numbers
    /// for every outcome, nothing charged. Binds <c>CustomerPortalPayments:SandboxGateway</c>
    /// (<see cref="SandboxGatewayOptions"/>), then applies <paramref name="configure"/>. Its ledger tables are created by
    /// <c>MigratePortalPaymentsAsync()</c>. In Production the host refuses to start unless
    /// <see cref="SandboxGatewayOptions.AllowInProduction"/> is set. Calling it twice registers nothing twice.
    /// </summary>
    public static PortalPaymentsBuilder UseSandboxGateway(this PortalPaymentsBuilder builder, Action<SandboxGatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(SandboxGatewayMarker)))
        {
            services.AddSingleton<SandboxGatewayMarker>();
            services.AddSingleton<IConfigureOptions<SandboxGatewayOptions>>(sp => new BindSection<SandboxGatewayOptions>(sp, "SandboxGateway"));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxGatewayOptions>, SandboxGatewayOptionsValidator>());
            services.AddOptions<SandboxGatewayOptions>().ValidateOnStart();
            services.TryAddSingleton<IDbContextFactory<SandboxGatewayDbContext>, SandboxGatewayDbContextFactory>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IPortalDatabaseMigration, SandboxGatewayMigration>());
            services.TryAddSingleton(sp => new SandboxGateway(
                sp.GetRequiredService<IDbContextFactory<SandboxGatewayDbContext>>(), sp.GetRequiredService<IOptions<SandboxGatewayOptions>>(),
                sp.GetRequiredService<DatabaseWriteLane>(), sp.GetRequiredService<TimeProvider>()));
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        return builder.AddGateway<SandboxGateway>(ServiceLifetime.Singleton).AnnounceSimulation(SandboxGateway.Simulation);
    }

    /// <summary>
    /// Uses the demo ERP as the ERP adapter (replacing any other): a deterministic, invented ledger per account whose
    /// postings settle after a delay. Binds <c>CustomerPortalPayments:DemoErp</c> (<see cref="DemoErpOptions"/>), then
    /// applies <paramref name="configure"/>. Its tables are created by <c>MigratePortalPaymentsAsync()</c>. In Production
    /// the host refuses to start unless <see cref="DemoErpOptions.AllowInProduction"/> is set. Calling it twice registers
    /// nothing twice.
    /// </summary>
    public static PortalPaymentsBuilder UseDemoErp(this PortalPaymentsBuilder builder, Action<DemoErpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(DemoErpMarker)))
        {
            services.AddSingleton<DemoErpMarker>();
            services.AddSingleton<IConfigureOptions<DemoErpOptions>>(sp => new BindSection<DemoErpOptions>(sp, "DemoErp"));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DemoErpOptions>, DemoErpOptionsValidator>());
            services.AddOptions<DemoErpOptions>().ValidateOnStart();
            services.TryAddSingleton<IDbContextFactory<DemoErpDbContext>, DemoErpDbContextFactory>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IPortalDatabaseMigration, DemoErpMigration>());
            services.TryAddSingleton(sp => new DemoErpAdapter(
                sp.GetRequiredService<IDbContextFactory<DemoErpDbContext>>(), sp.GetRequiredService<IOptions<DemoErpOptions>>(), sp.GetRequiredService<TimeProvider>()));
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        return builder.AddErpAdapter<DemoErpAdapter>(ServiceLifetime.Singleton).AnnounceSimulation(DemoErpAdapter.Simulation);
    }

    /// <summary>Configures the sandbox gateway (production opt-in, timings); use it with <see cref="UseSandboxGateway"/>.</summary>
    public static PortalPaymentsBuilder ConfigureSandboxGateway(this PortalPaymentsBuilder builder, Action<SandboxGatewayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures the demo ERP (production opt-in, accounts and sizes, settlement delay); use it with <see cref="UseDemoErp"/>.</summary>
    public static PortalPaymentsBuilder ConfigureDemoErp(this PortalPaymentsBuilder builder, Action<DemoErpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    private sealed class SandboxGatewayMarker;

    private sealed class DemoErpMarker;

    /// <summary>Binds <c>CustomerPortalPayments:{section}</c> when the host has configuration (test containers may not).</summary>
    private sealed class BindSection<T>(IServiceProvider services, string section) : IConfigureOptions<T> where T : class
    {
        public void Configure(T options)
        {
            if (services.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(PortalPaymentsOptions.SectionName + ":" + section).Bind(options);
            }
        }
    }
}
