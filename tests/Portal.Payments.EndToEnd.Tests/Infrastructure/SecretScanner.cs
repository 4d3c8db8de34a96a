using System.Globalization;
using System.Text;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>Something that looks like a secret, where it was found.</summary>
/// <param name="Source">File (and decoding) or "host log".</param>
/// <param name="What">What kind of secret.</param>
/// <param name="Value">The matched text.</param>
/// <param name="Context">The text around it, control characters shown as '·'.</param>
public sealed record SecretFinding(string Source, string What, string Value, string Context)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source}: {What} '{Value}' in «{Context}»";
}

/// <summary>
/// Looks for card numbers, security codes and bank account numbers in text: raw digit runs passing the
/// Luhn check, exact values that were typed, and short codes standing on their own.
/// </summary>
public static class SecretScanner
{
    private const int ContextChars = 40;

    /// <summary>
    /// The ways a file's bytes are read: UTF-8, Latin-1 (every byte one character, so text inside binary
    /// pages stays readable) and UTF-16 in both byte alignments.
    /// </summary>
    public static IEnumerable<(string Decoding, string Text)> Decode(byte[] bytes)
    {
        yield return ("utf-8", Encoding.UTF8.GetString(bytes));
        yield return ("latin1", Encoding.Latin1.GetString(bytes));
        yield return ("utf-16le", Encoding.Unicode.GetString(bytes));
        if (bytes.Length > 1)
        {
            yield return ("utf-16le+1", Encoding.Unicode.GetString(bytes, 1, bytes.Length - 1));
        }
    }

