using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.DemoErp;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;
using Portal.Payments.Sandbox;
using Portal.Payments.Users;
using Scrutor;

namespace Portal.Payments.Hosting;

/// <summary>
/// Returned by <c>AddCustomerPortalPayments()</c>: chooses the database and plugs in the host's adapters.
/// Each <c>Add…</c>/<c>Use…</c> call replaces the built-in default (sandbox gateway, demo ERP, stored emails).
/// </summary>
public sealed class PortalPaymentsBuilder
{
    internal PortalPaymentsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Uses an embedded SQLite database, e.g. <c>"Data Source=portal.db"</c>.</summary>
    public PortalPaymentsBuilder UseSqlite(string connectionString) => UseDatabase(DatabaseProvider.Sqlite, connectionString);

    /// <summary>Uses a PostgreSQL database (production, several web nodes).</summary>
    public PortalPaymentsBuilder UsePostgres(string connectionString) => UseDatabase(DatabaseProvider.Postgres, connectionString);

    /// <summary>
    /// Adds an EF Core interceptor to every context the portal opens (diagnostics, command logging, fault injection in
    /// tests). Interceptors must be thread-safe: one instance serves every context.
    /// </summary>
    public PortalPaymentsBuilder AddDbInterceptor(Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor interceptor)
    {
        ArgumentNullException.ThrowIfNull(interceptor);
        Services.Configure<PortalPaymentsOptions>(o => o.Database.Interceptors.Add(interceptor));
        return this;
    }

    /// <summary>Sets the payment gateway adapter.</summary>
    public PortalPaymentsBuilder AddGateway<TGateway>() where TGateway : class, IPaymentGateway
    {
        Services.TryAddScoped<TGateway>();
        Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp => sp.GetRequiredService<TGateway>()));
        return this;
    }

    /// <summary>Sets the ERP adapter.</summary>
    public PortalPaymentsBuilder AddErpAdapter<TAdapter>() where TAdapter : class, IErpAdapter
    {
        Services.TryAddScoped<TAdapter>();
        Services.Replace(ServiceDescriptor.Scoped<IErpAdapter>(sp => sp.GetRequiredService<TAdapter>()));
        return this;
    }

    /// <summary>Sets who is signed in (required by every host).</summary>
    public PortalPaymentsBuilder UseUserContext<TContext>() where TContext : class, IPortalUserContext
    {
        Services.Replace(ServiceDescriptor.Scoped<IPortalUserContext, TContext>());
        return this;
    }

    /// <summary>Sets how emails are delivered.</summary>
    public PortalPaymentsBuilder UseNotificationSender<TSender>() where TSender : class, INotificationSender
    {
        Services.Replace(ServiceDescriptor.Scoped<INotificationSender, TSender>());
        return this;
    }

    /// <summary>Sets the discount policy for short payments.</summary>
    public PortalPaymentsBuilder UseDiscountPolicy<TPolicy>() where TPolicy : class, IDiscountPolicy
    {
        Services.Replace(ServiceDescriptor.Singleton<IDiscountPolicy, TPolicy>());
        return this;
    }

    /// <summary>
    /// Registers every gateway, ERP adapter, user context, notification sender and discount policy
    /// found in the assembly of <typeparamref name="T"/> (Scrutor scan), replacing the defaults.
    /// </summary>
    public PortalPaymentsBuilder AddAdaptersFromAssemblyOf<T>()
    {
        Services.Scan(scan => scan.FromAssemblyOf<T>()
            .AddClasses(c => c.AssignableToAny(typeof(IPaymentGateway), typeof(IErpAdapter), typeof(IPortalUserContext), typeof(INotificationSender)), publicOnly: false)
            .UsingRegistrationStrategy(RegistrationStrategy.Replace(ReplacementBehavior.ServiceType))
            .As(t => t.GetInterfaces().Where(i => i == typeof(IPaymentGateway) || i == typeof(IErpAdapter) || i == typeof(IPortalUserContext) || i == typeof(INotificationSender)))
            .WithScopedLifetime()
            .AddClasses(c => c.AssignableTo<IDiscountPolicy>(), publicOnly: false)
            .UsingRegistrationStrategy(RegistrationStrategy.Replace(ReplacementBehavior.ServiceType))
            .As<IDiscountPolicy>()
            .WithSingletonLifetime());
        return this;
    }

    /// <summary>Configures the built-in demo ERP (accounts and sizes, settlement delay).</summary>
    public PortalPaymentsBuilder ConfigureDemoErp(Action<DemoErpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Configures the built-in sandbox gateway's timings.</summary>
    public PortalPaymentsBuilder ConfigureSandboxGateway(Action<SandboxGatewayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    private PortalPaymentsBuilder UseDatabase(DatabaseProvider provider, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Services.Configure<PortalPaymentsOptions>(o =>
        {
            o.Database.Provider = provider;
            o.Database.ConnectionString = connectionString;
        });
        return this;
    }
}
