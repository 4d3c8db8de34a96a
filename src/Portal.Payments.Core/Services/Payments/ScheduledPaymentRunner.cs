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
/// Charges due scheduled payments, safely on every node at once. A due payment (Scheduled, date reached) is claimed
/// through <see cref="PaymentLifecycle"/> with a conditional update that makes it Charging under this node's lease: one
/// node wins each row. It is re-checked (method still there, invoices still open and unchanged), then charged through
/// <see cref="PaymentCharger"/> under the payment's own idempotency key, off-session. A node that dies or pauses leaves
/// its claims to <see cref="PaymentReconciler"/> on any node once the leases expire.
/// </summary>
internal sealed class ScheduledPaymentRunner(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    PaymentLifecycle lifecycle,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ScheduledPaymentRunner> logger)
{
    /// <summary>The user id recorded for charges made by the runner.</summary>
    public const string SystemUser = "system:scheduled-payments";

    /// <summary>The message when the method was deleted after the payment was scheduled.</summary>
    public const string MethodRemoved = "The payment method was removed.";

    /// <summary>
    /// Charges every due payment, up to <see cref="SchedulingOptions.MaxConcurrentCharges"/> at once: it claims only as
    /// many as have a free slot (so no lease runs out on a payment still waiting its turn), and each runs in its own DI
    /// scope. Returns how many this node ran to a recorded outcome. Cancelling stops new claims; charges already sent
    /// finish and are recorded.
    /// </summary>
    public Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var s = options.Value.Scheduling;
        return ClaimedWork.RunAsync(async max =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await lifecycle.ClaimDueScheduledAsync(db, Math.Min(max, s.RunnerBatchSize), cancellationToken);
        }, RunInScopeAsync, s.MaxConcurrentCharges, cancellationToken);
    }

    private async Task<bool> RunInScopeAsync(Guid id)
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            return await RunOneAsync(scope.ServiceProvider.GetRequiredService<PaymentCharger>(), id);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Scheduled payment {PaymentId} could not be run; the reconciler takes it over when its lease expires", id);
            return false;
        }
    }

    /// <summary>Re-checks and charges one payment this node claimed; true when an outcome was recorded by this node.</summary>
    private async Task<bool> RunOneAsync(PaymentCharger charger, Guid id)
    {
        var ct = CancellationToken.None;
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

        if (payment.ScheduledFor is { } date)
        {
            var due = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            PortalPaymentsTelemetry.RunnerLag.Record(Math.Max(0, (clock.GetUtcNow().UtcDateTime - due).TotalSeconds));
        }
        if (RefusalReason(payment, method, invoices) is { } reason)
        {
            // Nothing was sent: the payment fails before any charge, and the payer is told why.
            return await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Charging, PaymentStatus.Failed,
                new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reason = reason, EmailFailure = true }, ct);
        }
        var outcome = await charger.ChargeAsync(payment, method!.Token, new ChargeContext(SystemUser) { EmailFailure = true, OffSession = true });
        return outcome.RecordedHere;
    }

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

    private DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
}

/// <summary>Runs <see cref="ScheduledPaymentRunner"/> and <see cref="PaymentReconciler"/> on every node at <see cref="SchedulingOptions.RunnerInterval"/>.</summary>
internal sealed class ScheduledPaymentBackgroundService(
    ScheduledPaymentRunner runner,
    PaymentReconciler reconciler,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ScheduledPaymentBackgroundService> logger) : PeriodicBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.Scheduling.RunnerInterval;

    protected override string WorkName => "Scheduled payment run";

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await runner.RunDueAsync(cancellationToken);
        await reconciler.ReconcileAsync(cancellationToken);
    }
}
