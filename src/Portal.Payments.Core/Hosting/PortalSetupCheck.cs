using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Users;

namespace Portal.Payments.Hosting;

/// <summary>The services a host must register; validated when the host starts (<c>ValidateOnStart</c>).</summary>
internal sealed class PortalSetup;

/// <summary>
/// The host's registrations, kept to be read when the host starts: which registration of a required service is in force
/// (the last one) is known only once the host has made all of them.
/// </summary>
internal sealed class PortalRegistrations(IServiceCollection services)
{
    /// <summary>True when the registration in force of <paramref name="service"/> is none, or the stand-in for a missing one.</summary>
    public bool IsMissing(Type service) =>
        services.LastOrDefault(d => d.ServiceType == service && !d.IsKeyedService) is not { } inForce
        || inForce.ImplementationFactory?.Target is MissingService;

    /// <summary>
    /// False only when a later registration of <paramref name="registration"/>'s service, by type or by instance, is in
    /// force: another adapter. The registration itself, or a later factory (a decorator, a wrapper that may still call
    /// the simulated adapter), keeps it in force; so does an announcement that followed no registration.
    /// </summary>
    public bool MayStillServe(ServiceDescriptor? registration)
    {
        if (registration is null)
        {
            return true;
        }
        var inForce = services.LastOrDefault(d => d.ServiceType == registration.ServiceType && !d.IsKeyedService);
        return inForce is null || ReferenceEquals(inForce, registration) || inForce.ImplementationFactory is { Target: not MissingService };
    }

    /// <summary>True when <paramref name="service"/> has any registration (not keyed).</summary>
    public bool IsRegistered(Type service) => services.Any(d => d.ServiceType == service && !d.IsKeyedService);

    /// <summary>The portal's own email sender (the one <c>Notifications:Transport</c> chooses), when the portal registered it.</summary>
    public ServiceDescriptor? PortalSender { get; set; }

    /// <summary>True when the email sender in force is the portal's own, not one the host registered (before or after).</summary>
    public bool PortalSenderInForce =>
        PortalSender is not null
        && ReferenceEquals(services.LastOrDefault(d => d.ServiceType == PortalSender.ServiceType && !d.IsKeyedService), PortalSender);
}

/// <summary>
/// Stands in for a required service the host has not registered (yet), so the container builds — also with
/// <c>ValidateOnBuild</c>, as in Development — and the start check can name the builder call. Resolved, it throws that
/// message. Registered with <c>TryAdd</c>: any registration of the host, before or after, wins.
/// </summary>
internal sealed class MissingService(string message)
{
    public static ServiceDescriptor For<TService>(string message) where TService : class =>
        ServiceDescriptor.Scoped<TService>(new MissingService(message).Throw<TService>);

    private TService Throw<TService>(IServiceProvider services) => throw new InvalidOperationException(message);
}

/// <summary>
/// Refuses to start a host that forgot a gateway, an ERP adapter or a user context, naming the builder call to add.
/// Runs when the host starts (before it serves), in every environment; it reads the registrations, creating no service.
/// </summary>
internal sealed class PortalSetupValidator(PortalRegistrations registrations) : IValidateOptions<PortalSetup>
{
    internal const string NoGateway =
        "No payment gateway is registered. After AddCustomerPortalPayments(), add .AddGateway<YourGateway>() (or .AddStripeGateway() " +
        "from Portal.Payments.Gateways.Stripe); for a demo or test site only, .UseSandboxGateway() from Portal.Payments.Sandbox charges nothing.";

    internal const string NoErpAdapter =
        "No ERP adapter is registered. After AddCustomerPortalPayments(), add .AddErpAdapter<YourErpAdapter>(); for a demo or test " +
        "site only, .UseDemoErp() from Portal.Payments.Sandbox invents the invoices.";

    internal const string NoUserContext =
        "No user context is registered, so the portal cannot tell who is signed in. After AddCustomerPortalPayments(), add " +
        ".UseUserContext<YourPortalUserContext>() (your IPortalUserContext).";

    public ValidateOptionsResult Validate(string? name, PortalSetup options)
    {
        var missing = new List<string>();
        if (registrations.IsMissing(typeof(IPaymentGateway)))
        {
            missing.Add(NoGateway);
        }
        if (registrations.IsMissing(typeof(IErpAdapter)))
        {
            missing.Add(NoErpAdapter);
        }
        if (registrations.IsMissing(typeof(IPortalUserContext)))
        {
            missing.Add(NoUserContext);
        }
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }
}

