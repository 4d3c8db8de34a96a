using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Sync;

namespace Portal.Payments.Services;

/// <summary>One aging period of the account balance.</summary>
/// <param name="Label">"Current", "1–30 days"…</param>
/// <param name="MinDaysPastDue">Lower bound in days past due (inclusive), null for current.</param>
/// <param name="MaxDaysPastDue">Upper bound (inclusive), null for the last bucket.</param>
/// <param name="Balance">Open balance in the bucket.</param>
/// <param name="ItemCount">Open items in the bucket.</param>
public sealed record AgingBucket(string Label, int? MinDaysPastDue, int? MaxDaysPastDue, Money Balance, int ItemCount)
{
    /// <summary>Money on its way for the period's items: payments made (pending, processing) that the ERP has not applied yet.</summary>
    public Money Pending { get; init; }

    /// <summary>Money of scheduled payments for the period's items, not charged yet.</summary>
    public Money Scheduled { get; init; }
}

/// <summary>The account header: total balance and aging.</summary>
/// <param name="AccountId">Account.</param>
/// <param name="AccountName">Name.</param>
/// <param name="TotalBalance">Sum of open balances (credits net).</param>
/// <param name="OpenItemCount">Open items.</param>
/// <param name="Buckets">Aging buckets.</param>
/// <param name="LastSyncedAt">When the ERP data was last pulled (UTC).</param>
public sealed record AccountSummary(string AccountId, string AccountName, Money TotalBalance, int OpenItemCount, IReadOnlyList<AgingBucket> Buckets, DateTimeOffset? LastSyncedAt)
{
    /// <summary>
    /// Money on its way: what payments made through the portal (pending, processing, or succeeded and not yet applied by the
    /// ERP) pay of the open items. <see cref="TotalBalance"/> still includes it until the ERP applies it.
    /// </summary>
    public Money Pending { get; init; }

    /// <summary>What scheduled payments will pay of the open items (not charged yet).</summary>
    public Money Scheduled { get; init; }

    /// <summary>
    /// The latest pull from the ERP failed (an ERP outage, say): the figures are from <see cref="LastSyncedAt"/> and may be out
    /// of date until a pull goes through. What failed is kept for operators, not shown to payers.
    /// </summary>
    public bool LastSyncFailed { get; init; }

    /// <summary>
    /// Open items in another currency than the portal's: listed in the grid, not counted in these balances (their minor units
    /// are not the portal currency's).
    /// </summary>
    public int OtherCurrencyItemCount { get; init; }

    /// <summary>The balance no payment covers yet: total less pending and scheduled.</summary>
    public Money Unpaid => TotalBalance - OrZero(Pending) - OrZero(Scheduled);

    private Money OrZero(Money m) => m.Currency is null ? Money.Zero(TotalBalance.Currency) : m;
}

/// <summary>Balances of the current account, computed in SQL from the local read model.</summary>
public sealed class AccountOverviewService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    ErpSyncService sync,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock)
{
    /// <summary>Total balance and aging of the current account (pulls from the ERP first if it never was).</summary>
    public async Task<AccountSummary> GetSummaryAsync(CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await sync.EnsureSyncedAsync(scope.AccountId, cancellationToken);
        var currency = options.Value.Currency;
        var today = options.Value.Today(clock);
        var limits = options.Value.EffectiveAgingBuckets;

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // "IsOpen == isOpen" (a parameter), not a bare "IsOpen": SQLite only uses an index column for an equality.
        var isOpen = true;
        // Items in the portal's currency only: another currency's minor units would be added as if they were these.
        var open = db.Invoices.Where(i => i.AccountId == scope.AccountId && i.IsOpen == isOpen && i.Currency == currency);

        // Group by due date in SQL (one row per distinct date), then bucket the few rows here.
        var byDue = await open.GroupBy(i => i.DueDate)
            .Select(g => new { Due = g.Key, Sum = g.Sum(i => i.OpenMinor), Count = g.Count() })
            .ToListAsync(cancellationToken);

        var sums = new long[limits.Count + 2];
        var counts = new int[limits.Count + 2];
        foreach (var row in byDue)
        {
            var idx = BucketIndex(today.DayNumber - row.Due.DayNumber, limits);
            sums[idx] += row.Sum;
            counts[idx] += row.Count;
        }

        // Money in flight: the amount each held item's own payment applies to it (a short payment pays less than the balance).
        var openStatus = InvoiceStatus.Open;
        var held = await (
                from i in open.Where(i => i.Status != openStatus)
                join a in db.PaymentAllocations on new { PaymentId = i.ActivePaymentId, InvoiceId = i.Id } equals new { PaymentId = (Guid?)a.PaymentId, a.InvoiceId }
                group a by new { i.DueDate, i.Status } into g
                select new { Due = g.Key.DueDate, g.Key.Status, Sum = g.Sum(x => x.AppliedMinor) })
            .ToListAsync(cancellationToken);
        var pending = new long[limits.Count + 2];
        var scheduled = new long[limits.Count + 2];
        foreach (var row in held)
        {
            var idx = BucketIndex(today.DayNumber - row.Due.DayNumber, limits);
            (row.Status == InvoiceStatus.Scheduled ? scheduled : pending)[idx] += row.Sum;
        }
        Money M(long minor) => Money.FromMinorUnits(minor, currency);

        var buckets = new List<AgingBucket>(limits.Count + 2)
        {
            new("Current", null, 0, M(sums[0]), counts[0]) { Pending = M(pending[0]), Scheduled = M(scheduled[0]) },
        };
        var lower = 1;
        for (var k = 0; k < limits.Count; k++)
        {
            buckets.Add(new($"{lower}–{limits[k]} days", lower, limits[k], M(sums[k + 1]), counts[k + 1]) { Pending = M(pending[k + 1]), Scheduled = M(scheduled[k + 1]) });
            lower = limits[k] + 1;
        }
        buckets.Add(new($"Over {limits[^1]} days", lower, null, M(sums[^1]), counts[^1]) { Pending = M(pending[^1]), Scheduled = M(scheduled[^1]) });

        var otherCurrencies = await db.Invoices.CountAsync(i => i.AccountId == scope.AccountId && i.IsOpen == isOpen && i.Currency != currency, cancellationToken);
        var state = await db.ErpSyncStates.AsNoTracking().FirstOrDefaultAsync(s => s.AccountId == scope.AccountId, cancellationToken);
        return new AccountSummary(
            scope.AccountId,
            scope.AccountName,
            Money.FromMinorUnits(sums.Sum(), currency),
            counts.Sum(),
            buckets,
            state?.LastSyncedAt is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null)
        {
            Pending = M(pending.Sum()),
            Scheduled = M(scheduled.Sum()),
            OtherCurrencyItemCount = otherCurrencies,
            LastSyncFailed = state?.LastError is not null,
        };
    }

    /// <summary>Pulls the current account's changes from the ERP now, then returns the fresh summary.</summary>
    public async Task<AccountSummary> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await sync.SyncAccountAsync(scope.AccountId, cancellationToken);
        return await GetSummaryAsync(cancellationToken);
    }

    /// <summary>0 = current (not past due), 1..n = the configured limits, n+1 = over the last limit.</summary>
    internal static int BucketIndex(int daysPastDue, IReadOnlyList<int> limits)
    {
        if (daysPastDue <= 0)
        {
            return 0;
        }
        for (var k = 0; k < limits.Count; k++)
        {
            if (daysPastDue <= limits[k])
            {
                return k + 1;
            }
        }
        return limits.Count + 1;
    }
}
