using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;

namespace Portal.Payments.DemoErp;

/// <summary>One demo customer account.</summary>
public sealed class DemoErpAccountOptions
{
    /// <summary>Account id.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Number of ledger items (invoices, credit memos, unapplied cash). Up to 1,000,000.</summary>
    public int InvoiceCount { get; set; } = 60;
}

/// <summary>Settings of the demo ERP, bound from <c>CustomerPortalPayments:DemoErp</c>.</summary>
public sealed class DemoErpOptions
{
    /// <summary>
    /// Let the demo ERP run in the Production environment (a public demo site). Default false: a host in Production that
    /// uses <c>.UseDemoErp()</c> refuses to start, because it would show invented invoices to real customers.
    /// </summary>
    public bool AllowInProduction { get; set; }

    /// <summary>Accounts with a configured size; others get <see cref="DefaultInvoiceCount"/> items.</summary>
    public List<DemoErpAccountOptions> Accounts { get; set; } = [];
    /// <summary>Ledger size of accounts not listed. Default 60.</summary>
    public int DefaultInvoiceCount { get; set; } = 60;
    /// <summary>Delay between a posting and its settlement. Default 2 minutes.</summary>
    public TimeSpan SettlementDelay { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Ledger currency. Default USD.</summary>
    public string Currency { get; set; } = "USD";
}

/// <summary>
/// The demo ERP, for demos and tests only (<c>.UseDemoErp()</c>): a deterministic, invented ledger per account (see <see cref="DemoLedger"/>) plus the
/// postings it received, stored in its own tables. Postings settle after
/// <see cref="DemoErpOptions.SettlementDelay"/>: paid invoices then come back closed (or with the
/// short-paid remainder open) in the next pull; deposits come back as unapplied cash, which a payment that applies it
/// (a negative allocation) uses up, closing it at zero, and that payment's reversal gives back; the item lists such
/// payments in <see cref="ErpOpenItem.AppliedPaymentIds"/>.
/// The cursor is a change sequence: 1…N for the generated ledger, then one number per settlement.
/// </summary>
public sealed class DemoErpAdapter : IErpAdapter
{
    /// <summary>How the portal announces the demo ERP (log at start, banner on every page).</summary>
    public static readonly SimulatedAdapter Simulation = new(
        SimulatedAdapterRole.Erp, "demo ERP", "The invoices and balances are invented by the demo ERP, and payments are posted to it only.");

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDbContextFactory<DemoErpDbContext> dbFactory;
    private readonly IOptions<DemoErpOptions> options;
    private readonly TimeProvider clock;

    internal DemoErpAdapter(IDbContextFactory<DemoErpDbContext> dbFactory, IOptions<DemoErpOptions> options, TimeProvider clock)
    {
        this.dbFactory = dbFactory;
        this.options = options;
        this.clock = clock;
    }

