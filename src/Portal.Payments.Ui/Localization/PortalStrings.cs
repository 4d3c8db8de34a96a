using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Resources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Ui;

/// <summary>
/// The portal's user-facing texts: <c>IStringLocalizer&lt;PortalStrings&gt;</c>. Built in: English (default) and German
/// (<c>Resources/PortalStrings.resx</c>, <c>PortalStrings.de.resx</c>). A host changes any text, in any language, with
/// <see cref="PortalTextOptions"/> (configuration section <c>CustomerPortalPayments:Texts</c>), or replaces the localizer by
/// registering its own <c>IStringLocalizer&lt;PortalStrings&gt;</c> before <c>AddCustomerPortalPayments()</c>.
/// </summary>
public sealed class PortalStrings
{
    private PortalStrings()
    {
    }
}

/// <summary>A host's own wording of the portal's texts.</summary>
public sealed class PortalTextOptions
{
    /// <summary>Configuration section: <c>CustomerPortalPayments:Texts</c>.</summary>
    public const string SectionName = "CustomerPortalPayments:Texts";

    /// <summary>
    /// Texts by culture name, then by text key (the names in <c>PortalStrings.resx</c>, e.g. <c>Invoices.PaySelected</c>):
    /// <c>Overrides["de"]["Invoices.PaySelected"] = "Auswahl bezahlen"</c>, or in configuration
    /// <c>CustomerPortalPayments:Texts:de:Invoices.PaySelected</c>. The culture "*" applies to every language. A
    /// specific culture ("de-CH") falls back to its parent ("de"), then to "*", then to the built-in text. Placeholders
    /// (<c>{0}</c>) keep their meaning. Checked when the host starts (an unknown key, a placeholder the built-in text does
    /// not have, a stray brace in a text with placeholders stop it, naming the setting). Default: none.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Overrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// <c>IStringLocalizer&lt;PortalStrings&gt;</c>: the host's overrides for the current UI culture first, then the built-in
/// resources (the culture, its parents, then English). A missing key shows as the key itself, which a test never allows.
/// </summary>
internal sealed class PortalStringLocalizer(IOptions<PortalTextOptions> options) : IStringLocalizer<PortalStrings>
{
    /// <summary>
    /// The built-in texts: every <c>Resources/*.resx</c> of this assembly (one file per area, each with its <c>.de.resx</c>)
    /// and Core's email texts; a key lives in exactly one of them.
    /// </summary>
    internal static readonly IReadOnlyList<ResourceManager> Resources = [.. typeof(PortalStrings).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".resources", StringComparison.Ordinal))
        .Select(n => n[..^".resources".Length])
        .Order(StringComparer.Ordinal)
        .Select(n => new ResourceManager(n, typeof(PortalStrings).Assembly))
        .Append(new ResourceManager(CoreEmails, typeof(Hosting.PortalPaymentsOptions).Assembly))];

    /// <summary>The emails' texts (<c>Email.*</c>), built into Core so its runners word emails without this package.</summary>
    private const string CoreEmails = "Portal.Payments.Resources.Emails";

    private const string ResourcePrefix = "Portal.Payments.Ui.Resources.";
    private readonly ConcurrentDictionary<string, FrozenDictionary<string, string>> _tables = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public LocalizedString this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            var value = Find(name, CultureInfo.CurrentUICulture);
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
        var culture = CultureInfo.CurrentUICulture;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var c = culture; ; c = c.Parent)
        {
            foreach (var resources in Resources)
            {
                if (resources.GetResourceSet(c, createIfNotExists: true, tryParents: false) is { } set)
                {
                    foreach (System.Collections.DictionaryEntry entry in set)
                    {
                        names.Add((string)entry.Key);
                    }
                }
            }
            if (!includeParentCultures || c.Equals(CultureInfo.InvariantCulture))
            {
                break;
            }
        }
        return names.Order(StringComparer.Ordinal).Select(n => this[n]);
    }

    private string? Find(string name, CultureInfo culture) =>
        _tables.GetOrAdd(culture.Name, static (_, state) => state.Self.Table(state.Culture), (Self: this, Culture: culture)).GetValueOrDefault(name);

    /// <summary>
    /// Every text of one culture, looked up once: a render asks for dozens of texts per row, and each lookup through eight
    /// resource managers and their culture fallbacks cost more than the row's own work. Precedence as documented: the host's
    /// overrides for the culture, then its parents, then "*", then the built-in resources of the culture, its parents and
    /// English.
    /// </summary>
    private FrozenDictionary<string, string> Table(CultureInfo culture)
    {
        var chain = new List<CultureInfo>();
        for (var c = culture; ; c = c.Parent)
        {
            chain.Add(c);
            if (c.Equals(CultureInfo.InvariantCulture))
            {
                break;
            }
        }
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        // Most general first, so the more specific culture replaces it.
        foreach (var c in Enumerable.Reverse(chain))
        {
            foreach (var resources in Resources)
            {
                if (resources.GetResourceSet(c, createIfNotExists: true, tryParents: false) is { } set)
                {
                    foreach (System.Collections.DictionaryEntry entry in set)
                    {
                        if (entry is { Key: string key, Value: string value })
                        {
                            texts[key] = value;
                        }
                    }
                }
            }
        }
        foreach (var name in chain.Where(c => !c.Equals(CultureInfo.InvariantCulture)).Select(c => c.Name).Append("*").Reverse())
        {
            if (options.Value.Overrides.GetValueOrDefault(name) is { } overrides)
            {
                foreach (var (key, value) in overrides)
                {
                    texts[key] = value;
                }
            }
        }
        return texts.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <summary>
/// The emails' words from the portal's <c>IStringLocalizer&lt;PortalStrings&gt;</c> in the reader's culture: a host's
/// <c>Texts</c> overrides, or its own localizer, word the emails as they word the pages. Asked through a scope of its own,
/// so a host's localizer may be scoped.
/// </summary>
internal sealed class LocalizedEmailTexts(IServiceProvider services) : Notifications.IEmailTextSource
{
    /// <inheritdoc />
    public string? Find(string key, CultureInfo culture)
    {
        using var scope = services.CreateScope();
        var l = scope.ServiceProvider.GetRequiredService<IStringLocalizer<PortalStrings>>();
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try
        {
            return l[key] is { ResourceNotFound: false } text ? text.Value : null;
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }
}
