using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Fees;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Payments;

/// <summary>Pay-now: server-computed preview, one charge per confirmation, receipts.</summary>
public sealed class PaymentService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    PaymentCharger charger,
    PaymentLifecycle lifecycle,
    IDiscountPolicy discountPolicy,
    IConvenienceFeePolicy fees,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<PaymentService> logger)
{
    /// <summary>The message when the browser's total no longer matches the server's.</summary>
    public const string AmountsChangedMessage = "The amounts changed since you reviewed them; review the new total and confirm again.";

    /// <summary>The message when the selected credits cover the selected invoices.</summary>
    public const string CreditsCoverInvoicesMessage = "The selected credits cover the selected invoices; select fewer credits or more invoices.";

    /// <summary>The refusal of a pay-now or scheduling confirmation without a usable idempotency key (shared with scheduling).</summary>
    internal static readonly PortalFieldError FormExpired =
        PortalFieldError.Of("payment", "PaymentFormExpired", "This payment form expired; please open it again.");

    private const string ReceiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The server's preview of paying <paramref name="invoiceIds"/> today.</summary>
    public async Task<PaymentPreview> PreviewAsync(IReadOnlyList<long> invoiceIds, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await ComputeAsync(db, scope, invoiceIds, null, cancellationToken)).Preview;
    }

    /// <summary>
    /// The server's preview of paying <paramref name="invoiceIds"/> today with the amounts, reasons and comments of
    /// <paramref name="lines"/> (short payments); bad input is refused with a <see cref="PortalValidationException"/>
    /// whose field is <see cref="ShortPayRules.AmountField"/>, <see cref="ShortPayRules.ReasonField"/> or <see cref="ShortPayRules.CommentField"/>.
    /// </summary>
    public async Task<PaymentPreview> PreviewAsync(IReadOnlyList<long> invoiceIds, IReadOnlyList<PayLine>? lines, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await ComputeAsync(db, scope, invoiceIds, lines, cancellationToken)).Preview;
    }

    /// <summary>
    /// The server's preview with the amounts of <paramref name="lines"/> and the convenience fee of paying with
    /// <paramref name="paymentMethodId"/> (a stored method of the account), plus the fee by card and by bank for comparison.
    /// </summary>
    public async Task<PaymentPreview> PreviewAsync(IReadOnlyList<long> invoiceIds, IReadOnlyList<PayLine>? lines, Guid? paymentMethodId,
        CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (preview, _) = await ComputeAsync(db, scope, invoiceIds, lines, cancellationToken);
        var method = paymentMethodId is { } id ? await UsableMethodAsync(db, scope.AccountId, id, Today, charger.GatewayKey, cancellationToken) : null;
        return WithFees(preview, fees, scope, method, FeeOccasion.PayNow, Today);
    }

    /// <summary>
    /// <paramref name="preview"/> with the fee of <paramref name="method"/> (when given) and the card and bank quotes, under the
    /// policy for <paramref name="chargeDate"/> (shared with scheduling).
    /// </summary>
    internal static PaymentPreview WithFees(PaymentPreview preview, IConvenienceFeePolicy policy, AccountScope scope, PaymentMethodRecord? method,
        FeeOccasion occasion, DateOnly chargeDate)
    {
        var quotes = new FeeQuotes(policy, preview.Total, scope.BillingRegion, occasion, chargeDate);
        return preview with
        {
            Fee = method is null ? null : quotes.For(method.Type, method.Funding),
            CardFee = quotes.Card,
            BankFee = quotes.Bank,
        };
    }

    /// <summary>
    /// The server's preview of paying <paramref name="invoiceIds"/> today with what the payer entered in <paramref name="lines"/>,
    /// with every short-pay refusal as a value (<see cref="PaymentPreview.Errors"/>) instead of an exception: the totals follow
    /// the amounts typed even while a reason is still missing, and a form shows each refusal at its field.
    /// </summary>
    public Task<PaymentPreview> ReviewAsync(IReadOnlyList<long> invoiceIds, IReadOnlyList<PayLine>? lines, CancellationToken cancellationToken = default) =>
        ReviewAsync(invoiceIds, lines, null, cancellationToken);

    /// <summary>
    /// As <see cref="ReviewAsync(IReadOnlyList{long}, IReadOnlyList{PayLine}?, CancellationToken)"/>, with the convenience fee of
    /// paying with <paramref name="paymentMethodId"/> and the card and bank quotes.
    /// </summary>
    public async Task<PaymentPreview> ReviewAsync(IReadOnlyList<long> invoiceIds, IReadOnlyList<PayLine>? lines, Guid? paymentMethodId,
        CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var errors = new List<PortalFieldError>();
        var preview = (await ComputeAsync(db, scope, invoiceIds, lines, cancellationToken, errors)).Preview;
        var method = paymentMethodId is { } id ? await UsableMethodAsync(db, scope.AccountId, id, Today, charger.GatewayKey, cancellationToken) : null;
        return WithFees(preview, fees, scope, method, FeeOccasion.PayNow, Today) with { Errors = errors };
    }

    /// <summary>Recomputes, holds the items, charges once under the request's idempotency key, records the outcome.</summary>
    public async Task<PaymentOutcome> PayInvoicesAsync(PayInvoicesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = await access.ForPayAsync(cancellationToken);
        scope.RequireOpenedFor(request.OpenedForAccountId);
        PaymentStore.RequireKey(request.IdempotencyKey, FormExpired);
        if (await ReplayAsync(scope, request, cancellationToken) is { } earlier)
        {
            return earlier;
        }
        try
        {
            return await PayNewAsync(scope, request, cancellationToken);
        }
        catch (PaymentConflictException)
        {
            // A double submit of this confirmation may have held the items first: answer with its outcome.
            var winner = await ReplayAsync(scope, request, CancellationToken.None);
            if (winner is null)
            {
                throw;
            }
            return winner;
        }
    }

    /// <summary>
    /// After the payer completed (or abandoned) the bank's confirmation (3-D Secure) of a payment or deposit of the
    /// signed-in account that answered RequiresAction: the gateway is asked for the charge and its answer is recorded.
    /// </summary>
    public async Task<PaymentOutcome> CompleteCustomerActionAsync(Guid paymentId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        PaymentRecord payment;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            payment = await db.Payments.AsNoTracking().Include(p => p.Allocations)
                          .FirstOrDefaultAsync(p => p.Id == paymentId && p.AccountId == scope.AccountId, cancellationToken)
                      ?? throw new PortalNotFoundException("That payment was not found.");
        }
        return await charger.ResolveCustomerActionAsync(payment, scope.User.UserId);
    }

    /// <summary>The receipt of a payment of the signed-in account (not found for any other).</summary>
    public async Task<PaymentReceipt> GetReceiptAsync(Guid paymentId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var p = await db.Payments.AsNoTracking().Include(x => x.Allocations)
                    .FirstOrDefaultAsync(x => x.Id == paymentId && x.AccountId == scope.AccountId, cancellationToken)
                ?? throw new PortalNotFoundException("That receipt was not found.");
        var allocations = p.Allocations.OrderBy(a => a.Id).ToList();
        Money M(long minor) => Money.FromMinorUnits(minor, p.Currency);
        return new PaymentReceipt
        {
            PaymentId = p.Id,
            ReceiptNumber = p.ReceiptNumber,
            AccountId = p.AccountId,
            AccountName = scope.AccountName,
            Kind = p.Kind,
            Status = p.Status,
            CreatedAt = Utc(p.CreatedAt),
            ScheduledFor = p.ScheduledFor,
            PaidBy = p.CreatedByName,
            MethodDescription = p.MethodDescription,
            Amount = M(p.AmountMinor),
            DiscountTotal = M(p.DiscountMinor),
            ShortTotal = M(p.ShortMinor),
            CreditsApplied = M(-allocations.Where(a => a.AppliedMinor < 0).Sum(a => a.AppliedMinor)),
            Fee = M(p.FeeMinor),
            FeeLabel = p.FeeLabel,
            Lines = allocations.Select(a => new ReceiptLine
            {
                InvoiceNumber = a.InvoiceNumber,
                Type = a.InvoiceType,
                OpenBalance = M(a.OpenBalanceMinor),
                Discount = M(a.DiscountMinor),
                ShortAmount = M(a.ShortMinor),
                ShortReason = a.ShortReason,
                Comment = a.Comment,
                Applied = M(a.AppliedMinor),
            }).ToList(),
            Memo = p.Memo,
            FailureReason = p.FailureReason,
            FailureCode = p.FailureCode,
            GatewayReference = p.GatewayReference,
        };
    }

    private async Task<PaymentOutcome> PayNewAsync(AccountScope scope, PayInvoicesRequest request, CancellationToken ct)
    {
        PaymentPreview preview;
        IReadOnlyList<InvoiceRecord> items;
        PaymentMethodRecord method;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            (preview, items) = await ComputeAsync(db, scope, request.InvoiceIds, request.Lines, ct);
            method = await UsableMethodAsync(db, scope.AccountId, request.PaymentMethodId, Today, charger.GatewayKey, ct);
            preview = WithFees(preview, fees, scope, method, FeeOccasion.PayNow, Today);
            // The total, and what it is made of: a short payment charges the amount typed, so a discount the ERP withdrew
            // or a short-paid balance it changed leaves the total as reviewed while the discount taken and the amount
            // posted as short-paid are not what the payer saw.
            if ((request.ExpectedTotal is { } expected && expected != preview.TotalCharged)
                || (request.ExpectedDiscountTotal is { } discounts && discounts != preview.DiscountTotal)
                || (request.ExpectedShortTotal is { } shortPaid && shortPaid != preview.ShortTotal))
            {
                throw AmountsChanged();
            }
        }

        var (payment, winner) = await PaymentStore.InsertAsync(dbFactory, lifecycle, clock, logger, scope, request.IdempotencyKey,
            now => NewPayment(scope, request.IdempotencyKey, preview, items, method, charger.GatewayKey, now, scheduled: false),
            (db, p, now) => AuditLog.Add(db, scope, "payment.created", p.Id, now, new { p.ReceiptNumber, p.AmountMinor, p.Currency, Items = items.Count }),
            items, schedule: false, Conflict, sameFlow: null, ct);
        if (winner is not null)
        {
            // A double submit stored it first: the same payment only if it is the same request.
            await RequireSameAsync(winner, request, CancellationToken.None);
            return Outcome(winner, replayed: true);
        }
        logger.LogInformation("Payment {PaymentId} ({ReceiptNumber}) of {Amount} for {Count} items of {AccountId} created",
            payment!.Id, payment.ReceiptNumber, preview.Total, items.Count, scope.AccountId);
        return await charger.ChargeAsync(payment, method.Token, new ChargeContext(scope.User.UserId));
    }

    /// <summary>
    /// A new invoice payment with its allocations, from a server preview: charged now, or scheduled for the preview's
    /// date (shared with scheduling). <see cref="PaymentStore"/> starts it in its lifecycle.
    /// </summary>
    internal static PaymentRecord NewPayment(AccountScope scope, string key, PaymentPreview preview, IReadOnlyList<InvoiceRecord> items, PaymentMethodRecord method,
        string gatewayKey, DateTime now, bool scheduled)
    {
        var byId = items.ToDictionary(i => i.Id);
        return new PaymentRecord
        {
            Id = Guid.NewGuid(),
            AccountId = scope.AccountId,
            Kind = PaymentKind.InvoicePayment,
            ScheduledFor = scheduled ? preview.PaymentDate : null,
            Currency = preview.Total.Currency,
            AmountMinor = preview.TotalCharged.ToMinorUnits(),
            FeeMinor = preview.Fee is { Charged: true } fee ? fee.Amount.ToMinorUnits() : 0,
            FeeLabel = preview.Fee is { Charged: true } charged ? charged.Label : null,
            BillingRegion = scope.BillingRegion,
            DiscountMinor = preview.DiscountTotal.ToMinorUnits(),
            ShortMinor = preview.ShortTotal.ToMinorUnits(),
            PaymentMethodId = method.Id,
            MethodDescription = PaymentMethodService.Describe(method),
            IdempotencyKey = key,
            GatewayKey = gatewayKey,
            ReceiptNumber = NewReceiptNumber(now),
            CreatedByUserId = scope.User.UserId,
            CreatedByName = scope.User.DisplayName,
            CreatedByEmail = scope.User.Email,
            AccountName = scope.AccountName,
            CreatedAt = now,
            Culture = Notifications.ReaderCulture.Current(),
            InvoiceCount = items.Count,
            Allocations = preview.Lines.Select(l => new PaymentAllocationRecord
            {
                InvoiceId = l.InvoiceId,
                InvoiceExternalId = byId[l.InvoiceId].ExternalId,
                InvoiceNumber = l.Number,
                InvoiceType = l.Type,
                OpenBalanceMinor = l.OpenBalance.ToMinorUnits(),
                DiscountMinor = l.Discount.ToMinorUnits(),
                AppliedMinor = l.AmountToPay.ToMinorUnits(),
                ShortMinor = l.ShortAmount?.ToMinorUnits() ?? 0,
                ShortReason = l.ShortReason,
                Comment = l.Comment,
            }).ToList(),
        };
    }

    /// <summary>Loads, checks and prices the selection.</summary>
    private async Task<(PaymentPreview Preview, IReadOnlyList<InvoiceRecord> Items)> ComputeAsync(PaymentsDbContext db, AccountScope scope, IReadOnlyList<long>? invoiceIds,
        IReadOnlyList<PayLine>? lines, CancellationToken ct, List<PortalFieldError>? errors = null)
    {
        var byId = LinesById(lines);
        var ids = SelectedIds(invoiceIds, lines);
        var currency = options.Value.Currency;
        var items = await PaymentStore.LoadPayableAsync(db, scope.AccountId, ids, currency,
            PortalFieldError.Of("invoices", "PayNoneSelected", "Select at least one invoice to pay."), Conflict, ct);
        var preview = PaymentCalculator.Compute(items, Today, discountPolicy, currency, byId, options.Value.EffectiveShortPayReasons, errors);
        if (preview.Total.Amount <= 0m && errors is not { Count: > 0 })
        {
            throw CreditsCoverInvoices();
        }
        return (preview, items);
    }

    private static Dictionary<long, PayLine> LinesById(IReadOnlyList<PayLine>? lines)
    {
        var byId = new Dictionary<long, PayLine>();
        foreach (var line in lines ?? [])
        {
            if (!byId.TryAdd(line.InvoiceId, line))
            {
                throw PortalFieldError.Of(ShortPayRules.AmountField(line.InvoiceId), "OneAmountPerInvoice", "Each invoice takes one amount to pay.").ToException();
            }
        }
        return byId;
    }

    /// <summary>The refusal when the browser's total no longer matches the server's (shared with scheduling and deposits).</summary>
    internal static PortalValidationException AmountsChanged() => PortalFieldError.Of("total", "AmountsChanged", AmountsChangedMessage).ToException();

    /// <summary>The refusal when the selected credits cover the selected invoices (shared with scheduling).</summary>
    internal static PortalValidationException CreditsCoverInvoices() =>
        PortalFieldError.Of("invoices", "CreditsCoverInvoices", CreditsCoverInvoicesMessage).ToException();

    /// <summary>A stored, not deleted, not expired, verified method of the account, of the gateway in use (shared with deposits, scheduling and autopay).</summary>
    internal static async Task<PaymentMethodRecord> UsableMethodAsync(PaymentsDbContext db, string accountId, Guid methodId, DateOnly today, string gatewayKey, CancellationToken ct)
    {
        var method = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.Id == methodId && m.AccountId == accountId, ct)
            ?? throw new PortalNotFoundException("That payment method was not found. Choose another one.");
        if (method.DeletedAt is not null)
        {
            throw PortalFieldError.Of("method", "MethodDeleted", "That payment method was deleted. Choose another one.").ToException();
        }
        if (PaymentMethodService.StatusOf(method, today) == PaymentMethodStatus.Expired)
        {
            throw PortalFieldError.Of("method", "MethodExpired", "{0} has expired. Choose another method or update its expiry date.", PaymentMethodService.Describe(method)).ToException();
        }
        if (method.VerificationPending)
        {
            // The gateway refuses it until verified (Stripe confirms no payment from an unverified US bank account): say so
            // before a payment is recorded, not as a failed one.
            throw PortalFieldError.Of("method", "MethodVerificationPending",
                "{0} is still being verified. It can pay once the verification is complete (for a bank account, after the small test deposits are confirmed). Choose another method for now.",
                PaymentMethodService.Describe(method)).ToException();
        }
        if (!string.Equals(method.GatewayKey, gatewayKey, StringComparison.Ordinal))
        {
            throw PortalFieldError.Of("method", "MethodOtherGateway", "That payment method cannot be used here any more. Choose another one.").ToException();
        }
        return method;
    }

    /// <summary>
    /// The outcome of the payment made earlier with the request's key; another account's key is not found, and the key of
    /// another payment (other invoices, method or total) is refused.
    /// </summary>
    private async Task<PaymentOutcome?> ReplayAsync(AccountScope scope, PayInvoicesRequest request, CancellationToken ct)
    {
        if (await PaymentStore.FindEarlierCheckedAsync(dbFactory, services, scope, request.IdempotencyKey, ct) is not { } earlier)
        {
            return null;
        }
        await RequireSameAsync(earlier, request, ct);
        return await charger.ReplayAsync(earlier, scope.User.UserId);
    }

    /// <summary><see cref="PaymentStore.RequireSameRequestAsync"/> for a pay-now request: its selection as <see cref="ComputeAsync"/> reads it.</summary>
    private Task RequireSameAsync(PaymentRecord earlier, PayInvoicesRequest request, CancellationToken ct) =>
        PaymentStore.RequireSameRequestAsync(dbFactory, earlier, request.PaymentMethodId, request.ExpectedTotal, SelectedIds(request.InvoiceIds, request.Lines), ct);

    /// <summary>The items a selection pays: the ids ticked and those with a line of their own.</summary>
    private static List<long> SelectedIds(IReadOnlyList<long>? invoiceIds, IReadOnlyList<PayLine>? lines) =>
        (invoiceIds ?? []).Concat(lines?.Select(l => l.InvoiceId) ?? []).Distinct().ToList();

    private static PaymentConflictException Conflict(IReadOnlyList<InvoiceRecord> busy)
    {
        var ordered = busy.OrderBy(i => i.Number, StringComparer.Ordinal).ToList();
        var parts = ordered.Select(i => i.IsOpen ? $"{i.Number} is already being paid ({i.Status})" : $"{i.Number} was paid meanwhile and is no longer open");
        var message = ordered.Count == 0
            ? "The selected items are already being paid. Nothing was charged; refresh the list."
            : $"{string.Join("; ", parts)}. Nothing was charged; refresh the list and select again.";
        return new PaymentConflictException(message, ordered.Select(i => i.Number).ToList());
    }

    /// <summary>The outcome recorded on a payment (shared with deposits).</summary>
    internal static PaymentOutcome Outcome(PaymentRecord p, bool replayed) => new()
    {
        PaymentId = p.Id,
        ReceiptNumber = p.ReceiptNumber,
        Status = p.Status,
        Amount = Money.FromMinorUnits(p.AmountMinor, p.Currency),
        Fee = Money.FromMinorUnits(p.FeeMinor, p.Currency),
        FailureReason = p.FailureReason,
        FailureCode = p.FailureCode,
        Replayed = replayed,
    };

    /// <summary>A new receipt number (shared with deposits); unique in the database, retried on a clash.</summary>
    internal static string NewReceiptNumber(DateTime now) =>
        $"R-{now.ToString("yyMMdd", CultureInfo.InvariantCulture)}-{RandomNumberGenerator.GetString(ReceiptAlphabet, 6)}";

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DateOnly Today => options.Value.Today(clock);

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

}
