using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Portal.Payments.Data;

/// <summary>
/// Contains ("matches anywhere") search over the grids' search keys, through each provider's substring index (the
/// ContainsSearchIndexes migration): SQLite FTS5 trigram tables matched with a quoted phrase, PostgreSQL pg_trgm GIN
/// indexes serving <c>key LIKE '%term%'</c>. Both need at least <see cref="Grid.GridQueryBuilder{TRecord}.ContainsSearchMinLength"/> characters (a trigram);
/// a shorter search is a prefix search. The term is always a parameter, never SQL text.
/// </summary>
internal static class TextSearch
{
    // Named explicitly: Npgsql writes a two-argument LIKE with ESCAPE '' (no escape character at all).
    private const string Escape = "\\";

    /// <summary>Open items whose number, PO number or reference contains <paramref name="key"/> (a normalized search key).</summary>
    /// <remarks>
    /// A search such as "INV-0012" holds a part every key shares ("INV": nearly every row has its trigrams), which makes the
    /// index lookup read most of the index. When the search has a selective part (<see cref="SelectivePart"/>: digits),
    /// the index is asked for that part and each candidate is checked for the whole text.
    /// </remarks>
    public static Expression<Func<InvoiceRecord, bool>> Invoices(PaymentsDbContext db, string key)
    {
        var part = SelectivePart(key);
        if (db is SqlitePaymentsDbContext)
        {
            var ids = db.Database.SqlQuery<long>($"SELECT rowid AS \"Value\" FROM pp_invoice_search WHERE pp_invoice_search MATCH {Phrase(part ?? key)}");
            if (part is null)
            {
                return i => ids.Contains(i.Id);
            }
            // instr() on the keys: the whole text, as the phrase would have matched it.
            return i => ids.Contains(i.Id) && (i.NumberKey.Contains(key) || i.PoKey.Contains(key) || i.ReferenceKey.Contains(key));
        }
        var pattern = LikeAnywhere(key);
        if (part is null)
        {
            return i => EF.Functions.Like(i.NumberKey, pattern, Escape) || EF.Functions.Like(i.PoKey, pattern, Escape) || EF.Functions.Like(i.ReferenceKey, pattern, Escape);
        }
        // The index serves the selective part; "key || ''" is no indexed expression, so the whole pattern is a recheck.
        var hint = LikeAnywhere(part);
        return i => (EF.Functions.Like(i.NumberKey, hint, Escape) && EF.Functions.Like(i.NumberKey + "", pattern, Escape))
                    || (EF.Functions.Like(i.PoKey, hint, Escape) && EF.Functions.Like(i.PoKey + "", pattern, Escape))
                    || (EF.Functions.Like(i.ReferenceKey, hint, Escape) && EF.Functions.Like(i.ReferenceKey + "", pattern, Escape));
    }

    /// <summary>Payments whose receipt number or note, or the number of an invoice they paid, contains <paramref name="key"/>.</summary>
    public static Expression<Func<PaymentRecord, bool>> Payments(PaymentsDbContext db, string key)
    {
        if (db is SqlitePaymentsDbContext)
        {
            var phrase = Phrase(key);
            var byText = db.Database.SqlQuery<Guid>($"SELECT PaymentId AS \"Value\" FROM pp_payment_search WHERE pp_payment_search MATCH {phrase}");
            var byInvoice = db.Database.SqlQuery<Guid>(
                $"SELECT a.PaymentId AS \"Value\" FROM pp_payment_allocations AS a WHERE a.Id IN (SELECT rowid FROM pp_allocation_search WHERE pp_allocation_search MATCH {phrase})");
            return p => byText.Contains(p.Id) || byInvoice.Contains(p.Id);
        }
        var pattern = LikeAnywhere(key);
        return p => EF.Functions.Like(p.ReceiptKey, pattern, Escape) || EF.Functions.Like(p.MemoKey, pattern, Escape)
                    || p.Allocations.Any(a => EF.Functions.Like(a.InvoiceNumberKey, pattern, Escape));
    }

    /// <summary>
    /// The part of a search the index should look up instead of the whole text, or null for the whole text: the longest run
    /// of letters and digits that holds a digit and has three characters or more, when the search has more than that run
    /// ("INV-0012" gives "0012"). Document numbers share their letters (INV, PO, CM) and differ in their digits.
    /// </summary>
    internal static string? SelectivePart(string key)
    {
        string? best = null;
        var start = -1;
        for (var i = 0; i <= key.Length; i++)
        {
            if (i < key.Length && char.IsLetterOrDigit(key[i]))
            {
                start = start < 0 ? i : start;
                continue;
            }
            if (start >= 0)
            {
                var run = key[start..i];
                if (run.Length >= 3 && run.Any(char.IsDigit) && run.Length >= (best?.Length ?? 0))
                {
                    best = run;
                }
                start = -1;
            }
        }
        return best is not null && best.Length < key.Length ? best : null;
    }

    /// <summary>An FTS5 phrase: the text in double quotes (doubled inside), so nothing in it is query syntax.</summary>
    internal static string Phrase(string key) => "\"" + key.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A LIKE pattern matching <paramref name="key"/> anywhere, with the escape character (backslash) before <c>% _ \</c>.</summary>
    internal static string LikeAnywhere(string key) =>
        "%" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
