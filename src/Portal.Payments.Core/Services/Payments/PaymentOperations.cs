using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>A payment whose end is overdue (see <see cref="PaymentOperations.GetStuckPaymentsAsync"/>).</summary>
public sealed record StuckPayment
{
    /// <summary>Payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Charging, Unconfirmed, RequiresAction or Processing.</summary>
    public required PaymentStatus Status { get; init; }
    /// <summary>Amount.</summary>
    public required Money Amount { get; init; }
    /// <summary>When charging began (UTC).</summary>
    public required DateTimeOffset ChargeStartedAt { get; init; }
    /// <summary>Next status check (UTC), if any.</summary>
    public DateTimeOffset? NextCheckAt { get; init; }
    /// <summary>Node holding the lease, if any.</summary>
    public string? LeaseOwner { get; init; }
    /// <summary>Charge attempts sent.</summary>
    public int Attempts { get; init; }
    /// <summary>Status checks made.</summary>
    public int StatusChecks { get; init; }
}

/// <summary>What an operator found at the payment processor about a payment the portal cannot finish by itself.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<OperatorFinding>))]
public enum OperatorFinding
{
    /// <summary>The processor took the money: the payment succeeded (posted to the ERP, the payer gets the receipt).</summary>
    Charged,
    /// <summary>The processor has no charge, or it failed: the payment failed (its invoices open again, the payer is told).</summary>
    NotCharged,
}

/// <summary>What <see cref="PaymentOperations.ResolvePaymentAsync"/> did.</summary>
public enum ResolveResult
{
    /// <summary>The payment was recorded as the operator said.</summary>
    Resolved,
    /// <summary>No payment has that id.</summary>
    NotFound,
    /// <summary>The payment is not open (it ended, is scheduled, or a node is charging or checking it right now).</summary>
    NotOpen,
}

