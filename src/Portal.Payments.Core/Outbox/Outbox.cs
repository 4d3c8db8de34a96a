using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;

namespace Portal.Payments.Outbox;

/// <summary>Adds outbox messages to a context, so they commit in the same transaction as the change that caused them.</summary>
internal static class OutboxWriter
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Queues an ERP payment posting.</summary>
    public static void EnqueuePayment(PaymentsDbContext db, ErpPaymentPosting posting, DateTime now) =>
        Add(db, OutboxKind.ErpPayment, posting.AccountId, posting, now);

    /// <summary>Queues an ERP deposit posting.</summary>
    public static void EnqueueDeposit(PaymentsDbContext db, ErpDepositPosting posting, DateTime now) =>
        Add(db, OutboxKind.ErpDeposit, posting.AccountId, posting, now);

    /// <summary>Queues an ERP comment posting.</summary>
    /// <remarks>The message's id is the comment's, so the comment's list can say whether it reached the ERP.</remarks>
    public static void EnqueueComment(PaymentsDbContext db, ErpCommentPosting posting, DateTime now) =>
        Add(db, OutboxKind.ErpComment, posting.AccountId, posting, now, posting.CommentId);

    /// <summary>Queues an email.</summary>
    /// <remarks>
    /// The message's id is the email's, so the outbox's log lines and the senders' (which name the email by its id, never
    /// by its recipient's address) trace one email.
    /// </remarks>
    public static void EnqueueEmail(PaymentsDbContext db, PortalEmail email, DateTime now) =>
        Add(db, OutboxKind.Email, email.AccountId, email, now, email.Id);

    /// <summary>Queues the reversal of a returned payment or deposit.</summary>
    public static void EnqueueReversal(PaymentsDbContext db, ErpPaymentReversal reversal, DateTime now) =>
        Add(db, OutboxKind.ErpReversal, reversal.AccountId, reversal, now);

    private static void Add<T>(PaymentsDbContext db, OutboxKind kind, string accountId, T payload, DateTime now, Guid? id = null) =>
        db.Outbox.Add(new OutboxMessageRecord
        {
            Id = id ?? Guid.NewGuid(),
            Kind = kind,
            AccountId = accountId,
            PayloadJson = JsonSerializer.Serialize(payload, Json),
            CreatedAt = now,
            NextAttemptAt = now,
        });
}

/// <summary>
/// Delivers due outbox messages in two lanes that never wait for each other: ERP postings (payments, deposits,
/// reversals, comments) and emails, so a slow mail relay never delays posting collected money (each lane has its own
/// background loop: <see cref="OutboxBackgroundService"/>, <see cref="EmailOutboxBackgroundService"/>). Each lane claims a
/// wave of due messages with one conditional update and a lease (one node per message), delivers them in parallel (up
/// to <see cref="PortalPaymentsOptions.OutboxConcurrency"/>), and marks the delivered ones done with one update.
/// Failures are retried with exponential backoff (5 s doubling, capped at one hour). Postings of money are retried
/// forever — the health check reports their age; emails and comments are dead-lettered after
/// <see cref="PortalPaymentsOptions.OutboxMaxAttempts"/> (and can be replayed), an email the mail relay refused
/// permanently (<see cref="SmtpRefusal"/>: no such mailbox, say) at its first refusal.
/// Each delivery is cut off after <see cref="PortalPaymentsOptions.OutboxDeliveryTimeout"/> (within the lease): no answer
/// is a failed attempt, tried again no earlier than its lease would have run out (the abandoned call may still be at
/// work), and the lane ends its run after that wave, so a hanging ERP or relay holds up neither the next run nor the
/// other lane for longer than the limit. Results are recorded only while this node still holds the
/// message's lease (its owner and expiry as claimed): a node that stalled past its lease records nothing, so it never
/// undoes the work of the node that took the message over.
/// Adapters drop duplicates by id, which covers a crash between delivery and marking it done (the portal's SMTP sender
/// does the same by the email's id in the mailbox table). When the host stops during a wave, what was delivered is still
/// marked done, and what was cut off goes back to the lane at once, its attempt not counted.
/// </summary>
internal sealed class OutboxProcessor(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    DatabaseWriteLane lane,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<OutboxProcessor> logger)
{
    /// <summary>How long a claim holds a message (longer than any delivery's time limit).</summary>
    internal static readonly TimeSpan LeaseLength = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromHours(1);
    private static readonly OutboxKind[] ErpKinds = [OutboxKind.ErpPayment, OutboxKind.ErpDeposit, OutboxKind.ErpReversal, OutboxKind.ErpComment];
    private static readonly OutboxKind[] EmailKinds = [OutboxKind.Email];

