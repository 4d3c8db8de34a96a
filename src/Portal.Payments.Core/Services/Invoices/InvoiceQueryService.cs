using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Grid;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;

namespace Portal.Payments.Services.Invoices;

/// <summary>Field names of the open-invoices grid (filters, sorts, CSV columns).</summary>
public static class InvoiceFields
{
    /// <summary>Invoice number.</summary>
    public const string Number = "Number";
    /// <summary>PO number.</summary>
    public const string PoNumber = "PoNumber";
    /// <summary>Reference.</summary>
    public const string Reference = "Reference";
    /// <summary>Invoice (document) date.</summary>
    public const string DocumentDate = "DocumentDate";
    /// <summary>Due date.</summary>
    public const string DueDate = "DueDate";
    /// <summary>Original amount.</summary>
    public const string Original = "Original";
    /// <summary>Open balance.</summary>
    public const string OpenBalance = "OpenBalance";
    /// <summary>Discount available.</summary>
    public const string Discount = "Discount";
    /// <summary>Last discount date.</summary>
    public const string DiscountDate = "DiscountDate";
    /// <summary>Invoice, credit memo, unapplied cash.</summary>
    public const string Type = "Type";
    /// <summary>Open, Pending, Scheduled, Processing.</summary>
    public const string Status = "Status";
    /// <summary>Number of comments.</summary>
    public const string Comments = "Comments";

    /// <summary>The built-in column order of the grid and of an export that names no columns.</summary>
    public static IReadOnlyList<string> DefaultColumns { get; } =
        [Number, PoNumber, DocumentDate, DueDate, Original, OpenBalance, Discount, DiscountDate, Type, Status, Comments];
}

/// <summary>Open-invoices grid request: the grid query plus the aging period chosen on the balances.</summary>
public sealed record InvoiceQuery : GridQuery
{
    /// <summary>Index into <see cref="AccountSummary.Buckets"/> (0 = current); null for every period.</summary>
    public int? AgingBucket { get; init; }
}

/// <summary>One row of the open-invoices grid.</summary>
public sealed record InvoiceRow
{
    /// <summary>Local id (what the pay, comment and preview calls take).</summary>
    public required long Id { get; init; }
    /// <summary>Document number.</summary>
    public required string Number { get; init; }
    /// <summary>Invoice, credit memo or unapplied cash.</summary>
    public required OpenItemType Type { get; init; }
    /// <summary>PO number.</summary>
    public string? PoNumber { get; init; }
    /// <summary>Reference.</summary>
    public string? Reference { get; init; }
    /// <summary>Document date.</summary>
    public required DateOnly DocumentDate { get; init; }
    /// <summary>Due date.</summary>
    public required DateOnly DueDate { get; init; }
    /// <summary>Original amount.</summary>
    public required Money Original { get; init; }
    /// <summary>Open balance (negative for credits).</summary>
    public required Money OpenBalance { get; init; }
    /// <summary>Early-payment discount offered (null when none).</summary>
    public Money? DiscountAvailable { get; init; }
    /// <summary>Amount of <see cref="DiscountAvailable"/> (a plain number for grid columns and filters).</summary>
    public decimal? DiscountAmount => DiscountAvailable?.Amount;
    /// <summary>Last day of the discount.</summary>
    public DateOnly? DiscountDate { get; init; }
    /// <summary>Local payment status.</summary>
    public required InvoiceStatus Status { get; init; }
    /// <summary>Scheduled date when <see cref="Status"/> is Scheduled.</summary>
    public DateOnly? ScheduledFor { get; init; }
    /// <summary>The scheduled payment holding it was made by autopay (the grid says "Autopay on &lt;date&gt;").</summary>
    public bool ByAutopay { get; init; }
    /// <summary>Number of comments.</summary>
    public required int CommentCount { get; init; }
    /// <summary>Days past due today (0 or less when not due).</summary>
    public required int DaysPastDue { get; init; }
    /// <summary>Only Open items can be selected for payment.</summary>
    public bool CanSelect => Status == InvoiceStatus.Open;
    /// <summary>
    /// What paying the invoice in full today takes: the open balance minus the discount the host's policy gives today
    /// (the default amount to pay). Null for credits (negative balances), which are applied in full.
    /// </summary>
    public Money? FullPaymentToday { get; init; }
    /// <summary>The day <see cref="FullPaymentToday"/> and <see cref="ShortBy"/> price the invoice for (the portal's today when the row was read).</summary>
    public DateOnly PricedOn { get; init; }

