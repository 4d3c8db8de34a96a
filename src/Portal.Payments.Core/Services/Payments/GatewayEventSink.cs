using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The portal's entry point for events a gateway pushes (webhooks), for any gateway. Each (gateway, event id) is applied
/// once: the event row and the change it causes commit in one transaction, so a redelivery is a duplicate. Charge
/// events become <see cref="PaymentLifecycle"/> transitions from whatever state the payment is in now, when the table
/// allows it; an event older than what the portal already knows (a "processing" after "succeeded") changes nothing, so
/// events may arrive in any order.
/// </summary>
internal sealed class GatewayEventSink(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentLifecycle lifecycle,
    TimeProvider clock,
    IOptions<PortalPaymentsOptions> options,
    ILogger<GatewayEventSink> logger) : IGatewayEventSink
{
    /// <summary>The user id recorded for changes a gateway event made.</summary>
    public const string SystemUser = "system:gateway-events";

    private const int MaxAttempts = 3;

    /// <inheritdoc />
    public async Task<GatewayEventOutcome> ReportAsync(string gatewayKey, GatewayEvent gatewayEvent, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gatewayKey);
        ArgumentNullException.ThrowIfNull(gatewayEvent);
        ArgumentException.ThrowIfNullOrWhiteSpace(gatewayEvent.EventId);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var eventId = gatewayEvent.EventId;
            if (await db.GatewayEvents.AsNoTracking().AnyAsync(e => e.GatewayKey == gatewayKey && e.EventId == eventId, cancellationToken))
            {
                return GatewayEventOutcome.Duplicate;
            }
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            GatewayEventOutcome outcome;
            Guid? paymentId;
            try
            {
                (outcome, paymentId) = gatewayEvent switch
                {
                    ChargeStatusEvent e => await ApplyChargeAsync(db, gatewayKey, e, cancellationToken),
                    ChargeDisputedEvent e => await ApplyDisputeAsync(db, gatewayKey, e, cancellationToken),
                    RefundFailedEvent e => await ApplyRefundFailedAsync(db, gatewayKey, e, cancellationToken),
                    MethodUpdatedEvent e => await ApplyMethodUpdateAsync(db, gatewayKey, e, cancellationToken),
                    MethodDetachedEvent e => await ApplyDetachAsync(db, gatewayKey, e, cancellationToken),
                    _ => (GatewayEventOutcome.Ignored, (Guid?)null),
                };
                db.GatewayEvents.Add(new GatewayEventRecord
                {
                    GatewayKey = gatewayKey,
                    EventId = eventId.Length > 200 ? eventId[..200] : eventId,
                    Type = gatewayEvent.GetType().Name,
                    PaymentId = paymentId,
                    Outcome = outcome,
                    OccurredAt = gatewayEvent.OccurredAt.UtcDateTime,
                    ProcessedAt = clock.GetUtcNow().UtcDateTime,
                });
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // A concurrent delivery of the same event won (the event key is unique), or the payment moved meanwhile (the
                // charge call's own answer, the reconciler, another event): look again, from what is stored now.
                await tx.RollbackAsync(CancellationToken.None);
                continue;
            }
            logger.LogInformation("Gateway event {Gateway} {EventId} ({Type}): {Outcome}{Payment}", gatewayKey, eventId, gatewayEvent.GetType().Name, outcome,
                paymentId is null ? "" : $" for payment {paymentId}");
            return outcome;
        }
    }

    private async Task<(GatewayEventOutcome, Guid?)> ApplyChargeAsync(PaymentsDbContext db, string gatewayKey, ChargeStatusEvent e, CancellationToken ct)
    {
        var payment = await FindPaymentAsync(db, gatewayKey, e.PaymentId, e.IdempotencyKey, e.Reference, ct);
        if (payment is null)
        {
            return (GatewayEventOutcome.Unknown, null);
        }
        var from = payment.Status;
        if (from == PaymentStatus.Failed && payment.FailureCode == PaymentFailureCodes.Voided && e.Status == ChargeStatus.Succeeded)
        {
            // The gateway itself said the charge was reversed (refunded in full, or cancelled): the charge succeeded before
            // that, and its "succeeded" arrives late (events come in any order). Nothing was kept: no conflict.
            logger.LogInformation("Gateway event {Gateway} {EventId}: payment {PaymentId} ({ReceiptNumber}) succeeded at the gateway before it was reversed there; it stays {Status}",
                gatewayKey, e.EventId, payment.Id, payment.ReceiptNumber, from);
            return (GatewayEventOutcome.Ignored, payment.Id);
        }
        if (from is PaymentStatus.Failed or PaymentStatus.Cancelled && e.Status == ChargeStatus.Succeeded)
        {
            // The lifecycle cannot take an ended payment back, and must not: its invoices may be paid again meanwhile. A late
            // "processing" is no conflict: it comes before a failure, and webhooks arrive in any order.
            logger.LogError("Gateway event {Gateway} {EventId}: the gateway says payment {PaymentId} ({ReceiptNumber}, {Amount} {Currency}) of account {AccountId} is {ChargeStatus}, but the portal recorded it {Status} with nothing taken and its invoices open again. Refund the charge at the gateway or record the payment in the ERP",
                gatewayKey, e.EventId, payment.Id, payment.ReceiptNumber, Money.FromMinorUnits(payment.AmountMinor, payment.Currency).Amount, payment.Currency, payment.AccountId, e.Status, from);
            return (GatewayEventOutcome.Conflict, payment.Id);
        }
        if (from == PaymentStatus.Refunded && e.Status == ChargeStatus.Returned)
        {
            // A bank debit returned (or disputed) after the portal refunded it: the money went back twice, which only an
            // operator can settle (as a card dispute lost on a refunded payment). A Conflict, so the health check counts it:
            // the payment stays Refunded and nothing else here says the payer was paid back a second time.
            logger.LogError("Gateway event {Gateway} {EventId}: the bank returned payment {PaymentId} ({ReceiptNumber}, {Amount} {Currency}) of account {AccountId} ({Reason}), which the portal had refunded already: the money went back twice. Check the charge at the gateway and record the return in the ERP",
                gatewayKey, e.EventId, payment.Id, payment.ReceiptNumber, Money.FromMinorUnits(payment.AmountMinor, payment.Currency).Amount, payment.Currency, payment.AccountId, e.Message);
            AuditLog.Add(db, payment.AccountId, SystemUser, "payment.returned-after-refund", payment.Id.ToString(), clock.GetUtcNow().UtcDateTime,
                new { payment.ReceiptNumber, e.Reference, Reason = e.Message });
            return (GatewayEventOutcome.Conflict, payment.Id);
        }
        var to = Target(from, e);
        if (to is not { } target || target == from || !PaymentLifecycle.Allows(from, target))
        {
            return (GatewayEventOutcome.Ignored, payment.Id);
        }
        await MoveAsync(db, payment, from, target, e, ct);
        return (GatewayEventOutcome.Applied, payment.Id);
    }

    /// <summary>
    /// Moves <paramref name="payment"/> from <paramref name="from"/> to <paramref name="target"/> as charge event
    /// <paramref name="e"/> says (its failure reason and code for an ended payment; the payer emailed). No lease check: the
    /// gateway's word is authoritative, and a node still charging records nothing afterwards. A payment that moved
    /// meanwhile throws, so <see cref="ReportAsync"/> looks again.
    /// </summary>
    private async Task MoveAsync(PaymentsDbContext db, PaymentRecord payment, PaymentStatus from, PaymentStatus target, ChargeStatusEvent e, CancellationToken ct)
    {
        var (reason, code) = target is PaymentStatus.Failed or PaymentStatus.Returned or PaymentStatus.Refunded
            ? PaymentFailureCodes.OfAnswer(e.Status, target, e.ErrorCode, e.Message)
            : ((string?)null, (string?)null);
        var change = new PaymentChange(SystemUser) { Reference = e.Reference, Reason = reason, FailureCode = code, EmailFailure = true };
        if (!await lifecycle.TryMoveAsync(db, payment, from, target, change, ct))
        {
            throw new DbUpdateException($"Payment {payment.Id} moved while event {e.EventId} was applied.");
        }
    }

    /// <summary>The state a charge event moves a payment to from <paramref name="from"/>, or null for none.</summary>
    internal static PaymentStatus? Target(PaymentStatus from, ChargeStatusEvent e) => e.Status switch
    {
        ChargeStatus.Succeeded => PaymentStatus.Succeeded,
        ChargeStatus.Processing => from is PaymentStatus.Charging or PaymentStatus.Unconfirmed or PaymentStatus.RequiresAction ? PaymentStatus.Processing : null,
        ChargeStatus.RequiresAction => PaymentStatus.RequiresAction,
        ChargeStatus.Declined or ChargeStatus.Failed when !PaymentLifecycle.IsUnknownOutcome(e.ErrorCode) => PaymentStatus.Failed,
        ChargeStatus.Returned => PaymentLifecycle.ReturnOrFail(from),
        ChargeStatus.Reversed => PaymentLifecycle.RefundOrVoid(from, e.Refunded),
        _ => null,
    };

    private async Task<(GatewayEventOutcome, Guid?)> ApplyDisputeAsync(PaymentsDbContext db, string gatewayKey, ChargeDisputedEvent e, CancellationToken ct)
    {
        var payment = await FindPaymentAsync(db, gatewayKey, null, null, e.Reference, ct);
        if (payment is null)
        {
            return (GatewayEventOutcome.Unknown, null);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var charged = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        var whole = e.Amount.Currency == charged.Currency && e.Amount.Amount >= charged.Amount;
        var action = e.Stage switch
        {
            DisputeStage.Won => "payment.dispute-won",
            DisputeStage.Lost => "payment.dispute-lost",
            _ => "payment.disputed",
        };
        AuditLog.Add(db, payment.AccountId, SystemUser, action, payment.Id.ToString(), now,
            new { payment.ReceiptNumber, Amount = e.Amount.ToString(), e.Reason });
        switch (e.Stage)
        {
            case DisputeStage.Opened:
                // Nothing changes until the dispute is closed: won, the money stays; lost, the payment is returned (below).
                logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}) of account {AccountId} is disputed: {Amount} ({Reason})",
                    payment.Id, payment.ReceiptNumber, payment.AccountId, e.Amount, e.Reason);
                return (GatewayEventOutcome.Applied, payment.Id);
            case DisputeStage.Won:
                logger.LogInformation("The dispute of payment {PaymentId} ({ReceiptNumber}) of account {AccountId} was closed in the merchant's favour: {Amount}",
                    payment.Id, payment.ReceiptNumber, payment.AccountId, e.Amount);
                return (GatewayEventOutcome.Applied, payment.Id);
        }

        var from = payment.Status;
        if (from == PaymentStatus.Refunded)
        {
            // Refunded already, and now the card issuer took the money (all or part) back too: the payer was paid back
            // twice. A Conflict, counted by the health check: only an operator can recover it (or record it in the ERP).
            logger.LogError("The dispute of payment {PaymentId} ({ReceiptNumber}, {Charged}) of account {AccountId} was lost for {Amount} ({Reason}), which the portal had refunded already: the money went back twice. Check the charge at the gateway and record the chargeback in the ERP",
                payment.Id, payment.ReceiptNumber, charged, payment.AccountId, e.Amount, e.Reason);
            return (GatewayEventOutcome.Conflict, payment.Id);
        }
        if (!whole)
        {
            // The portal does not split a payment: part of it taken back is for an operator to record in the ERP.
            logger.LogError("The dispute of payment {PaymentId} ({ReceiptNumber}, {Charged}) of account {AccountId} was lost for {Amount} ({Reason}), part of the charge: the payment stays {Status}. Record the chargeback in the ERP",
                payment.Id, payment.ReceiptNumber, charged, payment.AccountId, e.Amount, e.Reason, from);
            return (GatewayEventOutcome.Applied, payment.Id);
        }
        if (from == PaymentStatus.Returned)
        {
            logger.LogWarning("The dispute of payment {PaymentId} ({ReceiptNumber}) of account {AccountId} was lost for {Amount}; the payment is returned already",
                payment.Id, payment.ReceiptNumber, payment.AccountId, e.Amount);
            return (GatewayEventOutcome.Ignored, payment.Id);
        }
        if (!PaymentLifecycle.Allows(from, PaymentStatus.Returned))
        {
            // Not settled here yet (still being charged), or ended without money (failed, cancelled): the portal cannot
            // record it, so an operator must, and the health check counts it.
            logger.LogError("The dispute of payment {PaymentId} ({ReceiptNumber}, {Charged}) of account {AccountId} was lost for {Amount} ({Reason}) while the portal has it {Status}: the card issuer took the money back. Check the charge at the gateway and record the chargeback in the ERP",
                payment.Id, payment.ReceiptNumber, charged, payment.AccountId, e.Amount, e.Reason, from);
            return (GatewayEventOutcome.Conflict, payment.Id);
        }
        // Lost for the whole charge: a return, as the gateway reports an ACH debit taken back.
        await MoveAsync(db, payment, from, PaymentStatus.Returned, new ChargeStatusEvent(e.EventId, e.OccurredAt)
        {
            Reference = payment.GatewayReference ?? e.Reference,
            Status = ChargeStatus.Returned,
            ErrorCode = GatewayErrorCode.Returned,
            Message = "The card issuer took the payment back after the cardholder disputed it" + (string.IsNullOrWhiteSpace(e.Reason) ? "." : $" ({e.Reason})."),
        }, ct);
        logger.LogWarning("The dispute of payment {PaymentId} ({ReceiptNumber}) of account {AccountId} was lost for {Amount}: the payment is returned and its invoices open again",
            payment.Id, payment.ReceiptNumber, payment.AccountId, e.Amount);
        return (GatewayEventOutcome.Applied, payment.Id);
    }

    /// <summary>
    /// A refund that failed at the gateway: the money is still the merchant's while the portal may have the payment
    /// refunded (final: its invoices open again, the ERP told to reverse it). Nothing can change here, so a person must
    /// refund again or record the payment in the ERP: a conflict, logged as an error and audited.
    /// </summary>
    private async Task<(GatewayEventOutcome, Guid?)> ApplyRefundFailedAsync(PaymentsDbContext db, string gatewayKey, RefundFailedEvent e, CancellationToken ct)
    {
        var payment = await FindPaymentAsync(db, gatewayKey, null, null, e.Reference, ct);
        if (payment is null)
        {
            return (GatewayEventOutcome.Unknown, null);
        }
        var charged = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        logger.LogError("Gateway event {Gateway} {EventId}: refund {Refund} of {Amount} for payment {PaymentId} ({ReceiptNumber}, {Charged}) of account {AccountId} failed ({Reason}): the money did not go back to the payer, while the portal has the payment {Status}{Consequence}. Refund it again at the gateway, or record the payment in the ERP",
            gatewayKey, e.EventId, e.RefundReference, e.Amount?.ToString() ?? "unknown amount", payment.Id, payment.ReceiptNumber, charged, payment.AccountId,
            e.Reason ?? "no reason given", payment.Status,
            payment.Status == PaymentStatus.Refunded ? " (its invoices open again and the ERP told to reverse it)" : "");
        AuditLog.Add(db, payment.AccountId, SystemUser, "payment.refund-failed", payment.Id.ToString(), clock.GetUtcNow().UtcDateTime,
            new { payment.ReceiptNumber, e.Reference, Refund = e.RefundReference, Amount = e.Amount?.ToString(), e.Reason, Status = payment.Status.ToString() });
        return (GatewayEventOutcome.Conflict, payment.Id);
    }

    private async Task<(GatewayEventOutcome, Guid?)> ApplyMethodUpdateAsync(PaymentsDbContext db, string gatewayKey, MethodUpdatedEvent e, CancellationToken ct)
    {
        var token = e.Token;
        var method = await db.PaymentMethods.FirstOrDefaultAsync(m => m.GatewayKey == gatewayKey && m.Token == token && m.DeletedAt == null, ct);
        if (method is null)
        {
            return (GatewayEventOutcome.Unknown, null);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (e.VerificationFailed)
        {
            if (!method.VerificationPending)
            {
                return (GatewayEventOutcome.Ignored, null);
            }
            // It can never pay: removed as a detached method is (authorization revoked), so it is not offered any more.
            await PaymentMethodService.SoftDeleteAsync(db, method, SystemUser, now, gatewayKey, options.Value.Today(clock), ct);
            AuditLog.Add(db, method.AccountId, SystemUser, "payment-method.verification-failed", method.Id.ToString(), now,
                new { method.Last4, Reason = e.VerificationFailure });
            logger.LogWarning("Payment method {MethodId} ({Type} ending {Last4}) of account {AccountId} failed the gateway's verification and was removed: {Reason}",
                method.Id, method.Type, method.Last4, method.AccountId, e.VerificationFailure);
            return (GatewayEventOutcome.Applied, null);
        }
        var verified = e.VerificationPending == false && method.VerificationPending;
        if (verified)
        {
            method.VerificationPending = false;
            AuditLog.Add(db, method.AccountId, SystemUser, "payment-method.verified", method.Id.ToString(), now, new { method.Last4 });
        }
        var changed = false;
        if (e.ExpiryMonth is { } month and >= 1 and <= 12 && e.ExpiryYear is { } year and >= 2000 and <= 2200
            && (method.ExpiryMonth != month || method.ExpiryYear != year))
        {
            method.ExpiryMonth = month;
            method.ExpiryYear = year;
            changed = true;
        }
        if (e.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) && method.Last4 != last4)
        {
            method.Last4 = last4;
            changed = true;
        }
        if (!changed && !verified)
        {
            return (GatewayEventOutcome.Ignored, null);
        }
        method.UpdatedAt = now;
        if (changed)
        {
            AuditLog.Add(db, method.AccountId, SystemUser, "payment-method.updated-by-gateway", method.Id.ToString(), now,
                new { method.ExpiryMonth, method.ExpiryYear, method.Last4 });
        }
        return (GatewayEventOutcome.Applied, null);
    }

    private async Task<(GatewayEventOutcome, Guid?)> ApplyDetachAsync(PaymentsDbContext db, string gatewayKey, MethodDetachedEvent e, CancellationToken ct)
    {
        var token = e.Token;
        var method = await db.PaymentMethods.FirstOrDefaultAsync(m => m.GatewayKey == gatewayKey && m.Token == token && m.DeletedAt == null, ct);
        if (method is null)
        {
            return (GatewayEventOutcome.Unknown, null);
        }
        await PaymentMethodService.SoftDeleteAsync(db, method, SystemUser, clock.GetUtcNow().UtcDateTime, gatewayKey, options.Value.Today(clock), ct);
        return (GatewayEventOutcome.Applied, null);
    }

    private static async Task<PaymentRecord?> FindPaymentAsync(PaymentsDbContext db, string gatewayKey, Guid? paymentId, string? key, string? reference,
        CancellationToken ct)
    {
        var payments = db.Payments.AsNoTracking().Include(p => p.Allocations).Where(p => p.GatewayKey == gatewayKey);
        if (key is not null)
        {
            var byKey = await payments.FirstOrDefaultAsync(p => p.IdempotencyKey == key, ct);
            if (byKey is not null)
            {
                return byKey;
            }
        }
        if (paymentId is { } id)
        {
            var byId = await payments.FirstOrDefaultAsync(p => p.Id == id, ct);
            if (byId is not null)
            {
                return byId;
            }
        }
        return reference is null ? null : await payments.FirstOrDefaultAsync(p => p.GatewayReference == reference, ct);
    }
}
