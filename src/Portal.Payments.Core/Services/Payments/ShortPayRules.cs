using System.Globalization;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The short-pay rules, written once: the server enforces them and every form shows the same refusals at the field before
/// asking the server. They return <see cref="PortalFieldError"/> values (field, code, arguments, English message), so a
/// form shows every problem at once, in the user's language.
/// </summary>
public static class ShortPayRules
{
    /// <summary>Longest short-pay comment.</summary>
    public const int MaxCommentLength = 2000;

    /// <summary>The reason that needs a comment.</summary>
    public const string OtherReason = "Other";

    /// <summary>
    /// A short-pay reason as a refusal's argument (<see cref="PortalFieldError.Arguments"/>): a page words it as its list
    /// does ("Sonstiges" for "Other"); written as text, it is the reason as configured.
    /// </summary>
    /// <param name="Value">The reason as configured.</param>
    public readonly record struct ReasonArgument(string Value)
    {
        /// <inheritdoc />
        public override string ToString() => Value;
    }

    /// <summary>Codes of the short-pay refusals (<see cref="PortalFieldError.Code"/>).</summary>
    public static class Codes
    {
        /// <summary>Not a number. Arguments: invoice number, an example amount.</summary>
        public const string AmountNotNumber = "AmountNotNumber";
        /// <summary>Zero or less. Arguments: invoice number.</summary>
        public const string AmountNotPositive = "AmountNotPositive";
        /// <summary>More decimals than the currency has. Arguments: invoice number, the currency's decimals.</summary>
        public const string AmountDecimals = "AmountDecimals";
        /// <summary>Another currency. Arguments: invoice number, the currency.</summary>
        public const string AmountCurrency = "AmountCurrency";
        /// <summary>More than the open balance. Arguments: invoice number, open balance.</summary>
        public const string AmountOverBalance = "AmountOverBalance";
        /// <summary>A short payment without a reason. Arguments: invoice number, the full payment.</summary>
        public const string ReasonRequired = "ReasonRequired";
        /// <summary>A reason not in the host's list. Arguments: invoice number.</summary>
        public const string ReasonUnknown = "ReasonUnknown";
        /// <summary>"Other" without a comment. Arguments: invoice number, the reason.</summary>
        public const string CommentRequired = "CommentRequired";
        /// <summary>A comment over the limit. Arguments: invoice number, its length, the limit.</summary>
        public const string CommentTooLong = "CommentTooLong";
        /// <summary>A reason or comment on a full payment. Arguments: invoice number, the full payment.</summary>
        public const string NotShort = "NotShort";
        /// <summary>A credit cannot be short-paid. Arguments: the credit's number.</summary>
        public const string CreditInFull = "CreditInFull";
    }

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
        var refusal = ParseAmount(text, currency, invoiceNumber, 0, culture, out amount);
        error = refusal?.Message;
        return refusal is null;
    }

    /// <summary>
    /// Checks an amount typed for an invoice with <paramref name="openBalance"/> as the server will: a number in
    /// <paramref name="culture"/>, above zero, the currency's decimals, not above the open balance. Null when it is fine.
    /// </summary>
    public static PortalFieldError? CheckTypedAmount(string? text, string invoiceNumber, Money openBalance, IFormatProvider culture, long invoiceId = 0)
    {
        if (ParseAmount(text, openBalance.Currency, invoiceNumber, invoiceId, culture, out var amount) is { } refusal)
        {
            return refusal;
        }
        return amount > openBalance ? OverBalance(invoiceId, invoiceNumber, openBalance) : null;
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
    /// Checks one invoice's line against its open balance and full payment. Returns the reason as the host spells it (null
    /// on a full payment) and every refusal of the line: an amount refused leaves the line paid in full; a missing or
    /// unknown reason or comment leaves the amount as entered, so the totals still follow what was typed.
    /// </summary>
    public static IReadOnlyList<PortalFieldError> Check(long invoiceId, string number, PayLine line, Money open, Money fullPayment, IReadOnlyList<string> reasons,
        out string? reason, out Money? amount)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(reasons);
        var errors = new List<PortalFieldError>();
        reason = null;
        amount = line.Amount;
        if (line.Amount is { } entered)
        {
            PortalFieldError? refusal = !string.Equals(entered.Currency, open.Currency, StringComparison.Ordinal)
                ? new(AmountField(invoiceId), Codes.AmountCurrency, $"The amount to pay for {number} must be in {open.Currency}.", [number, open.Currency])
                : entered.Amount <= 0m
                    ? NotPositive(invoiceId, number)
                    : entered > open ? OverBalance(invoiceId, number, open) : null;
            if (refusal is not null)
            {
                errors.Add(refusal);
                amount = null;
            }
        }
        var isShort = amount is { } paid && paid < fullPayment;
        var given = string.IsNullOrWhiteSpace(line.Reason) ? null : line.Reason.Trim();
        var comment = string.IsNullOrWhiteSpace(line.Comment) ? null : line.Comment;
        if (!isShort)
        {
            // A refused amount already has its error; the reason chosen with it is kept, not refused as well.
            var amountRefused = line.Amount is not null && amount is null;
            if (!amountRefused && (given is not null || comment is not null))
            {
                errors.Add(new(given is not null ? ReasonField(invoiceId) : CommentField(invoiceId), Codes.NotShort,
                    $"{number} is paid in full ({fullPayment}), so it takes no short-pay reason or comment; remove them or enter a smaller amount.", [number, fullPayment]));
            }
            return errors;
        }
        if (given is null)
        {
            errors.Add(new(ReasonField(invoiceId), Codes.ReasonRequired, ReasonRequiredMessage(number, fullPayment), [number, fullPayment]));
        }
        else
        {
            reason = reasons.FirstOrDefault(r => string.Equals(r.Trim(), given, StringComparison.OrdinalIgnoreCase));
            if (reason is null)
            {
                errors.Add(new(ReasonField(invoiceId), Codes.ReasonUnknown, $"Choose one of the listed reasons for paying less on {number}.", [number]));
            }
        }
        if (NeedsComment(reason ?? given) && comment is null)
        {
            errors.Add(new(CommentField(invoiceId), Codes.CommentRequired, CommentRequiredMessage(number), [number, new ReasonArgument(OtherReason)]));
        }
        else if (comment is { Length: > MaxCommentLength })
        {
            errors.Add(new(CommentField(invoiceId), Codes.CommentTooLong, CommentTooLongMessage(number, comment.Length), [number, comment.Length, MaxCommentLength]));
        }
        return errors;
    }

    /// <summary>The refusal to short-pay a credit.</summary>
    internal static PortalFieldError CreditInFull(long invoiceId, string number) =>
        new(AmountField(invoiceId), Codes.CreditInFull, $"{number} is a credit: it is applied in full and cannot be short-paid.", [number]);

    private static PortalFieldError? ParseAmount(string? text, string currency, string invoiceNumber, long invoiceId, IFormatProvider culture, out Money amount)
    {
        amount = default;
        if (!Text.AmountText.TryParse(text, culture, currency, out var value))
        {
            var example = Text.AmountText.Example(culture);
            return new(AmountField(invoiceId), Codes.AmountNotNumber, $"Enter the amount to pay for {invoiceNumber} as a number, e.g. {example}.", [invoiceNumber, example]);
        }
        if (value <= 0m)
        {
            return NotPositive(invoiceId, invoiceNumber);
        }
        if (!Money.TryCreate(value, currency, out amount, out var decimals))
        {
            var minor = CurrencyInfo.TryGet(currency, out var info) ? info.MinorUnits : 0;
            return new(AmountField(invoiceId), Codes.AmountDecimals, $"The amount to pay for {invoiceNumber}: {decimals}", [invoiceNumber, minor]);
        }
        return null;
    }

    private static PortalFieldError NotPositive(long invoiceId, string number) =>
        new(AmountField(invoiceId), Codes.AmountNotPositive, $"The amount to pay for {number} must be greater than zero.", [number]);

    private static PortalFieldError OverBalance(long invoiceId, string number, Money open) =>
        new(AmountField(invoiceId), Codes.AmountOverBalance, MoreThanBalanceMessage(number, open), [number, open]);
}