    /// <summary>
    /// What paying <paramref name="paid"/> today leaves short on the invoice, as the payment's preview and receipt will
    /// say: the open balance less the amount paid less the discount <paramref name="policy"/> gives on that amount (a
    /// pro-rated discount shrinks with a short payment). Zero when it pays the full payment or more, and for credits.
    /// </summary>
    public Money ShortBy(Money paid, IDiscountPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return FullPaymentToday is null
            ? Money.Zero(OpenBalance.Currency)
            : PaymentCalculator.ShortAmount(policy, new DiscountContext
            {
                OpenBalance = OpenBalance,
                DiscountAvailable = DiscountAvailable,
                DiscountDate = DiscountDate,
                PaymentDate = PricedOn,
            }, paid);
    }
}

/// <summary>
/// The payable items of a grid query (select all matching, pay all past due), computed in the database: the ids of the
/// first <see cref="InvoiceQueryService.MaxSelection"/> by due date, and the count and open balance of all of them.
/// </summary>
/// <param name="Items">The items to select (Open items only: not Pending, Scheduled or Processing), oldest due date first.</param>
/// <param name="MatchingCount">Payable items matching the query (may be more than <paramref name="Items"/> holds).</param>
/// <param name="MatchingTotal">Sum of their open balances (credits count negative).</param>
public sealed record InvoiceSelection(IReadOnlyList<PayableInvoice> Items, int MatchingCount, Money MatchingTotal)
{
    /// <summary>The ids of <see cref="Items"/>.</summary>
    public IReadOnlyList<long> InvoiceIds => [.. Items.Select(i => i.Id)];

    /// <summary>Sum of the open balances of <see cref="Items"/>.</summary>
    public Money SelectedTotal => Items.Aggregate(Money.Zero(MatchingTotal.Currency), (sum, i) => sum + i.OpenBalance);

    /// <summary>True when more items match than one payment takes.</summary>
    public bool Truncated => Items.Count < MatchingCount;
}

/// <summary>
/// How many payable items a grid query matches and their open balance, without the items: what the "select all matching"
/// button says before it is pressed (<see cref="InvoiceQueryService.CountPayableAsync"/>). An open grid keeps this, not the
/// up to <see cref="InvoiceQueryService.MaxSelection"/> items <see cref="InvoiceSelection"/> holds.
/// </summary>
/// <param name="MatchingCount">Payable items matching the query.</param>
/// <param name="MatchingTotal">Sum of their open balances (credits count negative).</param>
public sealed record PayableCount(int MatchingCount, Money MatchingTotal)
{
    /// <summary>How many of them one selection takes: the first <see cref="InvoiceQueryService.MaxSelection"/> by due date.</summary>
    public int Selectable => Math.Min(MatchingCount, InvoiceQueryService.MaxSelection);

    /// <summary>True when more items match than one payment takes.</summary>
    public bool Truncated => MatchingCount > InvoiceQueryService.MaxSelection;
}

/// <summary>One selected item.</summary>
/// <param name="Id">Local invoice id.</param>
/// <param name="OpenBalance">Its open balance (negative for credits).</param>
public sealed record PayableInvoice(long Id, Money OpenBalance);

