using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using Microsoft.Playwright;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A text of the sample host itself (its layout, home, sign-in and mailbox pages: <c>samples/HostSite/Resources/**/*.resx</c>,
/// not the portal's) as the browser shows it, by resource key and English wording like <see cref="UiText.TKey"/>. A
/// language the host ships no resources for reads in English, as the site falls back to its neutral resources.
/// </summary>
public static class HostText
{
    private static readonly ConcurrentDictionary<string, Dictionary<string, string>?> Texts = new(StringComparer.Ordinal);

    /// <summary>The host's text <paramref name="key"/> (English <paramref name="english"/>) in the suite's language, formatted with <paramref name="arguments"/>.</summary>
    public static string HostT(string key, string english, params object[] arguments) =>
        HostTIn(SuiteLanguage.Culture.TwoLetterISOLanguageName, key, english, arguments);

    /// <summary>As <see cref="HostT"/>, in <paramref name="language"/> ("de") whatever the suite's language.</summary>
    public static string HostTIn(string language, string key, string english, params object[] arguments)
    {
        var englishTexts = Load("en")!;
        Assert.True(englishTexts.TryGetValue(key, out var actual) && actual == english, $"Host text {key} is not \"{english}\" in English (it is \"{actual}\").");
        var text = language == "en" || Load(language) is not { } texts ? english
            : texts.TryGetValue(key, out var translated) ? translated : throw new InvalidOperationException($"Host text {key} has no {language} text.");
        return arguments.Length == 0 ? text : string.Format(CultureInfo.GetCultureInfo(language), text, arguments);
    }

    /// <summary>
    /// The language the page says it is in (<c>&lt;html lang&gt;</c>, which the host sets to the language of its texts), for
    /// steps that run in a browser of any language (signing in).
    /// </summary>
    public static async Task<string> PageLanguageAsync(IPage page) =>
        await page.EvaluateAsync<string>("document.documentElement.lang") is { Length: > 0 } lang ? lang.Split('-')[0] : "en";

    // Every host resx of one language (null when the host ships none), keys unique across the files.
    private static Dictionary<string, string>? Load(string language) => Texts.GetOrAdd(language, l =>
    {
        var folder = Path.Combine(RepoPaths.RepoRoot, "samples", "HostSite", "Resources");
        var files = Directory.EnumerateFiles(folder, "*.resx", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(Path.GetFileNameWithoutExtension(f)).TrimStart('.') is var culture
                && (l == "en" ? culture.Length == 0 : string.Equals(culture, l, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        if (files.Count == 0)
        {
            return l == "en" ? throw new InvalidOperationException($"No host resources in {folder}.") : null;
        }
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var data in files.SelectMany(f => XDocument.Load(f).Root!.Elements("data")))
        {
            var name = (string)data.Attribute("name")!;
            Assert.True(texts.TryAdd(name, (string?)data.Element("value") ?? ""), $"Host text {name} is in two {l} resource files.");
        }
        return texts;
    });
}
