using Portal.Payments.Data;
using Portal.Payments.Erp;

namespace Portal.Payments.Benchmarks.Invoices;

/// <summary>
/// The benchmark data: 1,000,000 ERP open items of ten accounts (100,000 each), generated deterministically
/// around <c>today</c>. Rows are interleaved across accounts in ERP number order (as a sync of a real ERP
/// would write them), so one account's rows are spread over the whole table. The account under test
/// (<see cref="Account"/>) has 100,000 open items; the nine others have about 5 % settled (closed) items.
/// </summary>
internal static class InvoiceDataSet
{
    /// <summary>Bump when the generated data or its layout changes (invalidates the cached databases).</summary>
    public const string Version = "v1";

    /// <summary>The account under test.</summary>
    public const string Account = "BENCH";

    /// <summary>Accounts in the table.</summary>
    public const int AccountCount = 10;

    /// <summary>Items per account.</summary>
    public const int ItemsPerAccount = 100_000;

    /// <summary>Rows in the table.</summary>
    public const int TotalRows = AccountCount * ItemsPerAccount;

    private static readonly string[] Words = ["Warehouse", "Retrofit", "Spring order", "Blanket", "Project", "Service", "Rush", "Consignment", "Kitting", "Maintenance"];

    /// <summary>Account ids, <see cref="Account"/> first.</summary>
    public static IReadOnlyList<string> Accounts { get; } = [Account, .. Enumerable.Range(1, AccountCount - 1).Select(a => $"ACCT-{a:D2}")];

    /// <summary>Generates the rows (explicit ids 1..<see cref="TotalRows"/>), the same for the same <paramref name="today"/>.</summary>
    public static IEnumerable<InvoiceRecord> Generate(DateOnly today, DateTime syncedAt)
    {
        var random = new Random(20261126);
        for (var n = 1; n <= TotalRows; n++)
        {
            var account = (n - 1) % AccountCount;
            yield return Create(random, n, Accounts[account], isOpen: account == 0 || random.NextDouble() >= 0.05, today, syncedAt);
        }
    }

    private static InvoiceRecord Create(Random random, int n, string accountId, bool isOpen, DateOnly today, DateTime syncedAt)
    {
        var kind = random.NextDouble();
        var type = kind < 0.92 ? OpenItemType.Invoice : kind < 0.98 ? OpenItemType.CreditMemo : OpenItemType.UnappliedCash;
        var number = type switch
        {
            OpenItemType.Invoice => $"INV-{n:D7}",
            OpenItemType.CreditMemo => $"CM-{n:D7}",
            _ => $"CASH-{n:D7}",
        };
        // Due dates over about two years: 18 months back to 6 months ahead.
        var due = today.AddDays(random.Next(-540, 181));
        var documentDate = due.AddDays(-(30 + (15 * random.Next(0, 3))));
        var sign = type == OpenItemType.Invoice ? 1 : -1;
        var original = sign * (long)random.Next(5_000, 2_500_000);
        var open = random.NextDouble() < 0.85 ? original : original * random.Next(10, 90) / 100;
        var hasDiscount = type == OpenItemType.Invoice && random.NextDouble() < 0.2;
        var status = Status(random, type);
        var po = random.NextDouble() < 0.7 ? $"PO-{random.Next(100_000, 1_000_000)}" : null;
        var reference = random.NextDouble() < 0.5 ? $"{Words[random.Next(Words.Length)]} {random.Next(1, 10_000):D4}" : null;
        return new InvoiceRecord
        {
            Id = n,
            AccountId = accountId,
            ExternalId = $"ERP-{n:D7}",
            Number = number,
            Type = type,
            PoNumber = po,
            Reference = reference,
            // Exactly what ErpSyncService.Apply stores.
            NumberKey = SearchKeys.Normalize(number, 64),
            PoKey = SearchKeys.Normalize(po, 64),
            ReferenceKey = SearchKeys.Normalize(reference, 200),
            DocumentDate = documentDate,
            DueDate = due,
            Currency = "USD",
            OriginalMinor = original,
            OpenMinor = open,
            DiscountMinor = hasDiscount ? original * 2 / 100 : null,
            DiscountDate = hasDiscount ? documentDate.AddDays(10) : null,
            IsOpen = isOpen,
            Status = isOpen ? status : InvoiceStatus.Open,
            ScheduledFor = isOpen && status == InvoiceStatus.Scheduled ? today.AddDays(random.Next(1, 31)) : null,
            ActivePaymentId = isOpen && status != InvoiceStatus.Open ? NewGuid(random) : null,
            CommentCount = random.NextDouble() < 0.05 ? random.Next(1, 4) : 0,
            SyncedAt = syncedAt,
            Version = 0,
        };
    }

    // Mostly Open; some Pending, Scheduled and Processing (credits are never paid on their own).
    private static InvoiceStatus Status(Random random, OpenItemType type)
    {
        if (type != OpenItemType.Invoice)
        {
            return InvoiceStatus.Open;
        }
        var r = random.NextDouble();
        return r < 0.90 ? InvoiceStatus.Open : r < 0.95 ? InvoiceStatus.Pending : r < 0.99 ? InvoiceStatus.Scheduled : InvoiceStatus.Processing;
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
