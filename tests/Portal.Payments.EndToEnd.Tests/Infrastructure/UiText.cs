using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The language the browser suite runs in: <c>PORTAL_E2E_LOCALE</c> (e.g. <c>de-DE</c>; default <c>en-US</c>). Every
/// browser context opens in it unless a test names its own locale, and <see cref="UiText"/> answers in it.
/// </summary>
public static class SuiteLanguage
{
    /// <summary>The browser locale of the suite.</summary>
    public static string Locale { get; } = Environment.GetEnvironmentVariable("PORTAL_E2E_LOCALE") is { Length: > 0 } locale ? locale : "en-US";

    /// <summary>The culture the portal formats amounts and dates in for the suite's browsers.</summary>
    public static CultureInfo Culture { get; } = CultureInfo.GetCultureInfo(Locale);

    /// <summary>True when the suite runs in English (the resources' neutral language).</summary>
    public static bool IsEnglish => Culture.TwoLetterISOLanguageName == "en";
}

/// <summary>
/// A portal text as the browser shows it in the suite's language, looked up by its English wording in the portal's
/// resources (<c>src/Portal.Payments.Ui/Resources/*.resx</c>, <c>src/Portal.Payments.Sandbox/Resources/*.resx</c>), so a
/// test reads in English and runs in any language the portal ships. An English text that is not a portal resource
/// fails the test in every language (the sample host's own texts are <see cref="HostText"/>'s); one English text with two different
/// translations fails as ambiguous.
/// </summary>
public static class UiText
{
    private static readonly Lazy<Dictionary<string, List<string>>> Keys = new(() => Load(english: true).GroupBy(e => e.Value, e => e.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal));

    private static readonly ConcurrentDictionary<string, Dictionary<string, string>> Translations = new(StringComparer.Ordinal);

    /// <summary>The text whose English is <paramref name="english"/>, in the suite's language.</summary>
    public static string T(string english) => Translate(english, SuiteLanguage.Culture.TwoLetterISOLanguageName);

    /// <summary>
    /// The text of resource <paramref name="key"/> (whose English must be <paramref name="english"/>) in the suite's
    /// language, formatted with <paramref name="arguments"/>: for an English text the resources word differently by
    /// place ("Autopay" is the navigation link and, in German, a column header "Status"), which <c>T</c> refuses.
    /// </summary>
    public static string TKey(string key, string english, params object[] arguments)
    {
        var englishTexts = Texts("en");
        Assert.True(englishTexts.TryGetValue(key, out var actual) && actual == english, $"{key} is not \"{english}\" in English (it is \"{actual}\").");
        var language = SuiteLanguage.Culture.TwoLetterISOLanguageName;
        var text = language == "en" ? english
            : Texts(language).TryGetValue(key, out var translated) ? translated : throw new InvalidOperationException($"{key} has no {language} text.");
        return arguments.Length == 0 ? text : string.Format(SuiteLanguage.Culture, text, arguments);
    }

    /// <summary>
    /// A pattern for the whole of resource <paramref name="key"/>'s text in the suite's language, with the placeholders whose
    /// <paramref name="arguments"/> are null matching anything (an email subject whose date and amount a test does not know).
    /// </summary>
    public static System.Text.RegularExpressions.Regex TKeyPattern(string key, string english, params string?[] arguments)
    {
        var text = TKey(key, english);
        var pattern = System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Escape(text), @"\\\{(\d+)(?::[^}]*)?}",
            m => arguments[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] is { } known ? System.Text.RegularExpressions.Regex.Escape(known) : ".*");
        return new System.Text.RegularExpressions.Regex("^" + pattern + "$");
    }

    /// <summary>The text whose English is <paramref name="english"/>, in <paramref name="language"/> ("de"), whatever the suite's language.</summary>
    public static string In(string language, string english) => Translate(english, language);

    /// <summary>
    /// The text whose English format is <paramref name="englishFormat"/> (with <c>{0}</c>…), in the suite's language,
    /// with <paramref name="arguments"/> formatted in the suite's culture.
    /// </summary>
    public static string T(string englishFormat, params object[] arguments) =>
        string.Format(SuiteLanguage.Culture, Translate(englishFormat, SuiteLanguage.Culture.TwoLetterISOLanguageName), arguments);

    private static string Translate(string english, string language)
    {
        if (!Keys.Value.TryGetValue(english, out var keys))
        {
            throw new InvalidOperationException($"\"{english}\" is not a portal text (no English value in the portal's resources).");
        }
        if (language == "en")
        {
            return english;
        }
        var texts = Translations.GetOrAdd(language, l => Load(english: false, l).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        var translated = keys.Select(k => texts.TryGetValue(k, out var t) ? t : throw new InvalidOperationException($"{k} has no {language} text.")).Distinct().ToList();
        return translated.Count == 1
            ? translated[0]
            : throw new InvalidOperationException($"\"{english}\" is {string.Join(", ", keys)}, worded differently in {language}: name the text more exactly.");
    }

    private static Dictionary<string, string> Texts(string language) =>
        Translations.GetOrAdd(language, l => Load(english: l == "en", l).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));

    private static IEnumerable<KeyValuePair<string, string>> Load(bool english, string? language = null)
    {
        string[] folders =
        [
            Path.Combine(RepoPaths.RepoRoot, "src", "Portal.Payments.Ui", "Resources"),
            Path.Combine(RepoPaths.RepoRoot, "src", "Portal.Payments.Sandbox", "Resources"),
            // The emails' texts (Email.*), written in the payer's language.
            Path.Combine(RepoPaths.RepoRoot, "src", "Portal.Payments.Core", "Resources"),
        ];
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.resx"))
            {
                var culture = Path.GetExtension(Path.GetFileNameWithoutExtension(file)).TrimStart('.');
                if (english ? culture.Length > 0 : !string.Equals(culture, language, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                foreach (var data in XDocument.Load(file).Root!.Elements("data"))
                {
                    yield return new((string)data.Attribute("name")!, (string?)data.Element("value") ?? "");
                }
            }
        }
    }
}
