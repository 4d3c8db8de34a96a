using Portal.Payments.Data;
using Portal.Payments.Gateways;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// Why a payment did not go through, as a code stored beside the reason's words (<see cref="PaymentOutcome.FailureCode"/>,
/// <see cref="PaymentReceipt.FailureCode"/>). The words are English (the gateway's own, often with its advice, or the
/// portal's, with the invoice numbers and amounts that changed); the code lets a page in another language say the reason
/// in the reader's language, also long after the failure. A code is the name of a <see cref="GatewayErrorCode"/> the
/// gateway gave (<c>Declined</c>, <c>InsufficientFunds</c>, <c>ExpiredCard</c>…) or one of the portal's own below.
/// </summary>
public static class PaymentFailureCodes
{
    /// <summary>A background charge needed the payer to confirm it with their bank, which cannot be done while they are away.</summary>
    public const string AuthenticationRequired = nameof(GatewayErrorCode.AuthenticationRequired);

    /// <summary>The payer did not confirm the payment with their bank in time.</summary>
    public const string AuthenticationAbandoned = "AuthenticationAbandoned";

    /// <summary>
    /// The payer's bank declined the payment at its confirmation (3-D Secure): not confirmed, or refused there. Nothing
    /// was charged. A more specific reason the gateway gave (insufficient funds after confirming) keeps its own code.
    /// </summary>
    public const string AuthenticationFailed = "AuthenticationFailed";

    /// <summary>The bank returned the payment (an ACH return).</summary>
    public const string Returned = nameof(GatewayErrorCode.Returned);

    /// <summary>The charge was voided at the payment processor: nothing was charged.</summary>
    public const string Voided = "Voided";

    /// <summary>The payment was refunded.</summary>
    public const string Refunded = "Refunded";

    /// <summary>The payment did not go through, without a more specific reason.</summary>
    public const string NotThrough = "NotThrough";

    /// <summary>A scheduled payment's method was removed before its date.</summary>
    public const string MethodRemoved = "MethodRemoved";

    /// <summary>A scheduled payment's method expired before its date.</summary>
    public const string MethodExpired = "MethodExpired";

    /// <summary>A scheduled payment's method belongs to another payment gateway than the one the portal uses now.</summary>
    public const string MethodUnsupported = "MethodUnsupported";

    /// <summary>
    /// An autopay payment would have been above its enrolment's maximum with the convenience fee re-priced on its date;
    /// nothing was charged.
    /// </summary>
    public const string AboveAutopayMaximum = "AboveAutopayMaximum";

    /// <summary>A scheduled payment's invoices were paid, changed or disputed before its date; nothing was charged.</summary>
    public const string InvoicesChanged = "InvoicesChanged";

    /// <summary>Autopay's payment of an invoice the ERP settled (paid elsewhere, closed) before the debit date; nothing was charged.</summary>
    public const string AutopayInvoiceSettled = "AutopayInvoiceSettled";

    /// <summary>Autopay's payment of an invoice that changed, replaced by a new payment autopay scheduled for it; nothing was charged.</summary>
    public const string AutopayRescheduled = "AutopayRescheduled";

    /// <summary>Autopay's payment whose enrolment was turned off before its date; nothing was charged.</summary>
    public const string AutopayEnded = "AutopayEnded";

    /// <summary>
    /// The code of a gateway's error that says why a charge failed, or null for errors that say nothing to the payer (no
    /// error, a timeout, an outage, a malformed request, "other"): their pages show the gateway's words.
    /// </summary>
    public static string? Of(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.Declined or GatewayErrorCode.InsufficientFunds or GatewayErrorCode.ExpiredCard or GatewayErrorCode.InvalidCardNumber
            or GatewayErrorCode.InvalidSecurityCode or GatewayErrorCode.InvalidExpiry or GatewayErrorCode.InvalidRoutingNumber
            or GatewayErrorCode.InvalidAccountNumber or GatewayErrorCode.Returned or GatewayErrorCode.InvalidToken
            or GatewayErrorCode.AuthenticationRequired => code.ToString(),
        _ => null,
    };

    /// <summary>
    /// The reason and its code for a gateway's answer that ends a payment (declined or failed, returned, reversed into
    /// <paramref name="target"/>): the gateway's words when it gave some, else the portal's, with the code a page in another
    /// language words itself. One rule for the charge's own answer, the reconciler's lookup and the gateway's events.
    /// </summary>
    internal static (string Reason, string? Code) OfAnswer(ChargeStatus status, PaymentStatus target, GatewayErrorCode code, string? message) => status switch
    {
        ChargeStatus.Returned => (message ?? "The bank returned the payment.", Returned),
        ChargeStatus.Reversed when target == PaymentStatus.Refunded => (message ?? "The payment was refunded.", Refunded),
        ChargeStatus.Reversed => (message ?? "The charge was voided at the payment processor; nothing was charged.", Voided),
        _ => (message ?? "The payment did not go through.", Of(code) ?? (message is null ? NotThrough : null)),
    };
}
