using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace Portal.Payments.Ui;

/// <summary>
/// A sentence from the resources with elements inside it ("Receipt number <c>&lt;strong&gt;R-1&lt;/strong&gt;</c> · USD 5.00"):
/// the resource keeps the language's word order, the component passes <see cref="Slot"/> for each element as a
/// placeholder argument (<c>L["Pay.Receipt", MarkupText.Slot(0), amount]</c>) and renders the result with
/// <see cref="Render"/>, which puts each element where its slot stands. The text stays text (never read as HTML).
/// </summary>
internal static class MarkupText
{
    private const char Open = '\uE000';
    private const char Close = '\uE001';

    /// <summary>The placeholder argument that stands for <paramref name="index"/> of the elements given to <see cref="Render"/>.</summary>
    public static string Slot(int index) => Open + index.ToString(CultureInfo.InvariantCulture) + Close;

    /// <summary>Renders <paramref name="text"/> with <paramref name="elements"/>[i] in place of <see cref="Slot"/>(i).</summary>
    public static RenderFragment Render(string text, params RenderFragment[] elements) => builder =>
    {
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf(Open, at);
            var close = open < 0 ? -1 : text.IndexOf(Close, open);
            if (close < 0 || !int.TryParse(text.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= elements.Length)
            {
                builder.AddContent(0, text[at..]);
                return;
            }
            if (open > at)
            {
                builder.AddContent(1, text[at..open]);
            }
            builder.AddContent(2, elements[index]);
            at = close + 1;
        }
    };
}
