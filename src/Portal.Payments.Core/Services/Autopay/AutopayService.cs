using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Fees;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Services.Autopay;

/// <summary>The fee autopay adds with a method: its label (from the fee policy) and whether paying by bank is free.</summary>
/// <param name="FeeLabel">The policy's fee label, e.g. "Card convenience fee (2.5%)".</param>
/// <param name="BankIsFree">The method is a card and a bank account would pay no fee.</param>
public sealed record AutopayFeeNotice(string FeeLabel, bool BankIsFree);

/// <summary>The terms a payer enrols with (or changes to).</summary>
/// <param name="PaymentMethodId">A stored method of the account.</param>
/// <param name="Rule">When each invoice is debited.</param>
public sealed record AutopayTerms(Guid PaymentMethodId, AutopayRule Rule)
{
    /// <summary>Days before the due date (1 to 30), for <see cref="AutopayRule.DaysBeforeDue"/>.</summary>
    public int DaysBeforeDue { get; init; }
    /// <summary>Largest payment autopay makes; null for none.</summary>
    public Money? MaxPayment { get; init; }
    /// <summary>Apply open credit memos automatically.</summary>
    public bool ApplyCreditMemos { get; init; }
    /// <summary>Apply unapplied cash automatically.</summary>
    public bool ApplyUnappliedCash { get; init; }
    /// <summary>Last day autopay pays; null for no end.</summary>
    public DateOnly? EndDate { get; init; }
    /// <summary>For a bank account: the payer's signature of the recurring-debit authorization.</summary>
    public AchSignature? RecurringSignature { get; init; }
    /// <summary>
    /// The account the page was showing (<see cref="AutopayView.AccountId"/>). When the user's current account is another
    /// one by the time the terms are confirmed (the host's account switcher), nothing is done and they are refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
}

/// <summary>An invoice as autopay sees it.</summary>
public sealed record AutopayInvoice
{
    /// <summary>Local invoice id.</summary>
    public required long InvoiceId { get; init; }
    /// <summary>Document number.</summary>
    public required string Number { get; init; }
    /// <summary>Scheduled, skipped or excluded.</summary>
    public required AutopayItemState State { get; init; }
    /// <summary>The debit date (scheduled) or the date it would have been.</summary>
    public DateOnly? DebitDate { get; init; }
    /// <summary>Why it is skipped, in English.</summary>
    public string? SkipReason { get; init; }
    /// <summary>
    /// Why it is skipped, as a code and its arguments (<see cref="AutopaySkips"/>) for wording in the reader's language;
    /// null for a reason stored as English text only (before codes were stored).
    /// </summary>
    public PortalFieldError? Skip { get; init; }
    /// <summary>The scheduled payment's amount (the convenience fee included).</summary>
    public Money? Amount { get; init; }
    /// <summary>The convenience fee in <see cref="Amount"/>, when there is one (re-priced on the debit date).</summary>
    public Money? Fee { get; init; }
    /// <summary>The scheduled payment.</summary>
    public Guid? PaymentId { get; init; }
    /// <summary>Skipped because autopay's payment of it did not go through: putting it back tries again.</summary>
    public bool Retryable { get; init; }
    /// <summary>
    /// Autopay's payment of it is being charged now (<see cref="AutopayItemState.Scheduled"/>, its payment charging or
    /// awaiting the gateway's answer): it can no longer be cancelled, excluded or stopped by turning autopay off.
    /// </summary>
    public bool BeingPaid { get; init; }
}

/// <summary>The account's autopay as the payer sees it.</summary>
public sealed record AutopayView
{
    /// <summary>The account this is the autopay of (sent back as <see cref="AutopayTerms.OpenedForAccountId"/>).</summary>
    public required string AccountId { get; init; }
    /// <summary>Autopay is offered by this portal.</summary>
    public required bool Offered { get; init; }
    /// <summary>The signed-in user may change it (pay permission, and the portal offers autopay).</summary>
    public required bool CanChange { get; init; }
    /// <summary>
    /// The signed-in user may turn the enrolment off (pay permission): also after the portal stopped offering autopay, so
    /// a payer can still stop the payments it scheduled before. False without an enrolment.
    /// </summary>
    public bool CanTurnOff { get; init; }
    /// <summary>The active enrolment, or null.</summary>
    public AutopayEnrollmentView? Enrollment { get; init; }
    /// <summary>Invoices autopay scheduled, skipped (with reasons) or the payer excluded.</summary>
    public IReadOnlyList<AutopayInvoice> Invoices { get; init; } = [];
    /// <summary>The recurring-debit authorization a bank method needs.</summary>
    public required AchAgreement RecurringAgreement { get; init; }
}

