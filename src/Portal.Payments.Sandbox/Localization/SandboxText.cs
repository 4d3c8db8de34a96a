using System.Globalization;
using System.Resources;

namespace Portal.Payments.Sandbox;

/// <summary>
/// The sandbox's own user-facing texts (its capture form and the checks of what is typed there), in the current UI
/// culture: <c>Resources/SandboxText.resx</c> (English, the default) and <c>SandboxText.de.resx</c> (German). The sandbox
/// does not reference the portal's UI, so it does not use <c>IStringLocalizer&lt;PortalStrings&gt;</c>. A missing key
/// shows as the key itself, which a test never allows.
/// </summary>
internal static class SandboxText
{
    /// <summary>The resources, for tests that compare the languages.</summary>
    internal static readonly ResourceManager Resources = new("Portal.Payments.Sandbox.Resources.SandboxText", typeof(SandboxText).Assembly);

    /// <summary>
    /// The text <paramref name="key"/> in <see cref="CultureInfo.CurrentUICulture"/>; with <paramref name="args"/> its
    /// placeholders filled in <see cref="CultureInfo.CurrentCulture"/>.
    /// </summary>
    public static string Get(string key, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = Resources.GetString(key, CultureInfo.CurrentUICulture) ?? key;
        return args is { Length: > 0 } ? string.Format(CultureInfo.CurrentCulture, text, args) : text;
    }
}