    /// <summary>The longest error text kept with a message (its column's length).</summary>
    internal const int MaxErrorLength = 2000;

    /// <summary>Delivers every message due now, both lanes at once; returns how many were delivered.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var lanes = await Task.WhenAll(RunLaneAsync(ErpKinds, cancellationToken), RunLaneAsync(EmailKinds, cancellationToken));
        await RecordBacklogAsync(cancellationToken);
        return lanes.Sum();
    }

    /// <summary>Delivers the messages of one lane due now; returns how many were delivered. The other lane is not waited for.</summary>
    public async Task<int> RunLaneDueAsync(OutboxLane lane, CancellationToken cancellationToken = default)
    {
        var delivered = await RunLaneAsync(lane == OutboxLane.Emails ? EmailKinds : ErpKinds, cancellationToken);
        await RecordBacklogAsync(cancellationToken);
        return delivered;
    }

    private async Task RecordBacklogAsync(CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return;   // the host is stopping: the run's deliveries are recorded, the gauge can wait
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = db.Outbox.Where(m => m.CompletedAt == null && m.DeadLetteredAt == null);
        var count = await open.CountAsync(ct);
        var oldest = count == 0 ? (DateTime?)null : await open.MinAsync(m => (DateTime?)m.CreatedAt, ct);
        PortalPaymentsTelemetry.RecordBacklog(count, oldest is { } o ? clock.GetUtcNow().UtcDateTime - o : null);
    }

    private async Task<int> RunLaneAsync(OutboxKind[] kinds, CancellationToken ct)
    {
        var delivered = 0;
        while (!ct.IsCancellationRequested)
        {
            var (wave, anyDue) = await ClaimAsync(kinds, options.Value.OutboxConcurrency, ct);
            if (!anyDue)
            {
                break;
            }
            if (wave.Count == 0)
            {
                continue; // another node took them: look again
            }
            var results = await Task.WhenAll(wave.Select(m => Task.Run(() => DeliverAsync(m, ct), CancellationToken.None)));
            delivered += await CompleteAsync(wave, results);
            if (results.Any(r => r.TimedOut))
            {
                // The ERP or relay is not answering: what is still due waits for the next run instead of a wave more
                // each, so the run (and with it the other lane's next one) ends within the delivery limit.
                break;
            }
        }
        return delivered;
    }

    /// <summary>Claims up to <paramref name="max"/> due messages of the lane with one conditional update; the rows now under this node's lease.</summary>
    private async Task<(List<OutboxMessageRecord> Wave, bool AnyDue)> ClaimAsync(OutboxKind[] kinds, int max, CancellationToken ct)
    {
        var node = options.Value.NodeName;
        var now = clock.GetUtcNow().UtcDateTime;
        var until = default(DateTime);   // set at the claim
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var candidates = await db.Outbox
            .Where(m => kinds.Contains(m.Kind) && m.CompletedAt == null && m.DeadLetteredAt == null && m.NextAttemptAt <= now
                        && (m.LeaseExpiresAt == null || m.LeaseExpiresAt < now))
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => m.Id)
            .Take(max)
            .ToListAsync(ct);
        if (candidates.Count == 0)
        {
            return ([], false);
        }
        // Still due, too: a node paused since it chose them must not take one another node tried and rescheduled meanwhile.
        // The lease runs from the clock at the claim, not at the choice: a node paused in between would otherwise write a
        // lease that had run out already, and another node could take the message while this one delivers it.
        await lane.RunAsync(() =>
        {
            until = clock.GetUtcNow().UtcDateTime + LeaseLength;
            return db.Outbox
                .Where(m => candidates.Contains(m.Id) && m.CompletedAt == null && m.DeadLetteredAt == null && m.NextAttemptAt <= now
                            && (m.LeaseExpiresAt == null || m.LeaseExpiresAt < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseOwner, node).SetProperty(m => m.LeaseExpiresAt, until), ct);
        }, ct);
        var wave = await db.Outbox.AsNoTracking()
            .Where(m => candidates.Contains(m.Id) && m.LeaseOwner == node && m.LeaseExpiresAt == until)
            .ToListAsync(ct);
        return (wave, true);
    }

    /// <summary>
    /// Delivers one message within <see cref="PortalPaymentsOptions.OutboxDeliveryTimeout"/>; no error on success, otherwise
    /// the error to retry on (and whether it was the time limit).
    /// </summary>
    private async Task<Delivery> DeliverAsync(OutboxMessageRecord message, CancellationToken ct)
    {
        using var activity = PortalPaymentsTelemetry.Source.StartActivity(message.Kind == OutboxKind.Email ? "email.send" : "erp.post");
        activity?.SetTag("portal.outbox_kind", message.Kind.ToString());
        activity?.SetTag("portal.message_id", message.Id);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? error;
        var timedOut = false;
        var cancelled = false;
        var permanent = false;
        try
        {
            error = await TimeLimit.RunAsync(c => DispatchAsync(message, c), options.Value.OutboxDeliveryTimeout, clock,
                message.Kind == OutboxKind.Email ? "The email's delivery to the mail relay got no answer" : "The posting to the ERP got no answer", nameof(PortalPaymentsOptions.OutboxDeliveryTimeout), ct);
        }
        catch (TimeoutException ex)
        {
            logger.LogWarning(ex, "Outbox {Kind} {Id} got no answer in time (attempt {Attempt}); retried later", message.Kind, message.Id, message.Attempts + 1);
            error = ex.Message;
            timedOut = true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The host is stopping: not an attempt of the message's; it goes back to the lane (see CompleteAsync).
            logger.LogInformation("Outbox {Kind} {Id}: its delivery was cut off by the host stopping; it is delivered again by the next run on any node",
                message.Kind, message.Id);
            error = null;
            cancelled = true;
        }
        catch (Exception ex) when (message.Kind == OutboxKind.Email && ExceptionChain.Find<EmailUndeliverableException>(ex) is { } undeliverable)
        {
            // Addressed to something that is no email address, or refused for good by the host's own sender: it never goes,
            // however often tried.
            error = undeliverable.Message.Length == 0 ? undeliverable.GetType().Name : undeliverable.Message;
            permanent = true;
        }
        catch (Exception ex) when (message.Kind == OutboxKind.Email && SmtpRefusal.IsRefusal(ex, out var refusal, out var forGood))
        {
            // The relay answered with a refusal, kept in its words (code, text, command). One for good (no such mailbox, say)
            // no retry can change: given up at once (logged when recorded, see RescheduleAsync), not retried for hours.
            if (!forGood)
            {
                logger.LogWarning("Outbox {Kind} {Id} failed (attempt {Attempt}): {Error}", message.Kind, message.Id, message.Attempts + 1, refusal);
            }
            error = refusal;
            permanent = forGood;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Outbox {Kind} {Id} failed (attempt {Attempt})", message.Kind, message.Id, message.Attempts + 1);
            error = ex.Message.Length == 0 ? ex.GetType().Name : ex.Message;
        }
        var result = cancelled ? "cancelled" : error is null ? "delivered" : "failed";
        activity?.SetTag("portal.result", result);
        PortalPaymentsTelemetry.DeliveryDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            new KeyValuePair<string, object?>("kind", message.Kind.ToString()), new KeyValuePair<string, object?>("result", result));
        return new Delivery(error, timedOut, cancelled, permanent);
    }

    /// <summary>
    /// How one delivery ended: delivered (no error, not cancelled), failed (the error; whether the time limit ended it, and
    /// whether it can never succeed, e.g. an email the relay refused permanently), or cut off by the host stopping.
    /// </summary>
    private readonly record struct Delivery(string? Error, bool TimedOut, bool Cancelled, bool Permanent = false)
    {
        public bool Delivered => Error is null && !Cancelled;
    }

    /// <summary>
    /// Marks the delivered messages of a wave done with one update, hands the ones cut off by the host stopping back to
    /// the lane with another (their attempt not counted), and reschedules (or gives up) the failed ones one by one — each
    /// only while this node still holds its lease as claimed (owner and expiry: the wave's lease token). A message whose
    /// lease was taken over belongs to the node that took it: this node's result is dropped (logged), never recorded over
    /// it. One failed reschedule does not keep the others from theirs.
    /// </summary>
    private async Task<int> CompleteAsync(List<OutboxMessageRecord> wave, Delivery[] results)
    {
        var node = options.Value.NodeName;
        var after = clock.GetUtcNow().UtcDateTime;
        var done = wave.Where((_, i) => results[i].Delivered).ToList();
        var cutOff = wave.Where((_, i) => results[i].Cancelled).Select(m => m.Id).ToList();
        var marked = 0;
        // One wave, one claim: every message of it carries the same lease expiry.
        var until = wave[0].LeaseExpiresAt;
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        if (cutOff.Count > 0)
        {
            await lane.RunAsync(() => db.Outbox.Where(m => cutOff.Contains(m.Id) && m.LeaseOwner == node && m.LeaseExpiresAt == until).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.LeaseOwner, (string?)null)
                .SetProperty(m => m.LeaseExpiresAt, (DateTime?)null), CancellationToken.None));
        }
        if (done.Count > 0)
        {
            var ids = done.Select(m => m.Id).ToList();
            marked = await lane.RunAsync(() => db.Outbox.Where(m => ids.Contains(m.Id) && m.LeaseOwner == node && m.LeaseExpiresAt == until).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.CompletedAt, after)
                .SetProperty(m => m.Attempts, m => m.Attempts + 1)
                .SetProperty(m => m.LastError, (string?)null)
                .SetProperty(m => m.LeaseOwner, (string?)null)
                .SetProperty(m => m.LeaseExpiresAt, (DateTime?)null), CancellationToken.None));
            if (marked < done.Count)
            {
                logger.LogInformation("{Lost} of {Delivered} outbox messages delivered by {Node} had lost their lease to another node; not marked done here " +
                                      "(the node holding them records them; adapters drop duplicate postings by id)", done.Count - marked, done.Count, node);
            }
        }
        for (var i = 0; i < wave.Count; i++)
        {
            if (results[i] is { Cancelled: false, Error: { } error })
            {
                try
                {
                    await RescheduleAsync(db, wave[i], error, results[i].TimedOut, results[i].Permanent, after);
                }
                catch (Exception ex)
                {
                    // Its lease runs out and the next run takes it again; the rest of the wave is recorded meanwhile.
                    logger.LogWarning(ex, "Outbox {Kind} {Id}: its failed attempt could not be recorded; it is taken again when its lease runs out", wave[i].Kind, wave[i].Id);
                }
            }
        }
        return marked;
    }

    private async Task RescheduleAsync(PaymentsDbContext db, OutboxMessageRecord message, string error, bool timedOut, bool permanent, DateTime after)
    {
        var id = message.Id;
        var (node, until) = (message.LeaseOwner, message.LeaseExpiresAt);
        var attempts = message.Attempts + 1;
        // Collected money must reach the ERP: its postings are never given up, only retried less often. A failure that can
        // never succeed (an email the relay refused permanently) is given up at once.
        permanent &= !IsMoney(message.Kind);
        var dead = !IsMoney(message.Kind) && (permanent || attempts >= options.Value.OutboxMaxAttempts) ? after : (DateTime?)null;
        var next = after + Backoff(attempts);
        if (timedOut && until is { } leaseEnd && leaseEnd > next)
        {
            // No answer in time: the call was abandoned, but the ERP or relay may still be working on it. The next attempt
            // waits until the claim would have run out, so the two do not overlap at an adapter whose duplicate check is
            // not safe against a concurrent copy (and an email the relay took late is less likely to go twice).
            next = leaseEnd;
        }
        var trimmed = StoredError(error);
        var rescheduled = await lane.RunAsync(() => db.Outbox.Where(m => m.Id == id && m.LeaseOwner == node && m.LeaseExpiresAt == until).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Attempts, attempts)
            .SetProperty(m => m.LastError, trimmed)
            .SetProperty(m => m.NextAttemptAt, next)
            .SetProperty(m => m.DeadLetteredAt, dead)
            .SetProperty(m => m.LeaseOwner, (string?)null)
            .SetProperty(m => m.LeaseExpiresAt, (DateTime?)null), CancellationToken.None));
        if (rescheduled == 0)
        {
            // Stalled past the lease: another node has the message (delivering it, or done). Its attempt is not this one's.
            logger.LogInformation("Outbox {Kind} {Id} failed on {Node} after it lost its lease to another node; the failure is not recorded: {Error}",
                message.Kind, id, node, trimmed);
            return;
        }
        if (permanent)
        {
            logger.LogWarning("Outbox {Kind} {Id} for account {AccountId} dead-lettered at once (attempt {Attempts}), not retried: {Error}",
                message.Kind, id, message.AccountId, attempts, trimmed);
        }
        else if (dead is not null)
        {
            logger.LogError("Outbox {Kind} {Id} dead-lettered after {Attempts} attempts: {Error}", message.Kind, id, attempts, trimmed);
        }
        else if (IsMoney(message.Kind) && attempts % 5 == 0)
        {
            logger.LogError("Outbox {Kind} {Id} for account {AccountId} still undelivered after {Attempts} attempts since {CreatedAt:u}: {Error}; retried every {Delay}",
                message.Kind, id, message.AccountId, attempts, message.CreatedAt, trimmed, Backoff(attempts));
        }
    }

    /// <summary>
    /// An adapter's error text as a text column takes it on every database: NUL characters (which PostgreSQL refuses) dropped,
    /// a surrogate without its pair replaced, and at most <see cref="MaxErrorLength"/> characters, never cut between a pair.
    /// </summary>
    internal static string StoredError(string error)
    {
        var text = new System.Text.StringBuilder(Math.Min(error.Length, MaxErrorLength));
        for (var i = 0; i < error.Length; i++)
        {
            var c = error[i];
            if (char.IsHighSurrogate(c) && i + 1 < error.Length && char.IsLowSurrogate(error[i + 1]))
            {
                if (text.Length + 2 > MaxErrorLength)
                {
                    break;
                }
                text.Append(c).Append(error[++i]);
                continue;
            }
            if (text.Length + 1 > MaxErrorLength)
            {
                break;
            }
            if (c != '\0')
            {
                text.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return text.ToString();
    }

    /// <summary>True for ERP postings of money: payments, deposits and their reversals (never dead-lettered).</summary>
    public static bool IsMoney(OutboxKind kind) => kind is OutboxKind.ErpPayment or OutboxKind.ErpDeposit or OutboxKind.ErpReversal;

    /// <summary>5 s, 10 s, 20 s … capped at one hour.</summary>
    internal static TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(FirstRetry.Ticks * factor, MaxRetry.Ticks));
        return delay;
    }

    /// <summary>
    /// The ERP's answer as the outbox takes it: null when accepted (the ERP's document number, when it gave one, is logged
    /// with the message, the payment or deposit it carries and the account, so an operator can find one from the other),
    /// otherwise the error to retry on.
    /// </summary>
    private string? Answer(OutboxMessageRecord message, Guid subject, ErpPostingResult result, string refused)
    {
        if (!result.Accepted)
        {
            return result.Error ?? refused;
        }
        if (!string.IsNullOrEmpty(result.ErpReference))
        {
            logger.LogInformation("Outbox {Kind} {Id} ({Subject}) of account {AccountId} is in the ERP as {ErpReference}{Duplicate}",
                message.Kind, message.Id, subject, message.AccountId, result.ErpReference, result.Duplicate ? " (posted before)" : "");
        }
        return null;
    }

    /// <summary>Delivers one message; null on success, otherwise the error to retry on.</summary>
    private async Task<string?> DispatchAsync(OutboxMessageRecord message, CancellationToken ct)
    {
        // Disposed asynchronously: a host's adapter or sender may release its client only so (IAsyncDisposable alone), and a
        // synchronous dispose would throw after the delivery went through, failing a posting the ERP had taken.
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        switch (message.Kind)
        {
            case OutboxKind.ErpPayment:
            {
                var posting = Deserialize<ErpPaymentPosting>(message);
                var result = await sp.GetRequiredService<IErpAdapter>().PostPaymentAsync(posting, ct);
                return Answer(message, posting.PaymentId, result, "The ERP refused the payment posting.");
            }
            case OutboxKind.ErpDeposit:
            {
                var posting = Deserialize<ErpDepositPosting>(message);
                var result = await sp.GetRequiredService<IErpAdapter>().PostDepositAsync(posting, ct);
                return Answer(message, posting.PaymentId, result, "The ERP refused the deposit posting.");
            }
            case OutboxKind.ErpReversal:
            {
                var reversal = Deserialize<ErpPaymentReversal>(message);
                var result = await sp.GetRequiredService<IErpAdapter>().ReversePaymentAsync(reversal, ct);
                return Answer(message, reversal.PaymentId, result, "The ERP refused the reversal.");
            }
            case OutboxKind.ErpComment:
            {
                var posting = Deserialize<ErpCommentPosting>(message);
                var result = await sp.GetRequiredService<IErpAdapter>().PostCommentAsync(posting, ct);
                return Answer(message, posting.CommentId, result, "The ERP refused the comment.");
            }
            case OutboxKind.Email:
                await sp.GetRequiredService<INotificationSender>().SendAsync(Deserialize<PortalEmail>(message), ct);
                return null;
            default:
                return $"Unknown outbox kind {message.Kind}.";
        }
    }

    private static T Deserialize<T>(OutboxMessageRecord message) =>
        System.Text.Json.JsonSerializer.Deserialize<T>(message.PayloadJson, OutboxWriter.Json)
        ?? throw new InvalidOperationException($"Outbox message {message.Id} has an empty payload.");
}

