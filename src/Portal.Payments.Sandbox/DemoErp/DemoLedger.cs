using System.Globalization;
using Portal.Payments.Erp;

namespace Portal.Payments.DemoErp;

/// <summary>
/// A deterministic, realistic ledger: item <c>i</c> of an account is always the same, computed from
/// a hash of (account, i), so any item can be produced on its own (paging, documents) without storing
/// the ledger. Dates are relative to the account's anchor date.
/// </summary>
internal static class DemoLedger
{
    internal sealed record Line(string Sku, string Description, int Quantity, long UnitMinor);

    internal sealed record Item(
        int Index, string ExternalId, string Number, OpenItemType Type, string? PoNumber, string? Reference,
        DateOnly DocumentDate, DateOnly DueDate, long OriginalMinor, long OpenMinor, long? DiscountMinor,
        DateOnly? DiscountDate, string Terms);

    private static readonly string[] Products =
    [
        "Hydraulic pump assembly", "Stainless fasteners (box of 500)", "Conveyor belt 24in", "Safety gloves (case)",
        "Industrial adhesive 5gal", "Bearing kit 6205", "LED high-bay fixture", "Pallet wrap (12 rolls)",
        "Air filter MERV 13", "Copper fittings assortment", "Forklift service", "Freight and handling",
    ];

    public static Item Generate(string accountId, int index, DateOnly anchor)
    {
        var rng = new SplitMix(Seed(accountId) ^ (ulong)(index + 1) * 0x9E3779B97F4A7C15UL);
        var prefix = Prefix(accountId);
        var roll = rng.NextDouble();
        var type = roll < 0.90 ? OpenItemType.Invoice : roll < 0.96 ? OpenItemType.CreditMemo : OpenItemType.UnappliedCash;
        // Spread document dates over ~5 months so every aging bucket is populated.
        var age = (int)(rng.NextDouble() * 150);
        var doc = anchor.AddDays(-age);
        var number = type switch
        {
            OpenItemType.Invoice => $"INV-{prefix}{100001 + index}",
            OpenItemType.CreditMemo => $"CM-{prefix}{100001 + index}",
            _ => $"UC-{prefix}{100001 + index}",
        };

        if (type != OpenItemType.Invoice)
        {
            var amount = -(long)Math.Round((type == OpenItemType.CreditMemo ? 20 + rng.NextDouble() * 1980 : 100 + rng.NextDouble() * 4900) * 100);
            return new Item(index, index.ToString(CultureInfo.InvariantCulture), number, type, null,
                type == OpenItemType.CreditMemo ? $"RMA-{rng.Next(10000, 99999)}" : $"CHK-{rng.Next(100000, 999999)}",
                doc, doc, amount, amount, null, null, "");
        }

        var termsRoll = rng.NextDouble();
        var (net, discountPct, terms) = termsRoll switch
        {
            < 0.40 => (30, 2m, "2/10 net 30"),
            < 0.75 => (30, 0m, "Net 30"),
            < 0.90 => (45, 0m, "Net 45"),
            _ => (60, 0m, "Net 60"),
        };
        var lines = Lines(accountId, index);
        var original = lines.Sum(l => l.Quantity * l.UnitMinor);
        // One invoice in ten has been part-paid in the ERP.
        var open = rng.NextDouble() < 0.10 ? (long)Math.Round(original * (0.3 + rng.NextDouble() * 0.6)) : original;
        long? discount = discountPct > 0 ? (long)Math.Round(original * discountPct / 100m, MidpointRounding.AwayFromZero) : null;
        var po = rng.NextDouble() < 0.85 ? $"PO-{rng.Next(10000, 999999)}" : null;
        return new Item(index, index.ToString(CultureInfo.InvariantCulture), number, type, po, $"SO-{rng.Next(100000, 999999)}",
            doc, doc.AddDays(net), original, open, discount, discount is null ? null : doc.AddDays(10), terms);
    }

    /// <summary>Invoice lines; their total is the invoice amount.</summary>
    public static IReadOnlyList<Line> Lines(string accountId, int index)
    {
        var rng = new SplitMix(Seed(accountId) ^ (ulong)(index + 1) * 0xBF58476D1CE4E5B9UL);
        var count = rng.Next(1, 6);
        var lines = new List<Line>(count);
        for (var k = 0; k < count; k++)
        {
            var product = Products[rng.Next(0, Products.Length)];
            // Log-uniform unit prices from $5 to $5,000 keep totals realistic.
            var unit = (long)Math.Round(Math.Exp(Math.Log(500) + rng.NextDouble() * (Math.Log(500000) - Math.Log(500))));
            lines.Add(new Line($"SKU-{rng.Next(1000, 9999)}", product, rng.Next(1, 12), unit));
        }
        return lines;
    }

    private static string Prefix(string accountId)
    {
        var letters = new string(accountId.Where(char.IsAsciiLetterOrDigit).Take(3).ToArray()).ToUpperInvariant();
        return letters.Length == 0 ? "X" : letters;
    }

    private static ulong Seed(string accountId)
    {
        // FNV-1a: stable across processes (string.GetHashCode is randomised).
        var h = 14695981039346656037UL;
        foreach (var c in accountId)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }

    private struct SplitMix(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        public int Next(int min, int max) => min + (int)(Next() % (ulong)(max - min));
    }
}
