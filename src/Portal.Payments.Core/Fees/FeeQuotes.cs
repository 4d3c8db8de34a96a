using Portal.Payments.Gateways;

namespace Portal.Payments.Fees;

/// <summary>
/// One payment's fee questions to the policy: the fee of a given method, and the card and bank quotes shown beside the
/// method choice ("Pay by bank: no fee"). Pay now, scheduling, deposits and autopay all ask through it.
/// </summary>
/// <param name="Policy">The host's fee policy.</param>
/// <param name="Amount">What the payment pays; the fee comes on top.</param>
/// <param name="BillingRegion">The account's billing region, when the host supplies it.</param>
/// <param name="Occasion">What the payment is.</param>
/// <param name="ChargeDate">The date of the charge (the policy in force then applies).</param>
internal readonly record struct FeeQuotes(IConvenienceFeePolicy Policy, Money Amount, string? BillingRegion, FeeOccasion Occasion, DateOnly ChargeDate)
{
    /// <summary>The fee of paying with a method of <paramref name="type"/> funded as <paramref name="funding"/>.</summary>
    public ConvenienceFee For(PaymentMethodType type, CardFunding funding) => Policy.Quote(new FeeQuoteRequest
    {
        Amount = Amount, MethodType = type, Funding = funding, BillingRegion = BillingRegion, Occasion = Occasion, ChargeDate = ChargeDate,
    });

    /// <summary>The fee by (credit) card, for the comparison beside the methods.</summary>
    public ConvenienceFee Card => For(PaymentMethodType.Card, CardFunding.Credit);

    /// <summary>The fee by bank account.</summary>
    public ConvenienceFee Bank => For(PaymentMethodType.BankAccount, CardFunding.Unknown);
}