/// <summary>An outbox message not delivered yet (or given up, for emails and comments).</summary>
public sealed record UndeliveredMessage
{
    /// <summary>Message id.</summary>
    public required Guid Id { get; init; }
    /// <summary>ERP payment, deposit, reversal, comment, or email.</summary>
    public required OutboxKind Kind { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>Queued (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Attempts so far.</summary>
    public int Attempts { get; init; }
    /// <summary>The last error.</summary>
    public string? LastError { get; init; }
    /// <summary>Next attempt (UTC).</summary>
    public DateTimeOffset NextAttemptAt { get; init; }
    /// <summary>Given up (emails and comments only), UTC.</summary>
    public DateTimeOffset? DeadLetteredAt { get; init; }
    /// <summary>True for ERP postings of money (never given up).</summary>
    public bool IsMoney => OutboxProcessor.IsMoney(Kind);
}

/// <summary>Where the money path stands, for the health check and operators.</summary>
public sealed record MoneyPathReport
{
    /// <summary>Undelivered ERP postings of money.</summary>
    public int UndeliveredPostings { get; init; }
    /// <summary>Age of the oldest undelivered ERP posting of money.</summary>
    public TimeSpan? OldestPostingAge { get; init; }
    /// <summary>Emails and comments given up.</summary>
    public int DeadLettered { get; init; }
    /// <summary>Payments whose end is overdue (see <see cref="PaymentOperations.GetStuckPaymentsAsync"/>).</summary>
    public int StuckPayments { get; init; }
    /// <summary>Age of the oldest of them (since charging began).</summary>
    public TimeSpan? OldestStuckAge { get; init; }
    /// <summary>
    /// Gateway events of the last <see cref="PaymentOperations.ConflictWindow"/> that said money was taken for a payment the
    /// portal had ended without taking any, that a refund failed, or that the bank or card issuer took back a payment the portal
    /// could not record as returned (one it had refunded already: paid back twice) (<see cref="GatewayEventOutcome.Conflict"/>); each needs a person.
    /// </summary>
    public int ConflictingGatewayEvents { get; init; }
}

/// <summary>
/// For the host's operators (not for portal users: nothing here is scoped to a customer account — protect it with the
/// host's own authorization policy, see <c>MapCustomerPortalPaymentsOperations</c>): lists payments whose outcome is
/// overdue and outbox messages not delivered, and replays them.
/// </summary>
public sealed class PaymentOperations(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentLifecycle lifecycle,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<PaymentOperations> logger)
{
    private const int MaxListed = 500;

    /// <summary>How long a conflicting gateway event keeps the health check degraded: 7 days.</summary>
    public static readonly TimeSpan ConflictWindow = TimeSpan.FromDays(7);

    /// <summary>Counts and ages of what is overdue on the money path.</summary>
    public async Task<MoneyPathReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        var now = Now;
        var conflictsSince = now - ConflictWindow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var postings = db.Outbox.Where(m => m.CompletedAt == null
            && (m.Kind == OutboxKind.ErpPayment || m.Kind == OutboxKind.ErpDeposit || m.Kind == OutboxKind.ErpReversal));
        var oldestPosting = await postings.OrderBy(m => m.CreatedAt).Select(m => (DateTime?)m.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var stuck = Stuck(db, now);
        var oldestStuck = await stuck.OrderBy(p => p.ChargeStartedAt).Select(p => p.ChargeStartedAt).FirstOrDefaultAsync(cancellationToken);
        return new MoneyPathReport
        {
            UndeliveredPostings = await postings.CountAsync(cancellationToken),
            OldestPostingAge = oldestPosting is { } p ? now - p : null,
            DeadLettered = await db.Outbox.CountAsync(m => m.CompletedAt == null && m.DeadLetteredAt != null, cancellationToken),
            StuckPayments = await stuck.CountAsync(cancellationToken),
            OldestStuckAge = oldestStuck is { } s ? now - s : null,
            ConflictingGatewayEvents = await db.GatewayEvents
                .CountAsync(e => e.Outcome == GatewayEventOutcome.Conflict && e.ProcessedAt >= conflictsSince, cancellationToken),
        };
    }

    /// <summary>
    /// Payments whose end is overdue, oldest first: an unknown outcome (Charging, Unconfirmed) for longer than
    /// <see cref="ChargingOptions.StuckPaymentAge"/>; awaiting the payer (RequiresAction) that long past
    /// <see cref="ChargingOptions.CustomerActionTimeout"/>; settling (Processing) longer than <see cref="ChargingOptions.ProcessingAlertAge"/>.
    /// </summary>
    public async Task<IReadOnlyList<StuckPayment>> GetStuckPaymentsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await Stuck(db, Now)
            .OrderBy(p => p.ChargeStartedAt).Take(MaxListed).AsNoTracking().ToListAsync(cancellationToken);
        return rows.Select(p => new StuckPayment
        {
            PaymentId = p.Id,
            AccountId = p.AccountId,
            ReceiptNumber = p.ReceiptNumber,
            Status = p.Status,
            Amount = Money.FromMinorUnits(p.AmountMinor, p.Currency),
            ChargeStartedAt = Utc(p.ChargeStartedAt!.Value),
            NextCheckAt = p.NextCheckAt is { } n ? Utc(n) : null,
            LeaseOwner = p.LeaseOwner,
            Attempts = p.Attempts,
            StatusChecks = p.StatusChecks,
        }).ToList();
    }

    /// <summary>Outbox messages not delivered (money postings first, then the oldest).</summary>
    public async Task<IReadOnlyList<UndeliveredMessage>> GetUndeliveredAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Money first in the query itself: dead-lettered emails and comments stay undelivered, and however many of them
        // there are, they never push a money posting off the list.
        var rows = await db.Outbox.AsNoTracking().Where(m => m.CompletedAt == null && (m.Attempts > 0 || m.DeadLetteredAt != null))
            .OrderBy(m => m.Kind == OutboxKind.ErpPayment || m.Kind == OutboxKind.ErpDeposit || m.Kind == OutboxKind.ErpReversal ? 0 : 1)
            .ThenBy(m => m.CreatedAt).Take(MaxListed).ToListAsync(cancellationToken);
        return rows.Select(m => new UndeliveredMessage
        {
            Id = m.Id,
            Kind = m.Kind,
            AccountId = m.AccountId,
            CreatedAt = Utc(m.CreatedAt),
            Attempts = m.Attempts,
            LastError = m.LastError,
            NextAttemptAt = Utc(m.NextAttemptAt),
            DeadLetteredAt = m.DeadLetteredAt is { } d ? Utc(d) : null,
        }).OrderByDescending(m => m.IsMoney).ThenBy(m => m.CreatedAt).ToList();
    }

