using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>What moves a payment from one state to another.</summary>
internal enum PaymentTrigger
{
    /// <summary>The payer schedules a payment for a later date.</summary>
    Schedule,
    /// <summary>The payer confirms a payment or deposit now; it is leased to the confirming node and charged.</summary>
    Start,
    /// <summary>A runner claims a scheduled payment whose date has come (with a lease).</summary>
    Claim,
    /// <summary>The payer cancels a scheduled payment.</summary>
    Cancel,
    /// <summary>The gateway took the money.</summary>
    Succeed,
    /// <summary>The gateway accepted the charge; it settles later (bank rail).</summary>
    Accept,
    /// <summary>Declined, refused before charging, or failed on the rail before it settled.</summary>
    Fail,
    /// <summary>The gateway's answer is unknown (timeout, unavailable, same key in progress, or the charge's lease expired).</summary>
    Defer,
    /// <summary>The gateway has no charge under the payment's key: charge again with the same key.</summary>
    Retry,
    /// <summary>The payer must authenticate in the browser (3-D Secure).</summary>
    RequireAction,
    /// <summary>The bank returned the debit.</summary>
    Return,
    /// <summary>The charge was refunded in full.</summary>
    Refund,
}

/// <summary>One allowed move of the payment state machine.</summary>
/// <param name="From">The state before (null: the payment is created in <paramref name="To"/>).</param>
/// <param name="To">The state after.</param>
/// <param name="Trigger">What causes it.</param>
internal sealed record PaymentTransition(PaymentStatus? From, PaymentStatus To, PaymentTrigger Trigger);

/// <summary>Who causes a transition and what it carries.</summary>
/// <param name="Actor">User id for the audit trail (the payer, or a system id).</param>
internal sealed record PaymentChange(string Actor)
{
    /// <summary>When set, the payment must still be leased to this node (a node that lost its lease records nothing).</summary>
    public string? LeaseOwner { get; init; }
    /// <summary>The gateway's charge reference, when known.</summary>
    public string? Reference { get; init; }
    /// <summary>Reason shown to the payer for Failed, Returned or Refunded.</summary>
    public string? Reason { get; init; }
    /// <summary>The reason as a code (<see cref="PaymentFailureCodes"/>), when it has one; stored with <see cref="Reason"/>.</summary>
    public string? FailureCode { get; init; }
    /// <summary>Email the payer about a failure (background charges; a payer watching the screen is told there).</summary>
    public bool EmailFailure { get; init; }
    /// <summary>Display name of who cancelled (for the cancellation email).</summary>
    public string? CancelledBy { get; init; }
    /// <summary>No email about this move (the caller sends one email for many payments, e.g. cancelling autopay).</summary>
    public bool Quiet { get; init; }
    /// <summary>Only when no node holds a live lease on the payment (an operator's word must not overtake a node's work).</summary>
    public bool Unleased { get; init; }
    /// <summary>
    /// The charge reference an operator gave (<see cref="PaymentOperations.ResolvePaymentAsync"/>), kept in the audit row
    /// beside the stored reference it does not replace.
    /// </summary>
    public string? OperatorReference { get; init; }
    /// <summary>The operator's note, kept in the audit row.</summary>
    public string? Note { get; init; }
    /// <summary>
    /// The operator's full name as the host's sign-in gave it, kept in the audit row's details: <see cref="Actor"/> goes into
    /// a column of <see cref="Data.ColumnLengths.Id"/> characters and is cut to fit.
    /// </summary>
    public string? Operator { get; init; }
}

