using System.Collections.Frozen;

namespace Portal.Payments.Gateways.Stripe;

/// <summary>
/// Converts <see cref="Money"/> to the integer amounts Stripe's API takes, which follow Stripe's own currency table
/// rather than ISO 4217 in a few places: zero-decimal currencies (JPY, KRW, and MGA although ISO gives it two digits),
/// ISK and UGX sent with two decimals that must be zero, and three-decimal currencies whose last digit must be zero.
/// </summary>
internal static class StripeAmounts
{
    private static readonly FrozenSet<string> ZeroDecimal = FrozenSet.ToFrozenSet(
        ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF"], StringComparer.Ordinal);

    /// <summary>Zero-decimal in practice, but Stripe's API takes them with two (zero) decimals.</summary>
    private static readonly FrozenSet<string> WholeUnitsTimes100 = FrozenSet.ToFrozenSet(["ISK", "UGX"], StringComparer.Ordinal);

    private static readonly FrozenSet<string> ThreeDecimal = FrozenSet.ToFrozenSet(["BHD", "JOD", "KWD", "OMR", "TND"], StringComparer.Ordinal);

    /// <summary>Stripe's factor from major units to the API amount for <paramref name="currency"/>.</summary>
    public static long Factor(string currency) =>
        ZeroDecimal.Contains(currency) ? 1 : ThreeDecimal.Contains(currency) ? 1000 : 100;

    /// <summary>
    /// The API amount for <paramref name="money"/>, or an error fit for the payer when Stripe cannot represent it
    /// (e.g. MGA with decimals, or KWD with a non-zero third decimal).
    /// </summary>
    public static bool TryToStripe(Money money, out long amount, out string? error)
    {
        amount = 0;
        error = null;
        var currency = money.Currency;
        var scaled = money.Amount * Factor(currency);
        if (decimal.Truncate(scaled) != scaled
            || (WholeUnitsTimes100.Contains(currency) && decimal.Truncate(money.Amount) != money.Amount)
            || (ThreeDecimal.Contains(currency) && scaled % 10 != 0))
        {
            error = ThreeDecimal.Contains(currency)
                ? $"Card payments in {currency} must be a multiple of 0.010."
                : $"Card payments in {currency} must be whole units.";
            return false;
        }
        amount = (long)scaled;
        return true;
    }

    /// <summary>The amount in the portal's terms from a Stripe API amount.</summary>
    public static Money FromStripe(long amount, string currency)
    {
        var code = currency.ToUpperInvariant();
        return Money.Create(amount / (decimal)Factor(code), code);
    }

    /// <summary>Stripe's lower-case currency code.</summary>
    public static string Code(Money money) => money.Currency.ToLowerInvariant();
}
