using UglyToad.PdfPig;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>What a PDF says, read back with PdfPig.</summary>
public static class PdfText
{
    /// <summary>The words of every page, in drawing order, separated by single spaces.</summary>
    public static string Words(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        return string.Join(" ", document.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text));
    }
}
