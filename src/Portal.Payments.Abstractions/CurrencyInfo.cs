using System.Collections.Frozen;

namespace Portal.Payments;

/// <summary>An ISO 4217 currency: its alphabetic code and the number of minor-unit digits.</summary>
/// <param name="Code">Alphabetic code, e.g. "USD".</param>
/// <param name="MinorUnits">Decimal places of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.</param>
public sealed record CurrencyInfo(string Code, int MinorUnits)
{
    // Active ISO 4217 codes grouped by minor units (list of 2024; funds and metals left out).
    private const string ZeroDigits = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
    private const string ThreeDigits = "BHD IQD JOD KWD LYD OMR TND";
    private const string FourDigits = "CLF UYW";
    private const string TwoDigits =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD " +
        "GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD " +
        "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP " +
        "PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS " +
        "TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG";

    private static readonly FrozenDictionary<string, CurrencyInfo> All = Build();

    /// <summary>10^MinorUnits, to convert between major and minor units.</summary>
    public decimal Factor { get; } = MinorUnits switch { 0 => 1m, 2 => 100m, 3 => 1000m, 4 => 10000m, _ => (decimal)Math.Pow(10, MinorUnits) };

    /// <summary>Looks up an ISO 4217 code (case-insensitive).</summary>
    public static bool TryGet(string? code, out CurrencyInfo info)
    {
        info = null!;
        return code is not null && All.TryGetValue(code.Trim().ToUpperInvariant(), out info!);
    }

    /// <summary>Looks up an ISO 4217 code; throws <see cref="ArgumentException"/> for unknown codes.</summary>
    public static CurrencyInfo Get(string? code) =>
        TryGet(code, out var info) ? info : throw new ArgumentException($"'{code}' is not an ISO 4217 currency code.", nameof(code));

    /// <summary>True when <paramref name="code"/> is an ISO 4217 code.</summary>
    public static bool IsKnown(string? code) => TryGet(code, out _);

    private static FrozenDictionary<string, CurrencyInfo> Build()
    {
        var map = new Dictionary<string, CurrencyInfo>(StringComparer.Ordinal);
        void Add(string codes, int digits)
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                map[code] = new CurrencyInfo(code, digits);
            }
        }
        Add(TwoDigits, 2);
        Add(ZeroDigits, 0);
        Add(ThreeDigits, 3);
        Add(FourDigits, 4);
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
