using System.Globalization;
using System.Resources;
using Microsoft.Extensions.Localization;

namespace Portal.Payments.Gateways.Stripe;

/// <summary>
/// The Stripe capture form's own texts: <c>IStringLocalizer&lt;StripeTexts&gt;</c>, in the user's UI culture. Built in:
/// English (default) and German (<c>Resources/StripeTexts.resx</c>, <c>StripeTexts.de.resx</c>); any other language shows
/// English. A host words them differently, or adds a language, by registering its own
/// <c>IStringLocalizer&lt;StripeTexts&gt;</c> before <c>AddStripeGateway()</c> (keys as in <c>StripeTexts.resx</c>).
/// Stripe's own fields and messages follow the same culture (<c>Stripe(pk, { locale })</c>, see <see cref="StripeLocale"/>).
/// </summary>
public sealed class StripeTexts
{
    private StripeTexts()
    {
    }
}

/// <summary>The built-in <c>IStringLocalizer&lt;StripeTexts&gt;</c>: the resources of the current UI culture, its parents, then English.</summary>
internal sealed class StripeTextLocalizer : IStringLocalizer<StripeTexts>
{
    internal static readonly ResourceManager Resources = new("Portal.Payments.Gateways.Stripe.Resources.StripeTexts", typeof(StripeTexts).Assembly);

    /// <inheritdoc />
    public LocalizedString this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            var value = Resources.GetString(name, CultureInfo.CurrentUICulture);
            return new LocalizedString(name, value ?? name, resourceNotFound: value is null);
        }
    }

    /// <inheritdoc />
    public LocalizedString this[string name, params object[] arguments]
    {
        get
        {
            var format = this[name];
            return new LocalizedString(name, string.Format(CultureInfo.CurrentCulture, format.Value, arguments), format.ResourceNotFound);
        }
    }

    /// <inheritdoc />
    public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        for (var c = CultureInfo.CurrentUICulture; ; c = c.Parent)
        {
            if (Resources.GetResourceSet(c, createIfNotExists: true, tryParents: false) is { } set)
            {
                foreach (System.Collections.DictionaryEntry entry in set)
                {
                    names.Add((string)entry.Key);
                }
            }
            if (!includeParentCultures || c.Equals(CultureInfo.InvariantCulture))
            {
                break;
            }
        }
        return names.Select(n => this[n]);
    }
}

/// <summary>The <c>locale</c> Stripe.js is started with, so its fields and its error messages match the portal's language.</summary>
public static class StripeLocale
{
    // Stripe.js's documented locales (https://docs.stripe.com/js/appendix/supported_locales).
    private static readonly HashSet<string> Supported = new(StringComparer.OrdinalIgnoreCase)
    {
        "ar", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "he", "hr", "hu",
        "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th",
        "tr", "vi", "zh", "zh-HK", "zh-TW",
    };

    /// <summary>
    /// The Stripe.js locale for a UI culture: the culture's own name when Stripe has it ("en-GB", "pt-BR"), else its
    /// language ("de" for "de-AT"), else "auto" (Stripe follows the browser).
    /// </summary>
    public static string For(CultureInfo culture)
    {
        ArgumentNullException.ThrowIfNull(culture);
        for (var c = culture; !c.Equals(CultureInfo.InvariantCulture); c = c.Parent)
        {
            if (Supported.TryGetValue(c.Name, out var name))
            {
                return name;
            }
        }
        return "auto";
    }
}
