using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Discounts;
using Portal.Payments.Fees;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Services.Autopay;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// Charges due scheduled payments, safely on every node at once. A due payment (Scheduled, date reached) is claimed
/// through <see cref="PaymentLifecycle"/> with a conditional update that makes it Charging under this node's lease: one
/// node wins each row. It is re-checked (method still there, invoices still open and unchanged, each discount still what the
/// discount policy gives on the charge date, the invoices still in the payment's currency), then charged through
/// <see cref="PaymentCharger"/> under the payment's own idempotency key, off-session. A node that dies or pauses leaves
/// its claims to <see cref="PaymentReconciler"/> on any node once the leases expire.
/// </summary>
internal sealed class ScheduledPaymentRunner(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    PaymentLifecycle lifecycle,
    IConvenienceFeePolicy fees,
    IDiscountPolicy discountPolicy,
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
    /// finish and are recorded. Due autopay payments whose enrolment is cancelled are not claimed; they are cancelled first.
    /// </summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var s = options.Value.Scheduling;
        try
        {
            await CancelOfCancelledAutopayAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The claim leaves them anyway: they are cancelled on a later pass.
            logger.LogWarning(ex, "Due autopay payments of cancelled enrolments could not be cancelled; they are not charged and are tried again on the next pass");
        }
        // What each claim loaded for its payments (payment with allocations, method, invoices), taken by the payment's run.
        var loaded = new System.Collections.Concurrent.ConcurrentDictionary<Guid, Claimed>();
        return await ClaimedWork.RunAsync(async max =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var claim = await lifecycle.ClaimDueScheduledAsync(db, Math.Min(max, s.RunnerBatchSize), cancellationToken);
            if (claim.Claimed.Count > 0)
            {
                try
                {
                    foreach (var c in await LoadAsync(db, claim.Claimed, CancellationToken.None))
                    {
                        loaded[c.Payment.Id] = c;
                    }
                }
                catch (Exception ex)
                {
                    // Each run loads its own payment instead (loaded without the stop token: any failure is the database's).
                    logger.LogWarning(ex, "Loading {Count} claimed payments together failed; each is loaded on its own", claim.Claimed.Count);
                }
            }
            return claim;
        }, id => RunInScopeAsync(id, loaded.TryRemove(id, out var c) ? c : null), s.MaxConcurrentCharges, cancellationToken);
    }

    /// <summary>
    /// Cancels due autopay payments whose enrolment is cancelled (the claim never takes them): nothing is charged, their
    /// invoices are released, the reason says why. Cancelling autopay cancels its Scheduled payments, and an expansion
    /// never commits after a cancel, so this finds nothing unless something else left one behind; it is logged.
    /// </summary>
    private async Task CancelOfCancelledAutopayAsync(CancellationToken ct)
    {
        var today = Today;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var left = await db.Payments.AsNoTracking().Include(p => p.Allocations)
            .Where(p => p.Status == PaymentStatus.Scheduled && p.ScheduledFor <= today && p.AutopayEnrollmentId != null
                        && db.AutopayEnrollments.Any(e => e.Id == p.AutopayEnrollmentId && e.CancelledAt != null))
            .OrderBy(p => p.ScheduledFor).ThenBy(p => p.Id).Take(options.Value.Scheduling.RunnerBatchSize).ToListAsync(ct);
        if (left.Count == 0)
        {
            return;
        }
        var enrollmentIds = left.Select(p => p.AutopayEnrollmentId!.Value).Distinct().ToList();
        var cancelledAt = await db.AutopayEnrollments.AsNoTracking().Where(e => enrollmentIds.Contains(e.Id))
            .ToDictionaryAsync(e => e.Id, e => e.CancelledAt!.Value, ct);
        foreach (var payment in left)
        {
            var on = options.Value.DateAt(cancelledAt[payment.AutopayEnrollmentId!.Value]);
            // Quiet: the payer was told when autopay was cancelled (an email for this payment would name no one who cancelled it).
            if (await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                    new PaymentChange(SystemUser) { Reason = $"Autopay was cancelled on {on:yyyy-MM-dd}; this payment was not charged.", FailureCode = PaymentFailureCodes.AutopayEnded, Quiet = true }, ct))
            {
                logger.LogWarning("Scheduled payment {PaymentId} ({ReceiptNumber}) of autopay {EnrollmentId}, which was cancelled on {CancelledOn}, was cancelled instead of charged",
                    payment.Id, payment.ReceiptNumber, payment.AutopayEnrollmentId, on);
            }
        }
    }

    /// <summary>A claimed payment with what its re-check needs.</summary>
    private sealed record Claimed(PaymentRecord Payment, PaymentMethodRecord? Method, List<InvoiceRecord> Invoices);

    /// <summary>Loads claimed payments (with allocations), their methods and invoices: three queries for the whole claim.</summary>
    private static async Task<List<Claimed>> LoadAsync(PaymentsDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var payments = await db.Payments.AsNoTracking().Include(p => p.Allocations).Where(p => ids.Contains(p.Id)).ToListAsync(ct);
        var methodIds = payments.Where(p => p.PaymentMethodId is not null).Select(p => p.PaymentMethodId!.Value).Distinct().ToList();
        var methods = methodIds.Count == 0 ? [] : await db.PaymentMethods.AsNoTracking().Where(m => methodIds.Contains(m.Id)).ToListAsync(ct);
        var invoiceIds = payments.SelectMany(p => p.Allocations.Select(a => a.InvoiceId)).Distinct().ToList();
        var invoices = invoiceIds.Count == 0 ? [] : await db.Invoices.AsNoTracking().Where(i => invoiceIds.Contains(i.Id)).ToListAsync(ct);
        var invoicesById = invoices.ToDictionary(i => i.Id);
        return payments.Select(p => new Claimed(
            p,
            methods.FirstOrDefault(m => m.Id == p.PaymentMethodId && m.AccountId == p.AccountId),
            p.Allocations.Select(a => invoicesById.GetValueOrDefault(a.InvoiceId)).OfType<InvoiceRecord>().ToList())).ToList();
    }

    private async Task<bool> RunInScopeAsync(Guid id, Claimed? claimed)
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            return await RunOneAsync(scope.ServiceProvider.GetRequiredService<PaymentCharger>(), id, claimed);
        }
        catch (Exception ex)
        {
            // Runs without the stop token: a cancellation here is an adapter's timeout, not the host stopping.
            logger.LogWarning(ex, "Scheduled payment {PaymentId} could not be run; the reconciler takes it over when its lease expires", id);
            return false;
        }
    }

    /// <summary>
    /// Re-checks, prices and charges a scheduled or autopay payment this node holds (status Charging, its lease) that no
    /// node has sent to the gateway yet: the reconciler's way to finish one whose runner stopped after claiming it. True
    /// when an outcome was recorded by this node.
    /// </summary>
    internal Task<bool> RunClaimedAsync(PaymentCharger charger, Guid id) => RunOneAsync(charger, id, null);

    /// <summary>Re-checks and charges one payment this node claimed; true when an outcome was recorded by this node.</summary>
    private async Task<bool> RunOneAsync(PaymentCharger charger, Guid id, Claimed? claimed)
    {
        var ct = CancellationToken.None;
        if (claimed is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            claimed = (await LoadAsync(db, [id], ct)).Single();
        }
        var (payment, method, invoices) = claimed;

        if (payment.ScheduledFor is { } date)
        {
            var due = options.Value.StartOfDayUtc(date);
            PortalPaymentsTelemetry.RunnerLag.Record(Math.Max(0, (clock.GetUtcNow().UtcDateTime - due).TotalSeconds));
        }
        if (RefusalReason(payment, method, invoices) is ({ } reason, var code))
        {
            if (payment.AutopayEnrollmentId is not null && InvoicesChanged(payment, invoices))
            {
                // Autopay's own payment of an invoice that changed: no failure email; autopay looks at the invoice again.
                return await AutopayRunner.ForgetAsync(dbFactory, lifecycle, payment, reason, ct);
            }
            // Nothing was sent: the payment fails before any charge, and the payer is told why.
            return await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Charging, PaymentStatus.Failed,
                new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reason = reason, FailureCode = code, EmailFailure = true }, ct);
        }
        if (await ApplyFeePolicyAsync(payment, method!) is { } aboveMaximum)
        {
            // Nothing was sent: autopay never charges more than the payer's maximum; the payer is told why.
            return await lifecycle.MoveAsync(dbFactory, payment, PaymentStatus.Charging, PaymentStatus.Failed,
                new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reason = aboveMaximum, FailureCode = PaymentFailureCodes.AboveAutopayMaximum, EmailFailure = true }, ct);
        }
        var outcome = await charger.ChargeAsync(payment, method!.Token, new ChargeContext(SystemUser) { EmailFailure = true, OffSession = true });
        return outcome.RecordedHere;
    }

    /// <summary>
    /// The convenience fee of the policy in force on the charge date replaces the estimate made when it was scheduled.
    /// An autopay payment that the new fee would take above its enrolment's maximum is not re-priced: the reason it must
    /// not be charged is returned instead (null when it may be).
    /// </summary>
    private async Task<string?> ApplyFeePolicyAsync(PaymentRecord payment, PaymentMethodRecord method)
    {
        if (payment.Attempts > 0)
        {
            return null; // sent before: a retry sends exactly the same amount under the same key
        }
        var quote = new FeeQuotes(fees, Money.FromMinorUnits(payment.AmountMinor - payment.FeeMinor, payment.Currency), payment.BillingRegion,
            payment.AutopayEnrollmentId is null ? FeeOccasion.Scheduled : FeeOccasion.Autopay, Today).For(method.Type, method.Funding);
        var fee = quote.Charged ? quote.Amount.ToMinorUnits() : 0;
        if (fee == payment.FeeMinor)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        if (payment.AutopayEnrollmentId is { } enrollmentId)
        {
            var max = await db.AutopayEnrollments.AsNoTracking().Where(e => e.Id == enrollmentId).Select(e => e.MaxPaymentMinor).FirstOrDefaultAsync(CancellationToken.None);
            var charged = payment.AmountMinor - payment.FeeMinor + fee;
            if (max is { } m && charged > m)
            {
                return AutopayRunner.AboveMaximum(Money.FromMinorUnits(charged, payment.Currency), fee == 0 ? null : Money.FromMinorUnits(fee, payment.Currency),
                    Money.FromMinorUnits(m, payment.Currency)) + " Nothing was charged.";
            }
        }
        await lifecycle.RepriceFeeAsync(db, payment, fee, quote.Charged ? quote.Label : null, CancellationToken.None);
        return null;
    }

    /// <summary>
    /// True when an invoice of the payment was settled, taken or changed (balance, currency, a discount the charge date no
    /// longer gives; or, for autopay, disputed) since it was scheduled: the same check as <see cref="RefusalReason"/>'s.
    /// </summary>
    private bool InvoicesChanged(PaymentRecord payment, List<InvoiceRecord> invoices) => InvoiceProblems(payment, invoices).Count > 0;

    /// <summary>Why a due payment must not be charged (with the reason's code), or no reason when it may.</summary>
    private (string? Reason, string? Code) RefusalReason(PaymentRecord payment, PaymentMethodRecord? method, List<InvoiceRecord> invoices)
    {
        if (method is null || method.DeletedAt is not null)
        {
            return (MethodRemoved, PaymentFailureCodes.MethodRemoved);
        }
        if (PaymentMethodService.StatusOf(method, Today) == PaymentMethodStatus.Expired)
        {
            return ($"{payment.MethodDescription} expired before the payment date.", PaymentFailureCodes.MethodExpired);
        }
        if (!string.Equals(method.GatewayKey, payment.GatewayKey, StringComparison.Ordinal))
        {
            return ("The payment method cannot be used with the current payment gateway.", PaymentFailureCodes.MethodUnsupported);
        }
        return InvoiceChanges(payment, invoices) is { } changes ? (changes, PaymentFailureCodes.InvoicesChanged) : (null, null);
    }

    /// <summary>
    /// What changed in the invoices of <paramref name="payment"/> since it was priced (see <see cref="InvoiceProblems"/>),
    /// worded for the payer with "Nothing was charged"; null when nothing did. Also the reconciler's check before it
    /// charges a pay-now payment that never reached the gateway.
    /// </summary>
    internal string? InvoiceChanges(PaymentRecord payment, List<InvoiceRecord> invoices) =>
        InvoiceProblems(payment, invoices) is { Count: > 0 } problems ? $"{string.Join("; ", problems)}. Nothing was charged; select the invoices again." : null;

    /// <summary>
    /// What changed in the payment's invoices since it was priced, one clause per invoice ("INV-1's balance changed from …"):
    /// settled, taken by another payment, a changed balance or currency, a discount the policy no longer gives on the charge
    /// date (withdrawn or changed by the ERP, or ended before a late run), and for autopay a dispute.
    /// </summary>
    /// <remarks>
    /// The discount and currency are checked before the first attempt only: a payment sent before (Attempts &gt; 0) is
    /// retried with exactly the amount sent under the same key, since the money may already be at the gateway; refusing
    /// it for a discount that ended after it was sent would fail a payment the gateway may have taken.
    /// </remarks>
    private List<string> InvoiceProblems(PaymentRecord payment, List<InvoiceRecord> invoices)
    {
        var byId = invoices.ToDictionary(i => i.Id);
        var problems = new List<string>();
        var today = Today;
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
            else if (payment.Attempts == 0 && !string.Equals(inv.Currency, payment.Currency, StringComparison.Ordinal))
            {
                problems.Add($"{a.InvoiceNumber}'s currency changed from {payment.Currency} to {inv.Currency}");
            }
            else if (inv.OpenMinor != a.OpenBalanceMinor)
            {
                problems.Add($"{a.InvoiceNumber}'s balance changed from {Money.FromMinorUnits(a.OpenBalanceMinor, payment.Currency)} to {Money.FromMinorUnits(inv.OpenMinor, payment.Currency)}");
            }
            else if (payment.Attempts == 0 && DiscountChange(a, inv, payment.Currency, today) is { } discount)
            {
                problems.Add(discount);
            }
            else if (inv.IsDisputed && payment.AutopayEnrollmentId is not null)
            {
                problems.Add($"{a.InvoiceNumber} is disputed");
            }
        }
        return problems;
    }

    /// <summary>
    /// Why the discount allocation <paramref name="a"/> carries is not what the discount policy gives invoice <paramref name="inv"/>
    /// on <paramref name="chargeDate"/> for the cash it applies (the pay-now arithmetic of <see cref="PaymentCalculator"/>, so a
    /// short-paid line is priced on its own amount), or null when it still is. The ERP may have withdrawn or changed the
    /// discount or moved its date, and a late run (nodes down, the reconciler after midnight) may charge after it ended.
    /// </summary>
    private string? DiscountChange(PaymentAllocationRecord a, InvoiceRecord inv, string currency, DateOnly chargeDate)
    {
        if (a.OpenBalanceMinor <= 0)
        {
            return null; // a credit earns no discount
        }
        var carried = Money.FromMinorUnits(a.DiscountMinor, currency);
        var due = PaymentCalculator.DiscountOnPayment(inv, chargeDate, discountPolicy, currency, Money.FromMinorUnits(a.AppliedMinor, currency));
        if (due == carried)
        {
            return null;
        }
        if (due.IsZero)
        {
            if (inv.DiscountMinor is not > 0 || inv.DiscountDate is null)
            {
                return $"{a.InvoiceNumber}'s early-payment discount of {carried} was withdrawn";
            }
            if (inv.DiscountDate < chargeDate)
            {
                return $"{a.InvoiceNumber}'s early-payment discount of {carried} ended on {inv.DiscountDate:yyyy-MM-dd}";
            }
        }
        return $"{a.InvoiceNumber}'s early-payment discount changed from {carried} to {due}";
    }

    private DateOnly Today => options.Value.Today(clock);
}

