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
/// Refuses to start a host that forgot a gateway, an ERP adapter or a user context, naming the builder call to add.
/// Runs when the host starts (before it serves), in every environment; it asks the container whether each service is
/// registered, without creating any.
/// </summary>
internal sealed class PortalSetupValidator(IServiceProvider services) : IValidateOptions<PortalSetup>
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
        if (!IsRegistered(typeof(IPaymentGateway)))
        {
            missing.Add(NoGateway);
        }
        if (!IsRegistered(typeof(IErpAdapter)))
        {
            missing.Add(NoErpAdapter);
        }
        if (!IsRegistered(typeof(IPortalUserContext)))
        {
            missing.Add(NoUserContext);
        }
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }

    private bool IsRegistered(Type service)
    {
        if (services.GetService<IServiceProviderIsService>() is { } container)
        {
            return container.IsService(service);
        }
        // A container that cannot say: ask for the service in a throwaway scope.
        using var scope = services.CreateScope();
        try
        {
            return scope.ServiceProvider.GetService(service) is not null;
        }
        catch (InvalidOperationException)
        {
            return true; // registered, but its own dependencies failed: not this check's business
        }
    }
}

/// <summary>Logs a warning at start for every simulated adapter in use (the sandbox gateway, the demo ERP).</summary>
internal sealed class SimulationWarning(IEnumerable<SimulatedAdapter> simulations, ILogger<SimulationWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var simulation in simulations)
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
