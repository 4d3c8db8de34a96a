using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;

namespace Portal.Payments.TestInfrastructure;

/// <summary>Built-in texts read straight from resources, and the check that German says everything English says.</summary>
public static partial class ResourceTexts
{
    /// <summary>Every text of <paramref name="resources"/> in exactly <paramref name="culture"/> (no parents); a key in two files fails.</summary>
    public static Dictionary<string, string> Of(IEnumerable<ResourceManager> resources, CultureInfo culture)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var manager in resources)
        {
            foreach (var entry in manager.GetResourceSet(culture, createIfNotExists: true, tryParents: false)!.Cast<DictionaryEntry>())
            {
                Assert.True(texts.TryAdd((string)entry.Key, (string)entry.Value!), $"{entry.Key} is in two resource files");
            }
        }
        return texts;
    }

    /// <summary>
    /// English (the neutral resources, at least <paramref name="atLeast"/> texts) and German have the same keys, every
    /// German text is filled, and each names the same placeholders ({0}, {1:…}) as its English text.
    /// </summary>
    public static void AssertGermanMatchesEnglish(IReadOnlyCollection<ResourceManager> resources, int atLeast)
    {
        var english = Of(resources, CultureInfo.InvariantCulture);
        var german = Of(resources, CultureInfo.GetCultureInfo("de"));

        Assert.True(english.Count >= atLeast, $"only {english.Count} English texts");
        Assert.Empty(english.Keys.Except(german.Keys));
        Assert.Empty(german.Keys.Except(english.Keys));
        foreach (var (key, text) in english)
        {
            static string[] Holes(string t) => [.. Placeholder().Matches(t).Select(m => m.Groups[1].Value).Distinct().Order()];
            Assert.True(Holes(text).SequenceEqual(Holes(german[key])), $"{key}: \"{text}\" and \"{german[key]}\" name different values");
            Assert.False(string.IsNullOrWhiteSpace(german[key]), $"{key} is empty in German");
        }
    }

    [GeneratedRegex(@"\{(\d+)[^}]*\}")]
    private static partial Regex Placeholder();
}
