using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Invoices;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// How a new payment is stored, shared by pay now, scheduling and deposits: the idempotency key is checked and
/// replayed, the payment row (with its audit and outbox rows) is inserted, its method held against a deletion and its
/// invoices held with one conditional update, all in one transaction. A concurrent confirmation with the same key loses the unique index
/// and gets the winner's payment; a receipt-number clash is retried with a new number.
/// </summary>
internal static class PaymentStore
{
    /// <summary>Longest idempotency key a form may send.</summary>
    public const int MaxKeyLength = 64;

    private const int MaxReceiptAttempts = 5;

    /// <summary>Refuses a missing or oversized key with <paramref name="expired"/>.</summary>
    public static void RequireKey(string? key, PortalFieldError expired)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength)
        {
            throw expired.ToException();
        }
    }

    /// <summary>
    /// The payment stored earlier under <paramref name="key"/>, or null. Another account's key, or a key of another
    /// flow (<paramref name="sameFlow"/> false), is not found, so keys cannot be probed.
    /// </summary>
    public static async Task<PaymentRecord?> FindEarlierAsync(IDbContextFactory<PaymentsDbContext> dbFactory, AccountScope scope, string key,
        Func<PaymentRecord, bool>? sameFlow, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var earlier = await db.Payments.AsNoTracking().FirstOrDefaultAsync(p => p.IdempotencyKey == key, ct);
        if (earlier is null)
        {
            return null;
        }
        return earlier.AccountId == scope.AccountId && (sameFlow?.Invoke(earlier) ?? true)
            ? earlier
            : throw new PortalNotFoundException("That payment was not found.");
    }

    /// <summary>
    /// Refuses a request that comes with the key of <paramref name="earlier"/> but asks for another payment — other
    /// invoices (<paramref name="invoiceIds"/>, when the flow pays invoices), another method, or another total
    /// (<paramref name="expectedTotal"/>, when the request says one). A retry of a confirmation is answered with what that
    /// confirmation did; a different payment sent under it would be answered with the earlier payment as if it were this
    /// one (a form kept after a lost answer, then edited). Nothing is charged; the payer is sent to the earlier payment.
    /// </summary>
    public static async Task RequireSameRequestAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PaymentRecord earlier, Guid methodId,
        Money? expectedTotal, IEnumerable<long>? invoiceIds, CancellationToken ct, Money? amountBeforeFee = null)
    {
        var same = earlier.PaymentMethodId == methodId
                   && (expectedTotal is not { } total || (total.Currency == earlier.Currency && total.ToMinorUnits() == earlier.AmountMinor))
                   && (amountBeforeFee is not { } amount || (amount.Currency == earlier.Currency && amount.ToMinorUnits() == earlier.AmountMinor - earlier.FeeMinor));
        if (same && invoiceIds is not null)
        {
            var asked = invoiceIds.ToHashSet();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var paid = await db.PaymentAllocations.AsNoTracking().Where(a => a.PaymentId == earlier.Id).Select(a => a.InvoiceId).ToListAsync(ct);
            same = asked.SetEquals(paid);
        }
        if (!same)
        {
            throw PortalFieldError.Of("payment", "ConfirmationUsed",
                "This confirmation was already used for payment {0} of {1}, so nothing more was charged. See it in Payment history; to make another payment, review it again.",
                earlier.ReceiptNumber, Money.FromMinorUnits(earlier.AmountMinor, earlier.Currency)).ToException();
        }
    }

    /// <summary>
    /// The payment stored earlier under <paramref name="key"/> (as <see cref="FindEarlierAsync"/>); when its outcome is
    /// still unknown (Unconfirmed), the gateway is asked about it now first, so a payer's "Check again" checks.
    /// </summary>
    public static async Task<PaymentRecord?> FindEarlierCheckedAsync(IDbContextFactory<PaymentsDbContext> dbFactory, IServiceProvider services,
        AccountScope scope, string key, CancellationToken ct)
    {
        var earlier = await FindEarlierAsync(dbFactory, scope, key, sameFlow: null, ct);
        if (earlier is not { Status: PaymentStatus.Unconfirmed })
        {
            return earlier;
        }
        await services.GetRequiredService<PaymentReconciler>().CheckUnconfirmedNowAsync(earlier.Id, ct);
        return await FindEarlierAsync(dbFactory, scope, key, sameFlow: null, ct);
    }

    /// <summary>The refusal of a payment of more items than one payment takes (<see cref="InvoiceQueryService.MaxSelection"/>).</summary>
    public static PortalFieldError TooManyInvoices() =>
        PortalFieldError.Of("invoices", "TooManyInvoices", "One payment can include at most {0} invoices; pay the rest in another payment.", InvoiceQueryService.MaxSelection);

    /// <summary>
    /// The selected items of the account (<paramref name="ids"/>, distinct), checked for paying: none selected is refused
    /// with <paramref name="empty"/>, more than <see cref="InvoiceQueryService.MaxSelection"/> with <see cref="TooManyInvoices"/>
    /// (before anything is read), an unknown or another account's id is not found, items no longer open or held
    /// by another payment are refused with the exception <paramref name="conflict"/> makes of them (ordered by number),
    /// and items in another currency than <paramref name="currency"/> are refused.
    /// </summary>
    public static async Task<List<InvoiceRecord>> LoadPayableAsync(PaymentsDbContext db, string accountId, IReadOnlyCollection<long> ids, string currency,
        PortalFieldError empty, Func<IReadOnlyList<InvoiceRecord>, Exception> conflict, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            throw empty.ToException();
        }
        if (ids.Count > InvoiceQueryService.MaxSelection)
        {
            throw TooManyInvoices().ToException();
        }
        var items = await db.Invoices.AsNoTracking().Where(i => i.AccountId == accountId && ids.Contains(i.Id)).ToListAsync(ct);
        if (items.Count != ids.Count)
        {
            throw new PortalNotFoundException("Some of the selected invoices were not found. Refresh the list and select them again.");
        }
        var busy = items.Where(i => !i.IsOpen || i.Status != InvoiceStatus.Open).OrderBy(i => i.Number, StringComparer.Ordinal).ToList();
        if (busy.Count > 0)
        {
            throw conflict(busy);
        }
        if (items.FirstOrDefault(i => !string.Equals(i.Currency, currency, StringComparison.Ordinal)) is { } foreign)
        {
            throw PortalFieldError.Of("invoices", "ForeignCurrency", "{0} is in {1}; only {2} items can be paid here.", foreign.Number, foreign.Currency, currency).ToException();
        }
        return items;
    }

    /// <summary>
    /// Inserts the payment <paramref name="build"/> makes for the current time — started by <paramref name="lifecycle"/>:
    /// Scheduled when <paramref name="schedule"/>, otherwise Charging under this node's lease (its recovery deadline is in
    /// the same write that makes it chargeable) — with the rows <paramref name="addRows"/> adds, and holds
    /// <paramref name="items"/> (none for a deposit), in one transaction.
    /// Returns the stored payment, or (as <c>Earlier</c>) the payment of a concurrent confirmation with the same key.
    /// Items no longer open are refused with the exception <paramref name="conflict"/> makes of them; items the ERP
    /// changed since the preview with <see cref="PaymentService.AmountsChangedMessage"/>. Nothing is kept on a refusal.
    /// </summary>
    public static Task<(PaymentRecord? Payment, PaymentRecord? Earlier)> InsertAsync(
        IDbContextFactory<PaymentsDbContext> dbFactory, PaymentLifecycle lifecycle, TimeProvider clock, ILogger logger, AccountScope scope, string key,
        Func<DateTime, PaymentRecord> build, Action<PaymentsDbContext, PaymentRecord, DateTime> addRows,
        IReadOnlyList<InvoiceRecord> items, bool schedule, Func<IReadOnlyList<InvoiceRecord>, Exception> conflict,
        Func<PaymentRecord, bool>? sameFlow, CancellationToken ct) =>
        // One short write transaction, in the database's write lane (serialised on SQLite, beside the runner's writes).
        lifecycle.WriteAsync(() => InsertInLaneAsync(dbFactory, lifecycle, clock, logger, scope, key, build, addRows, items, schedule, conflict, sameFlow, ct), ct);

    private static async Task<(PaymentRecord? Payment, PaymentRecord? Earlier)> InsertInLaneAsync(
        IDbContextFactory<PaymentsDbContext> dbFactory, PaymentLifecycle lifecycle, TimeProvider clock, ILogger logger, AccountScope scope, string key,
        Func<DateTime, PaymentRecord> build, Action<PaymentsDbContext, PaymentRecord, DateTime> addRows,
        IReadOnlyList<InvoiceRecord> items, bool schedule, Func<IReadOnlyList<InvoiceRecord>, Exception> conflict,
        Func<PaymentRecord, bool>? sameFlow, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var payment = build(now);
            if (schedule)
            {
                PaymentLifecycle.InitializeScheduled(payment, now);
            }
            else
            {
                lifecycle.InitializeCharging(payment, now);
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Payments.Add(payment);
            addRows(db, payment, now);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex)
            {
                await tx.RollbackAsync(CancellationToken.None);
                // The unique idempotency key: a concurrent submit of the same confirmation won.
                if (await FindEarlierAsync(dbFactory, scope, key, sameFlow, CancellationToken.None) is { } earlier)
                {
                    return (null, earlier);
                }
                if (attempt >= MaxReceiptAttempts)
                {
                    throw;
                }
                logger.LogWarning(ex, "Payment insert failed (receipt number {ReceiptNumber} taken?); retrying with a new number", payment.ReceiptNumber);
                continue;
            }

            if (payment.PaymentMethodId is { } methodId)
            {
                // Not deleted meanwhile, and no deletion may take it until this commits (its checks then see this payment).
                await PaymentMethodService.HoldForUseAsync(db, methodId, payment.Id, now, ct);
            }
            if (items.Count > 0)
            {
                var refusal = await HoldAsync(db, scope.AccountId, payment, items, ct);
                if (refusal != Hold.Held)
                {
                    await tx.RollbackAsync(CancellationToken.None);
                    if (refusal == Hold.Changed)
                    {
                        throw PaymentService.AmountsChanged();
                    }
                    throw conflict(await BusyAsync(dbFactory, scope.AccountId, items));
                }
            }
            await tx.CommitAsync(ct);
            return (payment, null);
        }
    }

    private enum Hold { Held, Busy, Changed }

    /// <summary>Holds every item with one conditional update, then checks the ERP did not change them since the preview.</summary>
    private static async Task<Hold> HoldAsync(PaymentsDbContext db, string accountId, PaymentRecord payment, IReadOnlyList<InvoiceRecord> items, CancellationToken ct)
    {
        var paymentId = payment.Id;
        var held = await PaymentLifecycle.HoldInvoicesAsync(db, payment, items.Select(i => i.Id).ToList(), ct);
        if (held != items.Count)
        {
            return Hold.Busy;
        }
        // The items are now ours (locked until commit): make sure the ERP did not change them since the preview.
        var current = await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ActivePaymentId == paymentId)
            .Select(i => new { i.Id, i.Currency, i.OpenMinor, i.DiscountMinor, i.DiscountDate })
            .ToListAsync(ct);
        var seen = items.ToDictionary(i => i.Id);
        // The currency too: an item the ERP moved to another currency keeps its figure, and would be charged in the old one.
        return current.Count != items.Count || current.Any(c => !string.Equals(seen[c.Id].Currency, c.Currency, StringComparison.Ordinal) ||
                seen[c.Id].OpenMinor != c.OpenMinor || seen[c.Id].DiscountMinor != c.DiscountMinor || seen[c.Id].DiscountDate != c.DiscountDate)
            ? Hold.Changed
            : Hold.Held;
    }

    /// <summary>The items of the selection another payment holds, or the ERP settled, ordered by number.</summary>
    private static async Task<IReadOnlyList<InvoiceRecord>> BusyAsync(IDbContextFactory<PaymentsDbContext> dbFactory, string accountId, IReadOnlyList<InvoiceRecord> items)
    {
        var ids = items.Select(i => i.Id).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var busy = await db.Invoices.AsNoTracking()
            .Where(i => i.AccountId == accountId && ids.Contains(i.Id) && (!i.IsOpen || i.Status != InvoiceStatus.Open))
            .ToListAsync(CancellationToken.None);
        return busy.OrderBy(i => i.Number, StringComparer.Ordinal).ToList();
    }
}
