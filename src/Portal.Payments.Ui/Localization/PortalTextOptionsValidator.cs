using System.Collections.Frozen;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Ui;

/// <summary>
/// Checks the host's text overrides (<see cref="PortalTextOptions"/>, <c>CustomerPortalPayments:Texts</c>) at start against
/// the built-in texts, so a typo fails the start with a message naming the text instead of a <see cref="FormatException"/>
/// when a page renders it, or an email that fails on every retry: a key the portal does not have (except under the prefixes
/// whose keys name the host's own things: <c>Failure.</c>, <c>ShortPayReason.</c>, <c>SandboxBanner.</c>), a placeholder
/// the built-in text does not have (nothing would fill it), and braces that are not a placeholder in a text that has them.
/// </summary>
internal sealed class PortalTextOptionsValidator : IValidateOptions<PortalTextOptions>
{
    /// <summary>Key prefixes whose keys follow the host's own codes, reasons and adapters: any key under them is accepted.</summary>
    internal static readonly IReadOnlyList<string> OpenPrefixes = ["Failure.", "ShortPayReason.", "SandboxBanner."];

    /// <summary>The built-in languages: English (the neutral resources) and German.</summary>
    private static readonly CultureInfo[] BuiltInCultures = [CultureInfo.InvariantCulture, CultureInfo.GetCultureInfo("de")];

    private static readonly Lazy<BuiltInTexts> BuiltIn = new(Load);

    public ValidateOptionsResult Validate(string? name, PortalTextOptions options)
    {
        var builtIn = BuiltIn.Value;
        var errors = new List<string>();
        foreach (var (culture, texts) in options.Overrides)
        {
            if (texts is null)
            {
                continue;
            }
            foreach (var (key, text) in texts)
            {
                var setting = $"{PortalTextOptions.SectionName}:{culture}:{key}";
                if (text is null)
                {
                    continue;
                }
                if (!builtIn.Placeholders.TryGetValue(key, out var expected))
                {
                    if (!OpenPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
                    {
                        errors.Add(builtIn.CaseInsensitive.TryGetValue(key, out var known)
                            ? $"{setting} is not a text of the portal: keys are case-sensitive, did you mean {known}?"
                            : $"{setting} is not a text of the portal, so it would never show. Use a key from the Ui package's Resources/*.resx " +
                              "(e.g. Invoices.PaySelected) or Core's email texts (Email.*); check its spelling and case.");
                        continue;
                    }
                    expected = new HashSet<int>();
                }
                if (Problem(text, expected, builtIn.English.GetValueOrDefault(key)) is { } problem)
                {
                    errors.Add($"{setting} {problem}");
                }
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>What is wrong with <paramref name="text"/> as a replacement of a text whose placeholders are <paramref name="expected"/>.</summary>
    private static string? Problem(string text, IReadOnlySet<int> expected, string? english)
    {
        var shown = english is null ? "" : $" (the built-in text: \"{english}\")";
        var (indices, malformed) = Scan(text);
        if (malformed is not null)
        {
            // A text without placeholders may be shown as it is (braces and all); one with placeholders is always formatted.
            return expected.Count == 0 && indices.Count == 0
                ? null
                : $"{malformed}: write {{{{ or }}}} for a brace that shows, and placeholders as {{0}}{shown}.";
        }
        var extra = indices.Where(i => !expected.Contains(i)).Order().ToList();
        if (extra.Count == 0)
        {
            return null;
        }
        var has = expected.Count == 0 ? "has no placeholders" : "has only " + string.Join(", ", expected.Order().Select(i => $"{{{i}}}"));
        return $"uses {string.Join(", ", extra.Select(i => $"{{{i}}}"))}, but the built-in text {has}: nothing fills it, and the page or email " +
               $"showing it would fail{shown}.";
    }

    /// <summary>
    /// The placeholder indices of a composite format string, and what is malformed in it (null when
    /// <see cref="string.Format(IFormatProvider, string, object[])"/> accepts it), as .NET reads it.
    /// </summary>
    internal static (IReadOnlySet<int> Indices, string? Malformed) Scan(string text)
    {
        var indices = new HashSet<int>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '}')
            {
                if (i + 1 < text.Length && text[i + 1] == '}')
                {
                    i++;
                    continue;
                }
                return (indices, $"has a '}}' at position {i + 1} that closes no placeholder");
            }
            if (c != '{')
            {
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                i++;
                continue;
            }
            var start = i;
            var j = i + 1;
            var index = 0;
            var digits = 0;
            while (j < text.Length && char.IsAsciiDigit(text[j]) && digits < 6)
            {
                index = index * 10 + (text[j] - '0');
                j++;
                digits++;
            }
            var close = text.IndexOf('}', j);
            var nextOpen = text.IndexOf('{', j);
            if (digits == 0 || close < 0 || (nextOpen >= 0 && nextOpen < close))
            {
                return (indices, $"has a '{{' at position {start + 1} that starts no placeholder such as {{0}}");
            }
            indices.Add(index);
            i = close;
        }
        // The exact rules (alignment, format strings) are .NET's: ask it, with an argument for every index.
        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, text, new object[indices.Count == 0 ? 0 : indices.Max() + 1].Select(_ => (object)"").ToArray());
        }
        catch (FormatException)
        {
            return (indices, "is not a valid text with placeholders");
        }
        return (indices, null);
    }

    private sealed record BuiltInTexts(
        FrozenDictionary<string, IReadOnlySet<int>> Placeholders,
        FrozenDictionary<string, string> CaseInsensitive,
        FrozenDictionary<string, string> English);

    /// <summary>Every built-in key, with the placeholders its texts have in any built-in language.</summary>
    private static BuiltInTexts Load()
    {
        var placeholders = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var english = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resources in PortalStringLocalizer.Resources)
        {
            foreach (var culture in BuiltInCultures)
            {
                if (resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false) is not { } set)
                {
                    continue;
                }
                foreach (System.Collections.DictionaryEntry entry in set)
                {
                    if (entry is not { Key: string key, Value: string value })
                    {
                        continue;
                    }
                    if (!placeholders.TryGetValue(key, out var found))
                    {
                        placeholders[key] = found = [];
                    }
                    found.UnionWith(Scan(value).Indices);
                    if (culture.Equals(CultureInfo.InvariantCulture))
                    {
                        english[key] = value;
                    }
                }
            }
        }
        var caseInsensitive = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in placeholders.Keys.Order(StringComparer.Ordinal))
        {
            caseInsensitive.TryAdd(key, key);
        }
        return new BuiltInTexts(
            placeholders.ToFrozenDictionary(p => p.Key, p => (IReadOnlySet<int>)p.Value, StringComparer.Ordinal),
            caseInsensitive.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            english.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
