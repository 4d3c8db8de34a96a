using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// Finishes every payment whose outcome is not recorded yet, whatever its kind (pay now, deposit, scheduled), on any
/// node: a Charging payment whose lease expired (its node died, paused past the lease, or could not record the answer),
/// and an Unconfirmed, Processing (settling) or RequiresAction payment whose check is due. It asks the gateway by the
/// payment's idempotency key and records the answer through <see cref="PaymentLifecycle"/>; when the gateway has no
/// charge under that key it charges with the <b>same</b> key (so a late request from a paused node is answered as a
/// replay, never a second charge). It never records an unknown answer as a failure.
/// </summary>
internal sealed class PaymentReconciler(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    PaymentLifecycle lifecycle,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<PaymentReconciler> logger)
{
    /// <summary>The user id recorded for outcomes the reconciler records.</summary>
    public const string SystemUser = "system:reconciler";

    /// <summary>The reason recorded when a payer did not finish authenticating in time.</summary>
    public const string AuthenticationAbandonedMessage = "The payment was not confirmed with your bank in time. Nothing was charged; pay again when ready.";

    /// <summary>
    /// Reconciles every payment due now, up to <see cref="SchedulingOptions.MaxConcurrentCharges"/> at once; returns how many
    /// reached a final or settled state.
    /// </summary>
    public Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var s = options.Value.Scheduling;
        return ClaimedWork.RunAsync(async max =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await lifecycle.ClaimForReconcileAsync(db, Math.Min(max, s.RunnerBatchSize), cancellationToken);
        }, ReconcileLeasedAsync, s.MaxConcurrentCharges, cancellationToken);
    }

    /// <summary>
    /// Asks the gateway now about Unconfirmed payment <paramref name="id"/> (a payer pressed "Check again") instead of at
    /// its next check, exactly as a reconciler pass would: looked up by its idempotency key, charged with the same key
    /// only when the gateway has no charge under it. False when it was not Unconfirmed, another node is checking it, or
    /// the gateway could not answer (its next check stays scheduled).
    /// </summary>
    public async Task<bool> CheckUnconfirmedNowAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (!await lifecycle.ClaimUnconfirmedNowAsync(db, id, cancellationToken))
            {
                return false;
            }
        }
        return await ReconcileLeasedAsync(id);
    }

    /// <summary>Reconciles a payment this node leased, in a scope of its own; a failure leaves it to the next holder of the lease.</summary>
    private async Task<bool> ReconcileLeasedAsync(Guid id)
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            return await ReconcileOneAsync(scope.ServiceProvider, id);
        }
        catch (Exception ex)
        {
            // Runs without the stop token: a cancellation here is the gateway's timeout, not the host stopping.
            logger.LogWarning(ex, "Reconciling payment {PaymentId} failed; it is tried again when its lease expires", id);
            return false;
        }
    }

    /// <summary>Asks the gateway about one payment this node just leased and records the answer; true when it left the unresolved states.</summary>
    private async Task<bool> ReconcileOneAsync(IServiceProvider sp, Guid id)
    {
        var ct = CancellationToken.None; // money may be in flight: finish what is started
        PaymentRecord payment;
        string? methodToken;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == id, ct);
            var methodId = payment.PaymentMethodId;
            methodToken = await db.PaymentMethods.AsNoTracking().Where(m => m.Id == methodId).Select(m => m.Token).FirstOrDefaultAsync(ct);
        }
        if (payment.LeaseOwner != lifecycle.NodeName)
        {
            return false;
        }

        var gateway = sp.GetRequiredService<IPaymentGateway>();
        if (!string.Equals(payment.GatewayKey, gateway.Key, StringComparison.Ordinal))
        {
            return await OtherGatewayAsync(gateway, payment, ct);
        }
        var lookup = await LookUpAsync(gateway, payment);
        var change = new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reference = lookup?.Reference };
        var from = payment.Status;

        if (lookup?.ErrorCode == GatewayErrorCode.Unsupported && payment.Attempts == 0 && payment.Status is PaymentStatus.Charging or PaymentStatus.Unconfirmed)
        {
            // Never sent (the attempt is counted before the gateway is called): nothing can be at the gateway, so a gateway
            // that cannot look up charges does not leave it for an operator.
            return await NothingAtTheGatewayAsync(sp, payment, methodToken, ct);
        }
        if (lookup is null || PaymentLifecycle.IsUnknownLookup(lookup.ErrorCode))
        {
            if (lookup?.ErrorCode == GatewayErrorCode.Unsupported)
            {
                logger.LogError("Payment {PaymentId} ({ReceiptNumber}) is {Status}, and the gateway {Gateway} cannot look up charges ({Message}): it stays unresolved for an operator (health check: stuck payments)",
                    payment.Id, payment.ReceiptNumber, payment.Status, gateway.Key, lookup.Message);
            }
            return await StillUnknownAsync(payment, ct);
        }
        if (lookup.ErrorCode == GatewayErrorCode.NotFound && lookup.Reference is null)
        {
            return await NothingAtTheGatewayAsync(sp, payment, methodToken, ct);
        }
        switch (lookup.Status)
        {
            case ChargeStatus.Succeeded:
                return await MoveAsync(payment, from, PaymentStatus.Succeeded, change, ct);
            case ChargeStatus.Processing when from == PaymentStatus.Processing:
                return await LaterAsync(payment, ct);
            case ChargeStatus.Processing:
                return await MoveAsync(payment, from, PaymentStatus.Processing, change, ct);
            case ChargeStatus.RequiresAction:
                return await AwaitingPayerAsync(gateway, payment, lookup, change, ct);
            case ChargeStatus.Returned:
                return await EndAsync(payment, from, PaymentLifecycle.ReturnOrFail(from), lookup, change, ct);
            case ChargeStatus.Reversed:
                // Refunded after money moved (the gateway says so), else voided with nothing charged.
                return await EndAsync(payment, from, PaymentLifecycle.RefundOrVoid(from, lookup.Refunded), lookup, change, ct);
            case ChargeStatus.Declined:
            case ChargeStatus.Failed:
                return await EndAsync(payment, from, PaymentStatus.Failed, lookup, change, ct);
            default:
                return await StillUnknownAsync(payment, ct);
        }
    }

    /// <summary>
    /// A payment of another gateway than the one the host runs now (it switched gateways while the payment was open):
    /// the gateway in force knows nothing of its charge, so its "not found" must not be read as "nothing was charged" —
    /// that would charge it here again with a token of the other gateway, or fail it and reopen its invoices while the
    /// other gateway may hold the money. Never sent anywhere, it fails with nothing charged; sent before, it stays
    /// unresolved for an operator (listed among the stuck payments), who finds its charge at the other gateway.
    /// </summary>
    private async Task<bool> OtherGatewayAsync(IPaymentGateway gateway, PaymentRecord payment, CancellationToken ct)
    {
        if (payment.Attempts == 0 && payment.Status is PaymentStatus.Charging or PaymentStatus.Unconfirmed)
        {
            logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}) of gateway {Gateway} was never sent, and the host now runs gateway {Current}: it fails with nothing charged",
                payment.Id, payment.ReceiptNumber, payment.GatewayKey, gateway.Key);
            return await MoveAsync(payment, payment.Status, PaymentStatus.Failed, new PaymentChange(SystemUser)
            {
                LeaseOwner = lifecycle.NodeName, Reason = PaymentCharger.OtherGatewayMessage, FailureCode = PaymentFailureCodes.MethodUnsupported, EmailFailure = true,
            }, ct);
        }
        logger.LogError("Payment {PaymentId} ({ReceiptNumber}) is {Status} at gateway {Gateway}, but the host now runs gateway {Current}, which cannot look it up: it stays unresolved for an operator (health check: stuck payments)",
            payment.Id, payment.ReceiptNumber, payment.Status, payment.GatewayKey, gateway.Key);
        return await StillUnknownAsync(payment, ct);
    }

    private async Task<ChargeResult?> LookUpAsync(IPaymentGateway gateway, PaymentRecord payment)
    {
        var timeout = options.Value.Charging.GatewayTimeout;
        using var activity = PortalPaymentsTelemetry.Source.StartActivity("payment.lookup");
        activity?.SetTag("portal.payment_id", payment.Id);
        activity?.SetTag("portal.status", payment.Status.ToString());
        try
        {
            return await TimeLimit.RunAsync(c => gateway.GetChargeStatusAsync(new ChargeLookup(payment.IdempotencyKey, payment.GatewayReference), c),
                timeout, clock, "The gateway's status lookup got no answer", "Charging:GatewayTimeout", CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Status lookup of payment {PaymentId} ({ReceiptNumber}) got no answer; checked again later", payment.Id, payment.ReceiptNumber);
            return null;
        }
    }

    /// <summary>
    /// The gateway has no charge under the key: for a payment that was being charged (or unconfirmed), charge it now with the
    /// same key — if a paused node's request arrives later, the gateway answers it as a replay of this one.
    /// </summary>
    private async Task<bool> NothingAtTheGatewayAsync(IServiceProvider sp, PaymentRecord payment, string? methodToken, CancellationToken ct)
    {
        if (payment.Status is not (PaymentStatus.Charging or PaymentStatus.Unconfirmed))
        {
            logger.LogError("Payment {PaymentId} ({ReceiptNumber}) is {Status} but the gateway has no charge under its key; left for an operator (health check: stuck payments)",
                payment.Id, payment.ReceiptNumber, payment.Status);
            return await LaterAsync(payment, ct);
        }
        var runnerRechecks = payment.Attempts == 0 && (payment.ScheduledFor is not null || payment.AutopayEnrollmentId is not null);
        if (!runnerRechecks && await InvoiceChangesAsync(sp, payment, ct) is { } changes)
        {
            // Hours may have passed (a gateway outage): the ERP may have settled an invoice by cheque or changed it, and
            // the payer confirmed the old figures.
            if (payment.Attempts == 0)
            {
                // Never sent: nothing can be at the gateway, so the payment ends here and the payer is told.
                logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) was never sent and its invoices changed meanwhile; it fails with nothing charged",
                    payment.Id, payment.ReceiptNumber);
                return await MoveAsync(payment, payment.Status, PaymentStatus.Failed, new PaymentChange(SystemUser)
                {
                    LeaseOwner = lifecycle.NodeName, Reason = changes,
                    FailureCode = PaymentFailureCodes.InvoicesChanged, EmailFailure = true,
                }, ct);
            }
            // Sent before: a paused node's request may still reach the gateway, so it can be neither failed (the money
            // could be taken for a failed payment) nor charged again for invoices that changed. An operator decides
            // (stuck list; POST …/ops/payments/{id}/resolve).
            logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}): the gateway has no charge under its key, but it was sent before and its invoices changed meanwhile ({Changes}); it is not charged again and stays unresolved for an operator",
                payment.Id, payment.ReceiptNumber, changes);
            return await StillUnknownAsync(payment, ct);
        }
        // Unconfirmed, it is taken back to Charging under this node's lease first (the lifecycle's own move: the
        // reconciler's MoveAsync counts only moves to a settled state).
        if (payment.Status == PaymentStatus.Unconfirmed
            && !await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Unconfirmed, PaymentStatus.Charging, new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName }, ct))
        {
            return false;
        }
        if (runnerRechecks)
        {
            // A due payment whose runner stopped after claiming it, before anything was sent (also after a lookup that got
            // no answer): the runner's own re-check (invoices settled or changed meanwhile, a deleted or expired method,
            // autopay's disputed invoices) and the fee of the charge date come first, as if it were due now.
            logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) was claimed but never sent; running it as the scheduled runner does", payment.Id, payment.ReceiptNumber);
            await sp.GetRequiredService<ScheduledPaymentRunner>().RunClaimedAsync(sp.GetRequiredService<PaymentCharger>(), payment.Id);
            return await IsResolvedAsync(payment.Id, ct);
        }
        if (methodToken is null)
        {
            return await MoveAsync(payment, PaymentStatus.Charging, PaymentStatus.Failed,
                new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reason = ScheduledPaymentRunner.MethodRemoved + " Nothing was charged.", FailureCode = PaymentFailureCodes.MethodRemoved, EmailFailure = true }, ct);
        }
        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) never reached the gateway; charging it now with its own idempotency key", payment.Id, payment.ReceiptNumber);
        var charger = sp.GetRequiredService<PaymentCharger>();
        var outcome = await charger.ChargeAsync(payment, methodToken,
            // Nobody is at the screen now: the gateway must not ask for authentication.
            new ChargeContext(SystemUser) { EmailFailure = true, OffSession = true });
        return !PaymentLifecycle.UnresolvedStates.Contains(outcome.Status);
    }

    /// <summary>
    /// What changed in the invoices of <paramref name="payment"/> (allocations loaded) since it was confirmed — settled,
    /// no longer held by it, another balance, and before a first attempt a discount the charge date no longer gives —
    /// as the reason the payer reads (the scheduled runner's check); null when nothing did (or it pays none).
    /// </summary>
    private async Task<string?> InvoiceChangesAsync(IServiceProvider sp, PaymentRecord payment, CancellationToken ct)
    {
        if (payment.Allocations.Count == 0)
        {
            return null;
        }
        var ids = payment.Allocations.Select(a => a.InvoiceId).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var invoices = await db.Invoices.AsNoTracking().Where(i => ids.Contains(i.Id)).ToListAsync(ct);
        return sp.GetRequiredService<ScheduledPaymentRunner>().InvoiceChanges(payment, invoices);
    }

    /// <summary>True when payment <paramref name="id"/> has left the unresolved states.</summary>
    private async Task<bool> IsResolvedAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var status = await db.Payments.AsNoTracking().Where(p => p.Id == id).Select(p => p.Status).FirstAsync(ct);
        return !PaymentLifecycle.UnresolvedStates.Contains(status);
    }

    /// <summary>
    /// The payer still has to authenticate: wait until the time allowed has passed, then cancel the charge and fail the
    /// payment. A charge that cannot be cancelled (a gateway without <see cref="GatewayCapabilities.Void"/>, or a lookup
    /// without the charge's reference) is not failed: the payer could still confirm it and the money would be taken for a
    /// payment recorded as failed, its invoices open to be paid again. It waits, checked again, until the gateway says how
    /// it ended (and is listed among the stuck payments meanwhile).
    /// </summary>
    private async Task<bool> AwaitingPayerAsync(IPaymentGateway gateway, PaymentRecord payment, ChargeResult lookup, PaymentChange change, CancellationToken ct)
    {
        if (payment.Status != PaymentStatus.RequiresAction)
        {
            return await MoveAsync(payment, payment.Status, PaymentStatus.RequiresAction, change, ct);
        }
        var started = payment.StatusChangedAt ?? payment.ChargeStartedAt ?? payment.CreatedAt;
        if (Now < started + options.Value.Charging.CustomerActionTimeout)
        {
            return await LaterAsync(payment, ct);
        }
        var reference = lookup.Reference ?? payment.GatewayReference;
        if (reference is null || !gateway.Capabilities.HasFlag(GatewayCapabilities.Void))
        {
            logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}) still waits for the payer's authentication after {Timeout}; the gateway {Gateway} cannot cancel it ({Why}), so it stays open until the gateway says how it ended",
                payment.Id, payment.ReceiptNumber, options.Value.Charging.CustomerActionTimeout, gateway.Key,
                reference is null ? "no charge reference is known" : "no Void capability");
            return await LaterAsync(payment, ct);
        }
        var voided = await VoidAsync(gateway, payment, reference);
        if (voided is null || voided.Status != ChargeStatus.Reversed)
        {
            // Only a cancelled charge (Reversed) fails the payment now. Any other answer — an error, or a cancel the
            // processor only accepted (Processing) — may still end in the payer's confirmation: the next lookup sees how
            // it ended; never fail a payment that may have succeeded.
            if (voided is not null)
            {
                logger.LogWarning("Payment {PaymentId}: cancelling the abandoned authentication was answered {Status} ({Code}), not cancelled; checked again later", payment.Id, voided.Status, voided.ErrorCode);
            }
            return await LaterAsync(payment, ct);
        }
        return await MoveAsync(payment, PaymentStatus.RequiresAction, PaymentStatus.Failed,
            change with { Reason = AuthenticationAbandonedMessage, FailureCode = PaymentFailureCodes.AuthenticationAbandoned, EmailFailure = true }, ct);
    }

    /// <summary>
    /// Cancels the charge of an abandoned authentication within <see cref="ChargingOptions.GatewayTimeout"/>, like a lookup:
    /// a gateway that hangs must not hold up the reconciler, and with it the whole runner pass. Null when no answer came.
    /// </summary>
    private async Task<ChargeResult?> VoidAsync(IPaymentGateway gateway, PaymentRecord payment, string reference)
    {
        try
        {
            return await TimeLimit.RunAsync(c => gateway.VoidAsync(new ReversalRequest(reference, payment.IdempotencyKey + "-void"), c),
                options.Value.Charging.GatewayTimeout, clock, "Cancelling the charge at the gateway got no answer", "Charging:GatewayTimeout", CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Payment {PaymentId}: cancelling the abandoned authentication got no answer; checked again later", payment.Id);
            return null;
        }
    }

    private async Task<bool> StillUnknownAsync(PaymentRecord payment, CancellationToken ct)
    {
        if (payment.Status == PaymentStatus.Charging)
        {
            await MoveAsync(payment, PaymentStatus.Charging, PaymentStatus.Unconfirmed, new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName }, ct);
            return false;
        }
        return await LaterAsync(payment, ct);
    }

    private async Task<bool> LaterAsync(PaymentRecord payment, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await lifecycle.CheckLaterAsync(db, payment, ct);
        return false;
    }

    // A payment the lookup found declined, failed, returned or reversed: the reason and its code, and the payer is told.
    private Task<bool> EndAsync(PaymentRecord payment, PaymentStatus from, PaymentStatus to, ChargeResult lookup, PaymentChange change, CancellationToken ct)
    {
        var (reason, code) = PaymentFailureCodes.OfAnswer(lookup.Status, to, lookup.ErrorCode, lookup.Message);
        return MoveAsync(payment, from, to, change with { Reason = reason, FailureCode = code, EmailFailure = true }, ct);
    }

    private async Task<bool> MoveAsync(PaymentRecord payment, PaymentStatus from, PaymentStatus to, PaymentChange change, CancellationToken ct)
    {
        if (from == to)
        {
            return await LaterAsync(payment, ct);
        }
        if (!PaymentLifecycle.Allows(from, to))
        {
            logger.LogWarning("Payment {PaymentId} is {From}; the gateway says {To}, which the lifecycle does not allow; checked again later", payment.Id, from, to);
            return await LaterAsync(payment, ct);
        }
        return await lifecycle.MoveAsync(dbFactory, payment, from, to, change, ct) && !PaymentLifecycle.UnresolvedStates.Contains(to);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
