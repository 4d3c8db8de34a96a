using PdfSharp.Fonts;

namespace Portal.Payments.Pdf;

/// <summary>
/// Serves the DejaVu Sans fonts embedded in this assembly to PDFsharp, so receipts render on a bare Linux machine
/// (no system fonts are read). Installed once per process by <see cref="EnsureInstalled"/>: as the main resolver when
/// the host set none, otherwise as the fallback, so a host's own resolver keeps working.
/// </summary>
internal sealed class PortalFontResolver : IFontResolver
{
    /// <summary>The family name the receipt PDF asks for.</summary>
    public const string FamilyName = "Portal DejaVu Sans";

    private const string RegularFace = "DejaVuSans";
    private const string BoldFace = "DejaVuSans-Bold";
    private static readonly Lock Gate = new();
    private static bool _installed;

    /// <summary>The resolver instance PDFsharp is given.</summary>
    public static PortalFontResolver Instance { get; } = new();

    private PortalFontResolver()
    {
    }

    /// <summary>Registers <see cref="Instance"/> with PDFsharp unless it already is (thread-safe, idempotent).</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed)
            {
                return;
            }
            if (GlobalFontSettings.FontResolver is null)
            {
                GlobalFontSettings.FontResolver = Instance;
            }
            else if (GlobalFontSettings.FontResolver != Instance && GlobalFontSettings.FallbackFontResolver is null)
            {
                GlobalFontSettings.FallbackFontResolver = Instance;
            }
            _installed = true;
        }
    }

    /// <inheritdoc />
    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        string.Equals(familyName, FamilyName, StringComparison.OrdinalIgnoreCase)
            // No italic face is shipped: PDFsharp slants the regular one.
            ? new FontResolverInfo(bold ? BoldFace : RegularFace, mustSimulateBold: false, mustSimulateItalic: italic)
            : null;

    /// <inheritdoc />
    public byte[]? GetFont(string faceName)
    {
        if (faceName is not (RegularFace or BoldFace))
        {
            return null;
        }
        using var stream = typeof(PortalFontResolver).Assembly.GetManifestResourceStream($"Portal.Payments.Pdf.Fonts.{faceName}.ttf")
            ?? throw new InvalidOperationException($"The embedded font {faceName}.ttf is missing from Portal.Payments.Core.");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
