namespace Portal.Payments.Gateways;

/// <summary>What a gateway can do. The portal hides or refuses features a gateway lacks.</summary>
[Flags]
public enum GatewayCapabilities
{
    /// <summary>Nothing beyond charging.</summary>
    None = 0,
    /// <summary>Accepts card payment methods.</summary>
    Cards = 1,
    /// <summary>Accepts bank-account (ACH) payment methods.</summary>
    BankAccounts = 2,
    /// <summary>
    /// Stored tokens can be charged again later. Without it the portal adds a card for the payment at hand only, and
    /// refuses saving one or adding a bank account before the gateway is asked.
    /// </summary>
    StoreMethods = 4,
    /// <summary>Updates a stored card's expiry, holder name or postal code.</summary>
    UpdateMethods = 8,
    /// <summary>Refunds a settled charge.</summary>
    Refund = 16,
    /// <summary>Voids a charge that has not settled.</summary>
    Void = 32,
    /// <summary>Reports later status changes (slow rails such as ACH) through <see cref="IPaymentGateway.GetChargeStatusAsync"/>.</summary>
    StatusLookup = 64,
}

/// <summary>Kind of stored payment method.</summary>
public enum PaymentMethodType
{
    /// <summary>A credit or debit card.</summary>
    Card = 1,
    /// <summary>A bank account debited through ACH.</summary>
    BankAccount = 2,
}

/// <summary>Checking or savings account.</summary>
public enum BankAccountType
{
    /// <summary>Checking account.</summary>
    Checking = 1,
    /// <summary>Savings account.</summary>
    Savings = 2,
}

/// <summary>Who holds a bank account.</summary>
public enum BankAccountHolderType
{
    /// <summary>A business account.</summary>
    Business = 1,
    /// <summary>A personal account.</summary>
    Personal = 2,
}

/// <summary>
/// The closed list of reasons a gateway call did not succeed. Adapters map their own codes onto these;
/// <see cref="GatewayResult.Message"/> carries the gateway's human wording.
/// </summary>
public enum GatewayErrorCode
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The issuer declined without a more specific reason.</summary>
    Declined,
    /// <summary>Not enough funds or credit.</summary>
    InsufficientFunds,
    /// <summary>The card has expired.</summary>
    ExpiredCard,
    /// <summary>The card number is invalid (for example it fails the Luhn check).</summary>
    InvalidCardNumber,
    /// <summary>The security code is wrong.</summary>
    InvalidSecurityCode,
    /// <summary>The expiry date is invalid.</summary>
    InvalidExpiry,
    /// <summary>The bank routing number is invalid.</summary>
    InvalidRoutingNumber,
    /// <summary>The bank account number is invalid or closed.</summary>
    InvalidAccountNumber,
    /// <summary>The ACH debit was returned by the bank (e.g. R01 insufficient funds).</summary>
    Returned,
    /// <summary>The capture token is unknown, used or expired.</summary>
    InvalidToken,
    /// <summary>No answer in time; the outcome is unknown and must be looked up, never retried under a new key.</summary>
    Timeout,
    /// <summary>The gateway is unavailable; safe to retry with the same idempotency key.</summary>
    Unavailable,
    /// <summary>The same idempotency key was used with different parameters.</summary>
    IdempotencyConflict,
    /// <summary>The referenced charge or method does not exist.</summary>
    NotFound,
    /// <summary>The gateway does not support this operation.</summary>
    Unsupported,
    /// <summary>The gateway refused the request as malformed.</summary>
    InvalidRequest,
    /// <summary>Any other failure.</summary>
    Other,
    /// <summary>
    /// A request with the same idempotency key is still being processed (HTTP 409 at Stripe-like gateways). The outcome is
    /// unknown: look it up later by key; never record it as a failure and never retry under a new key.
    /// </summary>
    InProgress,
    /// <summary>
    /// The issuer asks the payer to authenticate (3-D Secure) and the payer is not present (an off-session charge):
    /// nothing was charged; the payer must pay while signed in.
    /// </summary>
    AuthenticationRequired,
}

/// <summary>Base of every gateway answer: a business outcome is a value, not an exception.</summary>
public abstract record GatewayResult
{
    /// <summary>The error, or <see cref="GatewayErrorCode.None"/>.</summary>
    public GatewayErrorCode ErrorCode { get; init; }

