using System.Globalization;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The short-pay rules, shared by the server (which enforces them) and the payment form (which shows the
/// same messages at the field before asking the server): amounts, reasons and comments per invoice.
/// </summary>
public static class ShortPayRules
{
    /// <summary>Longest short-pay comment.</summary>
    public const int MaxCommentLength = 2000;

    /// <summary>The reason that needs a comment.</summary>
    public const string OtherReason = "Other";

    /// <summary>Field name of an invoice's amount, for <see cref="PortalValidationException.Field"/>.</summary>
    public static string AmountField(long invoiceId) => $"amount-{invoiceId}";

    /// <summary>Field name of an invoice's short-pay reason.</summary>
    public static string ReasonField(long invoiceId) => $"reason-{invoiceId}";

    /// <summary>Field name of an invoice's short-pay comment.</summary>
    public static string CommentField(long invoiceId) => $"comment-{invoiceId}";

    /// <summary>
    /// Reads what the payer typed as an amount for <paramref name="invoiceNumber"/>: a number in
    /// <paramref name="culture"/>, greater than zero, with no more decimals than the currency allows.
    /// </summary>
    public static bool TryParseAmount(string? text, string currency, string invoiceNumber, IFormatProvider culture, out Money amount, out string? error)
    {
        amount = default;
        if (!Text.AmountText.TryParse(text, culture, out var value))
        {
            error = $"Enter the amount to pay for {invoiceNumber} as a number, e.g. {Text.AmountText.Example(culture)}.";
            return false;
        }
        if (value <= 0m)
        {
            error = $"The amount to pay for {invoiceNumber} must be greater than zero.";
            return false;
        }
        if (!Money.TryCreate(value, currency, out amount, out var decimals))
        {
            error = $"The amount to pay for {invoiceNumber}: {decimals}";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>The refusal of more than the open balance, pointing to deposits.</summary>
    public static string MoreThanBalanceMessage(string invoiceNumber, Money open) =>
        $"The amount to pay for {invoiceNumber} is more than its open balance of {open}. To pay more than you owe, make a deposit.";

    /// <summary>The request for a reason on a short payment.</summary>
    public static string ReasonRequiredMessage(string invoiceNumber, Money fullPayment) =>
        $"Choose why you are paying less than {fullPayment} for {invoiceNumber}.";

    /// <summary>The request for a comment with the reason "Other".</summary>
    public static string CommentRequiredMessage(string invoiceNumber) =>
        $"Explain the reason \"{OtherReason}\" for {invoiceNumber} in the comment.";

    /// <summary>The refusal of a comment over <see cref="MaxCommentLength"/> characters.</summary>
    public static string CommentTooLongMessage(string invoiceNumber, int length) =>
        string.Create(CultureInfo.InvariantCulture, $"The comment for {invoiceNumber} is {length:N0} characters; shorten it to {MaxCommentLength:N0} or fewer.");

    /// <summary>True when <paramref name="reason"/> is the one that needs a comment.</summary>
    public static bool NeedsComment(string? reason) => string.Equals(reason?.Trim(), OtherReason, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Checks one invoice's line against its open balance and full payment; returns the reason as the host
    /// spells it (null on a full payment). Throws <see cref="PortalValidationException"/> naming the invoice.
    /// </summary>
    internal static string? Check(long invoiceId, string number, PayLine line, Money open, Money fullPayment, IReadOnlyList<string> reasons)
    {
        if (line.Amount is { } amount)
        {
            if (!string.Equals(amount.Currency, open.Currency, StringComparison.Ordinal))
            {
                throw new PortalValidationException(AmountField(invoiceId), $"The amount to pay for {number} must be in {open.Currency}.");
            }
            if (amount.Amount <= 0m)
            {
                throw new PortalValidationException(AmountField(invoiceId), $"The amount to pay for {number} must be greater than zero.");
            }
            if (amount > open)
            {
                throw new PortalValidationException(AmountField(invoiceId), MoreThanBalanceMessage(number, open));
            }
        }
        var isShort = line.Amount is { } paid && paid < fullPayment;
        var reason = string.IsNullOrWhiteSpace(line.Reason) ? null : line.Reason.Trim();
        var comment = string.IsNullOrWhiteSpace(line.Comment) ? null : line.Comment;
        if (!isShort)
        {
            if (reason is not null || comment is not null)
            {
                throw new PortalValidationException(reason is not null ? ReasonField(invoiceId) : CommentField(invoiceId),
                    $"{number} is paid in full ({fullPayment}), so it takes no short-pay reason or comment; remove them or enter a smaller amount.");
            }
            return null;
        }
        if (reason is null)
        {
            throw new PortalValidationException(ReasonField(invoiceId), ReasonRequiredMessage(number, fullPayment));
        }
        var known = reasons.FirstOrDefault(r => string.Equals(r.Trim(), reason, StringComparison.OrdinalIgnoreCase))
            ?? throw new PortalValidationException(ReasonField(invoiceId), $"Choose one of the listed reasons for paying less on {number}.");
        if (NeedsComment(known) && comment is null)
        {
            throw new PortalValidationException(CommentField(invoiceId), CommentRequiredMessage(number));
        }
        if (comment is { Length: > MaxCommentLength })
        {
            throw new PortalValidationException(CommentField(invoiceId), CommentTooLongMessage(number, comment.Length));
        }
        return known;
    }
}
