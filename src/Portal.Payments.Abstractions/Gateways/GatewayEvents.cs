namespace Portal.Payments.Gateways;

/// <summary>What a gateway reported about a charge in a pushed event (a webhook).</summary>
/// <param name="EventId">The gateway's unique event id: an event is processed once, however often it is delivered.</param>
/// <param name="OccurredAt">When the gateway says the change happened; events may arrive in any order.</param>
public abstract record GatewayEvent(string EventId, DateTimeOffset OccurredAt);

/// <summary>
/// A charge's status changed at the gateway (succeeded, processing, failed, returned, refunded in full). The portal
/// finds the payment by <see cref="IdempotencyKey"/> or <see cref="Reference"/> (at least one is required) and feeds
/// the status into the payment lifecycle; a status older than what the portal already knows is ignored.
/// </summary>
public sealed record ChargeStatusEvent(string EventId, DateTimeOffset OccurredAt) : GatewayEvent(EventId, OccurredAt)
{
    /// <summary>The idempotency key the charge was made with (for example from the charge's metadata).</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>The gateway's charge reference.</summary>
    public string? Reference { get; init; }
    /// <summary>The portal's payment id, when the gateway echoes it back (metadata).</summary>
    public Guid? PaymentId { get; init; }
    /// <summary>The charge's new status.</summary>
    public required ChargeStatus Status { get; init; }
    /// <summary>The error code for a failed, declined or returned charge.</summary>
    public GatewayErrorCode ErrorCode { get; init; }
    /// <summary>A message fit for the payer (decline or return reason).</summary>
    public string? Message { get; init; }
    /// <summary>
    /// With <see cref="ChargeStatus.Reversed"/>: true when the charge took the money and it was then refunded in full (a
    /// refund), false (the default) when it was voided or cancelled before anything moved. A payment the portal had not
    /// seen succeed yet (its outcome unknown, awaiting the payer, or a debit still settling) is recorded Refunded when set,
    /// voided with nothing charged when not.
    /// </summary>
    public bool Refunded { get; init; }
}

/// <summary>
/// A disputed charge (chargeback) was opened or closed at the gateway. An opened or won dispute is recorded in the audit
/// log and the status is unchanged; a lost dispute of the whole charge ends the payment <c>Returned</c> (the card issuer
/// took the money back): its invoices reopen and the ERP is told to reverse the payment. A lost dispute of part of the
/// charge is recorded and logged as an error for an operator (the portal does not split a payment). Lost on a payment the
/// portal refunded already (the payer paid back twice), or in a state that cannot be returned, it is a
/// <see cref="GatewayEventOutcome.Conflict"/>.
/// </summary>
public sealed record ChargeDisputedEvent(string EventId, DateTimeOffset OccurredAt) : GatewayEvent(EventId, OccurredAt)
{
    /// <summary>The gateway's charge reference.</summary>
    public required string Reference { get; init; }
    /// <summary>Amount disputed.</summary>
    public required Money Amount { get; init; }
    /// <summary>The dispute reason in the gateway's words.</summary>
    public string? Reason { get; init; }
    /// <summary>Where the dispute stands: <see cref="DisputeStage.Opened"/> (the default), won or lost.</summary>
    public DisputeStage Stage { get; init; }
}

/// <summary>
/// A refund of a charge failed (or was cancelled) at the gateway after it had been issued: the money did not go back to
/// the payer and is still the merchant's, while the portal may have recorded the payment refunded (its invoices open
/// again, the ERP told to reverse it). Nothing changes here — a refunded payment cannot be taken back — and the portal
/// reports it as <see cref="GatewayEventOutcome.Conflict"/>: logged as an error naming the payment, recorded in its audit
/// log and counted by the health check, for a person to refund again or record the payment in the ERP.
/// </summary>
public sealed record RefundFailedEvent(string EventId, DateTimeOffset OccurredAt) : GatewayEvent(EventId, OccurredAt)
{
    /// <summary>The gateway's reference of the refunded charge (the one its charge events name).</summary>
    public required string Reference { get; init; }
    /// <summary>The gateway's id of the refund.</summary>
    public string? RefundReference { get; init; }
    /// <summary>The amount that was not refunded, when known.</summary>
    public Money? Amount { get; init; }
    /// <summary>Why the refund failed, in the gateway's words.</summary>
    public string? Reason { get; init; }
}

/// <summary>Where a dispute of a charge stands (<see cref="ChargeDisputedEvent.Stage"/>).</summary>
public enum DisputeStage
{
    /// <summary>The cardholder disputed the charge; the issuer may take the money back. Nothing changes yet.</summary>
    Opened,
    /// <summary>Closed in the merchant's favour (or an inquiry closed without a chargeback): the money stays.</summary>
    Won,
    /// <summary>Closed in the cardholder's favour: the issuer took the disputed amount back for good.</summary>
    Lost,
}

