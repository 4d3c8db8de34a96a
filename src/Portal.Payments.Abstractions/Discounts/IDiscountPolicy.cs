namespace Portal.Payments.Discounts;

/// <summary>Everything a discount policy may look at for one invoice.</summary>
public sealed record DiscountContext
{
    /// <summary>The invoice's open balance.</summary>
    public required Money OpenBalance { get; init; }
    /// <summary>The early-payment discount the ERP offers, if any.</summary>
    public Money? DiscountAvailable { get; init; }
    /// <summary>Last day the discount may be taken.</summary>
    public DateOnly? DiscountDate { get; init; }
    /// <summary>The day the payment is made or scheduled for.</summary>
    public required DateOnly PaymentDate { get; init; }
    /// <summary>The cash the payer sends for this invoice, or null for a full payment.</summary>
    public Money? AmountPaid { get; init; }
}

/// <summary>
/// Decides the discount on a payment. Full payments get the discount while it is available;
/// policies differ on partial (short) payments: keep, pro-rate or forfeit.
/// </summary>
public interface IDiscountPolicy
{
    /// <summary>A short name for logs and docs ("keep", "prorate", "forfeit").</summary>
    string Name { get; }

    /// <summary>The discount taken for this invoice (zero when none applies).</summary>
    Money DiscountFor(DiscountContext context);
}
