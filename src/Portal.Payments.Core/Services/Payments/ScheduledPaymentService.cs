using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Fees;
using Portal.Payments.Discounts;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// Scheduled payments: preview for a date (discounts that still apply on it), schedule (the invoices are held
/// Scheduled with one conditional update), cancel. <see cref="ScheduledPaymentRunner"/> charges them on the day.
/// </summary>
public sealed class ScheduledPaymentService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentCharger charger,
    PaymentLifecycle lifecycle,
    IDiscountPolicy discountPolicy,
    IConvenienceFeePolicy fees,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    EmailTexts emailTexts,
    ILogger<ScheduledPaymentService> logger)
{
    /// <summary>The dates the selection may be scheduled for (the latest respects the horizon and, if set, the earliest due date).</summary>
    public async Task<ScheduleWindow> GetWindowAsync(IReadOnlyList<long> invoiceIds, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return Window(await LoadAsync(db, scope, invoiceIds, cancellationToken));
    }

    /// <summary>
    /// The server's preview of paying <paramref name="invoiceIds"/> on <paramref name="paymentDate"/>, with the convenience fee
    /// of <paramref name="paymentMethodId"/> under today's policy (the policy in force on the charge date applies).
    /// </summary>
    public async Task<PaymentPreview> PreviewAsync(IReadOnlyList<long> invoiceIds, DateOnly? paymentDate, Guid? paymentMethodId = null,
        CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var items = await LoadAsync(db, scope, invoiceIds, cancellationToken);
        var date = CheckDate(paymentDate, Window(items));
        var method = paymentMethodId is { } id ? await PaymentService.UsableMethodAsync(db, scope.AccountId, id, Today, charger.GatewayKey, cancellationToken) : null;
        if (method is not null)
        {
            RequireValidOn(method, date, "method");
        }
        return PaymentService.WithFees(Compute(items, date), fees, scope, method, FeeOccasion.Scheduled, date);
    }

    /// <summary>Stores a Scheduled payment and holds its invoices; a repeat of the same confirmation returns the first outcome.</summary>
    public async Task<ScheduledPaymentOutcome> ScheduleAsync(SchedulePaymentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = await access.ForPayAsync(cancellationToken);
        scope.RequireOpenedFor(request.OpenedForAccountId);
        PaymentStore.RequireKey(request.IdempotencyKey, PaymentService.FormExpired);
        if (await ReplayAsync(scope, request, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        PaymentPreview preview;
        IReadOnlyList<InvoiceRecord> items;
        PaymentMethodRecord method;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            items = await LoadAsync(db, scope, request.InvoiceIds, cancellationToken);
            var date = CheckDate(request.PaymentDate, Window(items));
            method = KeptForLater(await PaymentService.UsableMethodAsync(db, scope.AccountId, request.PaymentMethodId,
                Today, charger.GatewayKey, cancellationToken));
            RequireValidOn(method, date, "method");
            preview = PaymentService.WithFees(Compute(items, date), fees, scope, method, FeeOccasion.Scheduled, date);
            if (request.ExpectedTotal is { } expected && expected != preview.TotalCharged)
            {
                throw PaymentService.AmountsChanged();
            }
        }

        var baseUrl = options.Value.Notifications.PortalBaseUrl;
        var (payment, winner) = await PaymentStore.InsertAsync(dbFactory, lifecycle, clock, logger, scope, request.IdempotencyKey,
            now => PaymentService.NewPayment(scope, request.IdempotencyKey, preview, items, method, charger.GatewayKey, now, scheduled: true),
            (db, p, now) =>
            {
                OutboxWriter.EnqueueEmail(db, PaymentEmails.Scheduled(emailTexts, p, scope.AccountName, baseUrl, options.Value.Merchant), now);
                AuditLog.Add(db, scope, "payment.scheduled", p.Id, now, new { p.ReceiptNumber, p.AmountMinor, p.ScheduledFor, Items = items.Count });
            },
            items, schedule: true, Busy,
            IsScheduled, cancellationToken);
        if (winner is not null)
        {
            await RequireSameAsync(winner, request, CancellationToken.None);
            return Outcome(winner, replayed: true);
        }
        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) of {Amount} scheduled for {Date} by {AccountId}",
            payment!.Id, payment.ReceiptNumber, preview.Total, payment.ScheduledFor, scope.AccountId);
        return Outcome(payment, replayed: false);
    }

    /// <summary>
    /// Cancels scheduled payments of the account: the payments become Cancelled, their invoices Open, and the payer
    /// is emailed. All or nothing: if any of them already ran (or is running), nothing changes.
    /// </summary>
    public async Task<CancelScheduledOutcome> CancelAsync(IReadOnlyList<Guid> paymentIds, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var ids = (paymentIds ?? []).Distinct().ToList();
        if (ids.Count == 0)
        {
            throw PortalFieldError.Of("payments", "CancelNoPaymentSelected", "Select at least one scheduled payment to cancel.").ToException();
        }
        if (ids.Count > InvoiceQueryService.MaxSelection)
        {
            throw PortalFieldError.Of("payments", "CancelTooManyPayments", "At most {0} scheduled payments can be cancelled at once; cancel the rest in another step.",
                InvoiceQueryService.MaxSelection).ToException();
        }
        var accountId = scope.AccountId;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Payments.AsNoTracking().Include(p => p.Allocations)
            .Where(p => p.AccountId == accountId && ids.Contains(p.Id)).ToListAsync(cancellationToken);
        if (rows.Count != ids.Count)
        {
            throw new PortalNotFoundException("Some of the selected scheduled payments were not found. Refresh the list and select them again.");
        }
        ThrowIfNotCancellable(rows);

        // All or nothing: every payment moves Scheduled → Cancelled in one transaction, or none does.
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var reopened = 0;
        foreach (var payment in rows)
        {
            var held = payment.Allocations.Count;
            if (!await lifecycle.TryMoveAsync(db, payment, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                    new PaymentChange(scope.User.UserId) { CancelledBy = scope.User.DisplayName }, cancellationToken))
            {
                // The runner took one of them meanwhile.
                await tx.RollbackAsync(CancellationToken.None);
                await using var again = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                ThrowIfNotCancellable(await again.Payments.AsNoTracking().Where(p => p.AccountId == accountId && ids.Contains(p.Id)).ToListAsync(CancellationToken.None));
                throw PortalFieldError.Of("payments", "CancelChangedMeanwhile", "The scheduled payments changed meanwhile; nothing was cancelled. Refresh the list.").ToException();
            }
            reopened += held;
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        logger.LogInformation("{Count} scheduled payments of {AccountId} cancelled", rows.Count, accountId);
        return new CancelScheduledOutcome(rows.OrderBy(p => p.ScheduledFor).Select(p => p.ReceiptNumber).ToList(), reopened);
    }

    /// <summary>Cancels the scheduled payments holding the selected invoices (the grid selects invoices, not payments).</summary>
    public async Task<CancelScheduledOutcome> CancelForInvoicesAsync(IReadOnlyList<long> invoiceIds, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var ids = CancelSelection(invoiceIds);
        var accountId = scope.AccountId;
        List<InvoiceRecord> items;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            items = await db.Invoices.AsNoTracking().Where(i => i.AccountId == accountId && ids.Contains(i.Id)).ToListAsync(cancellationToken);
        }
        if (items.Count != ids.Count)
        {
            throw new PortalNotFoundException("Some of the selected invoices were not found. Refresh the list and select them again.");
        }
        if (items.FirstOrDefault(i => i.Status != InvoiceStatus.Scheduled || i.ActivePaymentId is null) is { } other)
        {
            throw NotScheduled(other.Number);
        }
        return await CancelAsync(items.Select(i => i.ActivePaymentId!.Value).Distinct().ToList(), cancellationToken);
    }

    /// <summary>
    /// The selected scheduled invoices to cancel (distinct): none is refused, and more than one selection holds
    /// (<see cref="InvoiceQueryService.MaxSelection"/>) before anything is read.
    /// </summary>
    private static List<long> CancelSelection(IReadOnlyList<long>? invoiceIds)
    {
        var ids = (invoiceIds ?? []).Distinct().ToList();
        if (ids.Count == 0)
        {
            throw PortalFieldError.Of("invoices", "CancelNoInvoiceSelected", "Select at least one scheduled invoice to cancel.").ToException();
        }
        if (ids.Count > InvoiceQueryService.MaxSelection)
        {
            throw PortalFieldError.Of("invoices", "CancelTooManyInvoices", "At most {0} invoices can be cancelled at once; cancel the rest in another step.",
                InvoiceQueryService.MaxSelection).ToException();
        }
        return ids;
    }

    /// <summary>The account's scheduled payments (not charged yet), soonest first, with the items each pays.</summary>
    public async Task<IReadOnlyList<ScheduledPaymentView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        var accountId = scope.AccountId;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Payments.AsNoTracking().Include(p => p.Allocations)
            .Where(p => p.AccountId == accountId && p.Status == PaymentStatus.Scheduled)
            .OrderBy(p => p.ScheduledFor).ThenBy(p => p.CreatedAt)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(View);
    }

    /// <summary>
    /// What cancelling the selected scheduled invoices would do, per scheduled payment holding them (nothing changes): the
    /// invoices cancelled, whether the whole payment goes, and otherwise the amount the rest will charge on its date.
    /// </summary>
    public async Task<IReadOnlyList<ScheduledCancelPlan>> PlanCancelAsync(IReadOnlyList<long> invoiceIds, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var ids = CancelSelection(invoiceIds);
        var accountId = scope.AccountId;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var items = await db.Invoices.AsNoTracking().Where(i => i.AccountId == accountId && ids.Contains(i.Id)).ToListAsync(cancellationToken);
        if (items.Count != ids.Count)
        {
            throw new PortalNotFoundException("Some of the selected invoices were not found. Refresh the list and select them again.");
        }
        if (items.FirstOrDefault(i => i.Status != InvoiceStatus.Scheduled || i.ActivePaymentId is null) is { } other)
        {
            throw NotScheduled(other.Number);
        }
        var plans = new List<ScheduledCancelPlan>();
        foreach (var group in items.GroupBy(i => i.ActivePaymentId!.Value))
        {
            var (payment, _) = await LoadScheduledAsync(db, accountId, group.Key, cancellationToken);
            plans.Add(await PlanAsync(db, payment, group.Select(i => i.Id).ToList(), cancellationToken));
        }
        return [.. plans.OrderBy(p => p.Payment.ScheduledFor).ThenBy(p => p.Payment.ReceiptNumber, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Cancels <paramref name="invoiceIds"/> of scheduled payment <paramref name="paymentId"/>: the whole payment when they are all
    /// of it (Scheduled → Cancelled), otherwise only those invoices — they are open again and the rest stays scheduled with its
    /// amount recomputed for the date (one conditional update through the lifecycle, audited and emailed). When
    /// <paramref name="expectedRemaining"/> (what the payer confirmed) differs from the server's recomputation, nothing changes.
    /// </summary>
    public async Task<ScheduledChangeOutcome> CancelInvoicesAsync(Guid paymentId, IReadOnlyList<long> invoiceIds, Money? expectedRemaining = null,
        CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var ids = (invoiceIds ?? []).Distinct().ToList();
        var accountId = scope.AccountId;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (payment, _) = await LoadScheduledAsync(db, accountId, paymentId, cancellationToken);
        var plan = await PlanAsync(db, payment, ids, cancellationToken);
        if (plan.WholePayment)
        {
            var cancelled = await CancelAsync([paymentId], cancellationToken);
            return new ScheduledChangeOutcome(payment.ReceiptNumber, WholePaymentCancelled: true, null, plan.Cancelled.Select(i => i.Number).ToList(), cancelled.InvoicesReopened);
        }
        if (plan.WholeOnlyReason is not null)
        {
            throw WholeOnly(payment).ToException();
        }
        if (expectedRemaining is { } expected && expected != plan.RemainingAmount)
        {
            throw PaymentService.AmountsChanged();
        }
        var remaining = payment.Allocations.Select(a => a.InvoiceId).Except(ids).ToList();
        var preview = WithFee(payment, Compute(payment, await HeldItemsAsync(db, payment, remaining, cancellationToken), payment.ScheduledFor!.Value),
            await CurrentMethodAsync(db, payment, cancellationToken));
        if (expectedRemaining is { } confirmed && confirmed != preview.TotalCharged)
        {
            throw PaymentService.AmountsChanged(); // the ERP changed a balance since the plan was read: what is stored is what was confirmed
        }
        var amendment = new ScheduledAmendment(preview, payment.PaymentMethodId, payment.MethodDescription, [.. plan.Cancelled.Select(i => i.Number)]);
        await AmendAsync(scope, payment, amendment, cancellationToken);
        return new ScheduledChangeOutcome(payment.ReceiptNumber, WholePaymentCancelled: false, preview.TotalCharged, [.. plan.Cancelled.Select(i => i.Number)], plan.Cancelled.Count);
    }

    /// <summary>
    /// The dates scheduled payment <paramref name="paymentId"/> may be moved to: the window of the invoices it holds, as
    /// <see cref="PreviewChangeAsync(Guid, DateOnly?, Guid?, CancellationToken)"/> and <see cref="ChangeAsync"/> check it.
    /// </summary>
    public async Task<ScheduleWindow> GetChangeWindowAsync(Guid paymentId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (payment, items) = await LoadScheduledAsync(db, scope.AccountId, paymentId, cancellationToken, changing: true);
        return ChangeWindow(payment, items);
    }

    /// <summary>
    /// The amounts scheduled payment <paramref name="paymentId"/> would charge on <paramref name="date"/> (discounts that still apply
    /// then) with its own method: <see cref="PaymentPreview.TotalCharged"/> (fee included) is what <see cref="ChangeAsync"/> confirms.
    /// </summary>
    public Task<PaymentPreview> PreviewChangeAsync(Guid paymentId, DateOnly? date, CancellationToken cancellationToken = default) =>
        PreviewChangeAsync(paymentId, date, null, cancellationToken);

    /// <summary>
    /// As <see cref="PreviewChangeAsync(Guid, DateOnly?, CancellationToken)"/>, paid with <paramref name="paymentMethodId"/> (null:
    /// the payment's own method): the convenience fee of that method under today's policy, as a change stores it.
    /// </summary>
    public async Task<PaymentPreview> PreviewChangeAsync(Guid paymentId, DateOnly? date, Guid? paymentMethodId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (payment, items) = await LoadScheduledAsync(db, scope.AccountId, paymentId, cancellationToken, changing: true);
        var newDate = date is null ? payment.ScheduledFor!.Value : CheckDate(date, ChangeWindow(payment, items));
        var method = await ChangedMethodAsync(db, scope, payment, paymentMethodId, cancellationToken);
        // The change's own refusals, said with the amount rather than after Save.
        await RequireChangeAllowedAsync(db, payment, newDate, method, cancellationToken);
        return WithFee(payment, Compute(payment, items, newDate), method);
    }

    /// <summary>
    /// Moves scheduled payment <paramref name="paymentId"/> to <paramref name="date"/> and/or another stored method: the amounts are
    /// recomputed for the date (discounts) with the convenience fee of the (new) method, the invoices show the new date, the payer
    /// is emailed. When <paramref name="expectedAmount"/> (what the payer confirmed: the amount charged, fee included, as
    /// <see cref="ScheduledPaymentView.Amount"/> and <see cref="PaymentPreview.TotalCharged"/> of <see cref="PreviewChangeAsync(Guid, DateOnly?, Guid?, CancellationToken)"/>)
    /// differs from the server's recomputation, nothing changes. When <paramref name="openedAs"/> (the date and method the change
    /// form started from) is not what the payment has now, nothing changes either: another tab or person moved it meanwhile, and
    /// saving the form's older choice would silently undo that.
    /// </summary>
    public async Task<ScheduledPaymentView> ChangeAsync(Guid paymentId, DateOnly? date, Guid? paymentMethodId, Money? expectedAmount = null,
        ScheduledChangeBasis? openedAs = null, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (payment, items) = await LoadScheduledAsync(db, scope.AccountId, paymentId, cancellationToken, changing: true);
        if (openedAs is { } basis && (basis.ScheduledFor != payment.ScheduledFor || basis.PaymentMethodId != payment.PaymentMethodId))
        {
            // Safe against a change landing after this read too: the write is conditional on the date and method read here.
            throw ChangedMeanwhile();
        }
        var newDate = date is null ? payment.ScheduledFor!.Value : CheckDate(date, ChangeWindow(payment, items));
        var method = await ChangedMethodAsync(db, scope, payment, paymentMethodId, cancellationToken);
        await RequireChangeAllowedAsync(db, payment, newDate, method, cancellationToken);
        var preview = WithFee(payment, Compute(payment, items, newDate), method);
        if (expectedAmount is { } expected && expected != preview.TotalCharged)
        {
            throw PaymentService.AmountsChanged();
        }
        var (methodId, description) = method is not null && method.Id != payment.PaymentMethodId
            ? (method.Id, PaymentMethodService.Describe(method))
            : (payment.PaymentMethodId, payment.MethodDescription);
        if (newDate == payment.ScheduledFor && methodId == payment.PaymentMethodId && preview.TotalCharged.ToMinorUnits() == payment.AmountMinor
            && ScheduledAmendment.FeeMinorOf(preview) == payment.FeeMinor && PricedAsStored(payment, preview))
        {
            return View(payment);
        }
        await AmendAsync(scope, payment, new ScheduledAmendment(preview, methodId, description, []), cancellationToken, changing: true);
        return View(payment);
    }

    /// <summary>
    /// Refuses a change of <paramref name="payment"/> to <paramref name="newDate"/> with <paramref name="method"/> that could not
    /// pay: autopay's payment moved past autopay's last day, or a method (new, or its own on a new date) that expires first.
    /// </summary>
    private static async Task RequireChangeAllowedAsync(PaymentsDbContext db, PaymentRecord payment, DateOnly newDate, PaymentMethodRecord? method, CancellationToken ct)
    {
        if (payment.AutopayEnrollmentId is { } enrollmentId && newDate != payment.ScheduledFor
            && await db.AutopayEnrollments.AsNoTracking().Where(e => e.Id == enrollmentId).Select(e => e.EndDate).FirstOrDefaultAsync(ct) is { } end
            && newDate > end)
        {
            // Autopay keeps the date the payer chooses for its payment, but never past the last day the payer authorized it for.
            throw PortalFieldError.Of("date", "ScheduleAutopayAfterEnd",
                "Autopay ends on {0:MMMM d, yyyy}, so its payment cannot move past that day. Choose an earlier date, or exclude the invoice from autopay and schedule it yourself.", end).ToException();
        }
        if (method is not null && (newDate != payment.ScheduledFor || method.Id != payment.PaymentMethodId))
        {
            // What the change leaves must be able to pay on its date: a new method, or the payment's own on a new date.
            RequireValidOn(method, newDate, method.Id != payment.PaymentMethodId ? "method" : "date");
        }
    }

    private async Task AmendAsync(AccountScope scope, PaymentRecord payment, ScheduledAmendment amendment, CancellationToken ct, bool changing = false)
    {
        var amended = await lifecycle.WriteAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await lifecycle.TryAmendScheduledAsync(db, payment, amendment, new PaymentChange(scope.User.UserId) { CancelledBy = scope.User.DisplayName }, ct))
            {
                await tx.RollbackAsync(CancellationToken.None);
                return false;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return true;
        }, ct);
        if (!amended)
        {
            await using var again = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var id = payment.Id;
            ThrowIfNotCancellable(await again.Payments.AsNoTracking().Where(p => p.Id == id).ToListAsync(CancellationToken.None), changing);
            throw ChangedMeanwhile();
        }
    }

    private static PortalValidationException ChangedMeanwhile() =>
        PortalFieldError.Of("payments", "ScheduledChangedMeanwhile", "The scheduled payment changed meanwhile; nothing was changed. Refresh the list.").ToException();

    /// <summary>A scheduled payment of the account with its allocations, and the items it holds (still open and held by it).</summary>
    private async Task<(PaymentRecord Payment, IReadOnlyList<InvoiceRecord> Items)> LoadScheduledAsync(PaymentsDbContext db, string accountId, Guid paymentId, CancellationToken ct,
        bool changing = false)
    {
        var payment = await db.Payments.AsNoTracking().Include(p => p.Allocations)
                          .FirstOrDefaultAsync(p => p.Id == paymentId && p.AccountId == accountId, ct)
                      ?? throw new PortalNotFoundException("That scheduled payment was not found. Refresh the list.");
        ThrowIfNotCancellable([payment], changing);
        return (payment, await HeldItemsAsync(db, payment, payment.Allocations.Select(a => a.InvoiceId).ToList(), ct));
    }

    /// <summary>The items of <paramref name="ids"/> the payment still holds; refused when the ERP settled one meanwhile.</summary>
    private static async Task<IReadOnlyList<InvoiceRecord>> HeldItemsAsync(PaymentsDbContext db, PaymentRecord payment, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var (paymentId, accountId) = (payment.Id, payment.AccountId);
        var items = await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == accountId && ids.Contains(i.Id) && i.ActivePaymentId == paymentId && i.IsOpen && i.Status == InvoiceStatus.Scheduled)
            .ToListAsync(ct);
        if (items.Count != ids.Count)
        {
            throw PortalFieldError.Of("payments", "ScheduledInvoiceChangedInErp",
                "An invoice of {0} changed in the ERP meanwhile, so the payment cannot be changed here. Cancel it and schedule the open invoices again.",
                payment.ReceiptNumber).ToException();
        }
        return items;
    }

    private async Task<ScheduledCancelPlan> PlanAsync(PaymentsDbContext db, PaymentRecord payment, IReadOnlyList<long> cancelIds, CancellationToken ct)
    {
        var view = View(payment);
        var unknown = cancelIds.Except(view.Items.Select(i => i.InvoiceId)).ToList();
        if (cancelIds.Count == 0 || unknown.Count > 0)
        {
            throw PortalFieldError.Of("invoices", "CancelSelectInvoicesOf", "Select invoices of {0} to cancel.", payment.ReceiptNumber).ToException();
        }
        var cancelled = view.Items.Where(i => cancelIds.Contains(i.InvoiceId)).ToList();
        var rest = view.Items.Where(i => !cancelIds.Contains(i.InvoiceId)).Select(i => i.InvoiceId).ToList();
        if (rest.Count == 0)
        {
            return new ScheduledCancelPlan { Payment = view, Cancelled = cancelled, WholePayment = true };
        }
        var items = await HeldItemsAsync(db, payment, rest, ct);
        var preview = Compute(payment, items, payment.ScheduledFor!.Value, creditsMayCover: true);
        return new ScheduledCancelPlan
        {
            Payment = view,
            Cancelled = cancelled,
            WholePayment = false,
            RemainingAmount = preview.Total.Amount <= 0m ? preview.Total : WithFee(payment, preview, await CurrentMethodAsync(db, payment, ct)).TotalCharged,
            WholeOnlyReason = preview.Total.Amount <= 0m ? WholeOnly(payment).Message : null,
        };
    }

    /// <summary>
    /// <paramref name="preview"/> of scheduled payment <paramref name="payment"/> with the convenience fee of <paramref name="method"/>
    /// under today's policy for the preview's date, as the runner prices it (the payment's billing region and occasion); no fee
    /// without a method. A change stores the fee with the amount, so the payment's amount is always its items plus its fee.
    /// </summary>
    private PaymentPreview WithFee(PaymentRecord payment, PaymentPreview preview, PaymentMethodRecord? method)
    {
        var quotes = new FeeQuotes(fees, preview.Total, payment.BillingRegion,
            payment.AutopayEnrollmentId is null ? FeeOccasion.Scheduled : FeeOccasion.Autopay, preview.PaymentDate);
        return preview with
        {
            Fee = method is null ? null : quotes.For(method.Type, method.Funding),
            CardFee = quotes.Card,
            BankFee = quotes.Bank,
        };
    }

    /// <summary>The method a change leaves on <paramref name="payment"/>: <paramref name="chosen"/> (checked usable) or its own.</summary>
    private async Task<PaymentMethodRecord?> ChangedMethodAsync(PaymentsDbContext db, AccountScope scope, PaymentRecord payment, Guid? chosen, CancellationToken ct) =>
        chosen is { } id && id != payment.PaymentMethodId
            ? KeptForLater(await PaymentService.UsableMethodAsync(db, scope.AccountId, id, Today, charger.GatewayKey, ct))
            : await CurrentMethodAsync(db, payment, ct);

    /// <summary>
    /// Refuses a card that expires before <paramref name="date"/>: it would be accepted now and fail on the day, after the
    /// discount or the due date the payer scheduled for (the error goes to <paramref name="field"/>).
    /// </summary>
    private static void RequireValidOn(PaymentMethodRecord method, DateOnly date, string field)
    {
        if (PaymentMethodService.LastValidDay(method) is { } lastValidDay && lastValidDay < date)
        {
            throw PortalFieldError.Of(field, "MethodExpiresBeforeDate",
                "{0} expires on {1:MMMM d, yyyy}, before the payment date of {2:MMMM d, yyyy}. Choose another method, update its expiry date or choose an earlier date.",
                PaymentMethodService.Describe(method), lastValidDay, date).ToException();
        }
    }

    /// <summary>
    /// A card added for one payment waits for its scheduled date only where the gateway keeps methods: a gateway without
    /// <see cref="Gateways.GatewayCapabilities.StoreMethods"/> keeps it for a payment made now.
    /// </summary>
    private PaymentMethodRecord KeptForLater(PaymentMethodRecord method) => method.SingleUse && !charger.KeepsMethods
        ? throw PortalFieldError.Of("method", "ScheduleMethodNotKept", "This payment processor keeps a card for a payment made now only, so a payment cannot be scheduled with it. Pay now instead.").ToException()
        : method;

    /// <summary>The payment's own stored method, or null when it was deleted (the runner then fails the payment, fee or not).</summary>
    private static async Task<PaymentMethodRecord?> CurrentMethodAsync(PaymentsDbContext db, PaymentRecord payment, CancellationToken ct)
    {
        if (payment.PaymentMethodId is not { } id)
        {
            return null;
        }
        var accountId = payment.AccountId;
        return await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id && m.AccountId == accountId && m.DeletedAt == null, ct);
    }

    /// <summary>The refusal to cancel invoices of <paramref name="payment"/> whose rest would charge nothing.</summary>
    private static PortalFieldError WholeOnly(PaymentRecord payment) =>
        PortalFieldError.Of("invoices", "CancelWholeOnly",
            "Without these invoices {0} would only apply credits and charge nothing; cancel the whole payment instead.", payment.ReceiptNumber);

    private static ScheduledPaymentView View(PaymentRecord p) => new()
    {
        PaymentId = p.Id,
        ReceiptNumber = p.ReceiptNumber,
        ScheduledFor = p.ScheduledFor!.Value,
        Amount = Money.FromMinorUnits(p.AmountMinor, p.Currency),
        PaymentMethodId = p.PaymentMethodId,
        MethodDescription = p.MethodDescription,
        ScheduledBy = p.CreatedByName,
        Items = [.. p.Allocations.OrderBy(a => a.AppliedMinor < 0).ThenBy(a => a.Id)
            .Select(a => new ScheduledPaymentItem(a.InvoiceId, a.InvoiceNumber, a.InvoiceType,
                Money.FromMinorUnits(a.AppliedMinor, p.Currency), Money.FromMinorUnits(a.DiscountMinor, p.Currency)))],
    };

    private static PortalValidationException NotScheduled(string invoiceNumber) =>
        PortalFieldError.Of("invoices", "CancelNotScheduled", "{0} has no scheduled payment. Select only Scheduled invoices to cancel their payments.", invoiceNumber).ToException();

    private static void ThrowIfNotCancellable(IEnumerable<PaymentRecord> rows, bool changing = false)
    {
        var done = rows.Where(p => p.Status != PaymentStatus.Scheduled).OrderBy(p => p.ReceiptNumber, StringComparer.Ordinal).ToList();
        if (done.Count > 0)
        {
            // One part per payment ("R-1 is already cancelled; R-2 is being charged now"), each worded on its own.
            List<PortalFieldError> parts = [.. done.Select(p => p.Status switch
            {
                PaymentStatus.Cancelled => PortalFieldError.Of("payments", "NotCancellableCancelled", "{0} is already cancelled", p.ReceiptNumber),
                PaymentStatus.Charging or PaymentStatus.Unconfirmed or PaymentStatus.RequiresAction =>
                    PortalFieldError.Of("payments", "NotCancellableCharging", "{0} is being charged now", p.ReceiptNumber),
                _ => PortalFieldError.Of("payments", "NotCancellableProcessed", "{0} was already processed ({1})", p.ReceiptNumber, p.Status),
            })];
            throw (changing
                ? PortalFieldError.Of("payments", "NotChangeable", "{0}, so it can no longer be changed. Nothing was changed.", parts)
                : PortalFieldError.Of("payments", "NotCancellable", "{0}, so it can no longer be cancelled. Nothing was changed.", parts)).ToException();
        }
    }

    /// <summary>Loads and checks the selection: of the account, open, not held by another payment, in the portal currency.</summary>
    private async Task<IReadOnlyList<InvoiceRecord>> LoadAsync(PaymentsDbContext db, AccountScope scope, IReadOnlyList<long>? invoiceIds, CancellationToken ct) =>
        await PaymentStore.LoadPayableAsync(db, scope.AccountId, (invoiceIds ?? []).Distinct().ToList(), options.Value.Currency,
            PortalFieldError.Of("invoices", "ScheduleNoneSelected", "Select at least one invoice to schedule a payment for."), Busy, ct);

    private static PaymentConflictException Busy(IReadOnlyList<InvoiceRecord> busy) => new(BusyMessage(busy), busy.Select(i => i.Number).ToList());

    private static string BusyMessage(IEnumerable<InvoiceRecord> busy) =>
        string.Join("; ", busy.Select(i => (i.IsOpen, i.Status) switch
        {
            (false, _) => $"{i.Number} was paid meanwhile and is no longer open",
            (_, InvoiceStatus.Scheduled) => $"{i.Number} is already scheduled for {i.ScheduledFor?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
            _ => $"{i.Number} is already being paid ({i.Status})",
        })) + ". Nothing was scheduled; refresh the list and select again.";

    /// <summary>
    /// The dates <paramref name="payment"/> can move to: those of <see cref="Window"/>; autopay's payment of an invoice never past
    /// its due date (autopay pays on time, whatever <see cref="SchedulingOptions.NoLaterThanEarliestDueDate"/> says), or past
    /// its own date when that is later already (an invoice autopay took on overdue keeps its date for a change of method).
    /// </summary>
    private ScheduleWindow ChangeWindow(PaymentRecord payment, IReadOnlyList<InvoiceRecord> items)
    {
        var window = Window(items);
        if (payment.AutopayEnrollmentId is not null && items.Where(i => i.OpenMinor > 0).Select(i => (DateOnly?)i.DueDate).Min() is { } due)
        {
            var latest = payment.ScheduledFor is { } on && on > due ? on : due;
            return latest < window.Latest ? window with { Latest = latest } : window;
        }
        return window;
    }

    private ScheduleWindow Window(IReadOnlyList<InvoiceRecord> items)
    {
        var s = options.Value.Scheduling;
        var earliest = Today.AddDays(1);
        var latest = Today.AddDays(s.HorizonDays);
        if (s.NoLaterThanEarliestDueDate && items.Where(i => i.OpenMinor > 0).Select(i => (DateOnly?)i.DueDate).Min() is { } due && due < latest)
        {
            latest = due;
        }
        return new ScheduleWindow(earliest, latest);
    }

    private DateOnly CheckDate(DateOnly? date, ScheduleWindow window)
    {
        if (date is not { } d)
        {
            throw PortalFieldError.Of("date", "ScheduleDateMissing", "Enter the payment date as a calendar date, for example {0}.", window.Earliest).ToException();
        }
        if (d < Today)
        {
            throw PortalFieldError.Of("date", "ScheduleDatePast", "{0:MMMM d, yyyy} is in the past. Choose a date from {1:MMMM d, yyyy}.", d, window.Earliest).ToException();
        }
        if (d == Today)
        {
            throw PortalFieldError.Of("date", "ScheduleDateToday", "A payment cannot be scheduled for today; use Pay now, or choose a date from {0:MMMM d, yyyy}.", window.Earliest).ToException();
        }
        if (window.Latest < window.Earliest)
        {
            throw PortalFieldError.Of("date", "ScheduleDueTooSoon", "An invoice in the selection is due before {0:MMMM d, yyyy}; pay it now instead of scheduling it.", window.Earliest).ToException();
        }
        if (d > window.Latest)
        {
            throw (window.Latest < Today.AddDays(options.Value.Scheduling.HorizonDays)
                ? PortalFieldError.Of("date", "ScheduleDateAfterDue",
                    "{0:MMMM d, yyyy} is after {1:MMMM d, yyyy}, the earliest due date of the selected invoices. Choose an earlier date.", d, window.Latest)
                : PortalFieldError.Of("date", "ScheduleDateAfterHorizon",
                    "{0:MMMM d, yyyy} is after {1:MMMM d, yyyy}, the latest date payments can be scheduled. Choose an earlier date.", d, window.Latest)).ToException();
        }
        return d;
    }

    private PaymentPreview Compute(IReadOnlyList<InvoiceRecord> items, DateOnly date)
    {
        var preview = PaymentCalculator.Compute(items, date, discountPolicy, options.Value.Currency);
        if (preview.Total.Amount <= 0m)
        {
            throw PaymentService.CreditsCoverInvoices();
        }
        return preview;
    }

    /// <summary>
    /// The items scheduled payment <paramref name="payment"/> holds, re-priced for <paramref name="date"/> from their current
    /// balances (what a change shows and stores: the runner then charges what the payer confirmed). A short-paid line keeps
    /// the amount the payer entered, with its reason; when the ERP changed the invoice so that amount no longer fits it (more
    /// than the balance now, or no longer less than the full payment), the change is refused: the payer entered it for the
    /// old balance. Refused when credits would cover the rest, unless <paramref name="creditsMayCover"/>.
    /// </summary>
    private PaymentPreview Compute(PaymentRecord payment, IReadOnlyList<InvoiceRecord> items, DateOnly date, bool creditsMayCover = false)
    {
        var held = items.Select(i => i.Id).ToHashSet();
        var shortLines = payment.Allocations
            .Where(a => held.Contains(a.InvoiceId) && a.OpenBalanceMinor > 0 && (a.ShortMinor != 0 || a.ShortReason is not null))
            .ToDictionary(a => a.InvoiceId, a => new PayLine(a.InvoiceId)
            {
                Amount = Money.FromMinorUnits(a.AppliedMinor, payment.Currency),
                Reason = a.ShortReason,
                Comment = a.Comment,
            });
        if (shortLines.Count == 0)
        {
            return creditsMayCover ? PaymentCalculator.Compute(items, date, discountPolicy, options.Value.Currency) : Compute(items, date);
        }
        // The reason was one of the host's when it was entered; a host that dropped it since does not make the line wrong.
        var reasons = options.Value.EffectiveShortPayReasons.Concat(shortLines.Values.Select(l => l.Reason).OfType<string>()).ToList();
        var errors = new List<PortalFieldError>();
        var preview = PaymentCalculator.Compute(items, date, discountPolicy, options.Value.Currency, shortLines, reasons, errors);
        // An amount over the balance is priced as the full payment, one no longer under it as paying in full: neither is short now.
        if (items.Where(i => shortLines.ContainsKey(i.Id)).OrderBy(i => i.Number, StringComparer.Ordinal)
                .FirstOrDefault(i => preview.Lines.Single(l => l.InvoiceId == i.Id).ShortAmount is null) is { } misfit)
        {
            throw ShortPaidNoLongerFits(payment, misfit, shortLines[misfit.Id].Amount!.Value);
        }
        if (errors.Count > 0)
        {
            throw errors[0].ToException();
        }
        if (preview.Total.Amount <= 0m && !creditsMayCover)
        {
            throw PaymentService.CreditsCoverInvoices();
        }
        return preview;
    }

    /// <summary>The refusal to change <paramref name="payment"/> whose short-paid <paramref name="invoice"/> the ERP changed so that the amount entered no longer fits.</summary>
    private static PortalValidationException ShortPaidNoLongerFits(PaymentRecord payment, InvoiceRecord invoice, Money entered) =>
        PortalFieldError.Of("payments", "ScheduledShortPaidBalanceChanged",
            "{0}'s balance changed in the ERP to {1}, so the {2} entered for it as a short payment no longer fits, and {3} cannot be changed here. Nothing was changed; cancel it and schedule the open invoices again.",
            invoice.Number, Money.FromMinorUnits(invoice.OpenMinor, payment.Currency), entered, payment.ReceiptNumber).ToException();

    /// <summary>True when every line of <paramref name="preview"/> is what the payment's allocation stores (balance, discount, amount).</summary>
    private static bool PricedAsStored(PaymentRecord payment, PaymentPreview preview)
    {
        var byInvoice = payment.Allocations.ToDictionary(a => a.InvoiceId);
        return preview.Lines.Count == byInvoice.Count && preview.Lines.All(l => byInvoice.TryGetValue(l.InvoiceId, out var a)
            && a.OpenBalanceMinor == l.OpenBalance.ToMinorUnits() && a.DiscountMinor == l.Discount.ToMinorUnits() && a.AppliedMinor == l.AmountToPay.ToMinorUnits());
    }

    private static bool IsScheduled(PaymentRecord p) => p.ScheduledFor is not null;

    private async Task<ScheduledPaymentOutcome?> ReplayAsync(AccountScope scope, SchedulePaymentRequest request, CancellationToken ct)
    {
        if (await PaymentStore.FindEarlierAsync(dbFactory, scope, request.IdempotencyKey, IsScheduled, ct) is not { } earlier)
        {
            return null;
        }
        await RequireSameAsync(earlier, request, ct);
        return Outcome(earlier, replayed: true);
    }

    private Task RequireSameAsync(PaymentRecord earlier, SchedulePaymentRequest request, CancellationToken ct) =>
        PaymentStore.RequireSameRequestAsync(dbFactory, earlier, request.PaymentMethodId, request.ExpectedTotal, request.InvoiceIds, ct);

    private static ScheduledPaymentOutcome Outcome(PaymentRecord p, bool replayed) => new()
    {
        PaymentId = p.Id,
        ReceiptNumber = p.ReceiptNumber,
        ScheduledFor = p.ScheduledFor!.Value,
        Amount = Money.FromMinorUnits(p.AmountMinor, p.Currency),
        MethodDescription = p.MethodDescription,
        Replayed = replayed,
    };

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DateOnly Today => options.Value.Today(clock);
}
