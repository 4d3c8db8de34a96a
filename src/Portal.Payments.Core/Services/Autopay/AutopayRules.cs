using Portal.Payments.Data;

namespace Portal.Payments.Services.Autopay;

/// <summary>The debit date autopay gives an invoice, and what keeps autopay from paying one.</summary>
public static class AutopayRules
{
    /// <summary>
    /// The day autopay debits an invoice due <paramref name="dueDate"/> (discount until <paramref name="discountDate"/>):
    /// the rule's day, moved back to the Friday when it falls on a weekend (a bank debit settles on business days, and
    /// paying early keeps the invoice on time), never before <paramref name="today"/>.
    /// </summary>
    public static DateOnly DebitDate(AutopayRule rule, int daysBeforeDue, DateOnly dueDate, DateOnly? discountDate, DateOnly today)
    {
        var day = rule switch
        {
            AutopayRule.DiscountDate when discountDate is { } d && d >= today => d,
            AutopayRule.DaysBeforeDue => dueDate.AddDays(-daysBeforeDue),
            _ => dueDate,
        };
        day = day.DayOfWeek switch
        {
            DayOfWeek.Saturday => day.AddDays(-1),
            DayOfWeek.Sunday => day.AddDays(-2),
            _ => day,
        };
        return day < today ? today : day;
    }

    /// <summary>
    /// The text resource that words the rule in the user's language (its <c>{0}</c> is the number of days): the
    /// portal's pages and its emails choose by the same rule.
    /// </summary>
    public static string TextKey(AutopayRule rule, int daysBeforeDue) => rule switch
    {
        AutopayRule.DiscountDate => "Autopay.RuleDiscountDate",
        AutopayRule.DaysBeforeDue => daysBeforeDue == 1 ? "Autopay.RuleDaysBeforeOne" : "Autopay.RuleDaysBeforeMany",
        _ => "Autopay.RuleDueDate",
    };

    /// <summary>What the rule means, in words ("on each invoice's due date").</summary>
    public static string Describe(AutopayRule rule, int daysBeforeDue) => rule switch
    {
        AutopayRule.DiscountDate => "on the last day of each invoice's early-payment discount (its due date when it has none)",
        AutopayRule.DaysBeforeDue => $"{daysBeforeDue} day{(daysBeforeDue == 1 ? "" : "s")} before each invoice's due date",
        _ => "on each invoice's due date",
    };
}