/// <summary>
/// The one owner of the payment state machine. It holds the transition table (<see cref="Transitions"/>, drawn in
/// docs/architecture.md) and is the only code that writes a payment's status — always as a conditional update from the
/// expected state (and, for a node's own work, the node's lease) — together with what each transition implies in the
/// same transaction: the invoice holds, the ERP posting or its reversal, the payer's email and the audit row.
/// <para>
/// Every payment that can be charged carries a recovery deadline from the write that makes it chargeable: a lease
/// (<see cref="PaymentStatus.Charging"/>) or a next check time (<see cref="PaymentStatus.Unconfirmed"/>,
/// <see cref="PaymentStatus.Processing"/>, <see cref="PaymentStatus.RequiresAction"/>), so the reconciler finds every one.
/// </para>
/// </summary>
public sealed class PaymentLifecycle(
    IOptions<PortalPaymentsOptions> options,
    DatabaseWriteLane lane,
    TimeProvider clock,
    EmailTexts emailTexts,
    ILogger<PaymentLifecycle> logger)
{
    /// <summary>The transition table: every allowed move. Anything else is refused.</summary>
    internal static IReadOnlyList<PaymentTransition> Transitions { get; } =
    [
        new(null, PaymentStatus.Scheduled, PaymentTrigger.Schedule),
        new(null, PaymentStatus.Charging, PaymentTrigger.Start),
        new(PaymentStatus.Scheduled, PaymentStatus.Charging, PaymentTrigger.Claim),
        new(PaymentStatus.Scheduled, PaymentStatus.Cancelled, PaymentTrigger.Cancel),
        new(PaymentStatus.Charging, PaymentStatus.Succeeded, PaymentTrigger.Succeed),
        new(PaymentStatus.Charging, PaymentStatus.Processing, PaymentTrigger.Accept),
        new(PaymentStatus.Charging, PaymentStatus.Failed, PaymentTrigger.Fail),
        new(PaymentStatus.Charging, PaymentStatus.Unconfirmed, PaymentTrigger.Defer),
        new(PaymentStatus.Charging, PaymentStatus.RequiresAction, PaymentTrigger.RequireAction),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Charging, PaymentTrigger.Retry),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Succeeded, PaymentTrigger.Succeed),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Processing, PaymentTrigger.Accept),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Failed, PaymentTrigger.Fail),
        new(PaymentStatus.Unconfirmed, PaymentStatus.RequiresAction, PaymentTrigger.RequireAction),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Returned, PaymentTrigger.Return),
        new(PaymentStatus.RequiresAction, PaymentStatus.Succeeded, PaymentTrigger.Succeed),
        new(PaymentStatus.RequiresAction, PaymentStatus.Processing, PaymentTrigger.Accept),
        new(PaymentStatus.RequiresAction, PaymentStatus.Failed, PaymentTrigger.Fail),
        new(PaymentStatus.RequiresAction, PaymentStatus.Unconfirmed, PaymentTrigger.Defer),
        new(PaymentStatus.Processing, PaymentStatus.Succeeded, PaymentTrigger.Succeed),
        new(PaymentStatus.Processing, PaymentStatus.Failed, PaymentTrigger.Fail),
        new(PaymentStatus.Processing, PaymentStatus.Returned, PaymentTrigger.Return),
        new(PaymentStatus.Succeeded, PaymentStatus.Returned, PaymentTrigger.Return),
        new(PaymentStatus.Succeeded, PaymentStatus.Refunded, PaymentTrigger.Refund),
        // The gateway refunded a charge the portal had not seen succeed yet (its answer lost, the payer's confirmation or a
        // debit's settlement not reported yet; events come in any order): money was taken and went back, which the payment
        // history and the payer's email must say, not "voided, nothing charged". An ERP posting that went out is reversed.
        new(PaymentStatus.Charging, PaymentStatus.Refunded, PaymentTrigger.Refund),
        new(PaymentStatus.Unconfirmed, PaymentStatus.Refunded, PaymentTrigger.Refund),
        new(PaymentStatus.RequiresAction, PaymentStatus.Refunded, PaymentTrigger.Refund),
        new(PaymentStatus.Processing, PaymentStatus.Refunded, PaymentTrigger.Refund),
    ];

    /// <summary>The states a payment can leave no more.</summary>
    internal static IReadOnlySet<PaymentStatus> FinalStates { get; } =
        new HashSet<PaymentStatus> { PaymentStatus.Failed, PaymentStatus.Returned, PaymentStatus.Cancelled, PaymentStatus.Refunded };

    /// <summary>States whose outcome is not known yet: the payment may or may not have moved money.</summary>
    internal static IReadOnlySet<PaymentStatus> UnresolvedStates { get; } =
        new HashSet<PaymentStatus> { PaymentStatus.Charging, PaymentStatus.Unconfirmed, PaymentStatus.RequiresAction };

    /// <summary><see cref="UnresolvedStates"/> as a query filter (equalities the status indexes serve).</summary>
    internal static System.Linq.Expressions.Expression<Func<PaymentRecord, bool>> IsUnresolved { get; } =
        p => p.Status == PaymentStatus.Charging || p.Status == PaymentStatus.Unconfirmed || p.Status == PaymentStatus.RequiresAction;

    /// <summary>True when the table allows moving from <paramref name="from"/> to <paramref name="to"/>.</summary>
    internal static bool Allows(PaymentStatus? from, PaymentStatus to) => Transitions.Any(t => t.From == from && t.To == to);

    /// <summary>
    /// Where a charge reversed in full at the gateway takes a payment in <paramref name="from"/>: Refunded when it had
    /// succeeded, or when the gateway says the money was taken and refunded (<paramref name="refunded"/>) before the portal
    /// learned of it; otherwise Failed (voided: nothing charged). One rule for gateway events and the reconciler's lookups.
    /// </summary>
    internal static PaymentStatus RefundOrVoid(PaymentStatus from, bool refunded) =>
        from == PaymentStatus.Succeeded || (refunded && Allows(from, PaymentStatus.Refunded)) ? PaymentStatus.Refunded : PaymentStatus.Failed;

    /// <summary>
    /// Where a debit the bank returned takes a payment in <paramref name="from"/>: Returned once money had moved (processing,
    /// unconfirmed, succeeded); before that (being charged, awaiting the payer) the debit failed and nothing was collected.
    /// One rule for gateway events and the reconciler's lookups.
    /// </summary>
    internal static PaymentStatus ReturnOrFail(PaymentStatus from) =>
        from is PaymentStatus.Processing or PaymentStatus.Succeeded or PaymentStatus.Unconfirmed ? PaymentStatus.Returned : PaymentStatus.Failed;

    /// <summary>Gateway error codes that leave the outcome unknown: looked up later by key, never recorded as a failure.</summary>
    internal static bool IsUnknownOutcome(Gateways.GatewayErrorCode code) => code is Gateways.GatewayErrorCode.Timeout
        or Gateways.GatewayErrorCode.Unavailable or Gateways.GatewayErrorCode.InProgress or Gateways.GatewayErrorCode.IdempotencyConflict;

    /// <summary>
    /// A status lookup's answers that say nothing about the charge: those of <see cref="IsUnknownOutcome"/>, and
    /// <c>Unsupported</c> (a gateway that cannot look charges up, as <c>PaymentGatewayBase</c> answers by default) — a
    /// charge that may have gone through is never recorded as failed for it.
    /// </summary>
    internal static bool IsUnknownLookup(Gateways.GatewayErrorCode code) => IsUnknownOutcome(code) || code == Gateways.GatewayErrorCode.Unsupported;

    private ChargingOptions Charging => options.Value.Charging;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Now (UTC) on the lifecycle's clock.</summary>
    internal DateTime UtcNow => Now;

    /// <summary>This node's name in leases.</summary>
    internal string NodeName => options.Value.NodeName;

    /// <summary>Runs a write transaction of the money path in the database's write lane (serialised on SQLite).</summary>
    internal Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken ct) => lane.RunAsync(write, ct);

    // ---- Creation ---------------------------------------------------------------------------------------------------

    /// <summary>A new pay-now payment or deposit: Charging, leased to this node from the moment it is stored.</summary>
    internal void InitializeCharging(PaymentRecord payment, DateTime now)
    {
        payment.Status = PaymentStatus.Charging;
        payment.LeaseOwner = NodeName;
        payment.LeaseExpiresAt = now + Charging.LeaseDuration;
        payment.ChargeStartedAt = now;
        payment.StatusChangedAt = now;
        payment.NextCheckAt = null;
    }

    /// <summary>A new scheduled payment: Scheduled for its date (the runner claims it then).</summary>
    internal static void InitializeScheduled(PaymentRecord payment, DateTime now)
    {
        payment.Status = PaymentStatus.Scheduled;
        payment.StatusChangedAt = now;
    }

    /// <summary>The hold a new payment puts on its invoices: Pending for a charge now, Scheduled for a later date.</summary>
    internal static InvoiceStatus HoldFor(PaymentRecord payment) =>
        payment.Status == PaymentStatus.Scheduled ? InvoiceStatus.Scheduled : InvoiceStatus.Pending;

    /// <summary>
    /// Holds <paramref name="invoiceIds"/> for a new payment with one conditional update (only invoices still open and free);
    /// returns how many were held (fewer than asked: someone else is paying some of them).
    /// </summary>
    internal static Task<int> HoldInvoicesAsync(PaymentsDbContext db, PaymentRecord payment, IReadOnlyCollection<long> invoiceIds, CancellationToken ct)
    {
        var hold = HoldFor(payment);
        var date = hold == InvoiceStatus.Scheduled ? payment.ScheduledFor : null;
        var paymentId = payment.Id;
        var accountId = payment.AccountId;
        var ids = invoiceIds.ToList();
        return db.Invoices
            .Where(i => i.AccountId == accountId && ids.Contains(i.Id) && i.IsOpen && i.Status == InvoiceStatus.Open)
            .ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, hold)
                .SetProperty(i => i.ScheduledFor, date)
                .SetProperty(i => i.ActivePaymentId, paymentId)
                .SetProperty(i => i.Version, i => i.Version + 1), ct);
    }

    // ---- Leases -----------------------------------------------------------------------------------------------------

    internal Task<(List<Guid> Claimed, bool AnyDue)> ClaimDueScheduledAsync(PaymentsDbContext db, int max, CancellationToken ct) =>
        lane.RunAsync(() => ClaimDueScheduledInLaneAsync(db, max, ct), ct);

    /// <summary>
    /// Claims up to <paramref name="max"/> scheduled payments whose date has come: Scheduled → Charging under this node's
    /// lease, in one conditional <c>UPDATE … RETURNING</c> (one round trip; one node wins each row). On PostgreSQL the rows
    /// are picked with <c>FOR UPDATE SKIP LOCKED</c>, so nodes claiming at once take different rows instead of queueing on
    /// the same ones; SQLite has one writer, so its statement sees every other claim. Returns the ids this node now holds,
    /// and whether any were due (nothing claimed: what is left due, if anything, is being claimed by other nodes).
    /// </summary>
    private async Task<(List<Guid> Claimed, bool AnyDue)> ClaimDueScheduledInLaneAsync(PaymentsDbContext db, int max, CancellationToken ct)
    {
        var now = Now;
        var today = options.Value.DateAt(now);
        var until = now + Charging.LeaseDuration;
        var claimed = await db.Database.SqlQueryRaw<Guid>(ClaimSql(db), (int)PaymentStatus.Charging, NodeName, until, now, (int)PaymentStatus.Scheduled, today, max)
            .ToListAsync(ct);
        return (claimed, claimed.Count > 0);
    }

    /// <summary>The claim statement for the context's provider, with the table and column names of the EF model.</summary>
    private static string ClaimSql(PaymentsDbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(PaymentRecord))!;
        var table = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        string Column(string property) => $"\"{entity.FindProperty(property)!.GetColumnName(table)}\"";
        var name = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{entity.GetTableName()}\"" : $"\"{entity.GetTableName()}\"";
        var (id, status, scheduledFor) = (Column(nameof(PaymentRecord.Id)), Column(nameof(PaymentRecord.Status)), Column(nameof(PaymentRecord.ScheduledFor)));
        // An autopay payment whose enrolment is cancelled is never claimed: the runner cancels it instead.
        var enrollment = db.Model.FindEntityType(typeof(AutopayEnrollmentRecord))!;
        var enrollmentTable = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(enrollment.GetTableName()!, enrollment.GetSchema());
        var enrollments = enrollment.GetSchema() is { } eschema ? $"\"{eschema}\".\"{enrollment.GetTableName()}\"" : $"\"{enrollment.GetTableName()}\"";
        var cancelledEnrollment = $"SELECT 1 FROM {enrollments} AS \"ae\" WHERE \"ae\".\"{enrollment.FindProperty(nameof(AutopayEnrollmentRecord.Id))!.GetColumnName(enrollmentTable)}\" = " +
                                  $"\"due\".{Column(nameof(PaymentRecord.AutopayEnrollmentId))} " +
                                  $"AND \"ae\".\"{enrollment.FindProperty(nameof(AutopayEnrollmentRecord.CancelledAt))!.GetColumnName(enrollmentTable)}\" IS NOT NULL";
        var pick = $"SELECT {id} FROM {name} AS \"due\" WHERE {status} = {{4}} AND {scheduledFor} <= {{5}} AND NOT EXISTS ({cancelledEnrollment}) ORDER BY {scheduledFor} LIMIT {{6}}";
        // PostgreSQL: ARRAY(…) runs the pick once (an init plan). As "IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)" the planner
        // may re-run it inside a join, and every re-run skips the rows it locked before and takes new ones: more than n claimed.
        var picked = db.Database.IsNpgsql() ? $"{id} = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))" : $"{id} IN ({pick})";
        // {0} Charging, {1} node, {2} lease until, {3} now, {4} Scheduled, {5} today, {6} max
        return $"UPDATE {name} SET {status} = {{0}}, {Column(nameof(PaymentRecord.LeaseOwner))} = {{1}}, {Column(nameof(PaymentRecord.LeaseExpiresAt))} = {{2}}, " +
               $"{Column(nameof(PaymentRecord.ChargeStartedAt))} = {{3}}, {Column(nameof(PaymentRecord.StatusChangedAt))} = {{3}}, {Column(nameof(PaymentRecord.NextCheckAt))} = NULL " +
               $"WHERE {picked} " +
               $"AND {status} = {{4}} AND {scheduledFor} <= {{5}} RETURNING {id} AS \"Value\"";
    }

    /// <summary>
    /// Leases Unconfirmed payment <paramref name="id"/> to this node for a status check now (the payer's "Check again"),
    /// whatever its next check time; false when it is no longer Unconfirmed or another node holds it (its check is under way).
    /// </summary>
    internal Task<bool> ClaimUnconfirmedNowAsync(PaymentsDbContext db, Guid id, CancellationToken ct) => lane.RunAsync(async () =>
    {
        var now = Now;
        var (node, until) = (NodeName, now + Charging.LeaseDuration);
        return await db.Payments
            .Where(p => p.Id == id && p.Status == PaymentStatus.Unconfirmed && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.LeaseOwner, node).SetProperty(p => p.LeaseExpiresAt, until), ct) == 1;
    }, ct);

    internal Task<(List<Guid> Claimed, bool AnyDue)> ClaimForReconcileAsync(PaymentsDbContext db, int max, CancellationToken ct) =>
        lane.RunAsync(() => ClaimForReconcileInLaneAsync(db, max, ct), ct);

    /// <summary>
    /// Claims up to <paramref name="max"/> payments that need the reconciler: Charging whose lease expired (the node died,
    /// paused or could not record), and Unconfirmed, Processing or RequiresAction whose check is due. The status is
    /// unchanged; the lease moves to this node, so the previous owner can record nothing any more. Returns the ids this node
    /// now holds, and whether any were due.
    /// </summary>
    private async Task<(List<Guid> Claimed, bool AnyDue)> ClaimForReconcileInLaneAsync(PaymentsDbContext db, int max, CancellationToken ct)
    {
        var now = Now;
        if (db.Database.IsNpgsql())
        {
            return await ClaimForReconcileOnPostgresAsync(db, now, max, ct);
        }
        var candidates = await db.Payments
            .Where(p => p.Status == PaymentStatus.Charging && p.LeaseExpiresAt < now)
            .OrderBy(p => p.LeaseExpiresAt)
            .Select(p => p.Id).Take(max).ToListAsync(ct);
        if (candidates.Count < max)
        {
            candidates.AddRange(await db.Payments
                .Where(p => (p.Status == PaymentStatus.Unconfirmed || p.Status == PaymentStatus.Processing || p.Status == PaymentStatus.RequiresAction)
                            && p.NextCheckAt <= now && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))
                .OrderBy(p => p.NextCheckAt)
                .Select(p => p.Id).Take(max - candidates.Count).ToListAsync(ct));
        }
        if (candidates.Count == 0)
        {
            return ([], false);
        }
        var node = NodeName;
        var until = now + Charging.LeaseDuration;
        await db.Payments
            .Where(p => candidates.Contains(p.Id)
                        && ((p.Status == PaymentStatus.Charging && p.LeaseExpiresAt < now)
                            || ((p.Status == PaymentStatus.Unconfirmed || p.Status == PaymentStatus.Processing || p.Status == PaymentStatus.RequiresAction)
                                && p.NextCheckAt <= now && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.LeaseOwner, node).SetProperty(p => p.LeaseExpiresAt, until), ct);
        var claimed = await db.Payments
            .Where(p => candidates.Contains(p.Id) && p.LeaseOwner == node && p.LeaseExpiresAt == until)
            .Select(p => p.Id).ToListAsync(ct);
        return (claimed, true);
    }

    /// <summary>
    /// PostgreSQL: the rows are picked and leased in one statement each, with <c>FOR UPDATE SKIP LOCKED</c>: a row another
    /// transaction holds (a node frozen between recording a payment and committing) is passed over, not waited for, and
    /// takes no place in the claim. A plain UPDATE would queue on its lock until the command timed out, on every node.
    /// </summary>
    private async Task<(List<Guid> Claimed, bool AnyDue)> ClaimForReconcileOnPostgresAsync(PaymentsDbContext db, DateTime now, int max, CancellationToken ct)
    {
        var (node, until) = (NodeName, now + Charging.LeaseDuration);
        var taken = await db.Database.SqlQueryRaw<Guid>(ReconcileClaimSql(db, expiredCharging: true), node, until, now, max,
            (int)PaymentStatus.Charging, (int)PaymentStatus.Charging, (int)PaymentStatus.Charging).ToListAsync(ct);
        if (taken.Count < max)
        {
            taken.AddRange(await db.Database.SqlQueryRaw<Guid>(ReconcileClaimSql(db, expiredCharging: false), node, until, now, max - taken.Count,
                (int)PaymentStatus.Unconfirmed, (int)PaymentStatus.Processing, (int)PaymentStatus.RequiresAction).ToListAsync(ct));
        }
        // Nothing taken: what is left (if anything) is locked or was taken by other nodes.
        return (taken, taken.Count > 0);
    }

    /// <summary>
    /// PostgreSQL's reconcile claims, one statement each: Charging payments whose lease expired (oldest lease first), or
    /// Unconfirmed, Processing and RequiresAction payments whose check is due (earliest first), picked with
    /// <c>FOR UPDATE SKIP LOCKED</c> and leased to this node.
    /// </summary>
    private static string ReconcileClaimSql(PaymentsDbContext db, bool expiredCharging)
    {
        var entity = db.Model.FindEntityType(typeof(PaymentRecord))!;
        var table = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        string Column(string property) => $"\"{entity.FindProperty(property)!.GetColumnName(table)}\"";
        var name = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{entity.GetTableName()}\"" : $"\"{entity.GetTableName()}\"";
        var (id, status, lease, nextCheck) = (Column(nameof(PaymentRecord.Id)), Column(nameof(PaymentRecord.Status)),
            Column(nameof(PaymentRecord.LeaseExpiresAt)), Column(nameof(PaymentRecord.NextCheckAt)));
        // {0} node, {1} lease until, {2} now, {3} max, {4} {5} {6} the statuses (the same three times for expired Charging)
        var (due, order) = expiredCharging
            ? ($"{status} IN ({{4}}, {{5}}, {{6}}) AND {lease} < {{2}}", lease)
            : ($"{status} IN ({{4}}, {{5}}, {{6}}) AND {nextCheck} <= {{2}} AND ({lease} IS NULL OR {lease} < {{2}})", nextCheck);
        // ARRAY(…) runs the pick once (see ClaimSql); the outer condition re-checks each row after its lock.
        return $"UPDATE {name} SET {Column(nameof(PaymentRecord.LeaseOwner))} = {{0}}, {lease} = {{1}} " +
               $"WHERE {id} = ANY(ARRAY(SELECT {id} FROM {name} WHERE {due} ORDER BY {order} LIMIT {{3}} FOR UPDATE SKIP LOCKED)) AND {due} " +
               $"RETURNING {id} AS \"Value\"";
    }

    internal Task<bool> BeginChargeAsync(PaymentsDbContext db, Guid paymentId, CancellationToken ct) =>
        lane.RunAsync(() => BeginChargeInLaneAsync(db, paymentId, ct), ct);

    /// <summary>
    /// Right before the gateway is called: re-checks with a conditional update that this node still holds a live lease on
    /// the Charging payment, renews it and counts the attempt; a scheduled payment's invoices go from Scheduled to Pending.
    /// False when the lease was lost (another node took the payment over): then nothing may be sent.
    /// </summary>
    private async Task<bool> BeginChargeInLaneAsync(PaymentsDbContext db, Guid paymentId, CancellationToken ct)
    {
        var now = Now;
        var node = NodeName;
        var until = now + Charging.LeaseDuration;
        // The invoices first, then the attempt, each write on its own: an attempt counted means the payment was sent (the
        // reconciler reads it so), so it is the last thing stored before the gateway is called. A failure in between leaves
        // invoices Pending for a payment never sent, which every later step treats like Scheduled. (Not one transaction:
        // SQLite takes its write lock at the transaction's start, so a node stalled between the two writes would hold
        // every other writer of the database until it ran again.)
        await db.Invoices
            .Where(i => i.ActivePaymentId == paymentId && i.Status == InvoiceStatus.Scheduled
                        && db.Payments.Any(p => p.Id == paymentId && p.Status == PaymentStatus.Charging && p.LeaseOwner == node && p.LeaseExpiresAt > now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, InvoiceStatus.Pending)
                .SetProperty(i => i.ScheduledFor, (DateOnly?)null)
                .SetProperty(i => i.Version, i => i.Version + 1), ct);
        var ours = await db.Payments
            .Where(p => p.Id == paymentId && p.Status == PaymentStatus.Charging && p.LeaseOwner == node && p.LeaseExpiresAt > now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.LeaseExpiresAt, until)
                .SetProperty(p => p.Attempts, p => p.Attempts + 1), ct);
        return ours == 1;
    }

    internal Task<bool> RenewLeaseAsync(PaymentsDbContext db, Guid paymentId, CancellationToken ct) =>
        lane.RunAsync(() => RenewLeaseInLaneAsync(db, paymentId, ct), ct);

    /// <summary>
    /// Sets the convenience fee of a payment charged later (scheduled, autopay) to the policy in force on the charge date,
    /// before its first charge attempt only (a retry must send exactly what was sent before); false when this node no
    /// longer holds it or it was already sent.
    /// </summary>
    internal Task<bool> RepriceFeeAsync(PaymentsDbContext db, PaymentRecord payment, long feeMinor, string? label, CancellationToken ct) =>
        lane.RunAsync(async () =>
        {
            var id = payment.Id;
            var node = NodeName;
            var amount = payment.AmountMinor - payment.FeeMinor + feeMinor;
            var updated = await db.Payments
                .Where(p => p.Id == id && p.Status == PaymentStatus.Charging && p.LeaseOwner == node && p.Attempts == 0 && p.FeeMinor == payment.FeeMinor)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(p => p.AmountMinor, amount)
                    .SetProperty(p => p.FeeMinor, feeMinor)
                    .SetProperty(p => p.FeeLabel, label), ct) == 1;
            if (updated)
            {
                payment.AmountMinor = amount;
                payment.FeeMinor = feeMinor;
                payment.FeeLabel = label;
            }
            return updated;
        }, ct);

    /// <summary>Extends this node's live lease on a payment (while a slow gateway call runs); false when it was lost.</summary>
    private async Task<bool> RenewLeaseInLaneAsync(PaymentsDbContext db, Guid paymentId, CancellationToken ct)
    {
        var now = Now;
        var node = NodeName;
        var until = now + Charging.LeaseDuration;
        return await db.Payments
            .Where(p => p.Id == paymentId && p.LeaseOwner == node && p.LeaseExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.LeaseExpiresAt, until), ct) == 1;
    }

    internal Task<bool> CheckLaterAsync(PaymentsDbContext db, PaymentRecord payment, CancellationToken ct) =>
        lane.RunAsync(() => CheckLaterInLaneAsync(db, payment, ct), ct);

    /// <summary>
    /// The outcome is still unknown (or the settlement still pending): the next check waits longer (doubling up to the
    /// cap) and this node's lease is released. The status does not change.
    /// </summary>
    private async Task<bool> CheckLaterInLaneAsync(PaymentsDbContext db, PaymentRecord payment, CancellationToken ct)
    {
        var node = NodeName;
        var id = payment.Id;
        var next = Now + CheckDelay(payment.StatusChecks + 1);
        return await db.Payments
            .Where(p => p.Id == id && p.Status == payment.Status && p.LeaseOwner == node)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.NextCheckAt, next)
                .SetProperty(p => p.StatusChecks, p => p.StatusChecks + 1)
                .SetProperty(p => p.LeaseOwner, (string?)null)
                .SetProperty(p => p.LeaseExpiresAt, (DateTime?)null), ct) == 1;
    }

    /// <summary>The delay before status check number <paramref name="checks"/> + 1: doubling from the first delay, capped.</summary>
    internal TimeSpan CheckDelay(int checks)
    {
        var c = Charging;
        var factor = Math.Pow(2, Math.Clamp(checks, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(c.StatusCheckDelay.Ticks * factor, c.MaxStatusCheckDelay.Ticks));
    }

    // ---- Transitions ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Moves <paramref name="payment"/> (allocations loaded) from <paramref name="from"/> to <paramref name="to"/> with
    /// a conditional update — on the expected state, and on <see cref="PaymentChange.LeaseOwner"/> when given — and adds
    /// what the move implies to <paramref name="db"/> (holds, outbox, audit). The caller saves and commits in one
    /// transaction. False when another writer moved the payment first (nothing is added then).
    /// </summary>
    internal async Task<bool> TryMoveAsync(PaymentsDbContext db, PaymentRecord payment, PaymentStatus from, PaymentStatus to, PaymentChange change,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(change);
        if (!Allows(from, to))
        {
            throw new InvalidOperationException($"A payment cannot move from {from} to {to}.");
        }
        var now = Now;
        var id = payment.Id;
        var owner = change.LeaseOwner;
        var reference = change.Reference ?? payment.GatewayReference;
        var reason = change.Reason is null ? payment.FailureReason : Truncate(change.Reason, 500);
        // A new reason brings its own code (or none); without one the stored pair stays.
        var code = change.Reason is null ? payment.FailureCode : change.FailureCode;
        var final = to is PaymentStatus.Succeeded || FinalStates.Contains(to);
        var accepted = to is PaymentStatus.Succeeded or PaymentStatus.Processing ? payment.AcceptedAt ?? now : payment.AcceptedAt;
        DateTime? nextCheck = to switch
        {
            PaymentStatus.Unconfirmed => now + CheckDelay(0),
            PaymentStatus.Processing => now + CheckDelay(0),
            PaymentStatus.RequiresAction => now + Charging.CustomerActionTimeout,
            _ => null,
        };
        var leaseOwner = to == PaymentStatus.Charging ? NodeName : null;
        DateTime? leaseUntil = to == PaymentStatus.Charging ? now + Charging.LeaseDuration : null;
        DateTime? completed = final ? payment.CompletedAt ?? now : null;
        // A retry (Unconfirmed → Charging) keeps the first start: the stuck list and the health check count an unknown
        // outcome from it, so a payment that keeps getting no answer shows there instead of looking new every few minutes.
        var startedAt = to == PaymentStatus.Charging ? payment.ChargeStartedAt ?? now : payment.ChargeStartedAt;

        var query = db.Payments.Where(p => p.Id == id && p.Status == from);
        if (owner is not null)
        {
            query = query.Where(p => p.LeaseOwner == owner);
        }
        if (change.Unleased)
        {
            query = query.Where(p => p.LeaseExpiresAt == null || p.LeaseExpiresAt <= now);
        }
        var moved = await query.ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Status, to)
            .SetProperty(p => p.StatusChangedAt, now)
            .SetProperty(p => p.GatewayReference, reference)
            .SetProperty(p => p.FailureReason, reason)
            .SetProperty(p => p.FailureCode, code)
            .SetProperty(p => p.AcceptedAt, accepted)
            .SetProperty(p => p.CompletedAt, completed)
            .SetProperty(p => p.NextCheckAt, nextCheck)
            .SetProperty(p => p.StatusChecks, 0)
            .SetProperty(p => p.ChargeStartedAt, startedAt)
            .SetProperty(p => p.LeaseOwner, leaseOwner)
            .SetProperty(p => p.LeaseExpiresAt, leaseUntil), ct);
        if (moved != 1)
        {
            return false;
        }

        PortalPaymentsTelemetry.Payments.Add(1, new KeyValuePair<string, object?>("status", to.ToString()), new KeyValuePair<string, object?>("kind", payment.Kind.ToString()));
        var before = payment.AcceptedAt;
        // The payer's email words the reason by its code in the payer's language: it must read the new pair, not the old.
        payment.FailureReason = reason;
        payment.FailureCode = code;
        await ApplyEffectsAsync(db, payment, from, to, change with { Reference = reference }, postingWentOut: before is not null, now, ct);
        AuditLog.Add(db, payment.AccountId, change.Actor, $"payment.{to.ToString().ToLowerInvariant()}", id.ToString(), now,
            change.OperatorReference is null && change.Note is null
                ? new { payment.ReceiptNumber, From = from.ToString(), GatewayReference = reference, Reason = change.Reason }
                : new { payment.ReceiptNumber, From = from.ToString(), GatewayReference = reference, Reason = change.Reason, change.OperatorReference, change.Note, change.Operator });

        payment.Status = to;
        payment.StatusChangedAt = now;
        payment.GatewayReference = reference;
        payment.FailureReason = reason;
        payment.FailureCode = code;
        payment.AcceptedAt = accepted;
        payment.CompletedAt = completed;
        payment.NextCheckAt = nextCheck;
        payment.StatusChecks = 0;
        payment.LeaseOwner = leaseOwner;
        payment.LeaseExpiresAt = leaseUntil;
        return true;
    }

    /// <summary>
    /// <see cref="TryMoveAsync"/> in a transaction of its own. True when this call moved the payment; false when another
    /// writer moved it first (then nothing changed, and it is logged).
    /// </summary>
    internal Task<bool> MoveAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PaymentRecord payment, PaymentStatus from, PaymentStatus to,
        PaymentChange change, CancellationToken ct) =>
        lane.RunAsync(() => MoveInLaneAsync(dbFactory, payment, from, to, change, ct), ct);

    private async Task<bool> MoveInLaneAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PaymentRecord payment, PaymentStatus from, PaymentStatus to,
        PaymentChange change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await TryMoveAsync(db, payment, from, to, change, ct))
        {
            await tx.RollbackAsync(CancellationToken.None);
            logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) was not moved from {From} to {To}: it changed meanwhile{Lease}",
                payment.Id, payment.ReceiptNumber, from, to, change.LeaseOwner is null ? "" : $" or {change.LeaseOwner} no longer holds its lease");
            return false;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) of {Amount}: {From} → {To}{Reason}", payment.Id, payment.ReceiptNumber,
            Money.FromMinorUnits(payment.AmountMinor, payment.Currency), from, to, change.Reason is null ? "" : $" ({change.Reason})");
        return true;
    }

    /// <summary>
    /// Changes a Scheduled payment before it runs — no status change: it stays Scheduled — as one conditional update on the
    /// payment as it was read (Scheduled, same amount, date and method), in the caller's transaction: the new date, method,
    /// amounts (fee included) and invoices (<paramref name="amendment"/>), each remaining line with the balance, discount and short
    /// amount it was priced from; the holds of the invoices it no longer pays released (Open
    /// again), the remaining holds moved to the new date; the audit row and the payer's email. False when the payment
    /// changed meanwhile (the runner claimed it, or another change won); nothing is added then.
    /// </summary>
    internal async Task<bool> TryAmendScheduledAsync(PaymentsDbContext db, PaymentRecord payment, ScheduledAmendment amendment, PaymentChange change,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(amendment);
        ArgumentNullException.ThrowIfNull(change);
        var now = Now;
        var id = payment.Id;
        var (oldAmount, oldDate, oldMethod) = (payment.AmountMinor, payment.ScheduledFor, payment.PaymentMethodId);
        var lines = amendment.Preview.Lines;
        // The amount charged is the items plus the fee, stored apart as at scheduling: the runner re-prices the fee from it.
        var amount = amendment.Preview.TotalCharged.ToMinorUnits();
        var (fee, feeLabel) = (ScheduledAmendment.FeeMinorOf(amendment.Preview), ScheduledAmendment.FeeLabelOf(amendment.Preview));
        var discount = amendment.Preview.DiscountTotal.ToMinorUnits();
        var shortTotal = amendment.Preview.ShortTotal.ToMinorUnits();
        var date = amendment.Preview.PaymentDate;
        var methodKey = SearchKeys.Normalize(amendment.MethodDescription);
        if (amendment.MethodId is { } newMethod && newMethod != oldMethod)
        {
            // Not deleted meanwhile, and no deletion may take it until this commits (its checks then see this payment).
            await PaymentMethodService.HoldForUseAsync(db, newMethod, id, now, ct);
        }
        var moved = await db.Payments
            .Where(p => p.Id == id && p.Status == PaymentStatus.Scheduled && p.AmountMinor == oldAmount && p.ScheduledFor == oldDate && p.PaymentMethodId == oldMethod)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.AmountMinor, amount)
                .SetProperty(p => p.FeeMinor, fee)
                .SetProperty(p => p.FeeLabel, feeLabel)
                .SetProperty(p => p.DiscountMinor, discount)
                .SetProperty(p => p.ShortMinor, shortTotal)
                .SetProperty(p => p.InvoiceCount, lines.Count)
                .SetProperty(p => p.ScheduledFor, date)
                .SetProperty(p => p.PaymentMethodId, amendment.MethodId)
                .SetProperty(p => p.MethodDescription, amendment.MethodDescription)
                .SetProperty(p => p.MethodKey, methodKey), ct);
        if (moved != 1)
        {
            return false;
        }

        var keep = lines.Select(l => l.InvoiceId).ToHashSet();
        var removed = payment.Allocations.Where(a => !keep.Contains(a.InvoiceId)).Select(a => a.InvoiceId).ToList();
        var accountId = payment.AccountId;
        if (removed.Count > 0)
        {
            await db.PaymentAllocations.Where(a => a.PaymentId == id && removed.Contains(a.InvoiceId)).ExecuteDeleteAsync(ct);
            await db.Invoices.Where(i => i.AccountId == accountId && i.ActivePaymentId == id && removed.Contains(i.Id) && i.Status == InvoiceStatus.Scheduled)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.Status, InvoiceStatus.Open)
                    .SetProperty(i => i.ActivePaymentId, (Guid?)null)
                    .SetProperty(i => i.ScheduledFor, (DateOnly?)null)
                    .SetProperty(i => i.Version, i => i.Version + 1), ct);
        }
        // Each line records the balance it was priced from with its discount and short amount: the runner charges what the
        // payer confirmed, and refuses only what changes after this (a balance the ERP changed before the change was priced
        // is the line's balance now, not a change).
        foreach (var line in lines)
        {
            var (invoiceId, open, lineDiscount, lineShort, applied) = (line.InvoiceId, line.OpenBalance.ToMinorUnits(), line.Discount.ToMinorUnits(),
                line.ShortAmount?.ToMinorUnits() ?? 0, line.AmountToPay.ToMinorUnits());
            await db.PaymentAllocations.Where(a => a.PaymentId == id && a.InvoiceId == invoiceId)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(a => a.OpenBalanceMinor, open)
                    .SetProperty(a => a.DiscountMinor, lineDiscount)
                    .SetProperty(a => a.ShortMinor, lineShort)
                    .SetProperty(a => a.AppliedMinor, applied), ct);
        }
        if (date != oldDate)
        {
            await db.Invoices.Where(i => i.AccountId == accountId && i.ActivePaymentId == id && i.Status == InvoiceStatus.Scheduled)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.ScheduledFor, (DateOnly?)date).SetProperty(i => i.Version, i => i.Version + 1), ct);
            if (payment.AutopayEnrollmentId is not null && date > oldDate)
            {
                // The "upcoming autopay" notice went out for the old date: moved later, the payer is told again before the new one.
                await db.AutopayItems.Where(i => i.PaymentId == id && i.UpcomingNotifiedAt != null)
                    .ExecuteUpdateAsync(s => s.SetProperty(i => i.UpcomingNotifiedAt, (DateTime?)null), ct);
            }
        }

        var before = new { Amount = oldAmount, Date = oldDate, Method = payment.MethodDescription, Invoices = payment.Allocations.Select(a => a.InvoiceNumber).ToList() };
        payment.AmountMinor = amount;
        payment.FeeMinor = fee;
        payment.FeeLabel = feeLabel;
        payment.DiscountMinor = discount;
        payment.ShortMinor = shortTotal;
        payment.InvoiceCount = lines.Count;
        payment.ScheduledFor = date;
        payment.PaymentMethodId = amendment.MethodId;
        payment.MethodDescription = amendment.MethodDescription;
        payment.MethodKey = methodKey;
        var byInvoice = lines.ToDictionary(l => l.InvoiceId);
        payment.Allocations = payment.Allocations.Where(a => keep.Contains(a.InvoiceId)).Select(a =>
        {
            a.OpenBalanceMinor = byInvoice[a.InvoiceId].OpenBalance.ToMinorUnits();
            a.DiscountMinor = byInvoice[a.InvoiceId].Discount.ToMinorUnits();
            a.ShortMinor = byInvoice[a.InvoiceId].ShortAmount?.ToMinorUnits() ?? 0;
            a.AppliedMinor = byInvoice[a.InvoiceId].AmountToPay.ToMinorUnits();
            return a;
        }).ToList();

        AuditLog.Add(db, payment.AccountId, change.Actor, "payment.amended", id.ToString(), now, new
        {
            payment.ReceiptNumber,
            Before = before,
            After = new { Amount = amount, Date = date, Method = amendment.MethodDescription, Invoices = payment.Allocations.Select(a => a.InvoiceNumber).ToList() },
            Removed = amendment.RemovedNumbers,
        });
        OutboxWriter.EnqueueEmail(db, PaymentEmails.Changed(emailTexts, payment, payment.AccountName, change.CancelledBy ?? change.Actor, amendment.RemovedNumbers,
            options.Value.Notifications.PortalBaseUrl, options.Value.Merchant), now);
        logger.LogInformation("Scheduled payment {PaymentId} ({ReceiptNumber}) changed: {OldAmount} on {OldDate} → {Amount} on {Date}, {Removed} invoices removed",
            id, payment.ReceiptNumber, Money.FromMinorUnits(oldAmount, payment.Currency), oldDate, Money.FromMinorUnits(amount, payment.Currency), date, removed.Count);
        return true;
    }

    /// <summary>
    /// Releases the holds of invoices the ERP reports this payment applied to: the payment's own fate in the ERP, never a
    /// mere change of the open amount. Returns true when <paramref name="row"/> changed.
    /// </summary>
    internal static bool ReleaseAppliedHold(InvoiceRecord row, IReadOnlyCollection<Guid>? appliedPayments)
    {
        if (row.ActivePaymentId is not { } paymentId || row.Status == InvoiceStatus.Open || appliedPayments is null || !appliedPayments.Contains(paymentId))
        {
            return false;
        }
        row.Status = InvoiceStatus.Open;
        row.ActivePaymentId = null;
        row.ScheduledFor = null;
        row.Version++;
        return true;
    }

    private async Task ApplyEffectsAsync(PaymentsDbContext db, PaymentRecord payment, PaymentStatus from, PaymentStatus to, PaymentChange change,
        bool postingWentOut, DateTime now, CancellationToken ct)
    {
        var baseUrl = options.Value.Notifications.PortalBaseUrl;
        var merchant = options.Value.Merchant;
        switch (to)
        {
            case PaymentStatus.Succeeded when !postingWentOut:
            case PaymentStatus.Processing:
                EnqueuePosting(db, payment, change.Reference, now);
                OutboxWriter.EnqueueEmail(db, PaymentEmails.Confirmation(emailTexts, payment, to, payment.AccountName, baseUrl, merchant), now);
                break;
            case PaymentStatus.Succeeded:
                // A bank debit settled: its posting went out when the gateway accepted it; tell the payer it cleared.
                OutboxWriter.EnqueueEmail(db, PaymentEmails.Confirmation(emailTexts, payment, to, payment.AccountName, baseUrl, merchant), now);
                break;
            case PaymentStatus.Failed or PaymentStatus.Returned or PaymentStatus.Refunded:
                await ReleaseHoldsAsync(db, payment, ct);
                var reason = change.Reason ?? "The payment did not go through.";
                if (postingWentOut)
                {
                    // The ERP has the money applied: undo it, or the invoices stay settled there (and the next sync closes them here).
                    OutboxWriter.EnqueueReversal(db, new ErpPaymentReversal
                    {
                        PaymentId = payment.Id,
                        AccountId = payment.AccountId,
                        ReceiptNumber = payment.ReceiptNumber,
                        Amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency),
                        ReturnedAt = new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc)),
                        Reason = reason,
                        ConvenienceFee = payment.FeeMinor == 0 ? null : Money.FromMinorUnits(payment.FeeMinor, payment.Currency),
                    }, now);
                }
                if (to != PaymentStatus.Failed || change.EmailFailure || from is PaymentStatus.Processing or PaymentStatus.Unconfirmed or PaymentStatus.RequiresAction)
                {
                    OutboxWriter.EnqueueEmail(db, PaymentEmails.Failed(emailTexts, payment, to, reason, payment.AccountName, baseUrl, merchant), now);
                }
                break;
            case PaymentStatus.Cancelled:
                await ReleaseHoldsAsync(db, payment, ct);
                if (!change.Quiet)
                {
                    OutboxWriter.EnqueueEmail(db, PaymentEmails.Cancelled(emailTexts, payment, payment.AccountName, change.CancelledBy ?? change.Actor, baseUrl, merchant), now);
                }
                break;
        }
    }

    /// <summary>Invoices held by a payment that will not pay them become payable again.</summary>
    private static Task<int> ReleaseHoldsAsync(PaymentsDbContext db, PaymentRecord payment, CancellationToken ct)
    {
        var id = payment.Id;
        var accountId = payment.AccountId;
        return db.Invoices.Where(i => i.AccountId == accountId && i.ActivePaymentId == id && i.Status != InvoiceStatus.Open)
            .ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, InvoiceStatus.Open)
                .SetProperty(i => i.ActivePaymentId, (Guid?)null)
                .SetProperty(i => i.ScheduledFor, (DateOnly?)null)
                .SetProperty(i => i.Version, i => i.Version + 1), ct);
    }

    /// <summary>The ERP posting of collected money (payment with its allocations, or deposit as unapplied cash).</summary>
    private static void EnqueuePosting(PaymentsDbContext db, PaymentRecord payment, string? reference, DateTime now)
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
                ConvenienceFee = payment.FeeMinor == 0 ? null : M(payment.FeeMinor),
            }, now);
            return;
        }
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
            ConvenienceFee = payment.FeeMinor == 0 ? null : M(payment.FeeMinor),
        }, now);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
