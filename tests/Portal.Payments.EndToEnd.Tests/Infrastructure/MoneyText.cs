using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// An amount as the portal shows it: "USD 1,234.56" (currency code, space, number in the suite's culture: "USD 1.234,56"
/// in German).
/// </summary>
public readonly record struct MoneyText(string Currency, decimal Amount)
{
    private static readonly NumberFormatInfo Numbers = SuiteLanguage.Culture.NumberFormat;

    private static readonly Regex Pattern = new(
        $@"^(?<cur>[A-Z]{{3}})\s(?<num>-?[0-9][0-9{Regex.Escape(Numbers.NumberGroupSeparator)}]*({Regex.Escape(Numbers.NumberDecimalSeparator)}[0-9]+)?)$",
        RegexOptions.CultureInvariant);

    /// <summary>Parses "USD 1,234.56" or "USD -12.00"; fails the test with the text on anything else.</summary>
    public static MoneyText Parse(string text)
    {
        var trimmed = text.Trim();
        var match = Pattern.Match(trimmed);
        Assert.True(match.Success, $"'{trimmed}' is not an amount like '{new MoneyText("USD", 1234.56m)}'.");
        var amount = decimal.Parse(match.Groups["num"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, Numbers);
        return new MoneyText(match.Groups["cur"].Value, amount);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Currency} {Amount.ToString("N2", Numbers)}";
}