    /// <summary>Delivers a message again now (a dead-lettered one too); false when it is unknown or already delivered.</summary>
    public async Task<bool> ReplayMessageAsync(Guid messageId, string operatorId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var replayed = await db.Outbox.Where(m => m.Id == messageId && m.CompletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now).SetProperty(m => m.DeadLetteredAt, (DateTime?)null), cancellationToken);
        if (replayed == 1)
        {
            logger.LogInformation("Outbox message {Id} replayed by {Operator}", messageId, operatorId);
        }
        return replayed == 1;
    }

    /// <summary>Replays every undelivered message (dead-lettered ones too); returns how many.</summary>
    public async Task<int> ReplayAllMessagesAsync(string operatorId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var replayed = await db.Outbox.Where(m => m.CompletedAt == null && (m.Attempts > 0 || m.DeadLetteredAt != null))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now).SetProperty(m => m.DeadLetteredAt, (DateTime?)null), cancellationToken);
        logger.LogInformation("{Count} outbox messages replayed by {Operator}", replayed, operatorId);
        return replayed;
    }

    /// <summary>Longest operator note and charge reference <see cref="ResolvePaymentAsync"/> takes.</summary>
    public const int MaxNoteLength = 500, MaxReferenceLength = 200;

    /// <summary>The reason the payer reads when an operator found no charge.</summary>
    public const string NotChargedMessage = "The payment processor has no charge for this payment, so nothing was charged. Pay again when ready.";

    /// <summary>
    /// Records how a payment the portal cannot finish by itself ended, as an operator found it at the payment processor: a
    /// payment of a gateway that cannot look charges up, of a gateway the host no longer runs, or whose lookups never
    /// answer (Unconfirmed, Processing or awaiting the payer, and not being charged or checked by a node right now).
    /// <see cref="OperatorFinding.Charged"/> makes it Succeeded: posted to the ERP, the receipt emailed. <paramref name="reference"/>
    /// (the processor's reference of the charge, optional) becomes the payment's reference only when it has none; a reference
    /// stored already (for Stripe the PaymentIntent <c>pi_…</c> that refunds and disputes are matched by) is kept, and the
    /// operator's is recorded beside it in the audit row with the note; <see cref="OperatorFinding.NotCharged"/> makes it Failed: its
    /// invoices open again and the payer is emailed <see cref="NotChargedMessage"/>. The operator and the note are logged
    /// and the operator is recorded as the change's actor.
    /// </summary>
    public async Task<ResolveResult> ResolvePaymentAsync(Guid paymentId, OperatorFinding finding, string? reference, string note, string operatorId,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        ArgumentException.ThrowIfNullOrWhiteSpace(operatorId);
        if (note.Trim().Length > MaxNoteLength || reference?.Trim().Length > MaxReferenceLength)
        {
            throw new ArgumentException($"The note can be at most {MaxNoteLength} characters and the reference at most {MaxReferenceLength}.");
        }
        PaymentRecord? payment;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstOrDefaultAsync(p => p.Id == paymentId, cancellationToken);
        }
        if (payment is null)
        {
            return ResolveResult.NotFound;
        }
        if (payment.Status is not (PaymentStatus.Unconfirmed or PaymentStatus.Processing or PaymentStatus.RequiresAction)
            || payment.LeaseExpiresAt > Now)
        {
            return ResolveResult.NotOpen;
        }
        var to = finding == OperatorFinding.Charged ? PaymentStatus.Succeeded : PaymentStatus.Failed;
        var given = string.IsNullOrWhiteSpace(reference) ? null : reference.Trim();
        // The audit row's user column holds 64 characters; a sign-in name (a UPN, an email) may be longer: the column gets
        // its start, the details the whole name (a longer value would make PostgreSQL refuse the row, and the payment stay open).
        var actor = "operator:" + operatorId.Trim();
        var change = new PaymentChange(actor.Length > Data.ColumnLengths.Id ? actor[..Data.ColumnLengths.Id] : actor)
        {
            Operator = operatorId.Trim(),
            // The stored reference is the one the gateway's events and lookups name (for Stripe the PaymentIntent pi_…, by
            // which refunds and disputes find the payment); the operator's (perhaps the charge ch_… or py_…) is kept in the
            // audit row beside it, and becomes the payment's reference only when it has none.
            Reference = payment.GatewayReference is null ? given : null,
            OperatorReference = given,
            Note = note.Trim(),
            Reason = to == PaymentStatus.Failed ? NotChargedMessage : null,
            FailureCode = to == PaymentStatus.Failed ? PaymentFailureCodes.NotThrough : null,
            EmailFailure = to == PaymentStatus.Failed,
            Unleased = true,
        };
        var from = payment.Status;
        if (!await lifecycle.MoveAsync(dbFactory, payment, from, to, change, CancellationToken.None))
        {
            return ResolveResult.NotOpen;
        }
        logger.LogWarning("Payment {PaymentId} ({ReceiptNumber}, {Status}) recorded as {Finding} by {Operator}: {Note} (reference given {OperatorReference}, kept {Reference})",
            payment.Id, payment.ReceiptNumber, from, finding, operatorId, note.Trim(), given, payment.GatewayReference);
        return ResolveResult.Resolved;
    }

    /// <summary>
    /// Asks the gateway about a payment at the reconciler's next run instead of waiting for its next check (a payment being
    /// charged under a live lease is left alone); false when there is nothing to check.
    /// </summary>
    public async Task<bool> RecheckPaymentAsync(Guid paymentId, string operatorId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rechecked = await db.Payments
            .Where(p => p.Id == paymentId && (p.Status == PaymentStatus.Unconfirmed || p.Status == PaymentStatus.Processing || p.Status == PaymentStatus.RequiresAction)
                        && (p.LeaseExpiresAt == null || p.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.NextCheckAt, now), cancellationToken);
        if (rechecked == 1)
        {
            logger.LogInformation("Payment {PaymentId} set for a status check now by {Operator}", paymentId, operatorId);
        }
        return rechecked == 1;
    }

    /// <summary>
    /// Payments whose end is overdue at <paramref name="now"/>: an unknown outcome (Charging, Unconfirmed) older than
    /// <see cref="ChargingOptions.StuckPaymentAge"/>; awaiting the payer (RequiresAction) that long past the payer's
    /// <see cref="ChargingOptions.CustomerActionTimeout"/> (the reconciler cancels it then, unless the gateway cannot);
    /// a bank debit settling (Processing) longer than <see cref="ChargingOptions.ProcessingAlertAge"/>.
    /// </summary>
    private IQueryable<PaymentRecord> Stuck(PaymentsDbContext db, DateTime now)
    {
        var c = options.Value.Charging;
        var unknownBefore = now - c.StuckPaymentAge;
        var awaitingBefore = now - c.CustomerActionTimeout - c.StuckPaymentAge;
        var settlingBefore = now - c.ProcessingAlertAge;
        return db.Payments.Where(p => p.ChargeStartedAt != null && (
            ((p.Status == PaymentStatus.Charging || p.Status == PaymentStatus.Unconfirmed) && p.ChargeStartedAt < unknownBefore)
            || (p.Status == PaymentStatus.RequiresAction && p.ChargeStartedAt < awaitingBefore)
            || (p.Status == PaymentStatus.Processing && p.ChargeStartedAt < settlingBefore)));
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

/// <summary>
/// ASP.NET Core health check "portal-payments": Degraded when an ERP posting of collected money has waited longer than
/// <see cref="ChargingOptions.PostingAlertAge"/> or payments are stuck; Unhealthy when the database cannot be read.
/// The data carries the counts and ages, and in Production the setup warnings (<c>configurationWarnings</c>: emails only kept
/// in the mailbox table, SQLite), which leave the status as it is.
/// </summary>
internal sealed class PaymentsHealthCheck(PaymentOperations operations, IOptions<PortalPaymentsOptions> options, ProductionSetupWarnings? setupWarnings = null) : IHealthCheck
{
    /// <summary>The check's registered name.</summary>
    public const string Name = "portal-payments";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        MoneyPathReport report;
        try
        {
            report = await operations.GetReportAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The portal payments database cannot be read.", ex);
        }
        var data = new Dictionary<string, object>
        {
            ["undeliveredPostings"] = report.UndeliveredPostings,
            ["oldestPostingAgeSeconds"] = (long)(report.OldestPostingAge?.TotalSeconds ?? 0),
            ["deadLetteredMessages"] = report.DeadLettered,
            ["stuckPayments"] = report.StuckPayments,
            ["oldestStuckPaymentAgeSeconds"] = (long)(report.OldestStuckAge?.TotalSeconds ?? 0),
            ["conflictingGatewayEvents"] = report.ConflictingGatewayEvents,
        };
        if (setupWarnings?.Current is { Count: > 0 } warnings)
        {
            data["configurationWarnings"] = warnings.ToArray();
        }
        var problems = new List<string>();
        var alertAge = options.Value.Charging.PostingAlertAge;
        if (report.OldestPostingAge is { } age && age > alertAge)
        {
            problems.Add($"{report.UndeliveredPostings} ERP posting(s) of collected money undelivered, the oldest for {Format(age)} (the ERP may be down)");
        }
        if (report.StuckPayments > 0)
        {
            problems.Add($"{report.StuckPayments} payment(s) not ended in time (an unknown outcome for over {Format(options.Value.Charging.StuckPaymentAge)}, the payer's authentication abandoned, or a bank debit settling for over {Format(options.Value.Charging.ProcessingAlertAge)}), the oldest started {Format(report.OldestStuckAge!.Value)} ago");
        }
        if (report.ConflictingGatewayEvents > 0)
        {
            problems.Add($"{report.ConflictingGatewayEvents} gateway event(s) in the last {ConflictDays} days said money was taken for a payment recorded as failed or cancelled, that a refund failed, or that the bank or card issuer took back a payment the portal could not record as returned (one it had refunded already: paid back twice) (refund, recover or record it in the ERP; the log names each)");
        }
        if (report.DeadLettered > 0)
        {
            problems.Add($"{report.DeadLettered} email(s) or comment(s) given up");
        }
        return problems.Count == 0
            ? HealthCheckResult.Healthy("Payments and ERP postings are up to date.", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems) + ".", data: data);
    }

    private static readonly int ConflictDays = (int)PaymentOperations.ConflictWindow.TotalDays;

    private static string Format(TimeSpan t) =>
        t.TotalDays >= 2 ? $"{t.TotalDays:0.#} days" : t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : $"{Math.Max(1, (int)t.TotalMinutes)} min";
}
