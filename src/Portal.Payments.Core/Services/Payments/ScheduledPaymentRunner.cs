using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// Charges due scheduled payments and follows up on unfinished charges, safely on every node at once.
/// <list type="bullet">
/// <item>A due payment (Scheduled, date reached) is claimed with a conditional update that makes it Processing
/// under this node's lease: one node wins each row. It is re-checked (method still there, invoices still open and
/// unchanged), then charged through <see cref="PaymentCharger"/> under the payment's own idempotency key.</item>
/// <item>A claim whose lease expired before any outcome was recorded (the node died) is claimed again and charged
/// with the <b>same</b> key, so the gateway replays a charge it already made.</item>
/// <item>The reconciler asks the gateway about Processing payments whose status check is due (bank rails,
/// unanswered charges) and records Succeeded, Failed or Returned; it never charges.</item>
/// </list>
/// </summary>
public sealed class ScheduledPaymentRunner(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ScheduledPaymentRunner> logger)
{
    /// <summary>The user id recorded for charges made by the runner.</summary>
    public const string SystemUser = "system:scheduled-payments";

    /// <summary>Charges every due payment (batch after batch); returns how many this node ran to an outcome.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var ran = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (claimed, anyDue) = await ClaimDueAsync(cancellationToken);
            if (!anyDue)
            {
                break;
            }
            await using var scope = services.CreateAsyncScope();
            var charger = scope.ServiceProvider.GetRequiredService<PaymentCharger>();
            foreach (var (id, retry) in claimed)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // Stopping: the rest of the batch stays claimed until its lease expires, then another node takes it.
                    return ran;
                }
                try
                {
                    await RunOneAsync(charger, id, retry, cancellationToken);
                    ran++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Scheduled payment {PaymentId} could not be run; it is retried when its lease expires", id);
                }
            }
        }
        return ran;
    }

    /// <summary>Looks up every Processing payment whose status check is due and records what the gateway says; returns how many reached a final status.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var settled = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (claimed, anyDue) = await ClaimChecksAsync(cancellationToken);
            if (!anyDue || claimed.Count == 0)
            {
                break;
            }
            await using var scope = services.CreateAsyncScope();
            var gateway = scope.ServiceProvider.GetRequiredService<IPaymentGateway>();
            var charger = scope.ServiceProvider.GetRequiredService<PaymentCharger>();
            foreach (var id in claimed)
            {
                try
                {
                    settled += await CheckOneAsync(gateway, charger, id, cancellationToken) ? 1 : 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Status check of payment {PaymentId} failed; it is retried when its lease expires", id);
                }
            }
        }
        return settled;
    }

    /// <summary>Claims up to a batch of due payments: expired claims first (retried with the same key), then new ones.</summary>
    private async Task<(List<(Guid Id, bool Retry)> Claimed, bool AnyDue)> ClaimDueAsync(CancellationToken ct)
    {
        var o = options.Value;
        var node = o.NodeName;
        var now = Now;
        var today = DateOnly.FromDateTime(now);
        var until = now + o.Scheduling.LeaseDuration;
        var batch = o.Scheduling.RunnerBatchSize;
        await using var db = await dbFactory.CreateDbContextAsync(ct);

        var stale = await db.Payments
            .Where(p => p.Status == PaymentStatus.Processing && p.CompletedAt == null && p.NextCheckAt == null
                        && p.LeaseExpiresAt != null && p.LeaseExpiresAt < now)
            .Select(p => p.Id).Take(batch).ToListAsync(ct);
        var retried = stale.Count == 0 ? [] : await ClaimAsync(db, stale, p =>
            p.Status == PaymentStatus.Processing && p.CompletedAt == null && p.NextCheckAt == null && p.LeaseExpiresAt != null && p.LeaseExpiresAt < now,
            node, until, ct);

        var fresh = await db.Payments
            .Where(p => p.Status == PaymentStatus.Scheduled && p.ScheduledFor <= today)
            .OrderBy(p => p.ScheduledFor)
            .Select(p => p.Id).Take(Math.Max(batch - stale.Count, 0)).ToListAsync(ct);
        var started = fresh.Count == 0 ? [] : await ClaimAsync(db, fresh, p => p.Status == PaymentStatus.Scheduled && p.ScheduledFor <= today, node, until, ct);

        var claimed = retried.Select(id => (id, true)).Concat(started.Select(id => (id, false))).ToList();
        return (claimed, stale.Count + fresh.Count > 0);
    }

    /// <summary>One conditional update takes the candidates still free; the rows now under this node's lease are ours.</summary>
    private static async Task<List<Guid>> ClaimAsync(PaymentsDbContext db, List<Guid> candidates, System.Linq.Expressions.Expression<Func<PaymentRecord, bool>> free,
        string node, DateTime until, CancellationToken ct)
    {
        await db.Payments.Where(p => candidates.Contains(p.Id)).Where(free)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.Status, PaymentStatus.Processing)
                .SetProperty(p => p.LeaseOwner, node)
                .SetProperty(p => p.LeaseExpiresAt, until)
                .SetProperty(p => p.NextCheckAt, (DateTime?)null), ct);
        return await db.Payments
            .Where(p => candidates.Contains(p.Id) && p.LeaseOwner == node
                        && p.Status == PaymentStatus.Processing && p.CompletedAt == null && p.NextCheckAt == null)
            .Select(p => p.Id).ToListAsync(ct);
    }

    private async Task RunOneAsync(PaymentCharger charger, Guid id, bool retry, CancellationToken ct)
    {
        var node = options.Value.NodeName;
        PaymentRecord payment;
        PaymentMethodRecord? method;
        List<InvoiceRecord> invoices;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == id, ct);
            var methodId = payment.PaymentMethodId;
            method = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == methodId && m.AccountId == payment.AccountId, ct);
            var invoiceIds = payment.Allocations.Select(a => a.InvoiceId).ToList();
            invoices = await db.Invoices.AsNoTracking().Where(i => invoiceIds.Contains(i.Id)).ToListAsync(ct);
        }

        // A retry may already have charged under this key: never refuse it now, let the gateway replay.
        var reason = retry ? null : RefusalReason(payment, method, invoices);
        if (reason is not null || method is null)
        {
            await FailAsync(payment, reason ?? MethodRemoved, PaymentStatus.Failed, node, ct);
            return;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.Invoices.Where(i => i.ActivePaymentId == id && i.Status == InvoiceStatus.Scheduled)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.Status, InvoiceStatus.Pending)
                    .SetProperty(i => i.Version, i => i.Version + 1), ct);
        }
        await charger.ChargeAsync(payment, method.Token, new ChargeContext(SystemUser, null) { LeaseOwner = node, EmailFailure = true });
    }

    /// <summary>The message when the method was deleted after the payment was scheduled.</summary>
    public const string MethodRemoved = "The payment method was removed.";

    /// <summary>Why a due payment must not be charged, or null when it may.</summary>
    private string? RefusalReason(PaymentRecord payment, PaymentMethodRecord? method, List<InvoiceRecord> invoices)
    {
        if (method is null || method.DeletedAt is not null)
        {
            return MethodRemoved;
        }
        if (PaymentMethodService.StatusOf(method, Today) == PaymentMethodStatus.Expired)
        {
            return $"{payment.MethodDescription} expired before the payment date.";
        }
        if (!string.Equals(method.GatewayKey, payment.GatewayKey, StringComparison.Ordinal))
        {
            return "The payment method cannot be used with the current payment gateway.";
        }
        var byId = invoices.ToDictionary(i => i.Id);
        var problems = new List<string>();
        foreach (var a in payment.Allocations.OrderBy(a => a.InvoiceNumber, StringComparer.Ordinal))
        {
            if (!byId.TryGetValue(a.InvoiceId, out var inv) || !inv.IsOpen)
            {
                problems.Add($"{a.InvoiceNumber} was paid or settled meanwhile");
            }
            else if (inv.ActivePaymentId != payment.Id)
            {
                problems.Add($"{a.InvoiceNumber} is no longer part of this payment");
            }
            else if (inv.OpenMinor != a.OpenBalanceMinor)
            {
                problems.Add($"{a.InvoiceNumber}'s balance changed from {Money.FromMinorUnits(a.OpenBalanceMinor, payment.Currency)} to {Money.FromMinorUnits(inv.OpenMinor, payment.Currency)}");
            }
        }
        return problems.Count == 0 ? null : $"{string.Join("; ", problems)}. Nothing was charged; select the invoices again.";
    }

    /// <summary>Records Failed or Returned (if this node still holds the payment): invoices reopen, the payer is emailed.</summary>
    private async Task<bool> FailAsync(PaymentRecord payment, string reason, PaymentStatus status, string node, CancellationToken ct)
    {
        var now = Now;
        var id = payment.Id;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await PaymentCharger.TryRecordAsync(db, id, node, status, payment.GatewayReference, reason, completedAt: now, nextCheckAt: null, chargeAttempts: 0, ct))
        {
            await tx.RollbackAsync(CancellationToken.None);
            return false;
        }
        await PaymentCharger.ReleaseItemsAsync(db, payment.AccountId, id, ct);
        if (status == PaymentStatus.Returned && payment.GatewayReference is not null)
        {
            // The charge was answered, so its ERP posting went out with it: the ERP must undo it, or the returned
            // money would still settle the invoices there (and the next sync would close them here again).
            OutboxWriter.EnqueueReversal(db, new ErpPaymentReversal
            {
                PaymentId = id,
                AccountId = payment.AccountId,
                ReceiptNumber = payment.ReceiptNumber,
                Amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency),
                ReturnedAt = new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc)),
                Reason = reason,
            }, now);
        }
        OutboxWriter.EnqueueEmail(db, PaymentEmails.Failed(payment, status, reason, null, options.Value.Notifications.PortalBaseUrl), now);
        AuditLog.Add(db, payment.AccountId, SystemUser, $"payment.{status.ToString().ToLowerInvariant()}", payment.Id.ToString(), now, new { payment.ReceiptNumber, FailureReason = reason });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}): {Status}: {Reason}", id, payment.ReceiptNumber, status, reason);
        return true;
    }

    private async Task<(List<Guid> Claimed, bool AnyDue)> ClaimChecksAsync(CancellationToken ct)
    {
        var o = options.Value;
        var node = o.NodeName;
        var now = Now;
        var until = now + o.Scheduling.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Payments
            .Where(p => p.Status == PaymentStatus.Processing && p.CompletedAt == null && p.NextCheckAt != null && p.NextCheckAt <= now
                        && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))
            .OrderBy(p => p.NextCheckAt)
            .Select(p => p.Id).Take(o.Scheduling.RunnerBatchSize).ToListAsync(ct);
        if (due.Count == 0)
        {
            return ([], false);
        }
        await db.Payments
            .Where(p => due.Contains(p.Id) && p.Status == PaymentStatus.Processing && p.CompletedAt == null && p.NextCheckAt != null
                        && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.LeaseOwner, node).SetProperty(p => p.LeaseExpiresAt, until), ct);
        var claimed = await db.Payments
            .Where(p => due.Contains(p.Id) && p.LeaseOwner == node && p.Status == PaymentStatus.Processing && p.CompletedAt == null)
            .Select(p => p.Id).ToListAsync(ct);
        return (claimed, true);
    }

    /// <summary>Asks the gateway about one Processing payment (by its key and reference) and records the answer; true when final.</summary>
    private async Task<bool> CheckOneAsync(IPaymentGateway gateway, PaymentCharger charger, Guid id, CancellationToken ct)
    {
        var node = options.Value.NodeName;
        PaymentRecord payment;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == id, ct);
        }
        var result = await gateway.GetChargeStatusAsync(new ChargeLookup(payment.IdempotencyKey, payment.GatewayReference), ct);
        switch (result.Status)
        {
            case ChargeStatus.Succeeded:
                return await SucceedAsync(charger, payment, result.Reference, node, ct);
            case ChargeStatus.Returned:
                return await FailAsync(payment, result.Message ?? "The bank returned the payment.", PaymentStatus.Returned, node, ct);
            case ChargeStatus.Declined:
            case ChargeStatus.Failed when result.ErrorCode is not (GatewayErrorCode.Timeout or GatewayErrorCode.Unavailable):
                var reason = result.ErrorCode == GatewayErrorCode.NotFound
                    ? "The payment gateway has no record of this charge; nothing was charged."
                    : result.Message ?? "The payment was declined.";
                return await FailAsync(payment, reason, PaymentStatus.Failed, node, ct);
            default:
                await LaterAsync(id, node, ct);
                return false;
        }
    }

    /// <summary>Succeeded: an unanswered charge gets its ERP posting and confirmation now; a settled bank payment its "received" email.</summary>
    private async Task<bool> SucceedAsync(PaymentCharger charger, PaymentRecord payment, string? reference, string node, CancellationToken ct)
    {
        var now = Now;
        var id = payment.Id;
        var known = reference ?? payment.GatewayReference;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await PaymentCharger.TryRecordAsync(db, id, node, PaymentStatus.Succeeded, known, reason: null, completedAt: now, nextCheckAt: null, chargeAttempts: 0, ct))
        {
            await tx.RollbackAsync(CancellationToken.None);
            return false;
        }
        var context = new ChargeContext(SystemUser, null);
        if (payment.GatewayReference is null)
        {
            charger.EnqueueFollowUps(db, payment, PaymentStatus.Succeeded, known, context, now);
        }
        else
        {
            OutboxWriter.EnqueueEmail(db, PaymentEmails.Confirmation(payment, PaymentStatus.Succeeded, null, options.Value.Notifications.PortalBaseUrl), now);
        }
        AuditLog.Add(db, payment.AccountId, SystemUser, "payment.succeeded", payment.Id.ToString(), now, new { payment.ReceiptNumber, GatewayReference = known });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task LaterAsync(Guid id, string node, CancellationToken ct)
    {
        var next = Now + PaymentCharger.StatusCheckDelay;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Payments.Where(p => p.Id == id && p.LeaseOwner == node)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.NextCheckAt, next)
                .SetProperty(p => p.LeaseOwner, (string?)null)
                .SetProperty(p => p.LeaseExpiresAt, (DateTime?)null), ct);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
}

/// <summary>Runs <see cref="ScheduledPaymentRunner"/> on every node at <see cref="SchedulingOptions.RunnerInterval"/>.</summary>
internal sealed class ScheduledPaymentBackgroundService(
    ScheduledPaymentRunner runner,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ScheduledPaymentBackgroundService> logger) : PeriodicBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.Scheduling.RunnerInterval;

    protected override string WorkName => "Scheduled payment run";

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await runner.RunDueAsync(cancellationToken);
        await runner.ReconcileAsync(cancellationToken);
    }
}
