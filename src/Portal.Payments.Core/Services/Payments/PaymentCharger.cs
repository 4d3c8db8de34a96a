using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>Who asked for a charge, for the audit trail and the confirmation email.</summary>
/// <param name="UserId">Acting user id (the payer, or "system" for the background runner).</param>
/// <param name="AccountName">Customer account name for the email, when known.</param>
public sealed record ChargeContext(string UserId, string? AccountName)
{
    /// <summary>
    /// The background runner's node: the outcome is recorded only while this node still holds the payment's
    /// lease (a node that lost it to another never records twice), and the lease is released with it.
    /// </summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Email the payer when the charge fails (nobody is watching a background charge).</summary>
    public bool EmailFailure { get; init; }
}

/// <summary>
/// Charges a stored payment once, under the payment's own idempotency key, and records what the gateway said —
/// for every kind of payment (pay now, deposits, scheduled payments run in the background):
/// Succeeded or Processing → status, ERP posting and confirmation email in one transaction; Declined/Failed →
/// Failed with the gateway's reason and the held items released; no answer → left Processing with a status
/// check time (never charged again under another key).
/// </summary>
/// <remarks>
/// The payment must be Processing and not completed when this is called; the outcome is recorded with a
/// conditional update on exactly that, so a concurrent recorder (another node, the reconciler) cannot
/// record twice.
/// </remarks>
public sealed class PaymentCharger(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IPaymentGateway gateway,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<PaymentCharger> logger)
{
    /// <summary>How long after an unanswered charge the reconciler looks it up.</summary>
    public static readonly TimeSpan StatusCheckDelay = TimeSpan.FromMinutes(5);

    /// <summary>The gateway that charges (its key is stored on the payment).</summary>
    public string GatewayKey => gateway.Key;

