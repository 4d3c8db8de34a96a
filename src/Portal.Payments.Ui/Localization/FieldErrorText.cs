using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Payments.Services;

namespace Portal.Payments.Ui;

/// <summary>
/// Words a Core refusal in the user's language: <c>Error.{Code}</c> from the resources, else Core's English message. The
/// arguments are written in the user's culture: amounts as <see cref="PortalFormat.Money"/>, counts and dates as
/// <see cref="PortalFormat.Count"/> and <see cref="PortalFormat.Date"/> unless the text gives a format
/// (<c>{0:MMMM d, yyyy}</c>, <c>{0:N0}</c>), a short-pay reason as the form lists it, a method's name and a payment's
/// failure reason as the pages word them, and a refusal or a list of refusals
/// (the parts of one message) worded one by one.
/// </summary>
internal static class FieldErrorText
{
    /// <summary>The text of <paramref name="error"/>.</summary>
    public static string Of(IStringLocalizer<PortalStrings> l, PortalFieldError error)
    {
        var text = l["Error." + error.Code];
        if (text.ResourceNotFound)
        {
            return error.Message;
        }
        return string.Format(new ArgumentFormat(l), text.Value, [.. error.Arguments]);
    }

    /// <summary>
    /// The text of a refusal: worded from its code when it has one; else its message, which for a refusal in the payment
    /// gateway's words a page in another language words from the reason's code, as a failed payment's
    /// (<see cref="PaymentText.FailureReason(IStringLocalizer{PortalStrings}, string?, string?)"/>).
    /// A reason in the gateway's words that the page cannot word (an error the portal has no code for: "processing error",
    /// "request refused") is quoted on a page in another language as the gateway's English answer, never shown bare as if
    /// it were the page's own.
    /// </summary>
    public static string Of(IStringLocalizer<PortalStrings> l, PortalValidationException refusal)
    {
        if (refusal.Error is { } error)
        {
            return Of(l, error);
        }
        var worded = PaymentText.FailureReason(l, refusal.FailureCode, refusal.Message);
        return refusal.InGatewayWords && !PortalFormat.ReadsEnglish && worded == refusal.Message
            ? l["Failure.InGatewayWords", refusal.Message].Value
            : worded;
    }

    /// <summary>
    /// The text of anything a service threw at the user: a refusal by its code (<see cref="Of(IStringLocalizer{PortalStrings}, PortalValidationException)"/>);
    /// the other portal exceptions (no access, not found, busy, ERP unavailable) in English by Core's own specific message,
    /// in any other language by the resource <c>Exception.{Kind}</c> (its general wording, with the invoice numbers of a
    /// conflict) — Core's message stays in the log either way.
    /// </summary>
    public static string Of(IStringLocalizer<PortalStrings> l, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is PortalValidationException refusal)
        {
            return Of(l, refusal);
        }
        var kind = exception switch
        {
            PortalAccessDeniedException { NotSignedIn: true } => "NotSignedIn",
            PortalAccessDeniedException => "AccessDenied",
            PortalNotFoundException => "NotFound",
            PortalUnavailableException => "Unavailable",
            Services.Payments.PaymentConflictException => "Conflict",
            _ => null,
        };
        if (kind is null || PortalFormat.ReadsEnglish)
        {
            return exception.Message;
        }
        var text = exception is Services.Payments.PaymentConflictException conflict
            ? l["Exception." + kind, string.Join(", ", conflict.InvoiceNumbers)]
            : l["Exception." + kind];
        return text.ResourceNotFound ? exception.Message : text.Value;
    }

    /// <summary>Writes one argument of a refusal in the current culture.</summary>
    private sealed class ArgumentFormat(IStringLocalizer<PortalStrings> l) : IFormatProvider, ICustomFormatter
    {
        public object? GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : null;

        public string Format(string? format, object? arg, IFormatProvider? formatProvider) => arg switch
        {
            Money m => PortalFormat.Money(m),
            Services.Payments.ShortPayRules.ReasonArgument reason => PaymentText.ShortPayReason(l, reason.Value),
            Data.PaymentStatus status => PaymentText.Status(l, status),
            Services.Autopay.AutopaySkips.MethodName method => PaymentText.Method(l, method.Description),
            Services.Autopay.AutopaySkips.Failure failure => PaymentText.FailureReason(l, failure.Code, failure.Reason).Trim().TrimEnd('.'),
            // A grid filter's refusal: its comparison and a choice column's values as the grid's filter menu words them.
            Grid.GridFilterOperator op => l["Grid.Operator." + op] is { ResourceNotFound: false } text ? text.Value : op.ToString(),
            Grid.GridChoices choices => string.Join(", ", choices.Values.Select(v => PaymentText.EnumValue(l, v) ?? v.ToString()).Distinct()),
            int n when string.IsNullOrEmpty(format) => PortalFormat.Count(n),
            DateOnly d when string.IsNullOrEmpty(format) => PortalFormat.Date(d),
            IEnumerable<PortalFieldError> parts => string.Join("; ", parts.Select(p => Of(l, p))),
            PortalFieldError part => Of(l, part),
            IFormattable formattable => formattable.ToString(format, CultureInfo.CurrentCulture),
            _ => arg?.ToString() ?? "",
        };
    }
}
