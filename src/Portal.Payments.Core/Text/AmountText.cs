using System.Globalization;
using System.Text;

namespace Portal.Payments.Text;

/// <summary>
/// Reads an amount as a payer types it, in the payer's culture (the request culture ASP.NET Core's request localization
/// sets; a Blazor circuit keeps the culture of the request that started it). Unlike <see cref="decimal.TryParse(string, NumberStyles, IFormatProvider, out decimal)"/>,
/// which skips group separators wherever they stand (so "1,0,0" is 100, and "12,50" typed by a German payer on an
/// English page is 1,250), text whose meaning is not clear is refused: group separators only between groups of the
/// culture's sizes (1,000 or 1.000,00), one decimal separator, digits only.
/// </summary>
public static class AmountText
{
    /// <summary>
    /// Reads <paramref name="text"/> in <paramref name="culture"/> as an amount in <paramref name="currency"/>: as
    /// <see cref="TryParse(string?, IFormatProvider, out decimal)"/>, also with that currency's code or symbol before or
    /// after the number ("$1,234.50", "1.234,50 €", "USD 12"), as payers copy amounts from their own documents. A mark
    /// no culture of that currency writes ("€" for USD) is refused. With a mark, a fraction longer than the currency's
    /// minor units is refused even when its extra digits are zeros: "1.500 €" on an English page is a German 1,500, not
    /// 1.50, so it is not read at all.
    /// </summary>
    public static bool TryParse(string? text, IFormatProvider culture, string? currency, out decimal value)
    {
        var s = text?.Trim();
        var marked = false;
        if (currency is not null && !string.IsNullOrEmpty(s))
        {
            var negative = s.StartsWith('-') ? "-" : "";
            var rest = s[negative.Length..].TrimStart();
            foreach (var mark in Marks(currency))
            {
                if (rest.Length > mark.Length && rest.StartsWith(mark, StringComparison.OrdinalIgnoreCase))
                {
                    s = negative + rest[mark.Length..].TrimStart();
                    marked = true;
                    break;
                }
                if (rest.Length > mark.Length && rest.EndsWith(mark, StringComparison.OrdinalIgnoreCase))
                {
                    s = negative + rest[..^mark.Length].TrimEnd();
                    marked = true;
                    break;
                }
            }
        }
        if (marked && CurrencyInfo.TryGet(currency!, out var info)
            && s!.Split(NumberFormatInfo.GetInstance(culture).NumberDecimalSeparator) is [_, var fraction] && fraction.Length > info.MinorUnits)
        {
            value = 0m;
            return false;
        }
        return TryParse(s, culture, out value);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> MarksByCurrency = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The ISO code and the symbols the cultures of the currency's countries write it with, longest first ("US$" before "$").</summary>
    private static string[] Marks(string currency) => MarksByCurrency.GetOrAdd(currency, code =>
    {
        var marks = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { code };
        foreach (var c in CultureInfo.GetCultures(CultureTypes.SpecificCultures))
        {
            try
            {
                if (string.Equals(new RegionInfo(c.Name).ISOCurrencySymbol, code, StringComparison.OrdinalIgnoreCase)
                    && c.NumberFormat.CurrencySymbol is { Length: > 0 } symbol && !symbol.Any(char.IsAsciiDigit))
                {
                    marks.Add(symbol);
                }
            }
            catch (ArgumentException)
            {
                // A culture without a region (or invariant globalization): nothing to add.
            }
        }
        return [.. marks.OrderByDescending(m => m.Length)];
    });

    /// <summary>Reads <paramref name="text"/> in <paramref name="culture"/>; false when it is not one clear number.</summary>
    /// <param name="text">What was typed; surrounding spaces are ignored.</param>
    /// <param name="culture">The payer's culture (a <see cref="CultureInfo"/> or <see cref="NumberFormatInfo"/>).</param>
    /// <param name="value">The amount read; zero when false.</param>
    public static bool TryParse(string? text, IFormatProvider culture, out decimal value)
    {
        value = 0m;
        var format = NumberFormatInfo.GetInstance(culture);
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }
        var negative = false;
        if (s.StartsWith(format.NegativeSign, StringComparison.Ordinal) || s.StartsWith('-'))
        {
            negative = true;
            s = s[(s.StartsWith(format.NegativeSign, StringComparison.Ordinal) ? format.NegativeSign.Length : 1)..].TrimStart();
        }
        else if (s.StartsWith(format.PositiveSign, StringComparison.Ordinal))
        {
            s = s[format.PositiveSign.Length..].TrimStart();
        }

        var decimalSeparator = format.NumberDecimalSeparator;
        var parts = s.Split(decimalSeparator);
        if (parts.Length > 2)
        {
            return false;
        }
        var whole = parts[0];
        var fraction = parts.Length == 2 ? parts[1] : null;
        if (fraction is not null && (fraction.Length == 0 || !fraction.All(char.IsAsciiDigit)))
        {
            return false;
        }
        if (!TryReadWhole(whole, format, fraction is null, out var digits))
        {
            return false;
        }
        var invariant = new StringBuilder(digits.Length + (fraction?.Length ?? 0) + 2);
        invariant.Append(negative ? "-" : "").Append(digits.Length == 0 ? "0" : digits);
        if (fraction is not null)
        {
            invariant.Append('.').Append(fraction);
        }
        return decimal.TryParse(invariant.ToString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>"1,234.50" in <paramref name="culture"/>: an example for messages.</summary>
    public static string Example(IFormatProvider culture) => 1234.5m.ToString("N2", culture);

    /// <summary>
    /// The digits of the whole part: plain digits ("1234"), or groups of the culture's sizes between group separators
    /// ("1,234,567"; "12,34,567" in India). Spaces stand for a space-like group separator (French, Swedish…).
    /// </summary>
    private static bool TryReadWhole(string whole, NumberFormatInfo format, bool noFraction, out string digits)
    {
        digits = "";
        if (whole.Length == 0)
        {
            // ".50" is clear; a lone separator is not.
            return !noFraction;
        }
        var separator = format.NumberGroupSeparator;
        var spaceLike = separator.Length == 1 && char.IsWhiteSpace(separator[0]);
        string[] groups;
        if (spaceLike)
        {
            groups = whole.Split([' ', '\u00A0', '\u202F'], StringSplitOptions.None);
        }
        else
        {
            groups = separator.Length == 0 ? [whole] : whole.Split(separator);
        }
        if (groups.Any(g => g.Length == 0 || !g.All(char.IsAsciiDigit)))
        {
            return false;
        }
        if (groups.Length > 1 && !GroupedAsTheCultureDoes(groups, format.NumberGroupSizes))
        {
            return false;
        }
        digits = string.Concat(groups);
        return true;
    }

    /// <summary>True when the groups, read from the right, have the culture's sizes (the last size repeating), the first 1 to that size.</summary>
    private static bool GroupedAsTheCultureDoes(string[] groups, int[] sizes)
    {
        if (sizes.Length == 0 || sizes[0] == 0)
        {
            return false;
        }
        var sizeIndex = 0;
        for (var i = groups.Length - 1; i >= 1; i--)
        {
            var size = sizes[Math.Min(sizeIndex, sizes.Length - 1)];
            if (size == 0 || groups[i].Length != size)
            {
                return false;
            }
            sizeIndex++;
        }
        var leading = sizes[Math.Min(sizeIndex, sizes.Length - 1)];
        return groups[0].Length >= 1 && (leading == 0 || groups[0].Length <= leading);
    }
}
