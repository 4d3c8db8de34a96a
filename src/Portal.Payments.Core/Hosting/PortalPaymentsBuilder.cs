using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;
using Portal.Payments.Users;
using Scrutor;

namespace Portal.Payments.Hosting;

/// <summary>
/// Returned by <c>AddCustomerPortalPayments()</c>: chooses the database and plugs in the host's adapters. Nothing is
/// assumed: the host names its database (<see cref="UseSqlite"/>, <see cref="UsePostgres(string, string?)"/>), its gateway
/// (<see cref="AddGateway{TGateway}"/>, or <c>UseSandboxGateway()</c> from Portal.Payments.Sandbox), its ERP adapter
/// (<see cref="AddErpAdapter{TAdapter}"/>, or <c>UseDemoErp()</c>) and who is signed in (<see cref="UseUserContext{TContext}"/>);
/// the host refuses to start, naming the call to add, when one is missing. Emails default to the mailbox table.
/// </summary>
public sealed class PortalPaymentsBuilder
{
    internal PortalPaymentsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Uses an embedded SQLite database, e.g. <c>"Data Source=portal.db"</c>.</summary>
    public PortalPaymentsBuilder UseSqlite(string connectionString) => UseDatabase(DatabaseProvider.Sqlite, connectionString);

    /// <summary>Uses a PostgreSQL database (production, several web nodes).</summary>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="schema">
    /// The schema of the portal's tables, created when missing. Default: <c>CustomerPortalPayments:Database:Schema</c>,
    /// else <c>public</c>. See <see cref="DatabaseOptions.Schema"/>.
    /// </param>
    public PortalPaymentsBuilder UsePostgres(string connectionString, string? schema = null)
    {
        UseDatabase(DatabaseProvider.Postgres, connectionString);
        if (schema is not null)
        {
            Services.Configure<PortalPaymentsOptions>(o => o.Database.Schema = schema);
        }
        return this;
    }

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

    /// <summary>
    /// Sets the payment gateway adapter, created once per scope (a Blazor circuit or an HTTP request) by default.
    /// Pass <see cref="ServiceLifetime.Singleton"/> for an adapter that keeps state across circuits (a connection pool,
    /// a token cache); it must then be thread-safe and take only singleton services. When the host registered
    /// <typeparamref name="TGateway"/> itself already, that registration and its lifetime are kept.
    /// </summary>
    /// <param name="lifetime">Lifetime of <typeparamref name="TGateway"/>. Default <see cref="ServiceLifetime.Scoped"/>.</param>
    public PortalPaymentsBuilder AddGateway<TGateway>(ServiceLifetime lifetime = ServiceLifetime.Scoped) where TGateway : class, IPaymentGateway
    {
        Services.Replace(Forward<IPaymentGateway, TGateway>(lifetime));
        WithdrawSimulation(SimulatedAdapterRole.Gateway);
        return this;
    }

    /// <summary>
    /// Sets the ERP adapter, created once per scope (a Blazor circuit or an HTTP request) by default. Pass
    /// <see cref="ServiceLifetime.Singleton"/> for an adapter that keeps state across circuits (an HTTP client, a
    /// session with the ERP); it must then be thread-safe and take only singleton services. When the host registered
    /// <typeparamref name="TAdapter"/> itself already, that registration and its lifetime are kept.
    /// </summary>
    /// <param name="lifetime">Lifetime of <typeparamref name="TAdapter"/>. Default <see cref="ServiceLifetime.Scoped"/>.</param>
    public PortalPaymentsBuilder AddErpAdapter<TAdapter>(ServiceLifetime lifetime = ServiceLifetime.Scoped) where TAdapter : class, IErpAdapter
    {
        Services.Replace(Forward<IErpAdapter, TAdapter>(lifetime));
        WithdrawSimulation(SimulatedAdapterRole.Erp);
        return this;
    }

