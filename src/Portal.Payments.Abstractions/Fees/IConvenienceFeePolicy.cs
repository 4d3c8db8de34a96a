using Portal.Payments.Gateways;

namespace Portal.Payments.Fees;

/// <summary>How a card is funded, as the gateway reports it (surcharges are not allowed on debit and prepaid cards).</summary>
public enum CardFunding
{
    /// <summary>Not reported (bank accounts, or a gateway that does not say).</summary>
    Unknown = 0,
    /// <summary>A credit card.</summary>
    Credit = 1,
    /// <summary>A debit card.</summary>
    Debit = 2,
    /// <summary>A prepaid card.</summary>
    Prepaid = 3,
}

/// <summary>A common reason a convenience fee is waived (<see cref="ConvenienceFee.Waiver"/>), which the portal words itself.</summary>
public enum FeeWaiver
{
    /// <summary>No fee on debit cards.</summary>
    DebitCard = 1,
    /// <summary>No fee on prepaid cards.</summary>
    PrepaidCard = 2,
    /// <summary>No fee in the account's billing region.</summary>
    BillingRegion = 3,
    /// <summary>No fee on payments under <see cref="ConvenienceFee.WaiverMinimum"/>.</summary>
    BelowMinimum = 4,
}

/// <summary>What a payment is, for the fee policy.</summary>
public enum FeeOccasion
{
    /// <summary>Invoices paid now.</summary>
    PayNow = 1,
    /// <summary>A deposit on account.</summary>
    Deposit = 2,
    /// <summary>A payment scheduled by the payer, charged on its date.</summary>
    Scheduled = 3,
    /// <summary>A payment autopay made, charged on its date.</summary>
    Autopay = 4,
}

/// <summary>What the fee policy is asked about.</summary>
public sealed record FeeQuoteRequest
{
    /// <summary>What the payment pays (invoices net of discounts and credits, or the deposit): the fee comes on top.</summary>
    public required Money Amount { get; init; }
    /// <summary>Card or bank account.</summary>
    public required PaymentMethodType MethodType { get; init; }
    /// <summary>How the card is funded, when the gateway reported it.</summary>
    public CardFunding Funding { get; init; }
    /// <summary>The account's billing region ("US-CT", "US", "CA-QC"), when the host supplies it.</summary>
    public string? BillingRegion { get; init; }
    /// <summary>What the payment is.</summary>
    public required FeeOccasion Occasion { get; init; }
    /// <summary>The date the charge is made (the policy in force on that date applies).</summary>
    public required DateOnly ChargeDate { get; init; }
}

/// <summary>A fee quote: the amount (zero when none) with its label, or why none is charged.</summary>
/// <param name="Amount">The fee, in the payment's currency (zero when none).</param>
/// <param name="Label">What the payer sees on the line, e.g. "Card convenience fee (2.5%)"; null when no fee.</param>
/// <param name="WaivedBecause">Why no fee applies although the method type carries one (debit card, region, minimum), or null.</param>
public sealed record ConvenienceFee(Money Amount, string? Label = null, string? WaivedBecause = null)
{
    /// <summary>No fee.</summary>
    public static ConvenienceFee None(string currency, string? waivedBecause = null) => new(Money.Zero(currency), null, waivedBecause);

    /// <summary>
    /// Which of the common reasons waived the fee, when it was one of them: the portal then words it in the payer's language
    /// instead of showing <see cref="WaivedBecause"/> (a policy's own text, shown as it is). Null for none or another reason.
    /// </summary>
    public FeeWaiver? Waiver { get; init; }

    /// <summary>With <see cref="FeeWaiver.BelowMinimum"/>: the smallest payment that carries a fee.</summary>
    public Money? WaiverMinimum { get; init; }

    /// <summary>True when a fee is charged.</summary>
    public bool Charged => !Amount.IsZero;
}

/// <summary>
/// Decides the convenience fee (surcharge) of a payment, like <c>IDiscountPolicy</c> decides discounts. The portal's
/// built-in policy reads the <c>CustomerPortalPayments:ConvenienceFees</c> options; register your own with
/// <c>.UseConvenienceFeePolicy&lt;T&gt;()</c>. The portal discloses the quote before confirmation, charges it with the
/// payment, shows it as its own line and posts it to the ERP separately (never applied to invoices).
/// </summary>
public interface IConvenienceFeePolicy
{
    /// <summary>The fee for <paramref name="request"/>; must be in the request's currency, rounded to its minor unit, never negative.</summary>
    ConvenienceFee Quote(FeeQuoteRequest request);
}
