using Portal.Payments.Data;
using Portal.Payments.Discounts;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The pay-now arithmetic, in one place for the preview and the payment: invoices less the discount
/// the policy allows today (or the amount the payer entered, with the policy's discount on it and the rest
/// short-paid), then credits (negative balances, oldest first) netted against them and
/// capped so the total never goes below zero.
/// </summary>
internal static class PaymentCalculator
{
    /// <summary>
    /// The preview of paying <paramref name="items"/> (already checked to be open and of the account) on <paramref name="paymentDate"/>;
    /// <paramref name="lines"/> carry the amounts of short-paid invoices (checked against <paramref name="reasons"/>). The short-pay
    /// rules' refusals are thrown (the first one), or — with <paramref name="errors"/> — collected there while the preview is
    /// computed anyway: a refused amount counts as the full payment, a missing reason keeps the amount entered.
    /// </summary>
    public static PaymentPreview Compute(IReadOnlyList<InvoiceRecord> items, DateOnly paymentDate, IDiscountPolicy policy, string currency,
        IReadOnlyDictionary<long, PayLine>? lines = null, IReadOnlyList<string>? reasons = null, List<PortalFieldError>? errors = null)
    {
        void Refuse(IEnumerable<PortalFieldError> refusals)
        {
            foreach (var refusal in refusals)
            {
                if (errors is null)
                {
                    throw refusal.ToException();
                }
                errors.Add(refusal);
            }
        }

        var zero = Money.Zero(currency);
        var result = new List<PaymentPreviewLine>(items.Count);
        Money balances = zero, discounts = zero, net = zero;
        foreach (var item in items.Where(i => i.OpenMinor >= 0).OrderBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal))
        {
            var line = InvoiceLine(item, paymentDate, policy, currency, lines?.GetValueOrDefault(item.Id), reasons ?? [], Refuse);
            balances += line.OpenBalance;
            discounts += line.Discount;
            net += line.AmountToPay;
            result.Add(line);
        }

        var remaining = net;
        foreach (var item in items.Where(i => i.OpenMinor < 0).OrderBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal))
        {
            if (lines?.GetValueOrDefault(item.Id) is { } credit && (credit.Amount is not null || credit.Reason is not null || credit.Comment is not null))
            {
                Refuse([ShortPayRules.CreditInFull(item.Id, item.Number)]);
            }
            var open = Money.FromMinorUnits(item.OpenMinor, currency);
            var available = -open;
            var applied = available > remaining ? remaining : available;
            remaining -= applied;
            result.Add(Line(item, open, zero, -applied));
        }

        return new PaymentPreview
        {
            Lines = result,
            InvoiceBalanceTotal = balances,
            DiscountTotal = discounts,
            CreditsApplied = net - remaining,
            Total = remaining,
            PaymentDate = paymentDate,
        };
    }

    /// <summary>
    /// One invoice: in full (balance − the discount available today), or short — the policy decides the discount on
    /// the amount paid, and what stays open is the short amount. An amount between the full payment and the
    /// balance takes only the discount still needed to settle the invoice.
    /// </summary>
    private static PaymentPreviewLine InvoiceLine(InvoiceRecord item, DateOnly paymentDate, IDiscountPolicy policy, string currency, PayLine? payLine, IReadOnlyList<string> reasons,
        Action<IEnumerable<PortalFieldError>> refuse)
    {
        var context = Context(item, paymentDate, currency);
        var open = context.OpenBalance;
        var fullDiscount = policy.DiscountFor(context);
        var full = open - fullDiscount;
        refuse(ShortPayRules.Check(item.Id, item.Number, payLine ?? new PayLine(item.Id), open, full, reasons, out var reason, out var accepted));
        if (accepted is not { } paid || paid == full)
        {
            return Line(item, open, fullDiscount, full) with { FullPayment = full, AmountEntered = accepted };
        }
        var discount = PartialDiscount(policy, context, paid);
        var shortAmount = open - paid - discount;
        return Line(item, open, discount, paid) with
        {
            FullPayment = full,
            AmountEntered = paid,
            ShortAmount = shortAmount.IsZero ? null : shortAmount,
            ShortReason = reason,
            Comment = reason is null ? null : payLine?.Comment,
            DiscountNotice = discount != fullDiscount
                ? $"The amount entered for {item.Number} changes its discount from {fullDiscount} to {discount}."
                : null,
        };
    }

    /// <summary>
    /// The discount an invoice line that sends <paramref name="paid"/> (cash applied) for <paramref name="item"/> earns on
    /// <paramref name="paymentDate"/>, as <see cref="Compute"/> prices it: the full discount when it pays the invoice in full,
    /// otherwise the policy's discount on the amount paid, no more than what settles the invoice. The runner re-checks a
    /// scheduled line's discount with it on the charge date.
    /// </summary>
    public static Money DiscountOnPayment(InvoiceRecord item, DateOnly paymentDate, IDiscountPolicy policy, string currency, Money paid)
    {
        var context = Context(item, paymentDate, currency);
        var fullDiscount = policy.DiscountFor(context);
        return paid == context.OpenBalance - fullDiscount ? fullDiscount : PartialDiscount(policy, context, paid);
    }

    /// <summary>
    /// What a payment of <paramref name="paid"/> leaves short on an invoice priced by <paramref name="context"/> (its open
    /// balance, discount and the payment date), as <see cref="Compute"/> prices the line: the open balance less the amount
    /// paid less the discount the policy gives on that amount; zero when it pays the full payment or more.
    /// </summary>
    internal static Money ShortAmount(IDiscountPolicy policy, DiscountContext context, Money paid)
    {
        var full = context.OpenBalance - policy.DiscountFor(context);
        return paid >= full ? Money.Zero(context.OpenBalance.Currency) : context.OpenBalance - paid - PartialDiscount(policy, context, paid);
    }

    private static DiscountContext Context(InvoiceRecord item, DateOnly paymentDate, string currency) => new()
    {
        OpenBalance = Money.FromMinorUnits(item.OpenMinor, currency),
        DiscountAvailable = item.DiscountMinor is { } d ? Money.FromMinorUnits(d, currency) : null,
        DiscountDate = item.DiscountDate,
        PaymentDate = paymentDate,
    };

    /// <summary>The policy's discount on a payment of <paramref name="paid"/> other than the full payment, capped at what settles the invoice.</summary>
    private static Money PartialDiscount(IDiscountPolicy policy, DiscountContext context, Money paid)
    {
        var discount = policy.DiscountFor(context with { AmountPaid = paid });
        return discount > context.OpenBalance - paid ? context.OpenBalance - paid : discount;
    }

    private static PaymentPreviewLine Line(InvoiceRecord item, Money open, Money discount, Money toPay) => new()
    {
        InvoiceId = item.Id,
        Number = item.Number,
        Type = item.Type,
        DueDate = item.DueDate,
        OpenBalance = open,
        Discount = discount,
        AmountToPay = toPay,
    };
}