/// <summary>
/// The open-invoices grid: search, filter, sort, page and CSV export of the signed-in account's open items,
/// all in the database.
/// </summary>
public sealed class InvoiceQueryService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    ErpSyncService sync,
    IOptions<PortalPaymentsOptions> options,
    IDiscountPolicy discountPolicy,
    TimeProvider clock)
{
    // The grid's fields for the day they were built on (see GridOn).
    private static volatile GridDay? _grid;

    /// <summary>The grid's fields on its day: the builder of <see cref="GridOn"/>.</summary>
    private sealed record GridDay(DateOnly Day, GridQueryBuilder<InvoiceRecord> Builder);

    /// <summary>
    /// The grid's fields (filters, sorts and CSV columns by name) on <paramref name="today"/>, built once a day and reused
    /// for every query of it. The discount's filter and sort take the discount a full payment earns today under the built-in
    /// rule — the discount available (at most the balance) until its date has passed, none after, none on a credit — as the
    /// grid's "Discount today" shows it (a discount policy of the host's own may show another figure).
    /// The CSV export keeps its stable column "Discount available": the ERP's figure, beside "Discount date".
    /// </summary>
    internal static GridQueryBuilder<InvoiceRecord> GridOn(DateOnly today)
    {
        if (_grid is { } built && built.Day == today)
        {
            return built.Builder;
        }
        var day = today;   // a captured variable: the database gets it as a parameter
        var builder = new GridQueryBuilder<InvoiceRecord>(i => i.Id)
            .Text(InvoiceFields.Number, "Invoice number", i => i.NumberKey)
            .Text(InvoiceFields.PoNumber, "PO number", i => i.PoKey)
            .Text(InvoiceFields.Reference, "Reference", i => i.ReferenceKey)
            .Date(InvoiceFields.DocumentDate, "Invoice date", i => i.DocumentDate)
            .Date(InvoiceFields.DueDate, "Due date", i => i.DueDate)
            .Money(InvoiceFields.Original, "Original amount", i => i.OriginalMinor)
            .Money(InvoiceFields.OpenBalance, "Open balance", i => i.OpenMinor)
            .Money(InvoiceFields.Discount, "Discount available", i => i.DiscountDate >= day && i.OpenMinor > 0 && i.DiscountMinor > 0
                ? (i.DiscountMinor < i.OpenMinor ? i.DiscountMinor : i.OpenMinor)
                : null)
            .Date(InvoiceFields.DiscountDate, "Discount date", i => i.DiscountDate)
            .Enum(InvoiceFields.Type, "Type", i => i.Type)
            .Enum(InvoiceFields.Status, "Status", i => i.Status)
            .Int(InvoiceFields.Comments, "Comments", i => i.CommentCount)
            .SearchOn(i => i.NumberKey)
            .SearchOn(i => i.PoKey)
            .SearchOn(i => i.ReferenceKey);
        _grid = new GridDay(today, builder);
        return builder;
    }

    /// <summary>Most items one selection (and so one payment) holds.</summary>
    public const int MaxSelection = 500;

    /// <summary>
    /// The payable (Open) items matching <paramref name="query"/> — its search, filters and aging period; paging and sort
    /// ignored — for "select all matching": the first <see cref="MaxSelection"/> ids by due date, with the count and open
    /// balance of every match. The pay flow recomputes every amount from these ids.
    /// </summary>
    public Task<InvoiceSelection> SelectPayableAsync(InvoiceQuery query, CancellationToken cancellationToken = default) =>
        PayableAsync(query, async (payable, currency) =>
        {
            var counted = await CountAsync(payable, currency, cancellationToken);
            var first = counted.MatchingCount == 0
                ? []
                : await payable.OrderBy(i => i.DueDate).ThenBy(i => i.Id).Take(MaxSelection).Select(i => new { i.Id, i.OpenMinor }).ToListAsync(cancellationToken);
            return new InvoiceSelection(first.ConvertAll(i => new PayableInvoice(i.Id, Money.FromMinorUnits(i.OpenMinor, currency))), counted.MatchingCount, counted.MatchingTotal);
        }, cancellationToken);

    /// <summary>
    /// The count and open balance of the payable items <see cref="SelectPayableAsync"/> would take, without reading them:
    /// one query, for the "select all matching" button of each result the grid shows (counted once per search, filters and
    /// period, and again after the data changed).
    /// </summary>
    public Task<PayableCount> CountPayableAsync(InvoiceQuery query, CancellationToken cancellationToken = default) =>
        PayableAsync(query, (payable, currency) => CountAsync(payable, currency, cancellationToken), cancellationToken);

    // Reads the Open items of the portal's currency matching the query's search, filters and aging period (sort and
    // paging ignored) for a user who may pay.
    private async Task<T> PayableAsync<T>(InvoiceQuery query, Func<IQueryable<InvoiceRecord>, string, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var scope = await access.ForPayAsync(cancellationToken);
        await sync.EnsureSyncedAsync(scope.AccountId, cancellationToken);
        var currency = options.Value.Currency;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var open = InvoiceStatus.Open;
        return await read(Filtered(db, scope.AccountId, query with { Sorts = [], Skip = 0 }, Today()).Where(i => i.Status == open && i.Currency == currency), currency);
    }

    // Count and sum in one pass over the matches (a constant group: no row when nothing matches).
    private static async Task<PayableCount> CountAsync(IQueryable<InvoiceRecord> payable, string currency, CancellationToken cancellationToken)
    {
        var totals = await payable.GroupBy(_ => 1).Select(g => new { Count = g.Count(), Sum = g.Sum(i => i.OpenMinor) }).FirstOrDefaultAsync(cancellationToken);
        return new PayableCount(totals?.Count ?? 0, Money.FromMinorUnits(totals?.Sum ?? 0, currency));
    }

    /// <summary>"Pay all past due": the account's Open invoices (not credits) whose due date has passed, as <see cref="SelectPayableAsync"/>.</summary>
    public Task<InvoiceSelection> SelectPastDueAsync(CancellationToken cancellationToken = default) =>
        SelectPayableAsync(PastDueQuery(Today()), cancellationToken);

    /// <summary>Open invoices (not credits) due before <paramref name="today"/>.</summary>
    internal static InvoiceQuery PastDueQuery(DateOnly today) => new()
    {
        Filters =
        [
            new GridFilter(InvoiceFields.DueDate, GridFilterOperator.LessThan, today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new GridFilter(InvoiceFields.Type, GridFilterOperator.Equals, nameof(OpenItemType.Invoice)),
        ],
    };

    /// <summary>One page and the total count of the filtered open items.</summary>
    public async Task<GridPage<InvoiceRow>> QueryAsync(InvoiceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var scope = await access.ForViewAsync(cancellationToken);
        await sync.EnsureSyncedAsync(scope.AccountId, cancellationToken);
        var today = Today();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var filtered = Filtered(db, scope.AccountId, query, today);
        var page = GridQueryBuilder<InvoiceRecord>.Page(GridOn(today).Sort(filtered, query), query);
        var total = await filtered.CountAsync(cancellationToken);
        var rows = await Project(page).ToListAsync(cancellationToken);
        // Scheduled rows whose payment autopay made show "Autopay on <date>": one lookup, only for a page that has them.
        var scheduled = rows.Where(r => r.Status == InvoiceStatus.Scheduled && r.ActivePaymentId is not null).Select(r => r.ActivePaymentId!.Value).ToList();
        var byAutopay = scheduled.Count == 0
            ? []
            : (await db.Payments.AsNoTracking().Where(p => scheduled.Contains(p.Id) && p.AutopayEnrollmentId != null).Select(p => p.Id)
                .ToListAsync(cancellationToken)).ToHashSet();
        PortalPaymentsTelemetry.GridQueryDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("grid", "invoices"));
        return new GridPage<InvoiceRow>(rows.ConvertAll(r => r.ToRow(today, discountPolicy) with
        {
            ByAutopay = r.ActivePaymentId is { } active && byAutopay.Contains(active),
        }), total);
    }

    /// <summary>
    /// Writes every row of the filtered, sorted result (all pages; <see cref="GridQuery.Skip"/>/<see cref="GridQuery.Take"/>
    /// ignored) as CSV with the given columns in that order, streaming.
    /// </summary>
    public async Task WriteCsvAsync(InvoiceQuery query, IReadOnlyList<string> columns, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(output);
        if (columns.Count == 0)
        {
            throw PortalFieldError.Of("columns", "ExportNoColumns", "Choose at least one column to export.").ToException();
        }
        var today = Today();
        var grid = GridOn(today);
        var fields = InvoiceCsv.Columns(columns, c => grid.Field(c, "columns"), f => f.Name);
        var scope = await access.ForViewAsync(cancellationToken);
        await sync.EnsureSyncedAsync(scope.AccountId, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sorted = grid.Sort(Filtered(db, scope.AccountId, query, today), query);

        await InvoiceCsv.WriteHeaderAsync(output, fields.Select(f => f.Title), cancellationToken);
        await foreach (var row in Project(sorted).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await InvoiceCsv.WriteLineAsync(output, fields.Select(f => InvoiceCsv.Cell(row, f.Name)), cancellationToken);
        }
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>The due-date range of aging bucket <paramref name="index"/> (the rule of <see cref="AccountOverviewService"/>), as filters.</summary>
    internal static IEnumerable<GridFilter> BucketFilters(int index, IReadOnlyList<int> limits, DateOnly today)
    {
        if (index < 0 || index > limits.Count + 1)
        {
            throw PortalFieldError.Of("agingBucket", "AgingPeriodUnknown", "That aging period does not exist; pick one of the balances shown.").ToException();
        }
        static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (index == 0)
        {
            yield return new GridFilter(InvoiceFields.DueDate, GridFilterOperator.GreaterThanOrEqual, Day(today));
            yield break;
        }
        var minDays = index == 1 ? 1 : limits[index - 2] + 1;
        yield return new GridFilter(InvoiceFields.DueDate, GridFilterOperator.LessThanOrEqual, Day(today.AddDays(-minDays)));
        if (index <= limits.Count)
        {
            yield return new GridFilter(InvoiceFields.DueDate, GridFilterOperator.GreaterThanOrEqual, Day(today.AddDays(-limits[index - 1])));
        }
    }

    private IQueryable<InvoiceRecord> Filtered(PaymentsDbContext db, string accountId, InvoiceQuery query, DateOnly today)
    {
        // "IsOpen == isOpen" (a parameter), not a bare "IsOpen": SQLite uses an index column only for an equality,
        // so this keeps every (AccountId, IsOpen, ...) index usable beyond its first column.
        var isOpen = true;
        var open = db.Invoices.AsNoTracking().Where(i => i.AccountId == accountId && i.IsOpen == isOpen);
        var effective = query.AgingBucket is { } bucket
            ? query with { Filters = [.. query.Filters, .. BucketFilters(bucket, options.Value.EffectiveAgingBuckets, today)] }
            : query;
        return GridOn(today).Filter(open, effective, CurrencyInfo.Get(options.Value.Currency), key => TextSearch.Invoices(db, key));
    }

    private DateOnly Today() => options.Value.Today(clock);

    private static IQueryable<InvoiceData> Project(IQueryable<InvoiceRecord> source) =>
        source.Select(i => new InvoiceData(i.Id, i.Number, i.Type, i.PoNumber, i.Reference, i.DocumentDate, i.DueDate, i.Currency,
            i.OriginalMinor, i.OpenMinor, i.DiscountMinor, i.DiscountDate, i.Status, i.ScheduledFor, i.CommentCount, i.ActivePaymentId));
}

/// <summary>The columns a grid row needs, as read from the database.</summary>
internal sealed record InvoiceData(
    long Id, string Number, OpenItemType Type, string? PoNumber, string? Reference, DateOnly DocumentDate, DateOnly DueDate, string Currency,
    long OriginalMinor, long OpenMinor, long? DiscountMinor, DateOnly? DiscountDate, InvoiceStatus Status, DateOnly? ScheduledFor, int CommentCount,
    Guid? ActivePaymentId)
{
    /// <summary>The grid row, with days past due and the full payment (under <paramref name="policy"/>) as of <paramref name="today"/>.</summary>
    public InvoiceRow ToRow(DateOnly today, IDiscountPolicy policy) => new()
    {
        Id = Id,
        Number = Number,
        Type = Type,
        PoNumber = PoNumber,
        Reference = Reference,
        DocumentDate = DocumentDate,
        DueDate = DueDate,
        Original = Money.FromMinorUnits(OriginalMinor, Currency),
        OpenBalance = Money.FromMinorUnits(OpenMinor, Currency),
        DiscountAvailable = DiscountMinor is { } d ? Money.FromMinorUnits(d, Currency) : null,
        DiscountDate = DiscountDate,
        Status = Status,
        ScheduledFor = ScheduledFor,
        CommentCount = CommentCount,
        DaysPastDue = today.DayNumber - DueDate.DayNumber,
        FullPaymentToday = OpenMinor > 0 ? FullPayment(today, policy) : null,
        PricedOn = today,
    };

    private Money FullPayment(DateOnly today, IDiscountPolicy policy)
    {
        var open = Money.FromMinorUnits(OpenMinor, Currency);
        return open - policy.DiscountFor(new DiscountContext
        {
            OpenBalance = open,
            DiscountAvailable = DiscountMinor is { } d ? Money.FromMinorUnits(d, Currency) : null,
            DiscountDate = DiscountDate,
            PaymentDate = today,
        });
    }
}