    /// <inheritdoc />
    public async Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        if (maxItems < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxItems), "Ask for at least one item.");
        }
        long from = 0;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            throw new ArgumentException($"'{cursor}' is not a cursor this ERP issued.", nameof(cursor));
        }

        var size = SizeOf(accountId);
        var anchor = await EnsureAccountAsync(accountId, size, cancellationToken);
        await SettleDuePostingsAsync(accountId, cancellationToken);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var items = new List<ErpOpenItem>(Math.Min(maxItems, 1000));
        var next = from;

        if (from < size)
        {
            var end = (int)Math.Min(size, from + maxItems);
            var start = (int)from;
            var cleared = await db.DemoErpAllocations
                .Where(a => a.AccountId == accountId && a.SettledSequence != null && a.ItemIndex >= start && a.ItemIndex < end)
                .GroupBy(a => a.ItemIndex)
                .Select(g => new { Index = g.Key, Sum = g.Sum(a => a.ClearedMinor) })
                .ToDictionaryAsync(x => x.Index, x => x.Sum, cancellationToken);
            var applied = cleared.Count == 0 ? [] : await AppliedPaymentsAsync(db, accountId, cleared.Keys.ToList(), cancellationToken);
            for (var i = start; i < end; i++)
            {
                items.Add(ToItem(DemoLedger.Generate(accountId, i, anchor), cleared.GetValueOrDefault(i), applied.GetValueOrDefault(i)));
            }
            next = end;
        }

        var hasMore = next < size;
        if (!hasMore && items.Count < maxItems)
        {
            var after = Math.Max(from, size);
            var settled = await db.DemoErpPostings.AsNoTracking()
                .Where(p => p.AccountId == accountId && p.SettledSequence > after)
                .OrderBy(p => p.SettledSequence)
                .Take(maxItems - items.Count + 1)
                .ToListAsync(cancellationToken);
            hasMore = settled.Count > maxItems - items.Count;
            foreach (var posting in settled.Take(maxItems - items.Count))
            {
                items.AddRange(await ItemsChangedByAsync(db, posting, anchor, cancellationToken));
                next = posting.SettledSequence!.Value;
            }
        }

        return new OpenItemsPage(items, next.ToString(CultureInfo.InvariantCulture), hasMore);
    }

    /// <inheritdoc />
    public async Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default)
    {
        if (!int.TryParse(itemExternalId, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= SizeOf(accountId))
        {
            return null;
        }
        var anchor = await EnsureAccountAsync(accountId, SizeOf(accountId), cancellationToken);
        var item = DemoLedger.Generate(accountId, index, anchor);
        return new ErpDocument("text/html", $"{item.Number}.html", Encoding.UTF8.GetBytes(RenderHtml(accountId, item)));
    }

    /// <inheritdoc />
    public async Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(posting);
        var size = SizeOf(posting.AccountId);
        var allocations = new List<DemoErpAllocationRecord>();
        foreach (var a in posting.Allocations)
        {
            var index = int.TryParse(a.ItemExternalId, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < size ? i : -1;
            if (index < 0 && !await IsDepositItemAsync(posting.AccountId, a.ItemExternalId, cancellationToken))
            {
                return ErpPostingResult.Refused($"Item {a.ItemNumber} ({a.ItemExternalId}) is not on account {posting.AccountId}.");
            }
            var applied = a.Applied.ToMinorUnits() + (a.DiscountTaken?.ToMinorUnits() ?? 0);
            allocations.Add(new DemoErpAllocationRecord
            {
                PostingId = posting.PaymentId,
                AccountId = posting.AccountId,
                ItemIndex = index,
                ItemExternalId = a.ItemExternalId,
                // A deposit's unapplied cash (a D-… item) counts the cash used up, as its reversal books it (see
                // DepositItemAsync): the payment applies it as a negative amount, which uses up as much.
                ClearedMinor = index < 0 ? -applied : applied,
            });
        }
        return await StoreAsync(posting.PaymentId, posting.AccountId, "payment", posting, allocations, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(posting);
        return posting.Amount.Amount <= 0m
            ? Task.FromResult(ErpPostingResult.Refused("A deposit must be more than zero."))
            : StoreAsync(posting.PaymentId, posting.AccountId, "deposit", posting, [], cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reversal);
        List<DemoErpAllocationRecord> undo;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var posted = await db.DemoErpPostings.AsNoTracking()
                .FirstOrDefaultAsync(p => p.Id == reversal.PaymentId && p.AccountId == reversal.AccountId, cancellationToken);
            if (posted is null || posted.Kind is not ("payment" or "deposit"))
            {
                return ErpPostingResult.Refused($"Payment {reversal.ReceiptNumber} ({reversal.PaymentId}) has not been posted to account {reversal.AccountId}; it cannot be reversed yet.");
            }
            var id = ReversalId(reversal.PaymentId);
            if (posted.Kind == "deposit")
            {
                // The unapplied cash the deposit created is used up: nothing is left on account.
                var deposit = JsonSerializer.Deserialize<ErpDepositPosting>(posted.PayloadJson, Json)!;
                undo = [new DemoErpAllocationRecord
                {
                    PostingId = id, AccountId = reversal.AccountId, ItemIndex = -1, ItemExternalId = DepositItemId(posted.Id),
                    ClearedMinor = OnAccount(deposit).ToMinorUnits(),
                }];
            }
            else
            {
                undo = await db.DemoErpAllocations.AsNoTracking().Where(a => a.PostingId == posted.Id)
                    .Select(a => new DemoErpAllocationRecord
                    {
                        PostingId = id, AccountId = a.AccountId, ItemIndex = a.ItemIndex, ItemExternalId = a.ItemExternalId, ClearedMinor = -a.ClearedMinor,
                    })
                    .ToListAsync(cancellationToken);
            }
        }
        return await StoreAsync(ReversalId(reversal.PaymentId), reversal.AccountId, "reversal", reversal, undo, cancellationToken);
    }

    /// <summary>The demo ERP's id of the reversal of <paramref name="paymentId"/> (stable, so a repeat is a duplicate).</summary>
    private static Guid ReversalId(Guid paymentId)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("reversal:" + paymentId.ToString("N")), hash);
        return new Guid(hash[..16]);
    }

    private static string DepositItemId(Guid depositId) => $"D-{depositId:N}";

    /// <summary>True when <paramref name="itemExternalId"/> is the unapplied cash of a deposit posted to the account.</summary>
    private async Task<bool> IsDepositItemAsync(string accountId, string itemExternalId, CancellationToken ct)
    {
        if (!itemExternalId.StartsWith("D-", StringComparison.Ordinal) || !Guid.TryParseExact(itemExternalId[2..], "N", out var depositId))
        {
            return false;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DemoErpPostings.AnyAsync(p => p.Id == depositId && p.AccountId == accountId && p.Kind == "deposit", ct);
    }

    /// <summary>The cash a deposit puts on account: its amount without the convenience fee (fee income, booked apart).</summary>
    private static Money OnAccount(ErpDepositPosting deposit) => deposit.ConvenienceFee is { } fee ? deposit.Amount - fee : deposit.Amount;

    /// <inheritdoc />
    public Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(posting);
        return StoreAsync(posting.CommentId, posting.AccountId, "comment", posting, [], cancellationToken);
    }

    /// <summary>Postings received for an account (for tests: what the AR team sees).</summary>
    internal async Task<IReadOnlyList<DemoErpPostingRecord>> GetPostingsAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.DemoErpPostings.AsNoTracking().Where(p => p.AccountId == accountId).OrderBy(p => p.PostedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Number of ledger items of an account.</summary>
    public int SizeOf(string accountId) =>
        options.Value.Accounts.FirstOrDefault(a => string.Equals(a.AccountId, accountId, StringComparison.Ordinal))?.InvoiceCount
        ?? options.Value.DefaultInvoiceCount;

    private async Task<ErpPostingResult> StoreAsync<T>(Guid id, string accountId, string kind, T payload, List<DemoErpAllocationRecord> allocations, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.DemoErpPostings.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (existing is not null)
        {
            return ErpPostingResult.AlreadyPosted(existing.ErpReference);
        }
        var reference = $"{kind[..3].ToUpperInvariant()}-{id.ToString("N")[..10].ToUpperInvariant()}";
        db.DemoErpPostings.Add(new DemoErpPostingRecord
        {
            Id = id,
            AccountId = accountId,
            Kind = kind,
            PayloadJson = JsonSerializer.Serialize(payload, Json),
            ErpReference = reference,
            PostedAt = clock.GetUtcNow().UtcDateTime,
        });
        db.DemoErpAllocations.AddRange(allocations);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same posting arrived twice at once; the first one stands. Any other failed write (a lost connection, a
            // busy or full database) is thrown: the posting did not happen, and the outbox delivers it again.
            if (await PostedAsync(id) is { } first)
            {
                return ErpPostingResult.AlreadyPosted(first);
            }
            throw;
        }
        return ErpPostingResult.Ok(reference);
    }

    /// <summary>The ERP reference of posting <paramref name="id"/> when it is stored (read on a new context), else null.</summary>
    private async Task<string?> PostedAsync(Guid id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        return await db.DemoErpPostings.AsNoTracking().Where(p => p.Id == id).Select(p => p.ErpReference).FirstOrDefaultAsync(CancellationToken.None);
    }

    private async Task<DateOnly> EnsureAccountAsync(string accountId, int size, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.DemoErpAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.AccountId == accountId, ct);
        if (row is not null)
        {
            return row.AnchorDate;
        }
        var anchor = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        db.DemoErpAccounts.Add(new DemoErpAccountRecord { AccountId = accountId, AnchorDate = anchor, ChangeSequence = size });
        try
        {
            await db.SaveChangesAsync(ct);
            return anchor;
        }
        catch (DbUpdateException)
        {
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            return (await again.DemoErpAccounts.AsNoTracking().FirstAsync(a => a.AccountId == accountId, ct)).AnchorDate;
        }
    }

    /// <summary>Gives every posting older than the settlement delay the next change number.</summary>
    private async Task SettleDuePostingsAsync(string accountId, CancellationToken ct)
    {
        var due = clock.GetUtcNow().UtcDateTime - options.Value.SettlementDelay;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var postings = await db.DemoErpPostings
                .Where(p => p.AccountId == accountId && p.SettledSequence == null && p.Kind != "comment" && p.PostedAt <= due)
                .OrderBy(p => p.PostedAt)
                .ToListAsync(ct);
            if (postings.Count == 0)
            {
                return;
            }
            var account = await db.DemoErpAccounts.FirstAsync(a => a.AccountId == accountId, ct);
            var ids = postings.Select(p => p.Id).ToList();
            var allocations = await db.DemoErpAllocations.Where(a => ids.Contains(a.PostingId)).ToListAsync(ct);
            foreach (var posting in postings)
            {
                posting.SettledSequence = ++account.ChangeSequence;
                foreach (var a in allocations.Where(a => a.PostingId == posting.Id))
                {
                    a.SettledSequence = posting.SettledSequence;
                }
            }
            try
            {
                await db.SaveChangesAsync(ct); // ChangeSequence is a concurrency token: one settler wins
                return;
            }
            catch (DbUpdateConcurrencyException)
            {
                // Another caller settled them; look again.
            }
        }
    }

    private async Task<IEnumerable<ErpOpenItem>> ItemsChangedByAsync(DemoErpDbContext db, DemoErpPostingRecord posting, DateOnly anchor, CancellationToken ct)
    {
        if (posting.Kind == "deposit")
        {
            return [await DepositItemAsync(db, posting, ct)];
        }

        var allocations = await db.DemoErpAllocations.AsNoTracking().Where(a => a.PostingId == posting.Id).ToListAsync(ct);
        var items = new List<ErpOpenItem>();
        foreach (var depositItem in allocations.Where(a => a.ItemIndex < 0).Select(a => a.ItemExternalId).Distinct())
        {
            // A reversed deposit, or a payment (or its reversal) that used a deposit's unapplied cash: that item changes.
            var depositId = Guid.ParseExact(depositItem[2..], "N");
            var deposit = await db.DemoErpPostings.AsNoTracking().FirstAsync(p => p.Id == depositId, ct);
            items.Add(await DepositItemAsync(db, deposit, ct));
        }
        var indices = allocations.Where(a => a.ItemIndex >= 0).Select(a => a.ItemIndex).Distinct().ToList();
        var sums = await db.DemoErpAllocations
            .Where(a => a.AccountId == posting.AccountId && a.SettledSequence != null && indices.Contains(a.ItemIndex))
            .GroupBy(a => a.ItemIndex)
            .Select(g => new { Index = g.Key, Sum = g.Sum(a => a.ClearedMinor) })
            .ToDictionaryAsync(x => x.Index, x => x.Sum, ct);
        var applied = await AppliedPaymentsAsync(db, posting.AccountId, indices, ct);
        items.AddRange(indices.Select(i => ToItem(DemoLedger.Generate(posting.AccountId, i, anchor), sums.GetValueOrDefault(i), applied.GetValueOrDefault(i))));
        return items;
    }

    /// <summary>The unapplied cash item a deposit created, with what has been applied or reversed against it.</summary>
    private static async Task<ErpOpenItem> DepositItemAsync(DemoErpDbContext db, DemoErpPostingRecord posting, CancellationToken ct)
    {
        var deposit = JsonSerializer.Deserialize<ErpDepositPosting>(posting.PayloadJson, Json)!;
        var externalId = DepositItemId(posting.Id);
        // Every settled allocation against the item counts the cash it used up (positive): a payment that applied some
        // of it (stored negated, see PostPaymentAsync) or the deposit's reversal (all of it); a payment's reversal
        // gives back what the payment used.
        var rows = await db.DemoErpAllocations.AsNoTracking()
            .Where(a => a.AccountId == posting.AccountId && a.ItemExternalId == externalId && a.SettledSequence != null)
            .Select(a => new { a.PostingId, a.ClearedMinor })
            .ToListAsync(ct);
        var amount = -OnAccount(deposit);
        // Never past zero: unapplied cash cannot become an amount owed by using more of it than there is.
        var open = Money.FromMinorUnits(Math.Min(0, amount.ToMinorUnits() + rows.Sum(r => r.ClearedMinor)), amount.Currency);
        var reversals = rows.Count == 0 ? [] : await SettledReversalsAsync(db, posting.AccountId, ct);
        var applied = rows.Select(r => r.PostingId).Distinct()
            .Where(id => id != posting.Id && !reversals.Contains(id) && !reversals.Contains(ReversalId(id)))
            .ToList();
        var day = DateOnly.FromDateTime(posting.PostedAt);
        return new ErpOpenItem
        {
            ExternalId = externalId, Number = $"UC-{deposit.ReceiptNumber}", Type = OpenItemType.UnappliedCash,
            Reference = deposit.Memo, DocumentDate = day, DueDate = day, OriginalAmount = amount, OpenAmount = open,
            IsOpen = !open.IsZero, AppliedPaymentIds = applied,
        };
    }

    /// <summary>The ids of an account's settled reversals.</summary>
    private static async Task<HashSet<Guid>> SettledReversalsAsync(DemoErpDbContext db, string accountId, CancellationToken ct) =>
        (await db.DemoErpPostings.AsNoTracking()
            .Where(p => p.AccountId == accountId && p.Kind == "reversal" && p.SettledSequence != null)
            .Select(p => p.Id).ToListAsync(ct)).ToHashSet();

    /// <summary>
    /// The portal payments applied (settled, not reversed) to each of <paramref name="indices"/>: the item reports them in
    /// <see cref="ErpOpenItem.AppliedPaymentIds"/>, which is how the portal releases its holds.
    /// </summary>
    private static async Task<Dictionary<int, List<Guid>>> AppliedPaymentsAsync(DemoErpDbContext db, string accountId, List<int> indices, CancellationToken ct)
    {
        var rows = await db.DemoErpAllocations.AsNoTracking()
            .Where(a => a.AccountId == accountId && a.SettledSequence != null && indices.Contains(a.ItemIndex))
            .Select(a => new { a.ItemIndex, a.PostingId })
            .Distinct()
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return [];
        }
        var reversals = await SettledReversalsAsync(db, accountId, ct);
        return rows.Where(r => !reversals.Contains(r.PostingId) && !reversals.Contains(ReversalId(r.PostingId)))
            .GroupBy(r => r.ItemIndex)
            .ToDictionary(g => g.Key, g => g.Select(r => r.PostingId).ToList());
    }

    private ErpOpenItem ToItem(DemoLedger.Item g, long clearedMinor, List<Guid>? appliedPayments = null)
    {
        var currency = options.Value.Currency;
        var open = g.OpenMinor - clearedMinor;
        // Never past zero: an invoice cannot become a credit by overpaying it here.
        open = g.OriginalMinor >= 0 ? Math.Max(0, open) : Math.Min(0, open);
        return new ErpOpenItem
        {
            ExternalId = g.ExternalId,
            Number = g.Number,
            Type = g.Type,
            PoNumber = g.PoNumber,
            Reference = g.Reference,
            DocumentDate = g.DocumentDate,
            DueDate = g.DueDate,
            OriginalAmount = Money.FromMinorUnits(g.OriginalMinor, currency),
            OpenAmount = Money.FromMinorUnits(open, currency),
            DiscountAmount = g.DiscountMinor is { } d ? Money.FromMinorUnits(d, currency) : null,
            DiscountDate = g.DiscountDate,
            IsOpen = open != 0,
            AppliedPaymentIds = appliedPayments is null ? Array.Empty<Guid>() : appliedPayments,
        };
    }

    private string RenderHtml(string accountId, DemoLedger.Item item)
    {
        var currency = options.Value.Currency;
        string M(long minor) => Money.FromMinorUnits(minor, currency).ToString();
        string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(item.Number)).Append("</title>")
          .Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}table{border-collapse:collapse;width:100%}")
          .Append("th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left}td.n,th.n{text-align:right}h1{font-size:1.4rem}</style></head><body>")
          .Append("<h1>").Append(item.Type switch { OpenItemType.CreditMemo => "Credit memo", OpenItemType.UnappliedCash => "Unapplied cash", _ => "Invoice" })
          .Append(' ').Append(E(item.Number)).Append("</h1>")
          .Append("<p>Demo Supply Co. · 100 Industrial Way · Springfield</p>")
          .Append("<p>Bill to account <strong>").Append(E(accountId)).Append("</strong></p><dl>")
          .Append("<dt>Date</dt><dd>").Append(item.DocumentDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("</dd>")
          .Append("<dt>Due</dt><dd>").Append(item.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("</dd>");
        if (item.PoNumber is not null)
        {
            sb.Append("<dt>PO number</dt><dd>").Append(E(item.PoNumber)).Append("</dd>");
        }
        if (item.Terms.Length > 0)
        {
            sb.Append("<dt>Terms</dt><dd>").Append(E(item.Terms)).Append("</dd>");
        }
        sb.Append("</dl>");
        if (item.Type == OpenItemType.Invoice)
        {
            sb.Append("<table><thead><tr><th>Item</th><th>Description</th><th class=\"n\">Qty</th><th class=\"n\">Unit price</th><th class=\"n\">Amount</th></tr></thead><tbody>");
            foreach (var line in DemoLedger.Lines(accountId, item.Index))
            {
                sb.Append("<tr><td>").Append(E(line.Sku)).Append("</td><td>").Append(E(line.Description)).Append("</td><td class=\"n\">")
                  .Append(line.Quantity).Append("</td><td class=\"n\">").Append(M(line.UnitMinor)).Append("</td><td class=\"n\">")
                  .Append(M(line.Quantity * line.UnitMinor)).Append("</td></tr>");
            }
            sb.Append("</tbody></table>");
        }
        sb.Append("<p><strong>Total ").Append(M(item.OriginalMinor)).Append("</strong></p>");
        if (item.DiscountMinor is { } d)
        {
            sb.Append("<p>Pay by ").Append(item.DiscountDate!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
              .Append(" and deduct ").Append(M(d)).Append(".</p>");
        }
        return sb.Append("</body></html>").ToString();
    }
}
