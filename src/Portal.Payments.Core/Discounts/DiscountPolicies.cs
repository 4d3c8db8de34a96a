namespace Portal.Payments.Discounts;

/// <summary>Shared rule: a discount applies only on or before its date and never exceeds the balance.</summary>
public abstract class DiscountPolicyBase : IDiscountPolicy
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public Money DiscountFor(DiscountContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var zero = Money.Zero(context.OpenBalance.Currency);
        if (context.DiscountAvailable is not { } available || available.Amount <= 0m
            || context.DiscountDate is not { } last || context.PaymentDate > last || context.OpenBalance.Amount <= 0m)
        {
            return zero;
        }
        available = available > context.OpenBalance ? context.OpenBalance : available;
        var full = context.OpenBalance - available;
        if (context.AmountPaid is not { } paid || paid >= full)
        {
            return available;
        }
        var partial = ForPartialPayment(available, full, paid);
        return partial.Amount < 0m ? zero : partial > available ? available : partial;
    }

    /// <summary>The discount when <paramref name="paid"/> is less than <paramref name="fullPayment"/> (balance minus discount).</summary>
    protected abstract Money ForPartialPayment(Money available, Money fullPayment, Money paid);
}

/// <summary>A short payment keeps the whole discount.</summary>
internal sealed class KeepDiscountPolicy : DiscountPolicyBase
{
    /// <inheritdoc />
    public override string Name => "keep";

    /// <inheritdoc />
    protected override Money ForPartialPayment(Money available, Money fullPayment, Money paid) => available;
}

/// <summary>
/// The default: a short payment earns the discount at the invoice's discount rate on the cash it sends
/// (discount × paid ÷ open balance, rounded to the currency's minor unit). For a $1,000 invoice on 2/10 net 30,
/// paying $600 within the discount period earns 2% × $600 = $12, and $388 stays open as the short amount.
/// </summary>
internal sealed class ProRateDiscountPolicy : DiscountPolicyBase
{
    /// <inheritdoc />
    public override string Name => "prorate";

    /// <inheritdoc />
    protected override Money ForPartialPayment(Money available, Money fullPayment, Money paid) =>
        available.MultiplyAndRound(paid.Amount / (fullPayment + available).Amount);
}

/// <summary>A short payment forfeits the discount.</summary>
internal sealed class ForfeitDiscountPolicy : DiscountPolicyBase
{
    /// <inheritdoc />
    public override string Name => "forfeit";

    /// <inheritdoc />
    protected override Money ForPartialPayment(Money available, Money fullPayment, Money paid) => Money.Zero(available.Currency);
}
