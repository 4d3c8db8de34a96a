using System.Globalization;

namespace Portal.Payments;

/// <summary>
/// An exact amount in one ISO 4217 currency. Amounts never carry more decimals than the
/// currency's minor units allow (USD: 2, JPY: 0, BHD: 3); use <see cref="Create"/> or
/// <see cref="TryCreate"/> to validate, or <see cref="FromMinorUnits"/> for stored values.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(MoneyJsonConverter))]
public readonly record struct Money : IComparable<Money>
{
    private Money(decimal amount, string currency)
    {
        Amount = amount;
        Currency = currency;
    }

    /// <summary>The amount, in major units (dollars, euros).</summary>
    public decimal Amount { get; }

    /// <summary>The ISO 4217 alphabetic currency code, upper case.</summary>
    public string Currency { get; }

    /// <summary>Creates a validated amount; throws <see cref="ArgumentException"/> for an unknown currency or too many decimals.</summary>
    public static Money Create(decimal amount, string currency)
    {
        if (!TryCreate(amount, currency, out var money, out var error))
        {
            throw new ArgumentException(error, nameof(amount));
        }
        return money;
    }

    /// <summary>Zero in the given currency.</summary>
    public static Money Zero(string currency) => Create(0m, currency);

    /// <summary>Validates and creates an amount; <paramref name="error"/> says what is wrong otherwise.</summary>
    public static bool TryCreate(decimal amount, string? currency, out Money money, out string? error)
    {
        money = default;
        if (!CurrencyInfo.TryGet(currency, out var info))
        {
            error = $"'{currency}' is not an ISO 4217 currency code.";
            return false;
        }
        if (decimal.Round(amount, info.MinorUnits) != amount)
        {
            error = info.MinorUnits == 0
                ? $"{info.Code} amounts have no decimal places."
                : $"{info.Code} amounts have at most {info.MinorUnits} decimal places.";
            return false;
        }
        money = new Money(amount, info.Code);
        error = null;
        return true;
    }

    /// <summary>Builds an amount from integer minor units (cents), the form stored in the database.</summary>
    public static Money FromMinorUnits(long minorUnits, string currency)
    {
        var info = CurrencyInfo.Get(currency);
        return new Money(minorUnits / info.Factor, info.Code);
    }

    /// <summary>The amount in integer minor units (cents); exact because the amount respects the minor units.</summary>
    public long ToMinorUnits() => (long)(Amount * CurrencyInfo.Get(Currency).Factor);

    /// <summary>True when the amount is zero.</summary>
    public bool IsZero => Amount == 0m;

    /// <summary>Adds two amounts of the same currency.</summary>
    public static Money operator +(Money left, Money right) => new(left.Amount + right.Amount, SameCurrency(left, right));

    /// <summary>Subtracts two amounts of the same currency.</summary>
    public static Money operator -(Money left, Money right) => new(left.Amount - right.Amount, SameCurrency(left, right));

    /// <summary>Negates an amount.</summary>
    public static Money operator -(Money value) => new(-value.Amount, value.Currency);

    /// <summary>Compares two amounts of the same currency.</summary>
    public static bool operator <(Money left, Money right) => left.CompareTo(right) < 0;

    /// <summary>Compares two amounts of the same currency.</summary>
    public static bool operator >(Money left, Money right) => left.CompareTo(right) > 0;

    /// <summary>Compares two amounts of the same currency.</summary>
    public static bool operator <=(Money left, Money right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two amounts of the same currency.</summary>
    public static bool operator >=(Money left, Money right) => left.CompareTo(right) >= 0;

    /// <summary>Multiplies by a rate and rounds half away from zero to the currency's minor units.</summary>
    public Money MultiplyAndRound(decimal rate) =>
        new(decimal.Round(Amount * rate, CurrencyInfo.Get(Currency).MinorUnits, MidpointRounding.AwayFromZero), Currency);

    /// <inheritdoc />
    public int CompareTo(Money other)
    {
        SameCurrency(this, other);
        return Amount.CompareTo(other.Amount);
    }

    /// <summary>Formats as "USD 1,234.50" (invariant digits, code first), unambiguous in any culture.</summary>
    public override string ToString() =>
        Currency is null ? "" : $"{Currency} {Amount.ToString("N" + CurrencyInfo.Get(Currency).MinorUnits, CultureInfo.InvariantCulture)}";

    /// <summary>Formats with the given culture's number format, keeping the currency code.</summary>
    public string ToString(IFormatProvider? provider) =>
        $"{Currency} {Amount.ToString("N" + CurrencyInfo.Get(Currency).MinorUnits, provider)}";

    private static string SameCurrency(Money left, Money right)
    {
        if (!string.Equals(left.Currency, right.Currency, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Cannot combine {left.Currency} with {right.Currency}.");
        }
        return left.Currency;
    }
}
