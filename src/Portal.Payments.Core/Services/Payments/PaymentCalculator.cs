using Portal.Payments.Data;
using Portal.Payments.Discounts;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The pay-now arithmetic, in one place for the preview and the payment: invoices less the discount
/// the policy allows today, then credits (negative balances, oldest first) netted against them and
/// capped so the total never goes below zero.
/// </summary>
internal static class PaymentCalculator
{
    /// <summary>The preview of paying <paramref name="items"/> (already checked to be open and of the account) on <paramref name="paymentDate"/>.</summary>
    public static PaymentPreview Compute(IReadOnlyList<InvoiceRecord> items, DateOnly paymentDate, IDiscountPolicy policy, string currency)
    {
        var zero = Money.Zero(currency);
        var lines = new List<PaymentPreviewLine>(items.Count);
        Money balances = zero, discounts = zero, net = zero;
        foreach (var item in items.Where(i => i.OpenMinor >= 0).OrderBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal))
        {
            var open = Money.FromMinorUnits(item.OpenMinor, currency);
            var discount = policy.DiscountFor(new DiscountContext
            {
                OpenBalance = open,
                DiscountAvailable = item.DiscountMinor is { } d ? Money.FromMinorUnits(d, currency) : null,
                DiscountDate = item.DiscountDate,
                PaymentDate = paymentDate,
            });
            balances += open;
            discounts += discount;
            net += open - discount;
            lines.Add(Line(item, open, discount, open - discount));
        }

        var remaining = net;
        foreach (var item in items.Where(i => i.OpenMinor < 0).OrderBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal))
        {
            var open = Money.FromMinorUnits(item.OpenMinor, currency);
            var available = -open;
            var applied = available > remaining ? remaining : available;
            remaining -= applied;
            lines.Add(Line(item, open, zero, -applied));
        }

        return new PaymentPreview
        {
            Lines = lines,
            InvoiceBalanceTotal = balances,
            DiscountTotal = discounts,
            CreditsApplied = net - remaining,
            Total = remaining,
            PaymentDate = paymentDate,
        };
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
