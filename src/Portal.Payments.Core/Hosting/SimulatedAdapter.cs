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
/// naming it. Registered with <see cref="PortalPaymentsBuilder.AnnounceSimulation"/> right after the adapter; registering
/// another adapter of the same role through the builder withdraws the announcement.
/// </summary>
/// <param name="Role">What it stands in for.</param>
/// <param name="Name">Its name, e.g. "sandbox gateway".</param>
/// <param name="Description">One sentence for the banner and the log, e.g. "Cards and bank accounts are test numbers and nothing is charged."</param>
public sealed record SimulatedAdapter(SimulatedAdapterRole Role, string Name, string Description);