    /// <summary>A message fit to show the payer (never contains card or account numbers).</summary>
    public string? Message { get; init; }
}

/// <summary>What a capture component hands back: a short-lived token plus display data, never the raw numbers.</summary>
/// <param name="CaptureToken">Gateway token for the details entered (single use).</param>
/// <param name="Type">Card or bank account.</param>
public sealed record CapturedPaymentMethod(string CaptureToken, PaymentMethodType Type)
{
    /// <summary>Optional nickname the user gave in the capture form.</summary>
    public string? Nickname { get; init; }

    /// <summary>
    /// Last four digits of the card or account number entered, when the capture form knows them: the bank debit
    /// authorization, signed after the details, names the account by them. Default none.
    /// </summary>
    public string? Last4 { get; init; }
}

/// <summary>Display data of a stored method; the token is the only handle on the real numbers.</summary>
public sealed record StoredMethodDetails
{
    /// <summary>Reusable gateway token for charging this method.</summary>
    public required string Token { get; init; }
    /// <summary>Card or bank account.</summary>
    public required PaymentMethodType Type { get; init; }
    /// <summary>Last four digits of the card or bank account number.</summary>
    public required string Last4 { get; init; }
    /// <summary>Card brand ("Visa") or bank name.</summary>
    public string? BrandOrBank { get; init; }
    /// <summary>Card expiry month (1–12).</summary>
    public int? ExpiryMonth { get; init; }
    /// <summary>Card expiry year (four digits).</summary>
    public int? ExpiryYear { get; init; }
    /// <summary>Name on the card or bank account.</summary>
    public string? HolderName { get; init; }
    /// <summary>Card billing postal code.</summary>
    public string? BillingPostalCode { get; init; }
    /// <summary>Bank routing number (not secret; printed on checks).</summary>
    public string? RoutingNumber { get; init; }
    /// <summary>Checking or savings.</summary>
    public BankAccountType? BankAccountType { get; init; }
    /// <summary>Business or personal bank account.</summary>
    public BankAccountHolderType? HolderType { get; init; }
    /// <summary>True while the gateway still verifies the method (e.g. micro-deposits).</summary>
    public bool VerificationPending { get; init; }
    /// <summary>How a card is funded (credit, debit, prepaid), when the gateway reports it; fee policies exempt debit and prepaid cards.</summary>
    public Fees.CardFunding Funding { get; init; }
}

/// <summary>Store a captured method for an account.</summary>
/// <param name="AccountId">The customer account that owns the method.</param>
/// <param name="CaptureToken">The token returned by the capture component.</param>
/// <param name="IdempotencyKey">Same key → same stored method, never two.</param>
public sealed record StoreMethodRequest(string AccountId, string CaptureToken, string IdempotencyKey)
{
    /// <summary>
    /// For a bank account: the payer's signed ACH debit authorization, which gateways that keep mandates (Stripe's
    /// <c>mandate_data.customer_acceptance</c>) record with the method. Null for cards.
    /// </summary>
    public AchMandate? Mandate { get; init; }
}

/// <summary>The evidence of an ACH debit authorization the payer accepted online (the portal keeps the full record).</summary>
/// <param name="AcceptedAt">When the payer signed (UTC).</param>
/// <param name="IpAddress">The payer's IP address, when known.</param>
/// <param name="UserAgent">The payer's browser user agent, when known.</param>
/// <param name="AgreementVersion">The version of the agreement text that was shown and signed.</param>
public sealed record AchMandate(DateTimeOffset AcceptedAt, string? IpAddress, string? UserAgent, string AgreementVersion);

/// <summary>Result of storing a method.</summary>
public sealed record StoreMethodResult : GatewayResult
{
    /// <summary>The stored method, when successful.</summary>
    public StoredMethodDetails? Method { get; init; }
    /// <summary>True when stored.</summary>
    public bool Succeeded => Method is not null && ErrorCode == GatewayErrorCode.None;
}

/// <summary>Changes to a stored card or bank account; null fields stay as they are.</summary>
/// <param name="Token">The stored method's token.</param>
public sealed record UpdateMethodRequest(string Token)
{
    /// <summary>New expiry month.</summary>
    public int? ExpiryMonth { get; init; }
    /// <summary>New expiry year.</summary>
    public int? ExpiryYear { get; init; }
    /// <summary>New holder name.</summary>
    public string? HolderName { get; init; }
    /// <summary>New billing postal code.</summary>
    public string? BillingPostalCode { get; init; }
}