/// <summary>
/// Refuses to start when a webhook handler's <see cref="IGatewayWebhookHandler.GatewayKey"/> is not exactly (ordinal) the
/// <see cref="IPaymentGateway.Key"/> of the gateway in force: the webhook URL finds its handler whatever the case, but the
/// event sink finds payments and methods by the exact key, so such a handler's events would be answered 200 and recorded
/// as Unknown, forever. Creates the gateway and the handlers once, in a scope of its own, and only when a handler is
/// registered; a gateway or handler that cannot be created at start (whatever it throws) is left to its own checks.
/// </summary>
internal sealed class WebhookHandlerKeyValidator(PortalRegistrations registrations, IServiceProvider services) : IValidateOptions<PortalSetup>
{
    public ValidateOptionsResult Validate(string? name, PortalSetup options)
    {
        if (registrations.IsMissing(typeof(IPaymentGateway)) || !registrations.IsRegistered(typeof(IGatewayWebhookHandler)))
        {
            return ValidateOptionsResult.Success;
        }
        string key, gatewayType;
        List<(string Type, string GatewayKey)> handlers;
        // Disposed asynchronously: a host's gateway may release its client only so (IAsyncDisposable alone), and a
        // synchronous dispose of the scope would throw, stopping the host.
        var scope = services.CreateAsyncScope();
        try
        {
            var gateway = scope.ServiceProvider.GetRequiredService<IPaymentGateway>();
            key = gateway.Key;
            handlers = [.. scope.ServiceProvider.GetServices<IGatewayWebhookHandler>().Select(h => (h.GetType().Name, h.GatewayKey))];
            gatewayType = gateway.GetType().Name;
        }
        catch (Exception)
        {
            // A host's gateway or handler that cannot be built outside a request (its own options refused, a dependency
            // on the request) is left to its own checks and to its first use: this check never stops a host on its own.
            return ValidateOptionsResult.Success;
        }
        finally
        {
            try
            {
                scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // Releasing what the check built is not the check's concern either.
            }
        }
        var errors = new List<string>();
        foreach (var handler in handlers.Where(h => !string.Equals(h.GatewayKey, key, StringComparison.Ordinal)))
        {
            var start = $"The webhook handler {handler.Type} serves the gateway key '{handler.GatewayKey}', but the gateway in force " +
                        $"({gatewayType}) has the key '{key}'";
            errors.Add(string.Equals(handler.GatewayKey, key, StringComparison.OrdinalIgnoreCase)
                ? start + ": the two differ only in case. The webhook URL finds the handler whatever the case, but payments are found by the " +
                  $"exact key, so every event would be answered 200 and recorded as Unknown. Make the handler's GatewayKey return exactly '{key}' " +
                  "(the gateway's own Key)."
                : start + ": its events would find no payment of this gateway and be recorded as Unknown. Make the handler's GatewayKey " +
                  $"return '{key}' (the gateway's own Key), or remove the handler of a gateway this site does not use.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Logs a warning at start for every simulated adapter in use (the sandbox gateway, the demo ERP).</summary>
internal sealed class SimulationWarning(PortalSimulations simulations, ILogger<SimulationWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var simulation in simulations.InForce)
        {
            logger.LogWarning(
                "Portal.Payments runs with the {Adapter}, which only simulates: {Description} Every portal page shows a sandbox banner. " +
                "Register the real {Role} before real customers use this site.",
                simulation.Name, simulation.Description, simulation.Role == SimulatedAdapterRole.Gateway ? "payment gateway" : "ERP adapter");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Warns at start in Production when <c>Notifications:PortalBaseUrl</c> is not set: links in emails then follow the address
/// this server listens on, which customers usually cannot reach (a proxy, a load balancer, a container's port).
/// </summary>
internal sealed class BaseUrlWarning(IOptions<PortalPaymentsOptions> options, IServiceProvider services, ILogger<BaseUrlWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Notifications.IsPortalBaseUrlSet || services.GetService<IHostEnvironment>()?.IsProduction() != true)
        {
            return Task.CompletedTask;
        }
        // Once the server listens: before that, the address it serves on is not known yet (hosted services start first).
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStarted.Register(Warn);
        }
        else
        {
            Warn();
        }
        return Task.CompletedTask;
    }

    private void Warn() => logger.LogWarning(
        "CustomerPortalPayments:Notifications:PortalBaseUrl is not set: links in emails (receipts, scheduled payments, autopay) " +
        "point to the address this server listens on, {Address}, which customers usually cannot reach behind a proxy or load balancer. " +
        "Set it to the portal's public address, e.g. https://portal.example.com.",
        options.Value.Notifications.PortalBaseUrl);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Settings that start and work, but fail a real site in Production: emails kept in the mailbox table instead of sent
/// (<c>Notifications:Transport</c> <c>Store</c>, the default), and the portal on SQLite. Logged as warnings at start and
/// carried by the health check's data (<c>configurationWarnings</c>); never a refusal (a demo site may mean them).
/// </summary>
internal sealed class ProductionSetupWarnings(IOptions<PortalPaymentsOptions> options, PortalRegistrations registrations, IServiceProvider services)
{
    internal const string StoredEmails =
        "CustomerPortalPayments:Notifications:Transport is Store (the default) in Production: the portal's emails (receipts, scheduled " +
        "payments, autopay notices, failed payments) are only kept in the mailbox table (pp_sent_emails) and written to the log, and " +
        "never sent to anyone. To send them, set Notifications:Transport to Smtp with Notifications:Smtp:Host and " +
        "Notifications:Smtp:FromAddress, or register your own INotificationSender.";

    internal const string Sqlite =
        "The portal's database is SQLite in Production. SQLite is one file on one machine with one writer at a time: fine for a " +
        "demo or a single small node, but several nodes cannot share it (each would charge, sync and post from its own copy, so " +
        "scheduled payments could be charged once per node and leases protect nothing), and every payment's writes take turns. " +
        "Use PostgreSQL (.UsePostgres(connectionString), or CustomerPortalPayments:Database:Provider = Postgres) for a real site.";

    /// <summary>The warnings in force: none outside the Production environment.</summary>
    public IReadOnlyList<string> Current
    {
        get
        {
            if (services.GetService<IHostEnvironment>()?.IsProduction() != true)
            {
                return [];
            }
            var o = options.Value;
            var warnings = new List<string>();
            if (string.Equals(o.Notifications.Transport, "Store", StringComparison.OrdinalIgnoreCase) && registrations.PortalSenderInForce)
            {
                warnings.Add(StoredEmails);
            }
            if (o.Database.Provider == DatabaseProvider.Sqlite)
            {
                warnings.Add(Sqlite);
            }
            return warnings;
        }
    }
}

/// <summary>Logs the <see cref="ProductionSetupWarnings"/> once at start.</summary>
internal sealed class ProductionSetupWarning(ProductionSetupWarnings warnings, ILogger<ProductionSetupWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var warning in warnings.Current)
        {
            logger.LogWarning("{Warning}", warning);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// A database created by a pre-release build: its tables exist but not the history table of the squashed migrations,
/// so migrating would fail on "table already exists". Refused with a message that says what to do.
/// </summary>
internal static class PreReleaseDatabase
{
    public static async Task RefuseAsync(PaymentsDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Database.CanConnectAsync(cancellationToken))
        {
            return; // a new database: the migrations create it
        }
        var history = PortalDatabase.MigrationsHistoryTable;
        var sql = db.Database.IsSqlite()
            ? $"SELECT count(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = 'pp_payments' AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{history}')"
            : $"SELECT count(*)::int AS \"Value\" FROM pg_catalog.pg_tables t WHERE t.schemaname = current_schema() AND t.tablename = 'pp_payments' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_tables h WHERE h.schemaname = current_schema() AND h.tablename = '{history}')";
        var tables = await db.Database.SqlQueryRaw<int>(sql).ToListAsync(cancellationToken);
        if (tables.Single() > 0)
        {
            throw new InvalidOperationException(
                $"The database already holds Portal.Payments tables (pp_payments) but no {PortalDatabase.MigrationsHistoryTable} table: it was " +
                "created by a pre-release build, whose migrations were replaced by one Initial migration per provider before the first " +
                "release. Start from a new database (for SQLite, delete the file), or drop its pp_* tables and migrate again.");
        }
    }
}
