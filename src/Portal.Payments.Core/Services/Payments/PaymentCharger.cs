using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services.Payments;

/// <summary>Who asked for a charge, for the audit trail and the payer's emails.</summary>
/// <param name="UserId">Acting user id (the payer, or a system id for background work).</param>
internal sealed record ChargeContext(string UserId)
{
    /// <summary>Email the payer when the charge fails (nobody is watching a background charge).</summary>
    public bool EmailFailure { get; init; }

    /// <summary>The payer is not present (scheduled payments): the gateway must not ask for authentication.</summary>
    public bool OffSession { get; init; }
}

/// <summary>
/// Charges a payment the calling node holds the lease of (<see cref="PaymentStatus.Charging"/>), once, under the
/// payment's own idempotency key, and records what the gateway said through <see cref="PaymentLifecycle"/> — for every
/// kind of payment (pay now, deposits, scheduled payments, and the reconciler's retries).
/// <list type="bullet">
/// <item>Right before the call, ownership is re-checked with a conditional update (a node that lost its lease sends nothing).</item>
/// <item>The call is cut off after <see cref="ChargingOptions.GatewayTimeout"/> (shorter than the lease, checked at start),
/// and the lease is renewed while it runs.</item>
/// <item>An unknown answer (no answer, timeout, unavailable, same key in progress) is <see cref="PaymentStatus.Unconfirmed"/>:
/// looked up later by key, never a failure.</item>
/// <item>If recording fails (crash, failover, lock timeout), the payment stays Charging under an expiring lease and the
/// reconciler finishes it; the caller is told the payment may have gone through.</item>
/// </list>
/// </summary>
public sealed class PaymentCharger(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IPaymentGateway gateway,
    PaymentLifecycle lifecycle,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<PaymentCharger> logger)
{
    /// <summary>What the payer is told when the outcome is not known yet.</summary>
    public const string MayHaveGoneThroughMessage =
        "Your payment may have gone through: check Payment history before paying again. We are confirming it with the payment processor.";

    /// <summary>The gateway that charges (its key is stored on the payment).</summary>
    internal string GatewayKey => gateway.Key;

    /// <summary>True when the gateway keeps methods for later charges (<see cref="GatewayCapabilities.StoreMethods"/>).</summary>
    internal bool KeepsMethods => gateway.Capabilities.HasFlag(GatewayCapabilities.StoreMethods);

    /// <summary>
    /// Charges <paramref name="payment"/> (Charging, leased to this node, allocations loaded) with the stored method
    /// <paramref name="methodToken"/> and records the outcome. Never throws for a gateway or recording failure after the
    /// payment was stored: the outcome then says <see cref="PaymentStatus.Unconfirmed"/>.
    /// </summary>
    internal async Task<PaymentOutcome> ChargeAsync(PaymentRecord payment, string methodToken, ChargeContext context)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(context);
        // Once the charge may be sent, finish whatever the caller does (a closed tab must not abandon money in flight).
        var ct = CancellationToken.None;
        var amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        if (!string.Equals(payment.GatewayKey, gateway.Key, StringComparison.Ordinal))
        {
            return await OtherGatewayAsync(payment, context, ct);
        }
        try
        {
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                if (!await lifecycle.BeginChargeAsync(db, payment.Id, ct))
                {
                    logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}): {Node} no longer holds its lease; nothing was sent to the gateway",
                        payment.Id, payment.ReceiptNumber, lifecycle.NodeName);
                    return await CurrentOutcomeAsync(payment, ct);
                }
            }
        }
        catch (Exception ex)
        {
            // Nothing was sent; the lease expires and the reconciler charges it under the same key.
            logger.LogError(ex, "Payment {PaymentId} ({ReceiptNumber}) could not be started; the reconciler takes it over when its lease expires",
                payment.Id, payment.ReceiptNumber);
            return Unconfirmed(payment);
        }

        var result = await CallGatewayAsync(payment, methodToken, context);
        try
        {
            return await RecordAsync(payment, result, context, ct);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Payment {PaymentId} ({ReceiptNumber}) of {Amount}: the gateway answered {Status} {Code} but the outcome could not be recorded; " +
                                "it stays Charging and the reconciler records it when the lease expires", payment.Id, payment.ReceiptNumber, amount,
                result?.Status, result?.ErrorCode);
            return Unconfirmed(payment);
        }
    }

    /// <summary>
    /// A payment stored for another gateway than the one the host runs now (the host switched, e.g. from the sandbox to
    /// Stripe): its method's token means nothing here. Never sent anywhere (no attempt), it fails with nothing charged;
    /// sent before, its charge is at the other gateway, which alone can say how it ended — nothing is sent here, and the
    /// reconciler leaves it unresolved for an operator.
    /// </summary>
    private async Task<PaymentOutcome> OtherGatewayAsync(PaymentRecord payment, ChargeContext context, CancellationToken ct)
    {
        if (payment.Attempts > 0)
        {
            logger.LogError("Payment {PaymentId} ({ReceiptNumber}) was sent to gateway {Gateway}, but the host now runs gateway {Current}: nothing is sent here; it stays unresolved for an operator (health check: stuck payments)",
                payment.Id, payment.ReceiptNumber, payment.GatewayKey, gateway.Key);
            return Unconfirmed(payment);
        }
        logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}) was made with a method of gateway {Gateway}, but the host now runs gateway {Current}: it fails with nothing charged",
            payment.Id, payment.ReceiptNumber, payment.GatewayKey, gateway.Key);
        await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Charging, PaymentStatus.Failed, new PaymentChange(context.UserId)
        {
            LeaseOwner = lifecycle.NodeName, Reason = OtherGatewayMessage, FailureCode = PaymentFailureCodes.MethodUnsupported, EmailFailure = context.EmailFailure,
        }, ct);
        return await CurrentOutcomeAsync(payment, ct);
    }

    /// <summary>Why a payment whose method belongs to a gateway the host no longer runs failed.</summary>
    internal const string OtherGatewayMessage = "The payment method cannot be used with the current payment gateway. Nothing was charged.";

    /// <summary>
    /// The outcome of a payment made earlier with the same key (a second click, or "Check again" after an unknown outcome).
    /// One waiting for the payer's bank confirmation is looked up (the stored payment does not keep the confirmation):
    /// still waiting, it answers with the confirmation to show again; ended by the payer's confirmation meanwhile, that
    /// end is recorded as after the confirmation (its invoices loaded, for the ERP posting and the email); no answer, or
    /// a gateway that cannot look up, changes nothing — a replay never takes the step away from the payer.
    /// </summary>
    internal async Task<PaymentOutcome> ReplayAsync(PaymentRecord earlier, string actor)
    {
        if (earlier.Status != PaymentStatus.RequiresAction || OfAnotherGateway(earlier, "the replay of"))
        {
            return PaymentService.Outcome(earlier, replayed: true);
        }
        var result = await LookUpAsync(earlier, "the replay of");
        if (result is null || PaymentLifecycle.IsUnknownLookup(result.ErrorCode))
        {
            return PaymentService.Outcome(earlier, replayed: true);
        }
        if (result.Status == ChargeStatus.RequiresAction)
        {
            return PaymentService.Outcome(earlier, replayed: true) with { CustomerAction = result.CustomerAction };
        }
        PaymentRecord payment;
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == earlier.Id);
        }
        return await RecordCustomerActionAsync(payment, actor, result);
    }

    /// <summary>
    /// After the payer finished (or gave up) the gateway's customer action (3-D Secure) in the browser: asks the gateway
    /// for the charge — the browser's word is never taken — and records what it says on the RequiresAction payment.
    /// A payment in any other state answers its stored outcome.
    /// </summary>
    internal async Task<PaymentOutcome> ResolveCustomerActionAsync(PaymentRecord payment, string actor)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (payment.Status != PaymentStatus.RequiresAction || OfAnotherGateway(payment, "the customer action of"))
        {
            return PaymentService.Outcome(payment, replayed: true);
        }
        var result = await LookUpAsync(payment, "the customer action of");
        if (result is not null && PaymentLifecycle.IsUnknownLookup(result.ErrorCode) && !PaymentLifecycle.IsUnknownOutcome(result.ErrorCode))
        {
            // "Cannot look up" is not the charge's answer: the payer may well have finished.
            logger.LogError("Payment {PaymentId}: the gateway {Gateway} cannot look up charges ({Message}); the outcome after the customer action stays unknown",
                payment.Id, gateway.Key, result.Message);
            result = null;
        }
        return await RecordCustomerActionAsync(payment, actor, result);
    }

    /// <summary>
    /// True (logged) when the payment waiting for the payer's confirmation was sent to another gateway than the one the host
    /// runs now: its charge is there, and this gateway would answer "not found" for a charge the payer may have confirmed,
    /// so it is not asked, and the payment stays as stored, for an operator (as the reconciler leaves it).
    /// </summary>
    private bool OfAnotherGateway(PaymentRecord payment, string what)
    {
        if (string.Equals(payment.GatewayKey, gateway.Key, StringComparison.Ordinal))
        {
            return false;
        }
        logger.LogError("Payment {PaymentId} ({ReceiptNumber}) waits for the payer's confirmation at gateway {Gateway}, but the host now runs gateway {Current}: {What} it asks nothing and changes nothing; it stays unresolved for an operator",
            payment.Id, payment.ReceiptNumber, payment.GatewayKey, gateway.Key, what);
        return true;
    }

    /// <summary>The gateway's answer about a RequiresAction payment's charge (null: no answer in time), for <paramref name="what"/> in the log.</summary>
    private async Task<ChargeResult?> LookUpAsync(PaymentRecord payment, string what)
    {
        try
        {
            return await TimeLimit.RunAsync(c => gateway.GetChargeStatusAsync(new ChargeLookup(payment.IdempotencyKey, payment.GatewayReference), c),
                options.Value.Charging.GatewayTimeout, clock, "The gateway's status lookup got no answer", "Charging:GatewayTimeout", CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Status lookup for {What} payment {PaymentId} got no answer", what, payment.Id);
            return null;
        }
    }

    // Records the gateway's answer (null: none) on the payment waiting for the payer's confirmation.
    private async Task<PaymentOutcome> RecordCustomerActionAsync(PaymentRecord payment, string actor, ChargeResult? result)
    {
        var ct = CancellationToken.None;
        // A plain decline here is the payer's bank confirmation not given: its own code, so a page in another language says
        // that ("not confirmed with your bank"), not a plain decline; a more specific reason keeps its code.
        var (to, reason, code) = Classify(result, offSession: false);
        if (to == PaymentStatus.RequiresAction)
        {
            // Still waiting for the payer: the same action again.
            return PaymentService.Outcome(payment, replayed: true) with { CustomerAction = result?.CustomerAction };
        }
        var change = new PaymentChange(actor)
        {
            Reference = result?.Reference,
            Reason = reason,
            FailureCode = code == nameof(GatewayErrorCode.Declined) ? PaymentFailureCodes.AuthenticationFailed : code,
        };
        if (!await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.RequiresAction, to, change, ct))
        {
            return await CurrentOutcomeAsync(payment, ct);
        }
        return PaymentService.Outcome(payment, replayed: false) with { RecordedHere = true };
    }

    /// <summary>Records a gateway answer (null: no answer) on a Charging payment this node holds; the outcome as stored afterwards.</summary>
    private async Task<PaymentOutcome> RecordAsync(PaymentRecord payment, ChargeResult? result, ChargeContext context, CancellationToken ct)
    {
        var (to, reason, code) = Classify(result, context.OffSession);
        var change = new PaymentChange(context.UserId)
        {
            LeaseOwner = lifecycle.NodeName,
            Reference = result?.Reference,
            Reason = reason,
            FailureCode = code,
            EmailFailure = context.EmailFailure,
        };
        if (!await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Charging, to, change, ct))
        {
            logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}): {Node} lost its lease or another writer recorded first; the gateway's answer ({Status}) was not recorded by this node",
                payment.Id, payment.ReceiptNumber, lifecycle.NodeName, result?.Status);
            return await CurrentOutcomeAsync(payment, ct);
        }
        return PaymentService.Outcome(payment, replayed: false) with
        {
            CustomerAction = to == PaymentStatus.RequiresAction ? result?.CustomerAction : null,
            RecordedHere = true,
        };
    }

    /// <summary>The state a gateway answer leads to, with the reason for a failure and its code (<see cref="PaymentFailureCodes"/>).</summary>
    internal static (PaymentStatus To, string? Reason, string? Code) Classify(ChargeResult? result, bool offSession)
    {
        if (result is null || PaymentLifecycle.IsUnknownOutcome(result.ErrorCode))
        {
            return (PaymentStatus.Unconfirmed, null, null);
        }
        return result.Status switch
        {
            ChargeStatus.Succeeded => (PaymentStatus.Succeeded, null, null),
            ChargeStatus.Processing when result.ErrorCode == GatewayErrorCode.None => (PaymentStatus.Processing, null, null),
            ChargeStatus.RequiresAction when offSession => (PaymentStatus.Failed, AuthenticationNeededMessage, PaymentFailureCodes.AuthenticationRequired),
            ChargeStatus.RequiresAction => (PaymentStatus.RequiresAction, null, null),
            ChargeStatus.Declined or ChargeStatus.Failed when result.ErrorCode == GatewayErrorCode.AuthenticationRequired =>
                (PaymentStatus.Failed, AuthenticationNeededMessage, PaymentFailureCodes.AuthenticationRequired),
            // A debit the bank refused at once (Stripe answers an ACH debit so): nothing was collected, as the reconciler
            // reads "returned" before the money moved; the payer is told now, not "may have gone through".
            ChargeStatus.Declined or ChargeStatus.Failed or ChargeStatus.Returned =>
                Failed(PaymentFailureCodes.OfAnswer(result.Status, PaymentStatus.Failed, result.ErrorCode, result.Message)),
            _ => (PaymentStatus.Unconfirmed, null, null),
        };

        static (PaymentStatus, string?, string?) Failed((string Reason, string? Code) why) => (PaymentStatus.Failed, why.Reason, why.Code);
    }

    /// <summary>The reason given when a background charge needs the payer to authenticate.</summary>
    public const string AuthenticationNeededMessage =
        "Your bank asked you to confirm this payment, which cannot be done while you are away. Nothing was charged; pay the invoices now while signed in.";

    /// <summary>Sends the charge with a time limit, renewing the lease while it runs; null when no answer came.</summary>
    private async Task<ChargeResult?> CallGatewayAsync(PaymentRecord payment, string methodToken, ChargeContext context)
    {
        var c = options.Value.Charging;
        using var activity = PortalPaymentsTelemetry.Source.StartActivity("payment.charge");
        activity?.SetTag("portal.payment_id", payment.Id);
        activity?.SetTag("portal.receipt_number", payment.ReceiptNumber);
        activity?.SetTag("portal.gateway", gateway.Key);
        activity?.SetTag("portal.off_session", context.OffSession);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string outcome = "no_answer";
        using var timeout = new CancellationTokenSource(c.GatewayTimeout, clock);
        using var renewing = new CancellationTokenSource();
        var renewal = RenewWhileChargingAsync(payment.Id, c.LeaseDuration / 3, renewing.Token);
        try
        {
            var call = gateway.ChargeAsync(new ChargeRequest
            {
                IdempotencyKey = payment.IdempotencyKey,
                MethodToken = methodToken,
                Amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency),
                AccountId = payment.AccountId,
                PaymentId = payment.Id,
                Description = $"Payment {payment.ReceiptNumber}",
                OffSession = context.OffSession,
            }, timeout.Token);
            // An adapter that ignores the token is not waited for past the limit either.
            var result = await call.WaitAsync(timeout.Token);
            outcome = result.ErrorCode == GatewayErrorCode.None ? result.Status.ToString() : result.ErrorCode.ToString();
            return result;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Charge for payment {PaymentId} ({ReceiptNumber}) got no answer{Timeout}; it is looked up by its idempotency key later",
                payment.Id, payment.ReceiptNumber, timeout.IsCancellationRequested ? $" within {c.GatewayTimeout}" : "");
            return null;
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal;
            activity?.SetTag("portal.outcome", outcome);
            PortalPaymentsTelemetry.ChargeDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private async Task RenewWhileChargingAsync(Guid paymentId, TimeSpan every, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, clock, stop);
                await using var db = await dbFactory.CreateDbContextAsync(stop);
                if (!await lifecycle.RenewLeaseAsync(db, paymentId, stop))
                {
                    logger.LogWarning("Payment {PaymentId}: the lease was lost while the gateway call ran; its answer will not be recorded by this node", paymentId);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The call ended.
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Payment {PaymentId}: renewing the lease failed", paymentId);
        }
    }

    private async Task<PaymentOutcome> CurrentOutcomeAsync(PaymentRecord payment, CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var id = payment.Id;
            var stored = await db.Payments.AsNoTracking().FirstAsync(p => p.Id == id, ct);
            return PaymentService.Outcome(stored, replayed: false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Payment {PaymentId}: its current status could not be read", payment.Id);
            return Unconfirmed(payment);
        }
    }

    private static PaymentOutcome Unconfirmed(PaymentRecord payment) => PaymentService.Outcome(payment, replayed: false) with { Status = PaymentStatus.Unconfirmed };
}