/// <summary>Result of an operation with no payload beyond success.</summary>
public sealed record GatewayOperationResult : GatewayResult
{
    /// <summary>True when done.</summary>
    public bool Succeeded => ErrorCode == GatewayErrorCode.None;

    /// <summary>A success.</summary>
    public static GatewayOperationResult Ok() => new();

    /// <summary>A failure with a code and message.</summary>
    public static GatewayOperationResult Fail(GatewayErrorCode code, string message) => new() { ErrorCode = code, Message = message };
}

/// <summary>Lifecycle of a charge at the gateway.</summary>
public enum ChargeStatus
{
    /// <summary>Accepted, not final yet (ACH in flight, or status unknown after a timeout).</summary>
    Processing = 1,
    /// <summary>Money moved.</summary>
    Succeeded = 2,
    /// <summary>Refused by the issuer or bank; nothing charged.</summary>
    Declined = 3,
    /// <summary>The request failed; nothing charged.</summary>
    Failed = 4,
    /// <summary>A bank debit that succeeded at first and was returned later.</summary>
    Returned = 5,
    /// <summary>Voided or refunded in full.</summary>
    Reversed = 6,
    /// <summary>
    /// Waits for the payer to authenticate in the browser (3-D Secure). Nothing has moved yet; the gateway's capture
    /// component finishes it with <see cref="ChargeResult.CustomerAction"/>, then the charge becomes final.
    /// </summary>
    RequiresAction = 7,
}

/// <summary>Charge a stored method once. The idempotency key makes retries safe: same key, same answer, one charge.</summary>
public sealed record ChargeRequest
{
    /// <summary>One key per payment, stored before the first call and reused on every retry.</summary>
    public required string IdempotencyKey { get; init; }
    /// <summary>The stored method's token.</summary>
    public required string MethodToken { get; init; }
    /// <summary>Amount and currency to charge.</summary>
    public required Money Amount { get; init; }
    /// <summary>The customer account paying.</summary>
    public required string AccountId { get; init; }
    /// <summary>The portal's payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Statement or receipt description.</summary>
    public string? Description { get; init; }
    /// <summary>
    /// True when the payer is not present (scheduled payments charged by the background runner): the gateway must not
    /// ask for authentication and answers <see cref="GatewayErrorCode.AuthenticationRequired"/> instead.
    /// </summary>
    public bool OffSession { get; init; }
}

/// <summary>The gateway's answer to a charge or a status lookup.</summary>
public sealed record ChargeResult : GatewayResult
{
    /// <summary>Where the charge stands.</summary>
    public required ChargeStatus Status { get; init; }
    /// <summary>The gateway's reference for follow-up calls; null when the request never reached it.</summary>
    public string? Reference { get; init; }
    /// <summary>True when this answer replays an earlier request with the same idempotency key.</summary>
    public bool Replayed { get; init; }
    /// <summary>
    /// With <see cref="ChargeStatus.RequiresAction"/>: what the gateway's capture component needs to let the payer
    /// authenticate in the browser (for Stripe, the PaymentIntent's client secret). Never card data.
    /// </summary>
    public string? CustomerAction { get; init; }
    /// <summary>
    /// With <see cref="ChargeStatus.Reversed"/>: true when the charge took the money and it was then refunded in full;
    /// false (the default) when it was voided or cancelled before anything moved. The portal records a payment whose
    /// outcome it did not know yet (or that was still settling) as Refunded, not as voided with nothing charged, when set.
    /// </summary>
    public bool Refunded { get; init; }
}

/// <summary>Find a charge by its gateway reference or, when the original call timed out, by its idempotency key.</summary>
/// <param name="IdempotencyKey">The key the charge was sent with.</param>
/// <param name="Reference">The gateway reference, when known.</param>
public sealed record ChargeLookup(string IdempotencyKey, string? Reference = null);

/// <summary>Refund or void a charge.</summary>
/// <param name="Reference">The charge's gateway reference.</param>
/// <param name="IdempotencyKey">One key per refund.</param>
/// <param name="Amount">Partial amount, or null for the whole charge.</param>
public sealed record ReversalRequest(string Reference, string IdempotencyKey, Money? Amount = null);
