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
public sealed record AgingBucket(string Label, int? MinDaysPastDue, int? MaxDaysPastDue, Money Balance, int ItemCount);

/// <summary>The account header: total balance and aging.</summary>
/// <param name="AccountId">Account.</param>
/// <param name="AccountName">Name.</param>
/// <param name="TotalBalance">Sum of open balances (credits net).</param>
/// <param name="OpenItemCount">Open items.</param>
/// <param name="Buckets">Aging buckets.</param>
/// <param name="LastSyncedAt">When the ERP data was last pulled (UTC).</param>
public sealed record AccountSummary(string AccountId, string AccountName, Money TotalBalance, int OpenItemCount, IReadOnlyList<AgingBucket> Buckets, DateTimeOffset? LastSyncedAt);

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
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var limits = options.Value.EffectiveAgingBuckets;

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // "IsOpen == isOpen" (a parameter), not a bare "IsOpen": SQLite only uses an index column for an equality.
        var isOpen = true;
        var open = db.Invoices.Where(i => i.AccountId == scope.AccountId && i.IsOpen == isOpen);

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

        var buckets = new List<AgingBucket>(limits.Count + 2)
        {
            new("Current", null, 0, Money.FromMinorUnits(sums[0], currency), counts[0]),
        };
        var lower = 1;
        for (var k = 0; k < limits.Count; k++)
        {
            buckets.Add(new($"{lower}–{limits[k]} days", lower, limits[k], Money.FromMinorUnits(sums[k + 1], currency), counts[k + 1]));
            lower = limits[k] + 1;
        }
        buckets.Add(new($"Over {limits[^1]} days", lower, null, Money.FromMinorUnits(sums[^1], currency), counts[^1]));

        var state = await db.ErpSyncStates.AsNoTracking().FirstOrDefaultAsync(s => s.AccountId == scope.AccountId, cancellationToken);
        return new AccountSummary(
            scope.AccountId,
            scope.AccountName,
            Money.FromMinorUnits(sums.Sum(), currency),
            counts.Sum(),
            buckets,
            state?.LastSyncedAt is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null);
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
