using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Payments.DemoErp;
using Portal.Payments.Hosting;

namespace Portal.Payments.Sandbox;

/// <summary>
/// In the Production environment, a simulated adapter still in use (its announcement not withdrawn by a real adapter
/// registered later) stops the host at start unless its AllowInProduction option is set.
/// </summary>
internal static class ProductionRefusal
{
    public static bool Refuses(IServiceProvider services, SimulatedAdapter simulation, bool allowInProduction) =>
        !allowInProduction
        && services.GetService<IHostEnvironment>()?.IsProduction() == true
        && services.GetService<PortalSimulations>()?.InForce.Contains(simulation) == true;
}

/// <summary>Checks <see cref="SandboxGatewayOptions"/> when the host starts.</summary>
internal sealed class SandboxGatewayOptionsValidator(IServiceProvider services) : IValidateOptions<SandboxGatewayOptions>
{
    internal const string RefusedInProduction =
        "The sandbox gateway (.UseSandboxGateway()) is registered in the Production environment, where it would take test " +
        "payments that move no money. Register your payment gateway instead (.AddGateway<YourGateway>() or .AddStripeGateway()); " +
        "for a public demo site only, set CustomerPortalPayments:SandboxGateway:AllowInProduction to true " +
        "(or .UseSandboxGateway(o => o.AllowInProduction = true)).";

    public ValidateOptionsResult Validate(string? name, SandboxGatewayOptions options)
    {
        var errors = new List<string>();
        if (ProductionRefusal.Refuses(services, SandboxGateway.Simulation, options.AllowInProduction))
        {
            errors.Add(RefusedInProduction);
        }
        const string S = PortalPaymentsOptions.SectionName + ":SandboxGateway";
        if (options.CardProcessingDelay < TimeSpan.Zero || options.AchSettlementDelay < TimeSpan.Zero)
        {
            errors.Add($"{S}:CardProcessingDelay and AchSettlementDelay must not be negative.");
        }
        if (options.Latency < TimeSpan.Zero || options.LatencyJitter < TimeSpan.Zero || options.Latency + options.LatencyJitter > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{S}:Latency and LatencyJitter must not be negative and add up to at most one minute (e.g. 00:00:00.5).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks <see cref="DemoErpOptions"/> when the host starts.</summary>
internal sealed class DemoErpOptionsValidator(IServiceProvider services) : IValidateOptions<DemoErpOptions>
{
    internal const string RefusedInProduction =
        "The demo ERP (.UseDemoErp()) is registered in the Production environment, where it would show invented invoices to " +
        "your customers and keep their payments to itself. Register your ERP adapter instead (.AddErpAdapter<YourErpAdapter>()); " +
        "for a public demo site only, set CustomerPortalPayments:DemoErp:AllowInProduction to true " +
        "(or .UseDemoErp(o => o.AllowInProduction = true)).";

    public ValidateOptionsResult Validate(string? name, DemoErpOptions options)
    {
        var errors = new List<string>();
        if (ProductionRefusal.Refuses(services, DemoErpAdapter.Simulation, options.AllowInProduction))
        {
            errors.Add(RefusedInProduction);
        }
        const string S = PortalPaymentsOptions.SectionName + ":DemoErp";
        if (options.DefaultInvoiceCount is < 0 or > 1_000_000 || options.Accounts.Any(a => a.InvoiceCount is < 0 or > 1_000_000))
        {
            errors.Add($"{S}: invoice counts must be 0 to 1,000,000.");
        }
        if (options.SettlementDelay < TimeSpan.Zero)
        {
            errors.Add($"{S}:SettlementDelay must not be negative.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
