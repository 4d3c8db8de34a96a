namespace Portal.Payments.Gateways.Stripe;

/// <summary>
/// Settings of the Stripe gateway, bound from <c>CustomerPortalPayments:Stripe</c> (then the lambda given to
/// <c>AddStripeGateway</c>) and checked when the host starts.
/// </summary>
public sealed class StripeGatewayOptions
{
    /// <summary>Configuration section: <c>CustomerPortalPayments:Stripe</c>.</summary>
    public const string SectionName = "CustomerPortalPayments:Stripe";

    /// <summary>Secret API key (<c>sk_test_…</c>, <c>sk_live_…</c>) or restricted key (<c>rk_…</c>). Required; keep it in a secret store.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Publishable key (<c>pk_test_…</c>, <c>pk_live_…</c>) of the same account and mode, used by Stripe.js in the browser. Required.</summary>
    public string? PublishableKey { get; set; }

    /// <summary>Signing secret of the webhook endpoint (<c>whsec_…</c>), shown by the Dashboard for the endpoint. Required.</summary>
    public string? WebhookSigningSecret { get; set; }

    /// <summary>
    /// Text on the payer's card or bank statement (Stripe's rules: at most 22 characters, at least one letter, no
    /// <c>&lt; &gt; \ ' " *</c>). Sent as the suffix of card charges and as the descriptor of bank debits. Optional.
    /// </summary>
    public string? StatementDescriptor { get; set; }

    /// <summary>Base URL of Stripe's API; null for Stripe itself. Only tests point it elsewhere (a local stand-in).</summary>
    public string? ApiBase { get; set; }

    /// <summary>Allows test keys while the host runs in Production (a staging site named Production). Default false.</summary>
    public bool AllowTestKeysInProduction { get; set; }

    /// <summary>Allows live keys outside Production (never on a developer machine). Default false.</summary>
    public bool AllowLiveKeysOutsideProduction { get; set; }

    /// <summary>How old a webhook's signed timestamp may be (replay protection). Default 5 minutes, Stripe's own.</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one API call may take before its outcome counts as unknown (looked up later). Default 40 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// Retries of a call that failed on the network or was answered 409/429/5xx, with the same idempotency key (so a
    /// retry never charges twice). Default 2, as Stripe recommends.
    /// </summary>
    public int MaxNetworkRetries { get; set; } = 2;

    /// <summary>True for test-mode keys (<c>sk_test_</c>, <c>rk_test_</c>).</summary>
    public bool IsTestMode => SecretKey is { } key && key.Contains("_test_", StringComparison.Ordinal);
}
