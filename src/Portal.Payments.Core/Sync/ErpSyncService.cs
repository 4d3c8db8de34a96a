using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Sync;

/// <summary>Outcome of one account sync.</summary>
/// <param name="AccountId">Account.</param>
/// <param name="Inserted">New items.</param>
/// <param name="Updated">Changed items.</param>
/// <param name="Closed">Items the ERP reported settled (they left the open list).</param>
/// <param name="Skipped">True when another node held the sync lease.</param>
public sealed record ErpSyncResult(string AccountId, int Inserted, int Updated, int Closed, bool Skipped);

/// <summary>
/// Pulls changed open items from the ERP and upserts them into the local read model, idempotently:
/// the cursor is saved in the same transaction as the page it belongs to, so a crash repeats at
/// most one page and a repeated page changes nothing. A database lease keeps nodes from syncing
/// one account at the same time, and a page is stored only while its node still holds it; each page's wait for the ERP is cut off after
/// <see cref="PortalPaymentsOptions.ErpSyncPageTimeout"/>, well within the lease.
/// </summary>
public sealed class ErpSyncService(
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IErpAdapter erp,
    DatabaseWriteLane lane,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<ErpSyncService> logger)
{
    private const int PageSize = 1000;
    private static readonly TimeSpan LeaseLength = TimeSpan.FromMinutes(2);
    // One gate per account being synced in this process, removed when its last user leaves: the ingest endpoint takes any
    // account id the ERP names (unknown ones too), so the map holds only the syncs running now. Guarded by itself.
    private static readonly Dictionary<string, AccountGate> LocalLocks = new(StringComparer.Ordinal);
    // Accounts this instance saw synced (a first sync is never undone); concurrent grid calls of one circuit may add at once.
    private readonly ConcurrentDictionary<string, bool> _syncedAccounts = new(StringComparer.Ordinal);

    /// <summary>
    /// Syncs the account if it has never been synced (first visit), otherwise returns at once. Once an account is
    /// known to be synced, this instance (one per circuit or request) remembers it, so later grid calls make no query.
    /// </summary>
    public async Task EnsureSyncedAsync(string accountId, CancellationToken cancellationToken = default)
    {
        if (_syncedAccounts.ContainsKey(accountId))
        {
            return;
        }
        if (await WasSyncedAsync(accountId, cancellationToken))
        {
            _syncedAccounts[accountId] = true;
            return;
        }
        var poll = TimeSpan.FromMilliseconds(500);
        var waited = TimeSpan.Zero;
        while (true)
        {
            ErpSyncResult result;
            try
            {
                result = await SyncAccountAsync(accountId, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not (PortalUnavailableException or PortalAccessDeniedException))
            {
                // The account's first pull failed (its error is recorded and logged): the page or API call that needed it
                // says the ERP is not available (503), not that the portal broke (500).
                throw new PortalUnavailableException("This account's invoices could not be loaded from the ERP just now. Try again in a minute.", ex);
            }
            if (!result.Skipped)
            {
                _syncedAccounts[accountId] = true;
                return;
            }
            // Another node is doing the first sync: wait for it, a while. An account whose first sync is still running
            // after that is not shown half-loaded (its grid, balance and export would be short without a word): the
            // page says to try again, as when the ERP is not available.
            if (waited >= options.Value.FirstSyncWait)
            {
                logger.LogWarning("The first ERP sync of account {AccountId} is still running on another node after {Waited}; the page that needed it is told to try again",
                    accountId, waited);
                throw new PortalUnavailableException("This account's invoices are still being loaded from the ERP. Try again in a minute.");
            }
            var step = poll < options.Value.FirstSyncWait - waited ? poll : options.Value.FirstSyncWait - waited;
            await Task.Delay(step, cancellationToken);
            waited += step;
            if (await WasSyncedAsync(accountId, cancellationToken))
            {
                _syncedAccounts[accountId] = true;
                return;
            }
        }
    }

    private async Task<bool> WasSyncedAsync(string accountId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ErpSyncStates.AnyAsync(s => s.AccountId == accountId && s.LastSyncedAt != null, ct);
    }

    /// <summary>Pulls every change since the stored cursor.</summary>
    public async Task<ErpSyncResult> SyncAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var gate = EnterGate(accountId);
        try
        {
            await gate.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            LeaveGate(accountId, gate);
            throw;
        }
        try
        {
            var node = options.Value.NodeName;
            if (!await TryTakeLeaseAsync(accountId, node, cancellationToken))
            {
                return new ErpSyncResult(accountId, 0, 0, 0, Skipped: true);
            }
            try
            {
                using var activity = PortalPaymentsTelemetry.Source.StartActivity("erp.sync");
                activity?.SetTag("portal.account_id", accountId);
                var result = await PullAllAsync(accountId, node, cancellationToken);
                activity?.SetTag("portal.items_changed", result.Inserted + result.Updated);
                return result;
            }
            // An ERP that timed out (a TaskCanceledException from its HttpClient, or the TimeoutException of ErpSyncPageTimeout)
            // failed like any other: its error is recorded.
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (IsErpFailure(ex))
                {
                    logger.LogWarning(ex, "ERP sync of account {AccountId} failed: the ERP's open-items pull failed", accountId);
                }
                else
                {
                    logger.LogError(ex, "ERP sync of account {AccountId} failed in the portal (storing the ERP's items), not in the ERP", accountId);
                }
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                await db.ErpSyncStates.Where(s => s.AccountId == accountId)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastError, Truncate(ex.Message, 2000)), CancellationToken.None);
                throw;
            }
            finally
            {
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                await db.ErpSyncStates.Where(s => s.AccountId == accountId && s.LeaseOwner == node)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseExpiresAt, (DateTime?)null), CancellationToken.None);
            }
        }
        finally
        {
            gate.Semaphore.Release();
            LeaveGate(accountId, gate);
        }
    }

    private const string ErpFailureKey = "Portal.Payments.ErpSync.ErpFailure";

    /// <summary>
    /// True when <paramref name="exception"/>, thrown by <see cref="SyncAccountAsync"/>, is the ERP's failure (its
    /// open-items call failed or timed out, or it answered a page the portal cannot use); false when the portal failed
    /// (its database, say) while it stored what the ERP answered.
    /// </summary>
    public static bool IsErpFailure(Exception exception) => exception.Data[ErpFailureKey] is true;

    /// <summary>How many account gates this process holds (for tests): one per account being synced now.</summary>
    internal static int LocalLockCount
    {
        get
        {
            lock (LocalLocks)
            {
                return LocalLocks.Count;
            }
        }
    }

    private static AccountGate EnterGate(string accountId)
    {
        lock (LocalLocks)
        {
            if (!LocalLocks.TryGetValue(accountId, out var gate))
            {
                gate = new AccountGate();
                LocalLocks[accountId] = gate;
            }
            gate.Users++;
            return gate;
        }
    }

    private static void LeaveGate(string accountId, AccountGate gate)
    {
        lock (LocalLocks)
        {
            if (--gate.Users == 0)
            {
                LocalLocks.Remove(accountId);
            }
        }
    }

    /// <summary>One account's sync gate in this process and how many syncs hold or wait for it.</summary>
    private sealed class AccountGate
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private async Task<bool> TryTakeLeaseAsync(string accountId, string node, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.ErpSyncStates.AnyAsync(s => s.AccountId == accountId, ct))
        {
            db.ErpSyncStates.Add(new ErpSyncStateRecord { AccountId = accountId });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node created the row first; the lease below decides who syncs.
            }
        }
        var until = now + LeaseLength;
        var won = await db.ErpSyncStates
            .Where(s => s.AccountId == accountId && (s.LeaseExpiresAt == null || s.LeaseExpiresAt < now || s.LeaseOwner == node))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseOwner, node).SetProperty(x => x.LeaseExpiresAt, until), ct);
        return won == 1;
    }

    private async Task<ErpSyncResult> PullAllAsync(string accountId, string node, CancellationToken ct)
    {
        int inserted = 0, updated = 0, closed = 0;
        var lost = false;
        string? cursor;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            cursor = await db.ErpSyncStates.Where(s => s.AccountId == accountId).Select(s => s.Cursor).FirstOrDefaultAsync(ct);
        }

        while (true)
        {
            OpenItemsPage page;
            try
            {
                page = Storable(accountId, WithoutUnidentifiable(accountId, await PullPageAsync(accountId, cursor, ct)));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                ex.Data[ErpFailureKey] = true;
                throw;
            }
            var now = clock.GetUtcNow().UtcDateTime;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);

            // Still this node's account, first: a node paused past its lease (while the ERP answered, say) must not store
            // an older page over what the node that took the account over stored since, such as an invoice settled and
            // its hold released, which would be open and payable again. The update holds the row until the commit, so the
            // lease cannot change hands while this page is stored.
            var held = await db.ErpSyncStates
                .Where(s => s.AccountId == accountId && s.LeaseOwner == node)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseExpiresAt, now + LeaseLength), ct);
            if (held == 0)
            {
                logger.LogWarning("ERP sync of {AccountId} on {Node}: another node took the account over after this node's lease ran out; the page this node pulled is not stored",
                    accountId, node);
                lost = true;
                break;
            }

            // One round trip per page for the existing rows (parameterised IN list).
            var ids = page.Items.Select(i => i.ExternalId).Distinct().ToList();
            var existing = ids.Count == 0
                ? new Dictionary<string, InvoiceRecord>()
                : await db.Invoices.Where(i => i.AccountId == accountId && ids.Contains(i.ExternalId)).ToDictionaryAsync(i => i.ExternalId, ct);

            foreach (var item in page.Items)
            {
                if (UnusableAmounts(item) is { } why)
                {
                    // An adapter's bug in one item must not stop the account's sync for good (the same page failed on
                    // every run, so new invoices and released holds never arrived): it is left out, as it stands, and said.
                    logger.LogError("ERP sync of {AccountId}: open item {ExternalId} ({Number}) is left out: {Why}", accountId, item.ExternalId, item.Number, why);
                }
                else if (existing.TryGetValue(item.ExternalId, out var row))
                {
                    var wasOpen = row.IsOpen;
                    if (Apply(row, item, now))
                    {
                        updated++;
                        if (wasOpen && !row.IsOpen)
                        {
                            closed++;
                        }
                    }
                }
                else if (item.ExternalId.Length > ColumnLengths.Id)
                {
                    // Not storable as a new row on every database; one stored before (SQLite keeps longer ids) is still
                    // updated above, so it closes when the ERP settles it.
                    logger.LogError("ERP sync of {AccountId}: open item {ExternalId}… ({Number}) is left out: its id has {Length} characters, the portal stores at most {Max}",
                        accountId, item.ExternalId[..ColumnLengths.Id], item.Number, item.ExternalId.Length, ColumnLengths.Id);
                }
                else
                {
                    var fresh = new InvoiceRecord { AccountId = accountId, ExternalId = item.ExternalId, Status = InvoiceStatus.Open };
                    Apply(fresh, item, now);
                    db.Invoices.Add(fresh);
                    existing[item.ExternalId] = fresh;
                    inserted++;
                }
            }

            var state = await db.ErpSyncStates.FirstAsync(s => s.AccountId == accountId, ct);
            state.Cursor = page.NextCursor;
            state.LastError = null;
            if (!page.HasMore)
            {
                state.LastSyncedAt = now;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            cursor = page.NextCursor;
            if (!page.HasMore)
            {
                break;
            }
        }

        if (inserted + updated > 0)
        {
            logger.LogInformation("ERP sync of {AccountId}: {Inserted} new, {Updated} changed, {Closed} settled", accountId, inserted, updated, closed);
            // New or changed invoices: the account's autopay looks at them on the runner's next pass, not in 15 minutes.
            // Only a hurry: the sync is stored, and autopay's own schedule finds the changes when this write fails.
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var now = clock.GetUtcNow().UtcDateTime;
                await lane.RunAsync(() => db.AutopayEnrollments
                    .Where(e => e.AccountId == accountId && e.CancelledAt == null && e.NextExpansionAt > now)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.NextExpansionAt, now), ct), ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "ERP sync of {AccountId} is stored, but autopay could not be asked to look at the changes at once; it does at its next scheduled expansion", accountId);
            }
        }
        return new ErpSyncResult(accountId, inserted, updated, closed, Skipped: lost);
    }

    /// <summary>
    /// One page from the ERP within <see cref="PortalPaymentsOptions.ErpSyncPageTimeout"/>: the adapter's token is cancelled
    /// then, and the wait ends even when an adapter ignores it (its call is abandoned), so a hanging ERP cannot hold the
    /// account's local lock for good or outlive the lease. The time is up: a <see cref="TimeoutException"/>, a failed sync
    /// like any other. The caller's own cancellation stays a cancellation.
    /// </summary>
    private Task<OpenItemsPage> PullPageAsync(string accountId, string? cursor, CancellationToken ct) =>
        TimeLimit.RunAsync(c => erp.PullOpenItemsAsync(accountId, cursor, PageSize, c), options.Value.ErpSyncPageTimeout, clock,
            $"The ERP did not answer the open-items pull for account {accountId}", nameof(PortalPaymentsOptions.ErpSyncPageTimeout), ct);

    /// <summary>
    /// The page without the items an adapter's mistake left unidentifiable: a null entry in the list, an item without an id
    /// (null or blank: it cannot be told from the account's other items) or without a number (null). Each is left out with
    /// an error naming it by what it has, as an item with amounts the portal cannot store is, so one bad item neither
    /// stops the account's sync on every run nor fails it with a NullReferenceException that names nothing. A page
    /// without its list, or with more to come and no cursor to ask for it, fails the sync with a message saying so.
    /// </summary>
    private OpenItemsPage WithoutUnidentifiable(string accountId, OpenItemsPage page)
    {
        if (page is null || page.Items is null)
        {
            throw new InvalidOperationException($"The ERP adapter answered the open-items pull for account {accountId} without a page or without its item list ({nameof(OpenItemsPage)}.{nameof(OpenItemsPage.Items)} is null).");
        }
        if (page.NextCursor is null && page.HasMore)
        {
            // Pulled on from null, the sync would ask for the first page again, for ever.
            throw new InvalidOperationException($"The ERP adapter answered the open-items pull for account {accountId} with more items to come but no next cursor ({nameof(OpenItemsPage)}.{nameof(OpenItemsPage.NextCursor)} is null); it must never be null.");
        }
        if (page.Items.All(i => i is not null && !string.IsNullOrWhiteSpace(i.ExternalId) && i.Number is not null))
        {
            return page;
        }
        var items = new List<ErpOpenItem>(page.Items.Count);
        for (var n = 0; n < page.Items.Count; n++)
        {
            var item = page.Items[n];
            if (item is null)
            {
                logger.LogError("ERP sync of {AccountId}: open item {Position} of the page is left out: the adapter's list has a null entry there", accountId, n + 1);
            }
            else if (string.IsNullOrWhiteSpace(item.ExternalId))
            {
                logger.LogError("ERP sync of {AccountId}: open item {Number} (due {DueDate:yyyy-MM-dd}, open {OpenAmount}) is left out: it has no id (ExternalId is {Id}), so the portal cannot tell it from the account's other items",
                    accountId, item.Number ?? "(no number)", item.DueDate, item.OpenAmount, item.ExternalId is null ? "null" : "blank");
            }
            else if (item.Number is null)
            {
                logger.LogError("ERP sync of {AccountId}: open item {ExternalId} is left out: it has no number (Number is null), the document number shown to the payer",
                    accountId, item.ExternalId);
            }
            else
            {
                items.Add(item);
            }
        }
        return page with { Items = items };
    }

    /// <summary>
    /// A page as the portal can store it on every database (PostgreSQL refuses a longer value; SQLite would keep it):
    /// a number, PO number or reference longer than its column is shortened, ending in "…", and logged; a cursor that
    /// does not fit fails the sync with a message naming it, as any failed sync (the account's last error). An item whose
    /// id does not fit is not added (see <see cref="PullAllAsync"/>): an id cannot be shortened without mixing items up.
    /// </summary>
    private OpenItemsPage Storable(string accountId, OpenItemsPage page)
    {
        if (page.NextCursor is { Length: > ColumnLengths.Name } cursor)
        {
            throw new InvalidOperationException(
                $"The ERP adapter's next cursor for account {accountId} has {cursor.Length} characters; the portal stores at most {ColumnLengths.Name}.");
        }
        if (page.Items.All(i => i.Number.Length <= ColumnLengths.Id && (i.PoNumber?.Length ?? 0) <= ColumnLengths.Id && (i.Reference?.Length ?? 0) <= ColumnLengths.Name))
        {
            return page;
        }
        var items = new List<ErpOpenItem>(page.Items.Count);
        foreach (var item in page.Items)
        {
            var fitted = item with
            {
                Number = Fit(item.Number, ColumnLengths.Id),
                PoNumber = item.PoNumber is null ? null : Fit(item.PoNumber, ColumnLengths.Id),
                Reference = item.Reference is null ? null : Fit(item.Reference, ColumnLengths.Name),
            };
            if (fitted != item)
            {
                logger.LogWarning("ERP sync of {AccountId}: open item {ExternalId} has a number, PO number or reference longer than the portal stores (at most {MaxId} characters for a number or PO number, {MaxReference} for a reference); it is shown shortened",
                    accountId, item.ExternalId, ColumnLengths.Id, ColumnLengths.Name);
            }
            items.Add(fitted);
        }
        return page with { Items = items };
    }

    // Cut before the last place, never inside a character made of two UTF-16 units (an emoji): PostgreSQL would refuse
    // the lone half.
    private static string Fit(string value, int max)
    {
        if (value.Length <= max)
        {
            return value;
        }
        var cut = char.IsHighSurrogate(value[max - 2]) ? max - 2 : max - 1;
        return value[..cut] + "…";
    }

    /// <summary>
    /// Why the portal cannot store an item's amounts (no known currency, amounts in different currencies, an amount too
    /// large for its column of minor units), or null.
    /// </summary>
    internal static string? UnusableAmounts(ErpOpenItem item)
    {
        var currency = item.OpenAmount.Currency;
        if (!CurrencyInfo.IsKnown(currency) || !CurrencyInfo.IsKnown(item.OriginalAmount.Currency))
        {
            return "its open or original amount has no known currency (an amount the adapter did not set).";
        }
        if (item.OriginalAmount.Currency != currency || (item.DiscountAmount is { } d && d.Currency != currency))
        {
            return $"its amounts are in different currencies ({currency}, {item.OriginalAmount.Currency}{(item.DiscountAmount is { } dc ? ", " + dc.Currency : "")}).";
        }
        foreach (var amount in (Money?[])[item.OpenAmount, item.OriginalAmount, item.DiscountAmount])
        {
            if (amount is { } m && !FitsMinorUnits(m))
            {
                return $"its amount {m.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture)} {m.Currency} is larger than the portal stores.";
            }
        }
        return null;
    }

    private static bool FitsMinorUnits(Money amount)
    {
        try
        {
            amount.ToMinorUnits();
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Copies ERP fields onto the row; true when anything changed.</summary>
    internal static bool Apply(InvoiceRecord row, ErpOpenItem item, DateTime now)
    {
        var open = item.OpenAmount.ToMinorUnits();
        var discount = item.DiscountAmount?.ToMinorUnits();
        // A hold is released only by its own payment's fate: the ERP says it applied that payment.
        var released = row.Id != 0 && PaymentLifecycle.ReleaseAppliedHold(row, item.AppliedPaymentIds);
        var changed = row.Number != item.Number || row.Type != item.Type || row.PoNumber != item.PoNumber
            || row.Reference != item.Reference || row.DocumentDate != item.DocumentDate || row.DueDate != item.DueDate
            || row.Currency != item.OpenAmount.Currency || row.OriginalMinor != item.OriginalAmount.ToMinorUnits()
            || row.OpenMinor != open || row.DiscountMinor != discount || row.DiscountDate != item.DiscountDate
            || row.IsOpen != item.IsOpen || row.IsDisputed != item.IsDisputed;
        if (!changed)
        {
            return released;
        }

        row.Number = item.Number;
        row.Type = item.Type;
        row.PoNumber = item.PoNumber;
        row.Reference = item.Reference;
        row.NumberKey = SearchKeys.Normalize(item.Number, ColumnLengths.Id);
        row.PoKey = SearchKeys.Normalize(item.PoNumber, ColumnLengths.Id);
        row.ReferenceKey = SearchKeys.Normalize(item.Reference, ColumnLengths.Name);
        row.DocumentDate = item.DocumentDate;
        row.DueDate = item.DueDate;
        row.Currency = item.OpenAmount.Currency;
        row.OriginalMinor = item.OriginalAmount.ToMinorUnits();
        row.OpenMinor = open;
        row.DiscountMinor = discount;
        row.DiscountDate = item.DiscountDate;
        row.IsOpen = item.IsOpen;
        row.IsDisputed = item.IsDisputed;
        row.SyncedAt = now;
        return true;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
