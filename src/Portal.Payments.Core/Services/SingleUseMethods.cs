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
/// failed and may try again meanwhile). Runs with the scheduled-payment runner on every node; two nodes removing the same
/// method is harmless (the gateway answers "not found" to the second, the database marks it once). Each removal is cut
/// off after <see cref="ChargingOptions.GatewayTimeout"/>, and the first one without an answer ends the sweep, so a
/// hanging gateway costs a pass at most one time limit.
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

    /// <summary>The user id recorded in the audit log for a removal.</summary>
    public const string SystemUser = "system:single-use-methods";

    private static readonly PaymentStatus[] Open =
        [PaymentStatus.Scheduled, PaymentStatus.Charging, PaymentStatus.Unconfirmed, PaymentStatus.Processing, PaymentStatus.RequiresAction];

    private static readonly PaymentStatus[] WentThrough = [PaymentStatus.Succeeded, PaymentStatus.Refunded, PaymentStatus.Returned];

    /// <summary>Removes up to <paramref name="max"/> spent single-use methods; returns how many were removed.</summary>
    public async Task<int> SweepAsync(int max = 100, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var unusedBefore = now - UnusedFor;
        List<(Guid Id, string AccountId, string Token)> spent;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            spent = [.. (await db.PaymentMethods.AsNoTracking()
                .Where(m => m.SingleUse && m.DeletedAt == null)
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
            GatewayOperationResult result;
            try
            {
                result = await TimeLimit.RunAsync(c => gateway.RemoveMethodAsync(token, c), timeout, clock,
                    "The gateway's removal of a payment method got no answer", "Charging:GatewayTimeout", cancellationToken);
            }
            catch (TimeoutException ex)
            {
                // A gateway that does not answer one removal is not asked about the others now: the sweep ends here, so
                // the runner pass it belongs to (autopay, scheduled charges, the reconciler) goes on within the limit.
                logger.LogWarning(ex, "The gateway did not answer the removal of unsaved payment method {MethodId}; the sweep stops and is tried again on the next run", id);
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
                logger.LogWarning("The gateway did not remove unsaved payment method {MethodId} ({Error}); tried again on the next run", id, result.ErrorCode);
                continue;
            }
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            // Still unused by an open payment at this instant: a payment started since the query keeps it (and fails
            // at the gateway only if the removal above won the race, which the payer sees as a declined method).
            var marked = await db.PaymentMethods
                .Where(m => m.Id == id && m.DeletedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.DeletedAt, now).SetProperty(m => m.UpdatedAt, now), cancellationToken);
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
}
