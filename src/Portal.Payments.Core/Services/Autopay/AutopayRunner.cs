using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Fees;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Users;

namespace Portal.Payments.Services.Autopay;

/// <summary>
/// Turns autopay enrolments into scheduled payments, on every node at once: each enrolment is expanded under a lease
/// (one node at a time), each invoice once (a unique index on enrolment and invoice, and a deterministic idempotency
/// key per invoice), in one transaction per account. The scheduled-payment runner then charges them like any
/// scheduled payment — off-session, exactly once. Also sends the "upcoming autopay" emails.
/// </summary>
public sealed class AutopayRunner(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IServiceProvider services,
    PaymentLifecycle lifecycle,
    IDiscountPolicy discounts,
    IConvenienceFeePolicy fees,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    EmailTexts emailTexts,
    ILogger<AutopayRunner> logger)
{
    /// <summary>The user id recorded for autopay's own actions.</summary>
    public const string SystemUser = "system:autopay";

    private static readonly TimeSpan LeaseLength = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RetryAfterConflict = TimeSpan.FromMinutes(1);

    /// <summary>Expands every enrolment that is due; returns how many scheduled payments were made.</summary>
    public Task<int> ExpandAsync(CancellationToken cancellationToken = default)
    {
        if (!options.Value.Autopay.Enabled)
        {
            return Task.FromResult(0);
        }
        var made = 0;
        return RunAsync();

        async Task<int> RunAsync()
        {
            await ClaimedWork.RunAsync(async max =>
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                return await ClaimAsync(db, Math.Min(max, 200), cancellationToken);
            }, async id =>
            {
                try
                {
                    Interlocked.Add(ref made, await ExpandClaimedAsync(id, CancellationToken.None));
                    return true;
                }
                catch (Exception ex)
                {
                    // Expanded without the stop token: a cancellation here is an adapter's timeout.
                    logger.LogWarning(ex, "Autopay enrolment {EnrollmentId} could not be expanded; tried again when its lease expires", id);
                    return false;
                }
            }, Math.Max(1, Math.Min(options.Value.Scheduling.MaxConcurrentCharges, 4)), cancellationToken);
            return made;
        }
    }

    /// <summary>Expands one enrolment now (after enrolling or changing it), if no other node is on it.</summary>
    public async Task<int> ExpandNowAsync(Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        var node = options.Value.NodeName;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var claimed = await lifecycle.WriteAsync(() => db.AutopayEnrollments
            .Where(e => e.Id == enrollmentId && e.CancelledAt == null && (e.LeaseExpiresAt == null || e.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.LeaseOwner, node).SetProperty(e => e.LeaseExpiresAt, now + LeaseLength), cancellationToken), cancellationToken);
        return claimed == 1 ? await ExpandClaimedAsync(enrollmentId, cancellationToken) : 0;
    }

    private async Task<(List<Guid> Claimed, bool AnyDue)> ClaimAsync(PaymentsDbContext db, int max, CancellationToken ct)
    {
        var now = Now;
        var node = options.Value.NodeName;
        var until = now + LeaseLength;
        var candidates = await db.AutopayEnrollments
            .Where(e => e.CancelledAt == null && e.NextExpansionAt <= now && (e.LeaseExpiresAt == null || e.LeaseExpiresAt < now))
            .OrderBy(e => e.NextExpansionAt).Select(e => e.Id).Take(max).ToListAsync(ct);
        if (candidates.Count == 0)
        {
            return ([], false);
        }
        await lifecycle.WriteAsync(() => db.AutopayEnrollments
            .Where(e => candidates.Contains(e.Id) && e.CancelledAt == null && (e.LeaseExpiresAt == null || e.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.LeaseOwner, node).SetProperty(e => e.LeaseExpiresAt, until), ct), ct);
        var claimed = await db.AutopayEnrollments.Where(e => candidates.Contains(e.Id) && e.LeaseOwner == node && e.LeaseExpiresAt == until)
            .Select(e => e.Id).ToListAsync(ct);
        return (claimed, true);
    }

    /// <summary>
    /// Schedules the enrolment's due invoices (this node holds its lease); returns how many payments were made. A pass
    /// that met a concurrent insert (a receipt number taken meanwhile, another node's item) is read again and retried at
    /// once, with new receipt numbers; one that lost a race for a payment or an invoice is tried again in a minute. One
    /// whose enrolment the payer cancelled or changed after the pass read it keeps nothing and is not retried: the cancel
    /// or change ended this node's lease, and a change expands the enrolment itself under its new terms.
    /// </summary>
    private async Task<int> ExpandClaimedAsync(Guid enrollmentId, CancellationToken ct)
    {
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var (stored, made) = await ExpandOnceAsync(enrollmentId, ct);
            if (stored == Stored.Yes)
            {
                return made;
            }
            if (stored is (Stored.InsertClashed or Stored.ItemsChanged) && attempt < Attempts)
            {
                continue;
            }
            if (stored == Stored.Superseded)
            {
                logger.LogInformation("Autopay {EnrollmentId} was cancelled or its terms changed (or its lease ended) while this node expanded it; nothing of the pass was kept", enrollmentId);
            }
            await ReleaseAsync(enrollmentId, Now + RetryAfterConflict);
            return 0;
        }
    }

    private enum Stored
    {
        Yes,
        /// <summary>The runner or the payer took a payment or an invoice meanwhile.</summary>
        LostRace,
        /// <summary>A unique index refused an insert (receipt number, enrolment and invoice, idempotency key).</summary>
        InsertClashed,
        /// <summary>
        /// The payer excluded an invoice or put one back after the pass read the items (the enrolment's version moved,
        /// its lease is still this node's): read again at once.
        /// </summary>
        ItemsChanged,
        /// <summary>
        /// A lost race against the payer: the enrolment was cancelled or its terms changed (its version moved) after the
        /// pass read it, or its lease was ended; nothing of the pass is kept.
        /// </summary>
        Superseded,
    }

    private async Task<(Stored Stored, int Made)> ExpandOnceAsync(Guid enrollmentId, CancellationToken ct)
    {
        var o = options.Value;
        var now = Now;
        var today = o.DateAt(now);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.AutopayEnrollments.AsNoTracking().FirstAsync(x => x.Id == enrollmentId, ct);
        if (e.CancelledAt is not null || (e.EndDate is { } ended && ended < today))
        {
            await ReleaseAsync(db, enrollmentId, now + o.Autopay.ExpansionInterval, ct);
            return (Stored.Yes, 0);
        }
        var methods = await db.PaymentMethods.AsNoTracking().Where(m => m.AccountId == e.AccountId).ToDictionaryAsync(m => m.Id, ct);
        var method = methods.GetValueOrDefault(e.PaymentMethodId);
        string gatewayKey;
        await using (var scoped = services.CreateAsyncScope())
        {
            gatewayKey = scoped.ServiceProvider.GetRequiredService<IPaymentGateway>().Key;
        }
        var invoices = await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == e.AccountId && i.IsOpen && i.Type == OpenItemType.Invoice && i.OpenMinor > 0)
            .ToListAsync(ct);
        var items = await db.AutopayItems.Where(x => x.EnrollmentId == enrollmentId).ToDictionaryAsync(x => x.InvoiceId, ct);
        var shortPaid = (await (from a in db.PaymentAllocations
                                join p in db.Payments on a.PaymentId equals p.Id
                                where p.AccountId == e.AccountId && a.ShortMinor > 0
                                      && (p.Status == PaymentStatus.Succeeded || p.Status == PaymentStatus.Processing)
                                select a.InvoiceId).Distinct().ToListAsync(ct)).ToHashSet();
        var credits = new Queue<InvoiceRecord>(e.ApplyCreditMemos || e.ApplyUnappliedCash
            ? (await db.Invoices.AsNoTracking()
                .Where(i => i.AccountId == e.AccountId && i.IsOpen && i.OpenMinor < 0 && i.Status == InvoiceStatus.Open && i.Currency == e.Currency
                            && ((e.ApplyCreditMemos && i.Type == OpenItemType.CreditMemo) || (e.ApplyUnappliedCash && i.Type == OpenItemType.UnappliedCash)))
                .ToListAsync(ct)).OrderBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal)
            : []);
        var horizon = today.AddDays(o.Scheduling.HorizonDays);
        var scope = new AccountScope(
            new PortalUser { UserId = e.UserId, DisplayName = e.UserName, Email = e.UserEmail, CurrentAccountId = e.AccountId, Accounts = [] },
            e.AccountId, e.AccountName ?? e.AccountId, PortalPermissions.Pay) { BillingRegion = e.BillingRegion };

        // The payments autopay made for invoices still open: still waiting, or ended without paying.
        var openIds = invoices.Select(i => i.Id).ToHashSet();
        var paymentIds = items.Values.Where(i => i.State == AutopayItemState.Scheduled && i.PaymentId is not null && openIds.Contains(i.InvoiceId))
            .Select(i => i.PaymentId!.Value).ToList();
        var payments = paymentIds.Count == 0
            ? []
            : await db.Payments.AsNoTracking().Include(p => p.Allocations).Where(p => paymentIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);

        var made = new List<(PaymentRecord Payment, List<long> Held)>();
        var replaced = new List<PaymentRecord>();

        // Autopay's payments of invoices the ERP settled (or left with nothing to pay) before their debit date: cancelled
        // now, quietly, so no "upcoming autopay" email announces a debit for a paid invoice and the scheduled payments page
        // does not list it. The item waits again, should the ERP reopen the invoice. One due today is the runner's.
        var settledItems = items.Values.Where(i => i.State == AutopayItemState.Scheduled && i.PaymentId is not null && !openIds.Contains(i.InvoiceId)).ToList();
        var settledNumbers = settledItems.ToDictionary(i => i.PaymentId!.Value, i => i.InvoiceNumber);
        var settledPaymentIds = settledNumbers.Keys.ToList();
        var settled = settledPaymentIds.Count == 0
            ? []
            : await db.Payments.AsNoTracking().Include(p => p.Allocations)
                .Where(p => settledPaymentIds.Contains(p.Id) && p.Status == PaymentStatus.Scheduled && p.ScheduledFor > today).ToListAsync(ct);
        foreach (var item in settledItems.Where(i => settled.Any(p => p.Id == i.PaymentId)))
        {
            item.State = AutopayItemState.Skipped;
            item.PaymentId = null;
            item.SkipReason = null;
            item.UpcomingNotifiedAt = null;
            item.UpdatedAt = now;
        }
        foreach (var invoice in invoices.OrderBy(i => AutopayRules.DebitDate(e.Rule, e.DaysBeforeDue, i.DueDate, i.DiscountDate, today)).ThenBy(i => i.Number, StringComparer.Ordinal))
        {
            items.TryGetValue(invoice.Id, out var item);
            if (item is { State: AutopayItemState.Excluded } or { State: AutopayItemState.Skipped, PaymentId: not null })
            {
                continue; // the payer's choice, or a payment that did not go through: only the payer brings it back
            }
            // The rule's day (recorded on the item), and the day and method the payment is made for: the rule's, or what the
            // payer chose for autopay's payment on the scheduled payments page.
            var ruleDate = AutopayRules.DebitDate(e.Rule, e.DaysBeforeDue, invoice.DueDate, invoice.DiscountDate, today);
            var debit = ruleDate;
            var payWith = method;
            PaymentRecord? current = null;
            if (item is { State: AutopayItemState.Scheduled, PaymentId: { } paymentId })
            {
                if (!payments.TryGetValue(paymentId, out current))
                {
                    continue;
                }
                if (Ended(current) is { } endedWhy)
                {
                    item.State = AutopayItemState.Skipped;
                    item.SkipReason = AutopaySkips.Store(endedWhy);
                    item.UpdatedAt = now;
                    continue;
                }
                // A date other than the rule's day autopay gave it (the item's) was chosen by the payer: it stands, as does a
                // method other than the enrolment's, also when the payment is made again for a changed invoice.
                var payerDate = current.ScheduledFor is { } on && on != item.DebitDate ? on : (DateOnly?)null;
                if (current.Status != PaymentStatus.Scheduled || current.ScheduledFor <= today
                    || (!invoice.IsDisputed && (current.ScheduledFor == ruleDate || payerDate is not null)
                        && current.Allocations.FirstOrDefault(a => a.InvoiceId == invoice.Id)?.OpenBalanceMinor == invoice.OpenMinor))
                {
                    continue; // being charged, due now (the runner re-checks it), nothing changed, or the payer's date
                }
                // The invoice changed in the ERP (amount, dates, a dispute): its payment is made again below, or skipped.
                replaced.Add(current);
                debit = payerDate ?? ruleDate;
                if (current.PaymentMethodId is { } chosen && chosen != e.PaymentMethodId)
                {
                    payWith = methods.GetValueOrDefault(chosen);
                }
            }
            var outside = debit > horizon || (e.EndDate is { } end && debit > end);
            if (outside && current is null)
            {
                continue; // not yet (or never): nothing to record
            }
            var reason = outside ? AutopaySkips.Of("AutopaySkipOutside") : SkipReason(invoice, e.Currency, current?.Id, payWith, today, debit, gatewayKey, shortPaid);
            PaymentRecord? payment = null;
            var held = new List<long>();
            item ??= Track(db, items, e, invoice, now);
            if (reason is null)
            {
                (payment, held, reason) = Build(e, scope, payWith!, invoice, credits, debit, now, item.Generation + 1);
            }
            item.DebitDate = ruleDate;
            item.UpdatedAt = now;
            if (payment is null)
            {
                item.State = AutopayItemState.Skipped;
                item.SkipReason = AutopaySkips.Store(reason!);
                item.PaymentId = null;
                continue;
            }
            item.State = AutopayItemState.Scheduled;
            item.SkipReason = null;
            item.PaymentId = payment.Id;
            item.Generation++;
            item.UpcomingNotifiedAt = null;   // a new payment gets its own notice
            db.Payments.Add(payment);
            AuditLog.Add(db, e.AccountId, SystemUser, "autopay.scheduled", payment.Id.ToString(), now, new { payment.ReceiptNumber, payment.ScheduledFor, Invoice = invoice.Number });
            made.Add((payment, held));
        }

        var stored = await lifecycle.WriteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                // The enrolment first, and only as this pass read it: still this node's lease, not cancelled, the same
                // terms (version). Cancelling and changing autopay write the enrolment row first in their transactions
                // too, so one waits for the other (PostgreSQL's row lock; SQLite has one writer): a cancel or change that
                // committed before refuses this pass; one that commits after sees its payments and cancels them. Excluding an
                // invoice or putting one back moves the version too (without ending the lease): the pass is read again.
                var version = e.Version;
                if (await db.AutopayEnrollments
                        .Where(x => x.Id == enrollmentId && x.LeaseOwner == o.NodeName && x.CancelledAt == null && x.Version == version)
                        .ExecuteUpdateAsync(s => s
                            .SetProperty(x => x.NextExpansionAt, now + o.Autopay.ExpansionInterval)
                            .SetProperty(x => x.LeaseOwner, (string?)null)
                            .SetProperty(x => x.LeaseExpiresAt, (DateTime?)null), ct) != 1)
                {
                    await tx.RollbackAsync(CancellationToken.None);
                    var stillOurs = await db.AutopayEnrollments.AsNoTracking()
                        .AnyAsync(x => x.Id == enrollmentId && x.LeaseOwner == o.NodeName && x.CancelledAt == null, CancellationToken.None);
                    return stillOurs ? Stored.ItemsChanged : Stored.Superseded;
                }
                foreach (var old in settled)
                {
                    if (!await lifecycle.TryMoveAsync(db, old, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                            new PaymentChange(SystemUser)
                            {
                                Reason = $"{settledNumbers[old.Id]} was paid or settled before the debit date. Nothing was charged.",
                                FailureCode = PaymentFailureCodes.AutopayInvoiceSettled,
                                Quiet = true,
                            }, ct))
                    {
                        await tx.RollbackAsync(CancellationToken.None);
                        return Stored.LostRace; // the runner took it meanwhile
                    }
                }
                foreach (var old in replaced)
                {
                    if (!await lifecycle.TryMoveAsync(db, old, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                            new PaymentChange(SystemUser) { Reason = "The invoice changed; autopay scheduled it again.", FailureCode = PaymentFailureCodes.AutopayRescheduled, Quiet = true }, ct))
                    {
                        await tx.RollbackAsync(CancellationToken.None);
                        return Stored.LostRace; // the runner took it meanwhile
                    }
                }
                await db.SaveChangesAsync(ct);
                foreach (var (payment, held) in made)
                {
                    if (await PaymentLifecycle.HoldInvoicesAsync(db, payment, held, ct) != held.Count)
                    {
                        // The payer (or the ERP) took one of them meanwhile: nothing of this pass is kept.
                        await tx.RollbackAsync(CancellationToken.None);
                        return Stored.LostRace;
                    }
                }
                await tx.CommitAsync(ct);
                return Stored.Yes;
            }
            catch (DbUpdateException ex)
            {
                // Another node scheduled some of them first (unique enrolment+invoice and idempotency keys).
                logger.LogInformation(ex, "Autopay expansion of {EnrollmentId} met a concurrent insert; it is read again", enrollmentId);
                return Stored.InsertClashed;
            }
        }, ct);
        if (stored != Stored.Yes)
        {
            return (stored, 0);
        }
        if (made.Count > 0)
        {
            logger.LogInformation("Autopay {EnrollmentId} of {AccountId}: {Count} payments scheduled", enrollmentId, e.AccountId, made.Count);
        }
        return (Stored.Yes, made.Count);
    }

    /// <summary>Why autopay's payment of an invoice ended without paying it (the invoice stays with the payer), or null.</summary>
    private static PortalFieldError? Ended(PaymentRecord payment)
    {
        var on = payment.ScheduledFor ?? DateOnly.FromDateTime(payment.CreatedAt);
        var why = string.IsNullOrWhiteSpace(payment.FailureReason) ? null : new AutopaySkips.Failure(payment.FailureCode, payment.FailureReason.Trim().TrimEnd('.'));
        return payment.Status switch
        {
            PaymentStatus.Failed => why is null ? AutopaySkips.Of("AutopaySkipPaymentFailed", on) : AutopaySkips.Of("AutopaySkipPaymentFailedWhy", on, why),
            PaymentStatus.Cancelled => AutopaySkips.Of("AutopaySkipPaymentCancelled", on),
            PaymentStatus.Returned => why is null ? AutopaySkips.Of("AutopaySkipPaymentReturned", on) : AutopaySkips.Of("AutopaySkipPaymentReturnedWhy", on, why),
            PaymentStatus.Refunded => AutopaySkips.Of("AutopaySkipPaymentRefunded", on),
            _ => null,
        };
    }

    /// <summary>Why autopay leaves an invoice to the payer, or null when it pays it.</summary>
    private static PortalFieldError? SkipReason(InvoiceRecord invoice, string currency, Guid? ownPayment, PaymentMethodRecord? method, DateOnly today, DateOnly debit,
        string gatewayKey, HashSet<long> shortPaid)
    {
        if (MethodProblem(method, today, debit, gatewayKey) is { } methodProblem)
        {
            return methodProblem;
        }
        if (!string.Equals(invoice.Currency, currency, StringComparison.Ordinal))
        {
            // Its minor units are not the enrolment's: priced as such, the notice and the payment would be wrong.
            return AutopaySkips.Of("AutopaySkipCurrency", invoice.Currency, currency);
        }
        if (ownPayment is not null && invoice.ActivePaymentId == ownPayment)
        {
            // Held by the autopay payment being replaced: judged as open.
        }
        else if (invoice.Status == InvoiceStatus.Scheduled)
        {
            return invoice.ScheduledFor is { } d ? AutopaySkips.Of("AutopaySkipScheduledByHandOn", d) : AutopaySkips.Of("AutopaySkipScheduledByHand");
        }
        else if (invoice.Status != InvoiceStatus.Open)
        {
            return AutopaySkips.Of("AutopaySkipInProgress");
        }
        if (invoice.IsDisputed)
        {
            return AutopaySkips.Of("AutopaySkipDisputed");
        }
        if (shortPaid.Contains(invoice.Id))
        {
            return AutopaySkips.Of("AutopaySkipShortPaid");
        }
        return null;
    }

    /// <summary>
    /// Why <paramref name="method"/> cannot pay on <paramref name="debit"/> (the checks of enrolling, on the debit date),
    /// or null when it can: removed, a card expired by then, still being verified, or of another payment gateway.
    /// </summary>
    internal static PortalFieldError? MethodProblem(PaymentMethodRecord? method, DateOnly today, DateOnly debit, string gatewayKey)
    {
        if (method is null || method.DeletedAt is not null)
        {
            return AutopaySkips.Of("AutopaySkipMethodRemoved");
        }
        var described = AutopaySkips.Method(method);
        if (PaymentMethodService.LastValidDay(method) is { } lastValidDay && lastValidDay < debit)
        {
            return lastValidDay < today
                ? AutopaySkips.Of("AutopaySkipMethodExpired", described)
                : AutopaySkips.Of("AutopaySkipMethodExpiresBefore", described, debit);
        }
        if (method.VerificationPending)
        {
            return AutopaySkips.Of("AutopaySkipMethodVerifying", described);
        }
        if (!string.Equals(method.GatewayKey, gatewayKey, StringComparison.Ordinal))
        {
            return AutopaySkips.Of("AutopaySkipMethodOtherGateway", described);
        }
        return null;
    }

    /// <summary>The scheduled payment for one invoice (with the credits that fit), or the reason none is made.</summary>
    private (PaymentRecord? Payment, List<long> Held, PortalFieldError? Reason) Build(AutopayEnrollmentRecord e, AccountScope scope, PaymentMethodRecord method,
        InvoiceRecord invoice, Queue<InvoiceRecord> credits, DateOnly debit, DateTime now, int generation)
    {
        var currency = e.Currency;
        var chosen = new List<InvoiceRecord> { invoice };
        var preview = PaymentCalculator.Compute(chosen, debit, discounts, currency);
        // Credits are applied while something is left to charge; one that would cover the rest waits for a larger invoice.
        while (credits.TryPeek(out var credit))
        {
            var tried = PaymentCalculator.Compute([.. chosen, credit], debit, discounts, currency);
            if (tried.Total.Amount <= 0m || tried.CreditsApplied.ToMinorUnits() != preview.CreditsApplied.ToMinorUnits() - credit.OpenMinor)
            {
                break;
            }
            chosen.Add(credits.Dequeue());
            preview = tried;
        }
        // The maximum is of what is charged: the convenience fee included.
        preview = PaymentService.WithFees(preview, fees, scope, method, FeeOccasion.Autopay, debit);
        if (e.MaxPaymentMinor is { } max && preview.TotalCharged.ToMinorUnits() > max)
        {
            // Put the credits back for another invoice.
            foreach (var credit in chosen.Skip(1).Reverse())
            {
                credits.Enqueue(credit);
            }
            return (null, [], AboveMaximumSkip(preview.TotalCharged, preview.Fee is { Charged: true } fee ? fee.Amount : null, Money.FromMinorUnits(max, currency)));
        }
        var payment = PaymentService.NewPayment(scope, $"autopay:{e.Id:N}:{invoice.Id}:{generation}", preview, chosen, method, method.GatewayKey, now, scheduled: true);
        PaymentLifecycle.InitializeScheduled(payment, now);
        payment.AutopayEnrollmentId = e.Id;
        // Its emails read in the language of whoever enrolled (the runner has no user of its own).
        payment.Culture = e.Culture;
        return (payment, chosen.Select(i => i.Id).ToList(), null);
    }

    /// <summary>The reason an autopay payment of <paramref name="charged"/> (<paramref name="fee"/> included) is not made or not charged.</summary>
    internal static string AboveMaximum(Money charged, Money? fee, Money max) => AboveMaximumSkip(charged, fee, max).Message;

    private static PortalFieldError AboveMaximumSkip(Money charged, Money? fee, Money max) => fee is { } f
        ? AutopaySkips.Of("AutopaySkipAboveMaximumWithFee", charged, f, max)
        : AutopaySkips.Of("AutopaySkipAboveMaximum", charged, max);

    private static AutopayItemRecord Track(PaymentsDbContext db, Dictionary<long, AutopayItemRecord> items, AutopayEnrollmentRecord e, InvoiceRecord invoice, DateTime now)
    {
        var item = new AutopayItemRecord
        {
            EnrollmentId = e.Id, AccountId = e.AccountId, InvoiceId = invoice.Id, InvoiceNumber = invoice.Number, UpdatedAt = now,
        };
        db.AutopayItems.Add(item);
        items[invoice.Id] = item;
        return item;
    }

    /// <summary>
    /// Sends the "upcoming autopay" email for every autopay payment whose debit is within
    /// <see cref="AutopayOptions.UpcomingNoticeDays"/> days, once each (a conditional update marks it sent, in the
    /// transaction that queues the email); returns how many were sent.
    /// </summary>
    public async Task<int> NotifyUpcomingAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (!o.Autopay.Enabled || o.Autopay.UpcomingNoticeDays == 0)
        {
            return 0;
        }
        var today = options.Value.DateAt(Now);
        var until = today.AddDays(o.Autopay.UpcomingNoticeDays);
        var sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var due = await (from i in db.AutopayItems
                             join p in db.Payments on i.PaymentId equals p.Id
                             where i.State == AutopayItemState.Scheduled && i.UpcomingNotifiedAt == null && p.Status == PaymentStatus.Scheduled
                                   && p.ScheduledFor <= until
                             orderby p.ScheduledFor
                             select i.Id).Take(200).ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                break;
            }
            var now = Now;
            sent += await lifecycle.WriteAsync(async () =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
                var count = 0;
                foreach (var id in due)
                {
                    if (await db.AutopayItems.Where(i => i.Id == id && i.UpcomingNotifiedAt == null)
                            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UpcomingNotifiedAt, now), cancellationToken) != 1)
                    {
                        continue; // another node sent it
                    }
                    var item = await db.AutopayItems.AsNoTracking().FirstAsync(i => i.Id == id, cancellationToken);
                    var enrollment = await db.AutopayEnrollments.AsNoTracking().FirstAsync(e => e.Id == item.EnrollmentId, cancellationToken);
                    var payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == item.PaymentId, cancellationToken);
                    OutboxWriter.EnqueueEmail(db, AutopayEmails.Upcoming(emailTexts, enrollment, payment, o.Notifications.PortalBaseUrl, o.Merchant), now);
                    count++;
                }
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return count;
            }, cancellationToken);
        }
        return sent;
    }

    /// <summary>
    /// The scheduled-payment runner found an invoice of autopay's payment changed on its date: the payment fails without
    /// a failure email (nothing was charged), the invoice's autopay record is reset and the enrolment expanded again on
    /// the next pass, which schedules the new balance or records why it skips it.
    /// </summary>
    internal static async Task<bool> ForgetAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PaymentLifecycle lifecycle, PaymentRecord payment,
        string reason, CancellationToken ct)
    {
        return await lifecycle.WriteAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The enrolment first, as an expansion and a cancel or change of autopay write it: one order of row locks.
            var now = lifecycle.UtcNow;
            await db.AutopayEnrollments.Where(e => e.Id == payment.AutopayEnrollmentId && e.CancelledAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.NextExpansionAt, now), ct);
            if (!await lifecycle.TryMoveAsync(db, payment, PaymentStatus.Charging, PaymentStatus.Failed,
                    new PaymentChange(SystemUser) { LeaseOwner = lifecycle.NodeName, Reason = reason }, ct))
            {
                await tx.RollbackAsync(CancellationToken.None);
                return false;
            }
            var id = payment.Id;
            await db.AutopayItems.Where(i => i.PaymentId == id).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.State, AutopayItemState.Skipped)
                .SetProperty(i => i.PaymentId, (Guid?)null)
                .SetProperty(i => i.SkipReason, (string?)null), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return true;
        }, ct);
    }

    private async Task ReleaseAsync(Guid enrollmentId, DateTime next)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await ReleaseAsync(db, enrollmentId, next, CancellationToken.None);
    }

    private Task ReleaseAsync(PaymentsDbContext db, Guid enrollmentId, DateTime next, CancellationToken ct)
    {
        var node = options.Value.NodeName;
        return lifecycle.WriteAsync(() => db.AutopayEnrollments.Where(x => x.Id == enrollmentId && x.LeaseOwner == node)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.NextExpansionAt, next)
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseExpiresAt, (DateTime?)null), ct), ct);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