    /// <summary>True when <paramref name="digits"/> (ASCII digits only) passes the Luhn check.</summary>
    public static bool PassesLuhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>
    /// Maximal runs of 13 to 19 ASCII digits (no separators) that pass the Luhn check. Three kinds of run are
    /// returned in <paramref name="exempted"/> instead: part of a long hexadecimal identifier (a hash or a
    /// GUID without dashes: the run touches a letter a–f and the hex token around it has 20+ characters),
    /// runs sharing digits with a dashed GUID, and EF Core migration ids (14 digits yyyyMMddHHmmss followed by '_'). A
    /// run that an ISO date goes on from ("…2026-12-05") is judged without its last four digits, the date's year.
    /// </summary>
    public static IReadOnlyList<SecretFinding> FindLuhnRuns(string source, string text, List<SecretFinding>? exempted = null)
    {
        var findings = new List<SecretFinding>();
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            var length = i - start;
            var run = length;
            if (YearOfIsoDate(text, start, length))
            {
                // "…5609874602" + "2026-12-05 10:19": SQLite keeps a row's values side by side, so a number's digits
                // and the timestamp after it read as one run. The last four are the date's year, not the number's.
                var whole = text.Substring(start, length);
                length -= 4;
                if (whole.Length is >= 13 and <= 19 && PassesLuhn(whole) && !(length is >= 13 and <= 19 && PassesLuhn(text.AsSpan(start, length))))
                {
                    exempted?.Add(new SecretFinding(source, $"{whole.Length}-digit Luhn-valid number ending in a date's year", whole, ContextOf(text, start, whole.Length)));
                }
            }
            if (length is < 13 or > 19 || !PassesLuhn(text.AsSpan(start, length)))
            {
                continue;
            }
            var finding = new SecretFinding(source, $"{length}-digit Luhn-valid number", text.Substring(start, length), ContextOf(text, start, length));
            if (IsInsideHexIdentifier(text, start, run) || IsMigrationId(text, start, run) || OverlapsDashedGuid(text, start, run))
            {
                exempted?.Add(finding);
            }
            else
            {
                findings.Add(finding);
            }
        }
        return findings;
    }

    /// <summary>Every occurrence of <paramref name="value"/> (ordinal), wherever it stands.</summary>
    public static IReadOnlyList<SecretFinding> FindLiteral(string source, string text, string value, string what)
    {
        var findings = new List<SecretFinding>();
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            findings.Add(new SecretFinding(source, what, value, ContextOf(text, at, value.Length)));
        }
        return findings;
    }

    /// <summary>
    /// Occurrences of a short number (a security code) standing on its own: not touching a letter or digit,
    /// and not a group of a formatted number (after ',' or '.', or followed by ',' or '.' and a digit), so
    /// "1,739.00", "x739", "7391" and "a739f" do not count but "739", "cvc=739" and "\"739\"" do.
    /// </summary>
    public static IReadOnlyList<SecretFinding> FindStandaloneNumber(string source, string text, string number, string what)
    {
        var findings = new List<SecretFinding>();
        for (var at = text.IndexOf(number, StringComparison.Ordinal); at >= 0; at = text.IndexOf(number, at + 1, StringComparison.Ordinal))
        {
            var end = at + number.Length;
            var before = at > 0 ? text[at - 1] : ' ';
            var after = end < text.Length ? text[end] : ' ';
            var afterNext = end + 1 < text.Length ? text[end + 1] : ' ';
            if (char.IsAsciiLetterOrDigit(before) || before is ',' or '.'
                || char.IsAsciiLetterOrDigit(after) || (after is ',' or '.' && char.IsAsciiDigit(afterNext)))
            {
                continue;
            }
            findings.Add(new SecretFinding(source, what, number, ContextOf(text, at, number.Length)));
        }
        return findings;
    }

    private static bool IsInsideHexIdentifier(string text, int start, int length)
    {
        var end = start + length;
        var touchesHexLetter = (start > 0 && char.IsAsciiHexDigit(text[start - 1])) || (end < text.Length && char.IsAsciiHexDigit(text[end]));
        if (!touchesHexLetter)
        {
            return false;
        }
        var tokenStart = start;
        while (tokenStart > 0 && char.IsAsciiHexDigit(text[tokenStart - 1]))
        {
            tokenStart--;
        }
        var tokenEnd = end;
        while (tokenEnd < text.Length && char.IsAsciiHexDigit(text[tokenEnd]))
        {
            tokenEnd++;
        }
        return tokenEnd - tokenStart >= 20;
    }

    /// <summary>
    /// True when the run shares digits with a dashed GUID ("02828694-1dca-…"): SQLite stores columns side by side,
    /// so an invoice number's digits and the first group of the next column's GUID read as one run.
    /// </summary>
    private static bool OverlapsDashedGuid(string text, int start, int length)
    {
        const int GuidLength = 36;
        var end = start + length;
        for (var p = Math.Max(0, start - GuidLength + 1); p < end && p + GuidLength <= text.Length; p++)
        {
            if (text[p + 8] == '-' && Guid.TryParseExact(text.AsSpan(p, GuidLength), "D", out _))
            {
                return true;
            }
        }
        return false;
    }

    // The run's last four digits are the year of an ISO date that goes on after it ("2026-12-05").
    private static bool YearOfIsoDate(string text, int start, int length)
    {
        var end = start + length;
        return length > 4 && end + 6 <= text.Length
            && text[end] == '-' && char.IsAsciiDigit(text[end + 1]) && char.IsAsciiDigit(text[end + 2])
            && text[end + 3] == '-' && char.IsAsciiDigit(text[end + 4]) && char.IsAsciiDigit(text[end + 5])
            && int.Parse(text.AsSpan(end - 4, 4), CultureInfo.InvariantCulture) is >= 2000 and <= 2100;
    }

    private static bool IsMigrationId(string text, int start, int length) =>
        length == 14
        && start + length < text.Length && text[start + length] == '_'
        && DateTime.TryParseExact(text.AsSpan(start, length), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var when)
        && when.Year is >= 2000 and <= 2100;

    private static string ContextOf(string text, int start, int length)
    {
        var from = Math.Max(0, start - ContextChars);
        var to = Math.Min(text.Length, start + length + ContextChars);
        var builder = new StringBuilder(to - from);
        foreach (var c in text.AsSpan(from, to - from))
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD' ? '·' : c);
        }
        return builder.ToString();
    }
}
