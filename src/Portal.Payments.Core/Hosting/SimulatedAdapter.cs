namespace Portal.Payments.Hosting;

/// <summary>What a simulated adapter stands in for.</summary>
public enum SimulatedAdapterRole
{
    /// <summary>The payment gateway: no money moves.</summary>
    Gateway = 1,
    /// <summary>The ERP: the invoices and balances are invented.</summary>
    Erp = 2,
}

/// <summary>
/// Announces that the gateway or ERP adapter in use only pretends (the sandbox gateway, the demo ERP). While one is
/// registered the portal logs a warning at start and every portal page shows a "Sandbox: no real money moves" banner
/// naming it. Registered with <see cref="PortalPaymentsBuilder.AnnounceSimulation"/> right after the adapter; another
/// registration of the same role made later, through the builder or straight on the service collection, withdraws the
/// announcement (see <see cref="PortalSimulations"/>).
/// </summary>
/// <param name="Role">What it stands in for.</param>
/// <param name="Name">Its name, e.g. "sandbox gateway".</param>
/// <param name="Description">One sentence for the banner and the log, e.g. "Cards and bank accounts are test numbers and nothing is charged."</param>
public sealed record SimulatedAdapter(SimulatedAdapterRole Role, string Name, string Description);

/// <summary>
/// The announced simulations still in force: an announcement made with <see cref="PortalPaymentsBuilder.AnnounceSimulation"/>
/// is withdrawn by a later registration of its role (<c>IPaymentGateway</c> or <c>IErpAdapter</c>) through the builder, or
/// straight on the service collection by type or instance (<c>services.AddScoped&lt;IPaymentGateway, MyGateway&gt;()</c>):
/// then there is no sandbox banner, warning or Production refusal. A later factory registration (a decorator such as
/// Scrutor's <c>Decorate</c>, a wrapper built from the sandbox) keeps it: the portal cannot see whether the factory still
/// hands out the simulated adapter, and errs on the side of saying so. The banner, the start warning and the sandbox's
/// Production refusal read this, not the raw registrations.
/// </summary>
public sealed class PortalSimulations
{
    internal PortalSimulations(IEnumerable<SimulatedAdapter> announced, IEnumerable<SimulationAnnouncement> records, PortalRegistrations registrations)
    {
        var stale = records.Where(r => !registrations.MayStillServe(r.Registration)).Select(r => r.Adapter).ToHashSet(ReferenceEqualityComparer.Instance);
        InForce = [.. announced.Where(a => !stale.Contains(a)).Distinct()];
    }

    /// <summary>The simulated adapters in use, in the order announced; empty on a site with real adapters only.</summary>
    public IReadOnlyList<SimulatedAdapter> InForce { get; }
}

/// <summary>An announcement and the registration of its role it followed (see <see cref="PortalSimulations"/>).</summary>
internal sealed record SimulationAnnouncement(SimulatedAdapter Adapter, Microsoft.Extensions.DependencyInjection.ServiceDescriptor? Registration);
