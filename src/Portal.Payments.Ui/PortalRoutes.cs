namespace Portal.Payments.Ui;

/// <summary>Routes of the portal's pages and endpoints, for host navigation and links.</summary>
public static class PortalRoutes
{
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
