using System.Globalization;

namespace Portal.Payments.Ui;

/// <summary>
/// One way to write dates and amounts everywhere in the portal, in the user's culture: dates in the culture's short date
/// pattern (the date picker uses the same), amounts with the currency's decimals. Times go through <see cref="UserTime"/>.
/// </summary>
internal static class PortalFormat
{
    /// <summary>
    /// The user reads English (or the invariant culture, which reads the English resources): Core's own English words
    /// (its messages, a method's description) are shown as written.
    /// </summary>
    public static bool ReadsEnglish => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName is "en" or "iv";

    /// <summary>A date in the current culture's short date pattern ("3/15/2026", "15.03.2026").</summary>
    public static string Date(DateOnly date) => date.ToString("d", CultureInfo.CurrentCulture);

    /// <summary>The culture's short date pattern (for the date picker).</summary>
    public static string DatePattern => CultureInfo.CurrentCulture.DateTimeFormat.ShortDatePattern;

    /// <summary>An amount with the currency's decimals and no code ("1,234.50"), for columns of one currency.</summary>
    public static string Amount(Money money) =>
        money.Currency is null ? "" : money.Amount.ToString("N" + CurrencyInfo.Get(money.Currency).MinorUnits, CultureInfo.CurrentCulture);

    /// <summary>An amount with its currency ("USD 1,234.50").</summary>
    public static string Money(Money money) => money.Currency is null ? "" : money.ToString(CultureInfo.CurrentCulture);

    /// <summary>A count ("1,234").</summary>
    public static string Count(int n) => n.ToString("N0", CultureInfo.CurrentCulture);

    /// <summary>The amount as the payer types it ("1234.50" / "1234,50").</summary>
    public static string Input(Money money) =>
        money.Amount.ToString("F" + CurrencyInfo.Get(money.Currency).MinorUnits, CultureInfo.CurrentCulture);
}