/// <summary>
/// A stored method changed at the gateway: the card network sent a new expiry date or number, or the gateway finished
/// verifying a method stored with <see cref="StoredMethodDetails.VerificationPending"/> (a bank account confirmed by
/// micro-deposits), successfully or not.
/// </summary>
public sealed record MethodUpdatedEvent(string EventId, DateTimeOffset OccurredAt) : GatewayEvent(EventId, OccurredAt)
{
    /// <summary>The stored method's token.</summary>
    public required string Token { get; init; }
    /// <summary>New expiry month, when it changed.</summary>
    public int? ExpiryMonth { get; init; }
    /// <summary>New expiry year, when it changed.</summary>
    public int? ExpiryYear { get; init; }
    /// <summary>New last four digits (a reissued card), when they changed.</summary>
    public string? Last4 { get; init; }
    /// <summary>
    /// <c>false</c> when the gateway finished verifying the method: the portal clears its "verification pending" status and
    /// offers it for payments from then on. Null (the default): the event says nothing about verification. <c>true</c>
    /// changes nothing (a verified method does not go back to pending).
    /// </summary>
    public bool? VerificationPending { get; init; }
    /// <summary>
    /// True when the gateway's verification of a method still pending failed for good (wrong or expired micro-deposit
    /// amounts): the method can never pay. The portal removes it as if detached (its ACH authorization revoked, recorded
    /// in the audit log); the payer adds the account again. Ignored for a method that is not pending verification.
    /// </summary>
    public bool VerificationFailed { get; init; }
    /// <summary>Why the verification failed, in words fit for the payer (kept in the audit log).</summary>
    public string? VerificationFailure { get; init; }
}

/// <summary>A stored method was removed at the gateway: the portal marks it deleted so it is not offered any more.</summary>
public sealed record MethodDetachedEvent(string EventId, DateTimeOffset OccurredAt) : GatewayEvent(EventId, OccurredAt)
{
    /// <summary>The stored method's token.</summary>
    public required string Token { get; init; }
}

/// <summary>What the portal did with an event.</summary>
public enum GatewayEventOutcome
{
    /// <summary>Applied to a payment or method.</summary>
    Applied = 1,
    /// <summary>This event id was processed before; nothing changed.</summary>
    Duplicate = 2,
    /// <summary>Known payment or method, but the event is older than what the portal knows, or changes nothing.</summary>
    Ignored = 3,
    /// <summary>No payment or method of this portal matches (another system's charge on the same gateway account).</summary>
    Unknown = 4,
    /// <summary>
    /// The gateway says money was taken (succeeded) for a payment the portal ended without taking any (failed or
    /// cancelled, its invoices open again), that a refund failed (<see cref="RefundFailedEvent"/>), or that money went back
    /// on a payment the portal cannot record it for (a bank return or a lost dispute of a payment it refunded already: the
    /// payer paid back twice; a dispute lost while the payment is not settled or ended without money): nothing changed;
    /// logged as an error naming the payment and counted by the health check for 7 days. A person refunds the charge or
    /// records it in the ERP.
    /// </summary>
    Conflict = 5,
}

/// <summary>
/// The gateway-neutral entry point for pushed gateway events, implemented by the portal (Core). A webhook handler
/// verifies and parses its gateway's events and hands them here; each event id is processed once.
/// </summary>
public interface IGatewayEventSink
{
    /// <summary>Applies <paramref name="gatewayEvent"/> from gateway <paramref name="gatewayKey"/> (its <see cref="IPaymentGateway.Key"/>).</summary>
    Task<GatewayEventOutcome> ReportAsync(string gatewayKey, GatewayEvent gatewayEvent, CancellationToken cancellationToken = default);
}

/// <summary>An HTTP request to a gateway's webhook endpoint, without ASP.NET types.</summary>
/// <param name="Headers">Request headers (case-insensitive names).</param>
/// <param name="Body">The raw body, exactly as received (signatures are computed over it).</param>
public sealed record GatewayWebhookRequest(IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>The answer to a webhook request.</summary>
/// <param name="StatusCode">HTTP status: 200 when handled (including duplicates and unknown events), 400 for a bad signature or body.</param>
/// <param name="Message">A short text for the gateway's delivery log (never secrets).</param>
public sealed record GatewayWebhookResponse(int StatusCode, string Message);

/// <summary>
/// A gateway that pushes events implements this (registered in DI). The portal maps
/// <c>/portal-payments/gateways/{GatewayKey}/webhook</c> to it: verify the signature, parse the events and report them
/// to <see cref="IGatewayEventSink"/>.
/// </summary>
public interface IGatewayWebhookHandler
{
    /// <summary>The gateway key this handler serves (the URL segment).</summary>
    string GatewayKey { get; }

    /// <summary>Verifies and handles one delivery.</summary>
    Task<GatewayWebhookResponse> HandleAsync(GatewayWebhookRequest request, CancellationToken cancellationToken = default);
}