/// <summary>
/// Runs <see cref="AutopayRunner"/>, <see cref="ScheduledPaymentRunner"/>, <see cref="PaymentReconciler"/> and
/// <see cref="SingleUseMethodSweeper"/> on every node at <see cref="SchedulingOptions.RunnerInterval"/>.
/// </summary>
internal sealed class ScheduledPaymentBackgroundService(
    ScheduledPaymentRunner runner,
    PaymentReconciler reconciler,
    AutopayRunner autopay,
    SingleUseMethodSweeper singleUse,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ScheduledPaymentBackgroundService> logger) : PeriodicBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.Scheduling.RunnerInterval;

    protected override string WorkName => "Scheduled payment run";

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => RunPassAsync(cancellationToken);

    /// <summary>
    /// One pass: each stage on its own, so one that fails (the autopay expansion on a database fault, a notice) does not
    /// keep the later ones from running: above all the reconciler, which finishes unknown outcomes on every node.
    /// </summary>
    /// <returns>The stages that failed (each logged).</returns>
    internal async Task<int> RunPassAsync(CancellationToken cancellationToken)
    {
        var failed = 0;
        // Autopay first: what its rules make due today is charged in the same pass.
        failed += await StageAsync("Autopay expansion", cancellationToken, () => autopay.ExpandAsync(cancellationToken));
        failed += await StageAsync("Autopay notices", cancellationToken, () => autopay.NotifyUpcomingAsync(cancellationToken));
        failed += await StageAsync("Scheduled payment run", cancellationToken, () => runner.RunDueAsync(cancellationToken));
        failed += await StageAsync("Reconciliation", cancellationToken, () => reconciler.ReconcileAsync(cancellationToken));
        failed += await StageAsync("Single-use method sweep", cancellationToken, () => singleUse.SweepAsync(cancellationToken: cancellationToken));
        return failed;
    }

    private async Task<int> StageAsync(string stage, CancellationToken stopping, Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // Any failure but the host stopping, a timeout's cancellation included.
            logger.LogWarning(ex, "{Stage} failed; the pass goes on with the next stage, and this one runs again in {Interval}", stage, Interval);
            return 1;
        }
    }
}
