using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services;

/// <summary>
/// Removes methods a payer did not save for future payments (<see cref="AddCardRequest.SaveForFuture"/> false) once they
/// have done their job: at the gateway first, then marked deleted here (kept for history and receipts). A method goes
/// when none of its payments is still open (scheduled, charging, unconfirmed, processing, awaiting the payer) and either
/// one of them went through, or it was added more than <see cref="UnusedFor"/> ago (the payer never paid with it, or only
/// failed and may try again meanwhile). Runs with the scheduled-payment runner on every node: a node claims a method
/// before it asks the gateway (<see cref="PaymentMethodRecord.SweepAfter"/>, a conditional update), so the nodes do not
/// ask about the same methods; the claim also holds the method against new payments
/// (<see cref="PaymentMethodRecord.RemovingUntil"/>, as a payer's deletion does), and a claim that outlives its node
/// simply runs out. Each removal is cut off after
/// <see cref="ChargingOptions.GatewayTimeout"/>, and the first one without an answer ends the sweep, so a hanging gateway
/// costs a pass at most one time limit. A method the gateway refused to remove or did not answer about waits
/// <see cref="RetryAfter"/> before it is tried again, so the methods behind it are not held up.
/// </summary>
internal sealed class SingleUseMethodSweeper(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<SingleUseMethodSweeper> logger)
{
    /// <summary>How long an unsaved method that no payment went through with is kept for another try.</summary>
    public static readonly TimeSpan UnusedFor = TimeSpan.FromHours(24);

    /// <summary>How long a method whose removal the gateway refused or did not answer waits before it is tried again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(15);

    /// <summary>The user id recorded in the audit log for a removal.</summary>
    public const string SystemUser = "system:single-use-methods";

    /// <summary>The payments that still need their method (also the ones that hold it against another payment).</summary>
    internal static readonly PaymentStatus[] Open =
        [PaymentStatus.Scheduled, PaymentStatus.Charging, PaymentStatus.Unconfirmed, PaymentStatus.Processing, PaymentStatus.RequiresAction];

    /// <summary>The payments whose money moved: the method has done its one job.</summary>
    internal static readonly PaymentStatus[] WentThrough = [PaymentStatus.Succeeded, PaymentStatus.Refunded, PaymentStatus.Returned];

    /// <summary>Removes up to <paramref name="max"/> spent single-use methods; returns how many were removed.</summary>
    public async Task<int> SweepAsync(int max = 100, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var unusedBefore = now - UnusedFor;
        List<(Guid Id, string AccountId, string Token)> spent;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            spent = [.. (await db.PaymentMethods.AsNoTracking()
                .Where(m => m.SingleUse && m.DeletedAt == null && (m.SweepAfter == null || m.SweepAfter <= now))
                .Where(m => !db.Payments.Any(p => p.PaymentMethodId == m.Id && Open.Contains(p.Status)))
                .Where(m => m.CreatedAt < unusedBefore || db.Payments.Any(p => p.PaymentMethodId == m.Id && WentThrough.Contains(p.Status)))
                .OrderBy(m => m.CreatedAt)
                .Take(max)
                .Select(m => new { m.Id, m.AccountId, m.Token })
                .ToListAsync(cancellationToken)).Select(m => (m.Id, m.AccountId, m.Token))];
        }
        if (spent.Count == 0)
        {
            return 0;
        }