/// <summary>An active enrolment.</summary>
public sealed record AutopayEnrollmentView
{
    /// <summary>Id.</summary>
    public required Guid Id { get; init; }
    /// <summary>The terms.</summary>
    public required AutopayTerms Terms { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>The rule in words.</summary>
    public required string RuleDescription { get; init; }
    /// <summary>Who enrolled or last changed it.</summary>
    public required string ChangedBy { get; init; }
    /// <summary>When (UTC).</summary>
    public required DateTimeOffset ChangedAt { get; init; }
    /// <summary>Version, sent back with a change.</summary>
    public required int Version { get; init; }
    /// <summary>
    /// The recurring ACH authorization of the enrolment's bank account is on file for the agreement version in force: a
    /// change that keeps that bank account needs no new signature. False for a card, and after the host published a new
    /// version of the agreement (the payer signs it with the next change).
    /// </summary>
    public bool RecurringSignatureOnFile { get; init; }
    /// <summary>
    /// The end date has passed (in the business time zone): autopay schedules nothing more until the payer changes the
    /// end date or turns it off and sets it up again.
    /// </summary>
    public bool Ended { get; init; }
}

/// <summary>
/// Autopay for the payer: enrol, change and cancel (each confirmed by email), exclude an invoice or take it back. The
/// scheduled payments themselves are made by <see cref="AutopayRunner"/> and charged by the scheduled-payment runner.
/// View-only users see the enrolment; changes need pay permission; the host can turn autopay off.
/// </summary>
public sealed class AutopayService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentLifecycle lifecycle,
    AutopayRunner runner,
    IPaymentGateway gateway,
    IConvenienceFeePolicy fees,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    EmailTexts emailTexts,
    ILogger<AutopayService> logger)
{
    /// <summary>The portal's currency (ISO 4217): autopay's maximum is entered in it.</summary>
    public string Currency => options.Value.Currency;

    /// <summary>The refusal when the host turned autopay off.</summary>
    public const string DisabledMessage = "Autopay is not available in this portal.";

    /// <summary>The recurring-debit authorization text in force (what a bank method's payer signs for autopay).</summary>
    public AchAgreement RecurringAgreement
    {
        get
        {
            var o = options.Value;
            var seller = o.AchSeller;
            var text = o.Autopay.RecurringAgreementText ??
                $"I authorize {seller} to electronically debit the bank account I have selected, on a recurring basis, for " +
                "the invoices of this account that autopay pays under the terms I set in the portal (the debit dates, the largest amount " +
                "and the end date shown there), and, if necessary, to electronically credit the account to correct erroneous debits. " +
                "I will be notified a few days before each debit. This authorization stays in effect until I cancel autopay in the portal, " +
                $"remove the bank account, or notify {seller} in writing in time for it to act. I confirm that I am " +
                "authorized to debit this account and that these transactions comply with applicable law and the NACHA Operating Rules.";
            return AchAgreement.Of(o.Autopay.RecurringAgreementVersion, text);
        }
    }

    /// <summary>The account's autopay: enrolment and invoices.</summary>
    public async Task<AutopayView> GetAsync(CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        var o = options.Value;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.AutopayEnrollments.AsNoTracking().FirstOrDefaultAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken);
        if (e is null)
        {
            return new AutopayView { AccountId = scope.AccountId, Offered = o.Autopay.Enabled, CanChange = scope.CanPay && o.Autopay.Enabled, RecurringAgreement = RecurringAgreement };
        }
        var method = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == e.PaymentMethodId, cancellationToken);
        var invoices = await (from i in db.AutopayItems.AsNoTracking()
                              join p in db.Payments.AsNoTracking() on i.PaymentId equals p.Id into paid
                              from p in paid.DefaultIfEmpty()
                              join v in db.Invoices.AsNoTracking() on i.InvoiceId equals v.Id
                              where i.EnrollmentId == e.Id && v.IsOpen
                                    && (i.State != AutopayItemState.Scheduled
                                        || (p != null && (p.Status == PaymentStatus.Scheduled || p.Status == PaymentStatus.Charging || p.Status == PaymentStatus.Unconfirmed)))
                              orderby i.DebitDate, i.InvoiceNumber
                              select new { i, Amount = p == null ? (long?)null : p.AmountMinor, Fee = p == null ? 0 : p.FeeMinor, Currency = p == null ? null : p.Currency,
                                           ScheduledFor = p == null ? null : p.ScheduledFor,
                                           BeingPaid = p != null && (p.Status == PaymentStatus.Charging || p.Status == PaymentStatus.Unconfirmed) })
            .ToListAsync(cancellationToken);
        return new AutopayView
        {
            AccountId = scope.AccountId,
            Offered = o.Autopay.Enabled,
            CanChange = scope.CanPay && o.Autopay.Enabled,
            CanTurnOff = scope.CanPay,
            RecurringAgreement = RecurringAgreement,
            Enrollment = new AutopayEnrollmentView
            {
                Id = e.Id,
                Terms = Terms(e),
                MethodDescription = method is null ? "a removed method" : PaymentMethodService.Describe(method),
                RuleDescription = AutopayRules.Describe(e.Rule, e.DaysBeforeDue),
                ChangedBy = e.UserName,
                ChangedAt = new DateTimeOffset(DateTime.SpecifyKind(e.UpdatedAt, DateTimeKind.Utc)),
                Version = e.Version,
                RecurringSignatureOnFile = await SignatureOnFileAsync(db, e, cancellationToken),
                Ended = e.EndDate is { } end && end < Today,
            },
            Invoices = invoices.Select(x => new AutopayInvoice
            {
                InvoiceId = x.i.InvoiceId,
                Number = x.i.InvoiceNumber,
                State = x.i.State,
                // A scheduled one's own date: the rule's, or the one the payer chose on the scheduled payments page.
                DebitDate = x.i.State == AutopayItemState.Scheduled && x.ScheduledFor is { } on ? on : x.i.DebitDate,
                SkipReason = AutopaySkips.EnglishOf(x.i.SkipReason),
                Skip = AutopaySkips.Read(x.i.SkipReason),
                Amount = x.Amount is { } a ? Money.FromMinorUnits(a, x.Currency!) : null,
                Fee = x.Fee != 0 ? Money.FromMinorUnits(x.Fee, x.Currency!) : null,
                PaymentId = x.i.State == AutopayItemState.Scheduled ? x.i.PaymentId : null,
                Retryable = x.i.State == AutopayItemState.Skipped && x.i.PaymentId != null,
                BeingPaid = x.i.State == AutopayItemState.Scheduled && x.BeingPaid,
            }).ToList(),
        };
    }

    /// <summary>
    /// What the convenience-fee policy in force today adds to autopay payments with <paramref name="paymentMethodId"/>
    /// (its fee label, e.g. "Card convenience fee (2.5%)"), and whether a bank account would pay none; null when this
    /// method pays no fee. The user interface words it ("… is added to each autopay payment with this method …").
    /// </summary>
    public async Task<AutopayFeeNotice?> FeeNoticeAsync(Guid paymentMethodId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var method = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == paymentMethodId && m.AccountId == scope.AccountId, cancellationToken);
        if (method is null)
        {
            return null;
        }
        // A typical invoice amount: large enough for any minimum-payment exemption not to hide the fee.
        var quotes = new FeeQuotes(fees, Money.Create(10_000m, options.Value.Currency), scope.BillingRegion, FeeOccasion.Autopay, Today);
        var fee = quotes.For(method.Type, method.Funding);
        if (!fee.Charged)
        {
            return null;
        }
        return new AutopayFeeNotice(fee.Label ?? "", BankIsFree: method.Type == PaymentMethodType.Card && !quotes.Bank.Charged);
    }

    /// <summary>Enrols the account (one enrolment per account; a double click enrols once) and schedules what is due.</summary>
    public async Task<AutopayView> EnrollAsync(AutopayTerms terms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var scope = await RequireChangeAsync(cancellationToken);
        scope.RequireOpenedFor(terms.OpenedForAccountId);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.AutopayEnrollments.AnyAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken))
        {
            throw AlreadyOn();
        }
        var method = await CheckAsync(db, scope, terms, cancellationToken);
        var e = new AutopayEnrollmentRecord
        {
            Id = Guid.NewGuid(),
            AccountId = scope.AccountId,
            AccountName = scope.AccountName,
            BillingRegion = scope.BillingRegion,
            Currency = options.Value.Currency,
            CreatedAt = now,
            NextExpansionAt = now,
            // Versions go on from the account's earlier enrolments: a page still showing one turned off since is refused
            // ("Someone changed autopay …"), never taken for this one because both read version 1.
            Version = await db.AutopayEnrollments.Where(x => x.AccountId == scope.AccountId).MaxAsync(x => (int?)x.Version, cancellationToken) ?? 0,
        };
        Apply(e, terms, scope, now);
        db.AutopayEnrollments.Add(e);
        if (method.Type == PaymentMethodType.BankAccount)
        {
            e.AchAuthorizationId = SignRecurring(db, scope, method, terms.RecurringSignature!, now);
        }
        OutboxWriter.EnqueueEmail(db, AutopayEmails.Enrollment(emailTexts, e, changed: false, PaymentMethodService.Describe(method), options.Value.Notifications.PortalBaseUrl, options.Value.Merchant), now);
        AuditLog.Add(db, scope, "autopay.enrolled", e.Id, now, new { e.Rule, e.DaysBeforeDue, e.MaxPaymentMinor, e.EndDate, e.PaymentMethodId });
        try
        {
            await lifecycle.WriteAsync(async () =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
                // Not deleted meanwhile, and no deletion may take it until this commits (its checks then see this enrolment).
                await PaymentMethodService.HoldForUseAsync(db, method.Id, null, now, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return true;
            }, cancellationToken);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // The one-active-enrolment index: a concurrent enrolment of this account won (any other failure is not worded so).
            throw AlreadyOn();
        }
        logger.LogInformation("Autopay enrolled for {AccountId} by {UserId}", scope.AccountId, scope.User.UserId);
        await runner.ExpandNowAsync(e.Id, cancellationToken);
        return await GetAsync(cancellationToken);
    }

    /// <summary>
    /// Changes the terms (refused when someone else changed them since <paramref name="version"/>): the payments autopay
    /// scheduled and not yet charged are cancelled and made again under the new terms.
    /// </summary>
    public async Task<AutopayView> ChangeAsync(AutopayTerms terms, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var scope = await RequireChangeAsync(cancellationToken);
        scope.RequireOpenedFor(terms.OpenedForAccountId);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.AutopayEnrollments.FirstOrDefaultAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken)
                ?? throw NotOn();
        if (e.Version != version)
        {
            throw ChangedMeanwhile();
        }
        // The recurring authorization signed for this bank account stays good for other changes of the terms.
        var previous = e.AchAuthorizationId;
        var covered = terms.RecurringSignature is null && e.PaymentMethodId == terms.PaymentMethodId
                      && await SignatureOnFileAsync(db, e, cancellationToken);
        var method = await CheckAsync(db, scope, terms, cancellationToken, signatureOnFile: covered);
        Apply(e, terms, scope, now);
        e.NextExpansionAt = now;
        EndExpansionLease(db, e);
        e.AchAuthorizationId = method.Type != PaymentMethodType.BankAccount ? null
            : covered ? previous
            : SignRecurring(db, scope, method, terms.RecurringSignature!, now);
        if (previous is { } old && old != e.AchAuthorizationId && !await db.AchRevocations.AnyAsync(r => r.AuthorizationId == old, cancellationToken))
        {
            db.AchRevocations.Add(new AchRevocationRecord { AuthorizationId = old, RevokedAt = now, UserId = scope.User.UserId, RetainUntil = now + PaymentMethodService.AchRetention });
        }
        await lifecycle.WriteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await PaymentMethodService.HoldForUseAsync(db, method.Id, null, now, cancellationToken);
            await SaveEnrollmentFirstAsync(db, cancellationToken);
            var cancelled = await CancelScheduledAsync(db, e.Id, scope, cancellationToken);
            await db.AutopayItems.Where(i => i.EnrollmentId == e.Id && i.State != AutopayItemState.Excluded).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.State, AutopayItemState.Skipped)
                .SetProperty(i => i.PaymentId, (Guid?)null)
                .SetProperty(i => i.SkipReason, (string?)null), cancellationToken);
            OutboxWriter.EnqueueEmail(db, AutopayEmails.Enrollment(emailTexts, e, changed: true, PaymentMethodService.Describe(method), options.Value.Notifications.PortalBaseUrl, options.Value.Merchant), now);
            AuditLog.Add(db, scope, "autopay.changed", e.Id, now, new { e.Rule, e.DaysBeforeDue, e.MaxPaymentMinor, e.EndDate, e.PaymentMethodId, Rescheduled = cancelled });
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return cancelled;
        }, cancellationToken);
        await runner.ExpandNowAsync(e.Id, cancellationToken);
        return await GetAsync(cancellationToken);
    }

    /// <summary>Cancels autopay: its scheduled payments are cancelled (one email), a recurring ACH authorization is revoked.</summary>
    public Task<AutopayView> CancelAsync(CancellationToken cancellationToken = default) => CancelAsync(null, cancellationToken);

    /// <summary>
    /// Cancels autopay as <see cref="CancelAsync(CancellationToken)"/>, from a page that showed the autopay of account
    /// <paramref name="openedForAccountId"/> (<see cref="AutopayView.AccountId"/>): when the user's current account is
    /// another one by now (the host's account switcher), nothing is turned off and it is refused with <c>AccountSwitched</c>.
    /// </summary>
    public async Task<AutopayView> CancelAsync(string? openedForAccountId, CancellationToken cancellationToken = default)
    {
        var scope = await RequireChangeAsync(cancellationToken, allowWhenOff: true);
        scope.RequireOpenedFor(openedForAccountId);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.AutopayEnrollments.FirstOrDefaultAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken)
                ?? throw NotOn();
        var method = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == e.PaymentMethodId, cancellationToken);
        e.CancelledAt = now;
        e.UpdatedAt = now;
        e.UserId = scope.User.UserId;
        e.UserName = scope.User.DisplayName;
        e.UserEmail = scope.User.Email;
        e.Culture = Notifications.ReaderCulture.Current();
        e.Version++;
        EndExpansionLease(db, e);
        if (e.AchAuthorizationId is { } authorization && !await db.AchRevocations.AnyAsync(r => r.AuthorizationId == authorization, cancellationToken))
        {
            db.AchRevocations.Add(new AchRevocationRecord { AuthorizationId = authorization, RevokedAt = now, UserId = scope.User.UserId, RetainUntil = now + PaymentMethodService.AchRetention });
        }
        await lifecycle.WriteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await SaveEnrollmentFirstAsync(db, cancellationToken);
            var cancelled = await CancelScheduledAsync(db, e.Id, scope, cancellationToken);
            OutboxWriter.EnqueueEmail(db, AutopayEmails.Enrollment(emailTexts, e, changed: true, method is null ? "" : PaymentMethodService.Describe(method),
                options.Value.Notifications.PortalBaseUrl, options.Value.Merchant), now);
            AuditLog.Add(db, scope, "autopay.cancelled", e.Id, now, new { CancelledPayments = cancelled });
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return cancelled;
        }, cancellationToken);
        logger.LogInformation("Autopay of {AccountId} cancelled by {UserId}", scope.AccountId, scope.User.UserId);
        return await GetAsync(cancellationToken);
    }

    /// <summary>Keeps one invoice out of autopay (its scheduled autopay payment, if any, is cancelled).</summary>
    public async Task<AutopayView> ExcludeAsync(long invoiceId, CancellationToken cancellationToken = default)
    {
        var scope = await RequireChangeAsync(cancellationToken);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.AutopayEnrollments.AsNoTracking().FirstOrDefaultAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken)
                ?? throw NotOn();
        var invoice = await db.Invoices.AsNoTracking().FirstOrDefaultAsync(i => i.Id == invoiceId && i.AccountId == scope.AccountId, cancellationToken)
                      ?? throw new PortalNotFoundException("That invoice was not found.");
        await lifecycle.WriteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await MoveVersionFirstAsync(db, e.Id, null, cancellationToken);
            var item = await db.AutopayItems.FirstOrDefaultAsync(i => i.EnrollmentId == e.Id && i.InvoiceId == invoiceId, cancellationToken);
            if (item?.State == AutopayItemState.Scheduled && item.PaymentId is { } paymentId)
            {
                var payment = await db.Payments.AsNoTracking().Include(p => p.Allocations).FirstAsync(p => p.Id == paymentId, cancellationToken);
                if (payment.Status == PaymentStatus.Scheduled
                    && !await lifecycle.TryMoveAsync(db, payment, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                        new PaymentChange(scope.User.UserId) { CancelledBy = scope.User.DisplayName, Quiet = true }, cancellationToken))
                {
                    throw BeingPaid(invoice.Number);
                }
                // Being charged, or through: too late. One that ended without paying (declined, returned, cancelled) and
                // that autopay has not looked at since is the payer's to exclude.
                if (payment.Status is PaymentStatus.Charging or PaymentStatus.Processing or PaymentStatus.Unconfirmed or PaymentStatus.Succeeded)
                {
                    throw BeingPaid(invoice.Number);
                }
            }
            if (item is null)
            {
                item = new AutopayItemRecord { EnrollmentId = e.Id, AccountId = scope.AccountId, InvoiceId = invoiceId, InvoiceNumber = invoice.Number };
                db.AutopayItems.Add(item);
            }
            item.State = AutopayItemState.Excluded;
            item.SkipReason = null;
            item.PaymentId = null;
            item.UpdatedAt = now;
            AuditLog.Add(db, scope, "autopay.excluded", e.Id, now, new { Invoice = invoice.Number });
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
        return await GetAsync(cancellationToken);
    }

    /// <summary>Takes an excluded invoice back into autopay (or one whose autopay payment did not go through, to try again).</summary>
    public async Task<AutopayView> IncludeAsync(long invoiceId, CancellationToken cancellationToken = default)
    {
        var scope = await RequireChangeAsync(cancellationToken);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.AutopayEnrollments.AsNoTracking().FirstOrDefaultAsync(x => x.AccountId == scope.AccountId && x.CancelledAt == null, cancellationToken)
                ?? throw NotOn();
        await lifecycle.WriteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await MoveVersionFirstAsync(db, e.Id, now, cancellationToken);
            // Excluded, or left to the payer after its payment failed: back to autopay (its generation keeps the next key new).
            await db.AutopayItems.Where(i => i.EnrollmentId == e.Id && i.InvoiceId == invoiceId && i.State != AutopayItemState.Scheduled)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.State, AutopayItemState.Skipped)
                    .SetProperty(i => i.PaymentId, (Guid?)null)
                    .SetProperty(i => i.SkipReason, (string?)null), cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
        await runner.ExpandNowAsync(e.Id, cancellationToken);
        return await GetAsync(cancellationToken);
    }

    /// <summary>
    /// Moves the enrolment's version before an invoice is excluded or put back, in the same transaction and first (the row
    /// order of an expansion, a change and a cancel): a node expanding the enrolment with the items it read before finds
    /// the version moved at its commit, keeps nothing of that pass and reads the items again. The terms, who changed them
    /// and the expansion lease stay as they are. <paramref name="expandAt"/>, when given, makes the enrolment due now.
    /// </summary>
    private static async Task MoveVersionFirstAsync(PaymentsDbContext db, Guid enrollmentId, DateTime? expandAt, CancellationToken ct)
    {
        var moved = expandAt is { } at
            ? await db.AutopayEnrollments.Where(x => x.Id == enrollmentId && x.CancelledAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Version, x => x.Version + 1).SetProperty(x => x.NextExpansionAt, at), ct)
            : await db.AutopayEnrollments.Where(x => x.Id == enrollmentId && x.CancelledAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Version, x => x.Version + 1), ct);
        if (moved != 1)
        {
            throw NotOn(); // cancelled meanwhile
        }
    }

    /// <summary>
    /// Ends the expansion lease with a cancel or change of terms (written whatever was read, so a lease taken after the
    /// read ends too): a node still expanding the enrolment under the old terms has its commit refused (the version moved),
    /// and the change's own expansion need not wait for that node's lease to run out.
    /// </summary>
    private static void EndExpansionLease(PaymentsDbContext db, AutopayEnrollmentRecord e)
    {
        e.LeaseOwner = null;
        e.LeaseExpiresAt = null;
        db.Entry(e).Property(x => x.LeaseOwner).IsModified = true;
        db.Entry(e).Property(x => x.LeaseExpiresAt).IsModified = true;
    }

    /// <summary>
    /// Writes the cancelled or changed enrolment (a conditional update on the version read) before anything else in the
    /// transaction. An expansion commits only on the version it read and writes the enrolment row first too, so the two
    /// meet at that row: an expansion that committed first is waited for (PostgreSQL's row lock; SQLite has one writer)
    /// and its payments are then among those this transaction cancels; one that commits later finds the version moved
    /// and keeps nothing.
    /// </summary>
    private static async Task SaveEnrollmentFirstAsync(PaymentsDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw ChangedMeanwhile();
        }
    }

    /// <summary>
    /// The enrolment's recurring ACH authorization covers a change of its terms that keeps its bank account: signed for
    /// the agreement version in force and not revoked. After the host publishes a new agreement version the payer signs again.
    /// </summary>
    private async Task<bool> SignatureOnFileAsync(PaymentsDbContext db, AutopayEnrollmentRecord e, CancellationToken ct)
    {
        if (e.AchAuthorizationId is not { } signed)
        {
            return false;
        }
        var agreementVersion = RecurringAgreement.Version;
        return await db.AchAuthorizations.AnyAsync(a => a.Id == signed && a.Recurring && a.AgreementVersion == agreementVersion, ct)
               && !await db.AchRevocations.AnyAsync(r => r.AuthorizationId == signed, ct);
    }

    /// <summary>Cancels the enrolment's payments still Scheduled (quietly: one autopay email says so); returns how many.</summary>
    private async Task<int> CancelScheduledAsync(PaymentsDbContext db, Guid enrollmentId, AccountScope scope, CancellationToken ct)
    {
        var scheduled = await db.Payments.AsNoTracking().Include(p => p.Allocations)
            .Where(p => p.AutopayEnrollmentId == enrollmentId && p.Status == PaymentStatus.Scheduled).ToListAsync(ct);
        var count = 0;
        foreach (var payment in scheduled)
        {
            // One the runner took meanwhile is being charged: it goes on (the payer authorized it).
            count += await lifecycle.TryMoveAsync(db, payment, PaymentStatus.Scheduled, PaymentStatus.Cancelled,
                new PaymentChange(scope.User.UserId) { CancelledBy = scope.User.DisplayName, Quiet = true }, ct) ? 1 : 0;
        }
        return count;
    }

    private async Task<AccountScope> RequireChangeAsync(CancellationToken ct, bool allowWhenOff = false)
    {
        var scope = await access.ForPayAsync(ct);
        if (!allowWhenOff && !options.Value.Autopay.Enabled)
        {
            throw PortalFieldError.Of("autopay", "AutopayDisabled", DisabledMessage).ToException();
        }
        return scope;
    }

    /// <summary>Checks the terms; the method (stored, usable, of the gateway in use), and for a bank account the recurring signature.</summary>
    private async Task<PaymentMethodRecord> CheckAsync(PaymentsDbContext db, AccountScope scope, AutopayTerms terms, CancellationToken ct, bool signatureOnFile = false)
    {
        if (!Enum.IsDefined(terms.Rule))
        {
            throw PortalFieldError.Of("rule", "AutopayRuleMissing", "Choose when autopay pays each invoice.").ToException();
        }
        if (terms.Rule == AutopayRule.DaysBeforeDue && terms.DaysBeforeDue is < 1 or > 30)
        {
            throw PortalFieldError.Of("daysBeforeDue", "AutopayDaysBeforeDue", "Enter 1 to 30 days before the due date.").ToException();
        }
        var currency = options.Value.Currency;
        if (terms.MaxPayment is { } max)
        {
            if (!string.Equals(max.Currency, currency, StringComparison.Ordinal))
            {
                throw PortalFieldError.Of("maxPayment", "AutopayMaxCurrency", "Enter the maximum in {0}.", currency).ToException();
            }
            if (max.Amount <= 0m)
            {
                throw PortalFieldError.Of("maxPayment", "AutopayMaxNotPositive", "The maximum must be greater than zero, or leave it empty for none.").ToException();
            }
        }
        if (terms.EndDate is { } end && end <= Today)
        {
            throw PortalFieldError.Of("endDate", "AutopayEndDatePast", "The end date must be after today, or leave it empty for no end.").ToException();
        }
        var method = await PaymentService.UsableMethodAsync(db, scope.AccountId, terms.PaymentMethodId, Today, gateway.Key, ct);
        if (method.SingleUse)
        {
            throw PortalFieldError.Of("method", "AutopayMethodNotSaved", "This card was added for one payment only. Autopay needs a saved method: choose one, or add the card again and keep it for future payments.").ToException();
        }
        if (method.Type == PaymentMethodType.BankAccount && !signatureOnFile)
        {
            var signature = terms.RecurringSignature;
            var agreement = RecurringAgreement;
            if (signature is null || !string.Equals(signature.AgreementVersion, agreement.Version, StringComparison.Ordinal))
            {
                throw PortalFieldError.Of("agreement", "AutopayAgreementUnsigned", "Read the recurring-debit authorization and sign it to pay autopay from this bank account.").ToException();
            }
            if (string.IsNullOrWhiteSpace(signature.SignerName))
            {
                throw PortalFieldError.Of("signerName", "AutopaySignerMissing", "Type your full name to sign the authorization.").ToException();
            }
            if (signature.SignerName.Trim().Length > 200)
            {
                throw PortalFieldError.Of("signerName", "AutopaySignerTooLong", "The name can be at most {0} characters.", 200).ToException();
            }
            if (!signature.Consented)
            {
                throw PortalFieldError.Of("consent", "AutopayConsentMissing", "Tick the box to authorize recurring debits from this bank account.").ToException();
            }
        }
        return method;
    }

    private static void Apply(AutopayEnrollmentRecord e, AutopayTerms terms, AccountScope scope, DateTime now)
    {
        e.PaymentMethodId = terms.PaymentMethodId;
        e.Rule = terms.Rule;
        e.DaysBeforeDue = terms.Rule == AutopayRule.DaysBeforeDue ? terms.DaysBeforeDue : 0;
        e.MaxPaymentMinor = terms.MaxPayment?.ToMinorUnits();
        e.ApplyCreditMemos = terms.ApplyCreditMemos;
        e.ApplyUnappliedCash = terms.ApplyUnappliedCash;
        e.EndDate = terms.EndDate;
        e.UserId = scope.User.UserId;
        e.UserName = scope.User.DisplayName;
        e.UserEmail = scope.User.Email;
        e.Culture = Notifications.ReaderCulture.Current();
        e.UpdatedAt = now;
        e.Version++;
    }

    /// <summary>The immutable record of the payer's recurring-debit authorization (its own agreement text and version).</summary>
    private Guid SignRecurring(PaymentsDbContext db, AccountScope scope, PaymentMethodRecord method, AchSignature signature, DateTime now)
    {
        var agreement = RecurringAgreement;
        var id = Guid.NewGuid();
        db.AchAuthorizations.Add(new AchAuthorizationRecord
        {
            Id = id,
            AccountId = scope.AccountId,
            PaymentMethodId = method.Id,
            AgreementVersion = agreement.Version,
            AgreementSha256 = agreement.Sha256,
            SignerName = signature.SignerName!.Trim(),
            UserId = scope.User.UserId,
            SignedAt = now,
            IpAddress = scope.User.IpAddress is { Length: > 64 } ip ? ip[..64] : scope.User.IpAddress,
            UserAgent = scope.User.UserAgent is { Length: > 512 } ua ? ua[..512] : scope.User.UserAgent,
            AccountLast4 = method.Last4,
            Recurring = true,
        });
        return id;
    }

    private static AutopayTerms Terms(AutopayEnrollmentRecord e) => new(e.PaymentMethodId, e.Rule)
    {
        DaysBeforeDue = e.DaysBeforeDue,
        MaxPayment = e.MaxPaymentMinor is { } max ? Money.FromMinorUnits(max, e.Currency) : null,
        ApplyCreditMemos = e.ApplyCreditMemos,
        ApplyUnappliedCash = e.ApplyUnappliedCash,
        EndDate = e.EndDate,
    };

    private static PortalValidationException AlreadyOn() =>
        PortalFieldError.Of("autopay", "AutopayAlreadyOn", "Autopay is already on for this account; change it instead.").ToException();

    private static PortalValidationException NotOn() =>
        PortalFieldError.Of("autopay", "AutopayNotOn", "Autopay is not on for this account.").ToException();

    private static PortalValidationException ChangedMeanwhile() =>
        PortalFieldError.Of("autopay", "AutopayChangedMeanwhile", "Someone changed autopay since you opened it. Review the current settings and try again.").ToException();

    private static PortalValidationException BeingPaid(string invoiceNumber) =>
        PortalFieldError.Of("invoice", "AutopayExcludeBeingPaid", "{0} is being paid right now; it can no longer be excluded.", invoiceNumber).ToException();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DateOnly Today => options.Value.DateAt(Now);
}
