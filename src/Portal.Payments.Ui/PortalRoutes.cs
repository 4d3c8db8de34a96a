namespace Portal.Payments.Ui;

/// <summary>
/// Routes of the portal's pages and endpoints, for host navigation and links. They are paths below the site's path base
/// (<c>UsePathBase</c>, an IIS application, a proxy's sub-path): a link in a page should use <see cref="Href"/>, which the
/// browser resolves against the page's <c>&lt;base href&gt;</c>.
/// </summary>
public static class PortalRoutes
{
    /// <summary>
    /// A route as a link relative to the page's <c>&lt;base href&gt;</c> (<c>portal/invoices</c> for <c>/portal/invoices</c>),
    /// so the portal's links keep the site's path base. Every link the portal renders is made this way.
    /// </summary>
    /// <param name="route">A route of this class, e.g. <see cref="Invoices"/>.</param>
    public static string Href(string route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.TrimStart('/');
    }

    /// <summary>Account overview (balances and aging): <c>/portal</c>.</summary>
    public const string Overview = "/portal";

    /// <summary>Stored payment methods: <c>/portal/payment-methods</c>.</summary>
    public const string PaymentMethods = "/portal/payment-methods";

    /// <summary>Open invoices (balances, grid, pay now): <c>/portal/invoices</c>.</summary>
    public const string Invoices = "/portal/invoices";

    /// <summary>Scheduled payments (change date or method, cancel): <c>/portal/scheduled</c>.</summary>
    public const string Scheduled = "/portal/scheduled";

    /// <summary>Make a deposit (a payment on account): <c>/portal/deposit</c>.</summary>
    public const string Deposit = "/portal/deposit";
    /// <summary>Autopay (enrol, change, cancel, exclude invoices): <c>/portal/autopay</c>.</summary>
    public const string Autopay = "/portal/autopay";

    /// <summary>Payment history (every portal payment, receipts): <c>/portal/payments</c>.</summary>
    public const string History = "/portal/payments";

    /// <summary>A payment's receipt: <c>/portal/payments/{id}/receipt</c>.</summary>
    public static string Receipt(Guid paymentId) => $"/portal/payments/{paymentId}/receipt";

    /// <summary>Prefix of the HTTP endpoints mapped by <c>MapCustomerPortalPayments()</c>.</summary>
    public const string ApiPrefix = "/portal-payments/api";

    /// <summary>
    /// A gateway's webhook endpoint, <c>/portal-payments/gateways/{gatewayKey}/webhook</c> (e.g. <c>…/gateways/stripe/webhook</c>):
    /// the URL to register in the gateway's dashboard.
    /// </summary>
    public static string GatewayWebhook(string gatewayKey) => $"/portal-payments/gateways/{gatewayKey}/webhook";
}