    /// <summary>
    /// Charges <paramref name="payment"/> (with its <see cref="PaymentRecord.Allocations"/> loaded) using the
    /// stored method token and records the outcome.
    /// </summary>
    public async Task<PaymentOutcome> ChargeAsync(PaymentRecord payment, string methodToken, ChargeContext context)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(context);
        // Once the charge is sent, finish recording whatever the caller does: money may have moved.
        var ct = CancellationToken.None;
        var amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        ChargeResult? result;
        try
        {
            result = await gateway.ChargeAsync(new ChargeRequest
            {
                IdempotencyKey = payment.IdempotencyKey,
                MethodToken = methodToken,
                Amount = amount,
                AccountId = payment.AccountId,
                PaymentId = payment.Id,
                Description = $"Payment {payment.ReceiptNumber}",
            }, ct);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Charge for payment {PaymentId} ({ReceiptNumber}) got no answer; left Processing for the status check", payment.Id, payment.ReceiptNumber);
            result = null;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var unknown = result is null || result.ErrorCode == GatewayErrorCode.Timeout;
        var status = unknown ? PaymentStatus.Processing : result!.Status switch
        {
            ChargeStatus.Succeeded => PaymentStatus.Succeeded,
            ChargeStatus.Processing => PaymentStatus.Processing,
            _ => PaymentStatus.Failed,
        };
        var reason = status == PaymentStatus.Failed ? Truncate(result!.Message ?? "The payment was declined.", 500) : null;
        var reference = result?.Reference;
        DateTime? completed = status is PaymentStatus.Succeeded or PaymentStatus.Failed ? now : null;
        DateTime? nextCheck = status == PaymentStatus.Processing ? now + StatusCheckDelay : null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var paymentId = payment.Id;
        var recorded = await TryRecordAsync(db, paymentId, context.LeaseOwner, status, reference, reason, completed, nextCheck, chargeAttempts: 1, ct);
        if (recorded)
        {
            if (status == PaymentStatus.Failed)
            {
                await ReleaseItemsAsync(db, payment.AccountId, paymentId, ct);
                if (context.EmailFailure)
                {
                    OutboxWriter.EnqueueEmail(db, PaymentEmails.Failed(payment, status, reason!, context.AccountName, options.Value.Notifications.PortalBaseUrl), now);
                }
            }
            else if (!unknown)
            {
                EnqueueFollowUps(db, payment, status, reference, context, now);
            }
            AuditLog.Add(db, payment.AccountId, context.UserId, unknown ? "payment.unanswered" : $"payment.{status.ToString().ToLowerInvariant()}",
                paymentId.ToString(), now, new { payment.ReceiptNumber, GatewayReference = reference, FailureReason = reason });
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);

        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) of {Amount}: {Status}", paymentId, payment.ReceiptNumber, amount, status);
        return new PaymentOutcome
        {
            PaymentId = payment.Id,
            ReceiptNumber = payment.ReceiptNumber,
            Status = status,
            Amount = amount,
            FailureReason = reason,
        };
    }

    /// <summary>
    /// Records <paramref name="status"/> on a payment still Processing and not completed (and, when <paramref name="leaseOwner"/>
    /// is given, still leased by that node) and clears its lease; false when another request or node recorded an outcome first.
    /// </summary>
    internal static async Task<bool> TryRecordAsync(PaymentsDbContext db, Guid paymentId, string? leaseOwner, PaymentStatus status, string? reference,
        string? reason, DateTime? completedAt, DateTime? nextCheckAt, int chargeAttempts, CancellationToken ct)
    {
        var recordable = db.Payments.Where(p => p.Id == paymentId && p.Status == PaymentStatus.Processing && p.CompletedAt == null);
        if (leaseOwner is not null)
        {
            recordable = recordable.Where(p => p.LeaseOwner == leaseOwner);
        }
        var updated = await recordable
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.Status, status)
                .SetProperty(p => p.GatewayReference, reference)
                .SetProperty(p => p.FailureReason, reason)
                .SetProperty(p => p.CompletedAt, completedAt)
                .SetProperty(p => p.NextCheckAt, nextCheckAt)
                .SetProperty(p => p.LeaseOwner, (string?)null)
                .SetProperty(p => p.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(p => p.Attempts, p => p.Attempts + chargeAttempts), ct);
        return updated == 1;
    }

    /// <summary>Items held by a payment that charged nothing become payable again.</summary>
    public static Task<int> ReleaseItemsAsync(PaymentsDbContext db, string accountId, Guid paymentId, CancellationToken ct) =>
        db.Invoices.Where(i => i.AccountId == accountId && i.ActivePaymentId == paymentId && i.Status != InvoiceStatus.Open)
            .ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, InvoiceStatus.Open)
                .SetProperty(i => i.ActivePaymentId, (Guid?)null)
                .SetProperty(i => i.ScheduledFor, (DateOnly?)null)
                .SetProperty(i => i.Version, i => i.Version + 1), ct);

    /// <summary>The ERP posting (payment or deposit) and the confirmation email, committed with the status change.</summary>
    internal void EnqueueFollowUps(PaymentsDbContext db, PaymentRecord payment, PaymentStatus status, string? reference, ChargeContext context, DateTime now)
    {
        var paidAt = new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
        Money M(long minor) => Money.FromMinorUnits(minor, payment.Currency);
        if (payment.Kind == PaymentKind.Deposit)
        {
            OutboxWriter.EnqueueDeposit(db, new ErpDepositPosting
            {
                PaymentId = payment.Id,
                AccountId = payment.AccountId,
                ReceiptNumber = payment.ReceiptNumber,
                Amount = M(payment.AmountMinor),
                PaidAt = paidAt,
                MethodDescription = payment.MethodDescription,
                Memo = payment.Memo,
            }, now);
        }
        else
        {
            OutboxWriter.EnqueuePayment(db, new ErpPaymentPosting
            {
                PaymentId = payment.Id,
                AccountId = payment.AccountId,
                ReceiptNumber = payment.ReceiptNumber,
                Amount = M(payment.AmountMinor),
                PaidAt = paidAt,
                MethodDescription = payment.MethodDescription,
                GatewayReference = reference,
                Allocations = payment.Allocations.OrderBy(a => a.Id).Select(a => new ErpAllocation
                {
                    ItemExternalId = a.InvoiceExternalId,
                    ItemNumber = a.InvoiceNumber,
                    Applied = M(a.AppliedMinor),
                    DiscountTaken = M(a.DiscountMinor),
                    ShortAmount = a.ShortMinor == 0 ? null : M(a.ShortMinor),
                    ShortPayReason = a.ShortReason,
                    Comment = a.Comment,
                }).ToList(),
            }, now);
        }
        OutboxWriter.EnqueueEmail(db, PaymentEmails.Confirmation(payment, status, context.AccountName, options.Value.Notifications.PortalBaseUrl), now);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
