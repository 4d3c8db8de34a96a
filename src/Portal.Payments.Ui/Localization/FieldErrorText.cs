using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Payments.Services;

namespace Portal.Payments.Ui;

/// <summary>Words a Core refusal in the user's language: <c>Error.{Code}</c> from the resources, else Core's English message.</summary>
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
        var arguments = error.Arguments.Select(Format).ToArray();
        return string.Format(CultureInfo.CurrentCulture, text.Value, arguments);
    }

    /// <summary>The text of a refusal: worded from its code when it has one, else its message.</summary>
    public static string Of(IStringLocalizer<PortalStrings> l, PortalValidationException refusal) =>
        refusal.Error is { } error ? Of(l, error) : refusal.Message;

    /// <summary>
    /// The text of any refusal a component shows: a <see cref="PortalValidationException"/> worded as above, any other
    /// (not found, access denied, conflict) by its message.
    /// </summary>
    public static string Of(IStringLocalizer<PortalStrings> l, Exception refusal) =>
        refusal is PortalValidationException validation ? Of(l, validation) : refusal.Message;

    private static object Format(object argument) => argument switch
    {
        Money m => PortalFormat.Money(m),
        int n => PortalFormat.Count(n),
        DateOnly d => PortalFormat.Date(d),
        _ => argument,
    };
}