        await using var scope = services.CreateAsyncScope();
        var gateway = scope.ServiceProvider.GetRequiredService<IPaymentGateway>();
        var timeout = options.Value.Charging.GatewayTimeout;
        var removed = 0;
        foreach (var (id, accountId, token) in spent)
        {
            // This node's while it asks the gateway (the ask is cut off well within the claim); another node's claim, or a
            // removal done meanwhile, leaves it to that node.
            var claim = PaymentMethodService.RemovalHoldEnd(clock.GetUtcNow().UtcDateTime, timeout);
            if (!await SetSweepAfterAsync(id, claimed: false, claim, cancellationToken))
            {
                continue;
            }
            GatewayOperationResult result;
            try
            {
                result = await TimeLimit.RunAsync(c => gateway.RemoveMethodAsync(token, c), timeout, clock,
                    "The gateway's removal of a payment method got no answer", "Charging:GatewayTimeout", cancellationToken);
            }
            catch (TimeoutException ex)
            {
                // A gateway that does not answer one removal is not asked about the others now: the sweep ends here, so
                // the runner pass it belongs to (autopay, scheduled charges, the reconciler) goes on within the limit. This
                // method waits, so the next pass starts with the ones behind it.
                logger.LogWarning(ex, "The gateway did not answer the removal of unsaved payment method {MethodId}; the sweep stops, and this method is tried again in {RetryAfter}",
                    id, RetryAfter);
                await SetSweepAfterAsync(id, claimed: true, clock.GetUtcNow().UtcDateTime + RetryAfter, CancellationToken.None);
                break;
            }
            if (result.ErrorCode == GatewayErrorCode.Unsupported)
            {
                // Asking again would never help: the portal lets it go, and says the gateway keeps the token.
                logger.LogWarning("Unsaved payment method {MethodId} is deleted in the portal, but gateway {Gateway} cannot remove stored methods: its token stays there",
                    id, gateway.Key);
            }
            else if (!result.Succeeded && result.ErrorCode != GatewayErrorCode.NotFound)
            {
                logger.LogWarning("The gateway did not remove unsaved payment method {MethodId} ({Error}); tried again in {RetryAfter}", id, result.ErrorCode, RetryAfter);
                await SetSweepAfterAsync(id, claimed: true, clock.GetUtcNow().UtcDateTime + RetryAfter, cancellationToken);
                if (!Payments.PaymentLifecycle.IsUnknownOutcome(result.ErrorCode))
                {
                    // Refused: the method is still there, so payments may use it again now (as after a payer's refused deletion).
                    await PaymentMethodService.LetGoAsync(dbFactory, id, claim);
                }
                continue;
            }
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            // No payment could take it since the claim (it was held), and none was open when the claim was taken.
            var marked = await db.PaymentMethods
                .Where(m => m.Id == id && m.DeletedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.DeletedAt, now).SetProperty(m => m.UpdatedAt, now)
                    .SetProperty(m => m.RemovingUntil, (DateTime?)null), cancellationToken);
            if (marked == 1)
            {
                AuditLog.Add(db, accountId, SystemUser, "payment-method.removed-unsaved", id.ToString(), now);
                await db.SaveChangesAsync(cancellationToken);
                removed++;
                logger.LogInformation("Unsaved payment method {MethodId} of {AccountId} removed after use", id, accountId);
            }
            await tx.CommitAsync(cancellationToken);
        }
        return removed;
    }

    // Claims the method (claimed false: only when nobody's claim or wait is running, so one node asks about it) or, as its
    // claimant, sets when it is tried again. False when the method is claimed by another node, gone, or used by an open
    // payment. The claim also holds the method against new payments (RemovingUntil, as a payer's deletion does): first the
    // claim (on PostgreSQL it waits for a payment being stored with the method at this moment), then the check for open
    // payments, which then sees that payment. A wait after no answer, or an answer that does not say, leaves the hold to
    // run out; a refusal lets it go.
    private async Task<bool> SetSweepAfterAsync(Guid id, bool claimed, DateTime after, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = db.PaymentMethods.Where(m => m.Id == id && m.DeletedAt == null);
        if (claimed)
        {
            return await rows.ExecuteUpdateAsync(s => s.SetProperty(m => m.SweepAfter, after), cancellationToken) == 1;
        }
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var taken = await rows.Where(m => m.SweepAfter == null || m.SweepAfter <= now)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SweepAfter, after).SetProperty(m => m.RemovingUntil, after), cancellationToken);
        // Still unused by an open payment: one started since the sweep's query keeps it.
        if (taken != 1 || await db.Payments.AnyAsync(p => p.PaymentMethodId == id && Open.Contains(p.Status), cancellationToken))
        {
            return false;   // rolled back with the transaction
        }
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }
}
