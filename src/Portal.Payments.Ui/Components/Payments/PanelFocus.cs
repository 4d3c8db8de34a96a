using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The focus of an inline panel (pay, schedule) that opens above the grid, away from the button that opened it: on open
/// the focus moves to the panel's title (keyboard and screen-reader users start there, a phone scrolls it into view), and
/// on close it goes back to that button (<c>js/dialog.js</c>), not to the top of the page.
/// </summary>
internal sealed class PanelFocus(IJSRuntime js)
{
    private const string ModulePath = "./_content/Portal.Payments.Ui/js/dialog.js";
    private IJSObjectReference? _module;

    /// <summary>Remembers what has the focus, then focuses <paramref name="title"/>.</summary>
    public async Task OpenAsync(ElementReference title)
    {
        try
        {
            _module = await js.InvokeAsync<IJSObjectReference>("import", ModulePath);
            await _module.InvokeVoidAsync("remember", title);
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException)
        {
            // Giving the focus back is a courtesy; the panel works without script.
        }
        await title.FocusAsync();
    }

    /// <summary>Gives the focus back to what had it when the panel opened (when it is still on the page and enabled).</summary>
    public async Task ReturnAsync(ElementReference title)
    {
        try
        {
            if (_module is not null)
            {
                await _module.InvokeVoidAsync("restore", title);
            }
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException)
        {
            // As above.
        }
    }
}