    /// <summary>
    /// Announces that the gateway or ERP adapter just registered only simulates one (see <see cref="SimulatedAdapter"/>):
    /// the portal then logs a warning at start and shows a sandbox banner on every page. Used by <c>UseSandboxGateway()</c>
    /// and <c>UseDemoErp()</c>; a later registration of the same role withdraws it, whether through
    /// <see cref="AddGateway{TGateway}"/> / <see cref="AddErpAdapter{TAdapter}"/> or straight on <see cref="Services"/>
    /// (see <see cref="PortalSimulations"/>).
    /// </summary>
    public PortalPaymentsBuilder AnnounceSimulation(SimulatedAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        WithdrawSimulation(adapter.Role);
        Services.AddSingleton(adapter);
        // The registration it follows: a later one of the same role, made in any way, withdraws it (PortalSimulations).
        var service = adapter.Role == SimulatedAdapterRole.Gateway ? typeof(IPaymentGateway) : typeof(IErpAdapter);
        Services.AddSingleton(new SimulationAnnouncement(adapter, Services.LastOrDefault(d => d.ServiceType == service && !d.IsKeyedService)));
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

    /// <summary>Sets the convenience-fee policy (default: the built-in one reading <c>CustomerPortalPayments:ConvenienceFees</c>).</summary>
    public PortalPaymentsBuilder UseConvenienceFeePolicy<TPolicy>() where TPolicy : class, Fees.IConvenienceFeePolicy
    {
        Services.Replace(ServiceDescriptor.Singleton<Fees.IConvenienceFeePolicy, TPolicy>());
        return this;
    }

    /// <summary>
    /// Registers the gateway, ERP adapter, user context, notification sender and discount policy found in the assembly
    /// of <typeparamref name="T"/> (Scrutor scan), replacing the defaults. Gateways and ERP adapters get
    /// <paramref name="adapterLifetime"/>; user contexts and senders are scoped, discount policies singletons. Each of
    /// these roles takes one class: when the assembly has two gateways (say a real one and a test double), the call
    /// refuses to guess and names them; narrow the scan with <paramref name="include"/> or register the one you mean
    /// with <see cref="AddGateway{TGateway}"/>.
    /// </summary>
    /// <param name="adapterLifetime">Lifetime of the gateways and ERP adapters found. Default <see cref="ServiceLifetime.Scoped"/>.</param>
    /// <param name="include">Which of the assembly's classes the scan may take (default: every concrete class).</param>
    /// <exception cref="InvalidOperationException">A role has more than one class to choose from.</exception>
    public PortalPaymentsBuilder AddAdaptersFromAssemblyOf<T>(ServiceLifetime adapterLifetime = ServiceLifetime.Scoped, Func<Type, bool>? include = null)
    {
        if (!Enum.IsDefined(adapterLifetime))
        {
            throw new ArgumentOutOfRangeException(nameof(adapterLifetime), adapterLifetime, "Use ServiceLifetime.Singleton, Scoped or Transient.");
        }
        var found = AdapterScan.Classes(typeof(T).Assembly, include);
        AdapterScan.RefuseAmbiguity<T>(found);
        var gateway = Services.LastOrDefault(d => d.ServiceType == typeof(IPaymentGateway));
        var erp = Services.LastOrDefault(d => d.ServiceType == typeof(IErpAdapter));
        Services.Scan(scan => scan.FromTypes(found)
            .AddClasses(c => c.AssignableToAny(typeof(IPaymentGateway), typeof(IErpAdapter)), publicOnly: false)
            .UsingRegistrationStrategy(RegistrationStrategy.Replace(ReplacementBehavior.ServiceType))
            .As(t => t.GetInterfaces().Where(i => i == typeof(IPaymentGateway) || i == typeof(IErpAdapter)))
            .WithLifetime(adapterLifetime)
            .AddClasses(c => c.AssignableToAny(typeof(IPortalUserContext), typeof(INotificationSender)), publicOnly: false)
            .UsingRegistrationStrategy(RegistrationStrategy.Replace(ReplacementBehavior.ServiceType))
            .As(t => t.GetInterfaces().Where(i => i == typeof(IPortalUserContext) || i == typeof(INotificationSender)))
            .WithScopedLifetime()
            .AddClasses(c => c.AssignableTo<IDiscountPolicy>(), publicOnly: false)
            .UsingRegistrationStrategy(RegistrationStrategy.Replace(ReplacementBehavior.ServiceType))
            .As<IDiscountPolicy>()
            .WithSingletonLifetime());
        if (!ReferenceEquals(gateway, Services.LastOrDefault(d => d.ServiceType == typeof(IPaymentGateway))))
        {
            WithdrawSimulation(SimulatedAdapterRole.Gateway);
        }
        if (!ReferenceEquals(erp, Services.LastOrDefault(d => d.ServiceType == typeof(IErpAdapter))))
        {
            WithdrawSimulation(SimulatedAdapterRole.Erp);
        }
        return this;
    }

    private void WithdrawSimulation(SimulatedAdapterRole role)
    {
        foreach (var announced in Services.Where(d =>
            (d.ServiceType == typeof(SimulatedAdapter) && d.ImplementationInstance is SimulatedAdapter a && a.Role == role)
            || (d.ServiceType == typeof(SimulationAnnouncement) && d.ImplementationInstance is SimulationAnnouncement r && r.Adapter.Role == role)).ToList())
        {
            Services.Remove(announced);
        }
    }

    /// <summary>
    /// Registers <typeparamref name="TImplementation"/> with <paramref name="lifetime"/> (unless the host did) and returns
    /// the registration of <typeparamref name="TService"/> that hands it out, with the lifetime the implementation
    /// really has: a singleton is shared by every circuit, and a scoped one is never captured by a singleton.
    /// </summary>
    private ServiceDescriptor Forward<TService, TImplementation>(ServiceLifetime lifetime)
        where TService : class
        where TImplementation : class, TService
    {
        if (!Enum.IsDefined(lifetime))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "Use ServiceLifetime.Singleton, Scoped or Transient.");
        }
        Services.TryAdd(ServiceDescriptor.Describe(typeof(TImplementation), typeof(TImplementation), lifetime));
        var effective = Services.Last(d => d.ServiceType == typeof(TImplementation) && !d.IsKeyedService).Lifetime;
        return ServiceDescriptor.Describe(typeof(TService), sp => sp.GetRequiredService<TImplementation>(), effective);
    }

    private PortalPaymentsBuilder UseDatabase(DatabaseProvider provider, string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // Typically .UsePostgres(configuration.GetConnectionString("Portal")!) with no such entry in the configuration.
            var call = provider == DatabaseProvider.Postgres ? "UsePostgres" : "UseSqlite";
            throw new ArgumentException(
                $"{call} was given {(connectionString is null ? "no" : "an empty")} connection string. If it comes from configuration " +
                "(GetConnectionString(\"…\")), that entry is missing in appsettings.json, the environment or the command line for this environment; " +
                "or set CustomerPortalPayments:Database:Provider and CustomerPortalPayments:Database:ConnectionString instead of calling it.",
                nameof(connectionString));
        }
        Services.Configure<PortalPaymentsOptions>(o =>
        {
            o.Database.Provider = provider;
            o.Database.ConnectionString = connectionString;
        });
        return this;
    }
}
