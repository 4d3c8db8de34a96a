using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Fees;

/// <summary>The fee of one method type: a percentage and/or a fixed amount, with an optional cap.</summary>
public sealed class MethodFeeOptions
{
    /// <summary>Percentage of the payment, e.g. 2.5 for 2.5 %. Default 0.</summary>
    public decimal Percent { get; set; }

    /// <summary>Fixed amount per payment, in the portal currency. Default 0.</summary>
    public decimal Fixed { get; set; }

    /// <summary>Largest fee, in the portal currency; null for none. Default none.</summary>
    public decimal? Cap { get; set; }

    /// <summary>True when this method type carries a fee at all.</summary>
    public bool Any => Percent > 0m || Fixed > 0m;
}

/// <summary>
/// Convenience fees (surcharges) of the built-in policy, from <c>CustomerPortalPayments:ConvenienceFees</c>. Off by
/// default. Card networks and some states limit surcharges: the host is responsible for what it configures (typical
/// US card rules: at most the merchant's cost and 3 %, none on debit or prepaid cards, none in some states).
/// </summary>
public sealed class ConvenienceFeeOptions
{
    /// <summary>Charge fees at all. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Fee on card payments. Default none.</summary>
    public MethodFeeOptions Card { get; set; } = new();

    /// <summary>Fee on bank (ACH) payments. Default none.</summary>
    public MethodFeeOptions Bank { get; set; } = new();

    /// <summary>Payments smaller than this carry no fee (in the portal currency); null for none. Default none.</summary>
    public decimal? MinimumPayment { get; set; }

    /// <summary>No fee on debit cards (when the gateway reports the funding). Default true.</summary>
    public bool ExemptDebitCards { get; set; } = true;

    /// <summary>No fee on prepaid cards (when the gateway reports the funding). Default true.</summary>
    public bool ExemptPrepaidCards { get; set; } = true;

    /// <summary>
    /// Billing regions where fees are not allowed: a country ("PR", "CA") or a country and state ("US-CT", "US-MA"),
    /// matched against the account's billing region (a country entry covers its states). Default none.
    /// </summary>
    public List<string> DisallowedRegions { get; set; } = [];

    /// <summary>Label of the fee line. Default "Convenience fee".</summary>
    public string Label { get; set; } = "Convenience fee";
}

/// <summary>The built-in <see cref="IConvenienceFeePolicy"/>: <see cref="ConvenienceFeeOptions"/> in force now.</summary>
public sealed class ConfiguredConvenienceFeePolicy(IOptionsMonitor<PortalPaymentsOptions> options) : IConvenienceFeePolicy
{
    /// <inheritdoc />
    public ConvenienceFee Quote(FeeQuoteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var currency = request.Amount.Currency;
        var o = options.CurrentValue.ConvenienceFees;
        var fee = request.MethodType == PaymentMethodType.Card ? o.Card : o.Bank;
        if (!o.Enabled || !fee.Any || request.Amount.Amount <= 0m)
        {
            return ConvenienceFee.None(currency);
        }
        if (request.MethodType == PaymentMethodType.Card && request.Funding == CardFunding.Debit && o.ExemptDebitCards)
        {
            return ConvenienceFee.None(currency, "No fee on debit cards.") with { Waiver = FeeWaiver.DebitCard };
        }
        if (request.MethodType == PaymentMethodType.Card && request.Funding == CardFunding.Prepaid && o.ExemptPrepaidCards)
        {
            return ConvenienceFee.None(currency, "No fee on prepaid cards.") with { Waiver = FeeWaiver.PrepaidCard };
        }
        if (request.BillingRegion is { Length: > 0 } region && o.DisallowedRegions.Any(r => Covers(r, region)))
        {
            return ConvenienceFee.None(currency, "No fee in your billing region.") with { Waiver = FeeWaiver.BillingRegion };
        }
        if (o.MinimumPayment is { } minimum && request.Amount.Amount < minimum)
        {
            var smallest = Money.Create(minimum, currency);
            return ConvenienceFee.None(currency, $"No fee on payments under {smallest}.") with { Waiver = FeeWaiver.BelowMinimum, WaiverMinimum = smallest };
        }
        var amount = request.Amount.MultiplyAndRound(fee.Percent / 100m) + Money.Create(fee.Fixed, currency);
        if (fee.Cap is { } cap && amount > Money.Create(cap, currency))
        {
            amount = Money.Create(cap, currency);
        }
        return amount.Amount <= 0m ? ConvenienceFee.None(currency) : new ConvenienceFee(amount, Describe(o.Label, fee));
    }

    private static bool Covers(string disallowed, string region) =>
        string.Equals(disallowed, region, StringComparison.OrdinalIgnoreCase)
        || (!disallowed.Contains('-', StringComparison.Ordinal) && region.StartsWith(disallowed + "-", StringComparison.OrdinalIgnoreCase));

    private static string Describe(string label, MethodFeeOptions fee) =>
        fee.Percent > 0m ? $"{label} ({fee.Percent.ToString("0.##", CultureInfo.InvariantCulture)}%)" : label;
}