/// <summary>The outbox's two lanes, each run by a background loop of its own.</summary>
internal enum OutboxLane
{
    /// <summary>Postings to the ERP: payments, deposits, reversals, comments.</summary>
    ErpPostings,

    /// <summary>Emails.</summary>
    Emails,
}

/// <summary>
/// Runs one lane of <see cref="OutboxProcessor"/> on every node at <see cref="PortalPaymentsOptions.OutboxPollInterval"/>.
/// Each lane has its own loop, so a run of one that waits on its adapter (a mail relay answering slowly, up to
/// <see cref="PortalPaymentsOptions.OutboxDeliveryTimeout"/> a wave) never holds up the other's next run.
/// </summary>
internal abstract class OutboxLaneService(OutboxProcessor processor, OutboxLane lane, IOptions<PortalPaymentsOptions> options, TimeProvider clock, ILogger logger)
    : PeriodicBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.OutboxPollInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => processor.RunLaneDueAsync(lane, cancellationToken);
}

/// <summary>The ERP postings' lane of the outbox (see <see cref="OutboxLaneService"/>).</summary>
internal sealed class OutboxBackgroundService(OutboxProcessor processor, IOptions<PortalPaymentsOptions> options, TimeProvider clock, ILogger<OutboxBackgroundService> logger)
    : OutboxLaneService(processor, OutboxLane.ErpPostings, options, clock, logger)
{
    protected override string WorkName => "Outbox run (ERP postings)";
}

/// <summary>The emails' lane of the outbox (see <see cref="OutboxLaneService"/>).</summary>
internal sealed class EmailOutboxBackgroundService(OutboxProcessor processor, IOptions<PortalPaymentsOptions> options, TimeProvider clock, ILogger<EmailOutboxBackgroundService> logger)
    : OutboxLaneService(processor, OutboxLane.Emails, options, clock, logger)
{
    protected override string WorkName => "Outbox run (emails)";
}
