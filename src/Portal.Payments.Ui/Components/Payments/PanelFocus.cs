using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The focus of an inline panel (pay, schedule) that opens above the grid, away from the button that opened it: on open
/// the focus moves to the panel's title (keyboard and screen-reader users start there, a phone scrolls it into view), and
/// on close it goes back to that button (<c>js/dialog.js</c>), or, when the button is gone (the selection it paid was
/// cleared) or was disabled when the panel opened, to the element <see cref="ReturnAsync"/> names.
/// </summary>
internal sealed class PanelFocus(IJSRuntime js) : IAsyncDisposable
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
            await title.FocusAsync();
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException)
        {
            // Focus is a courtesy: without script (prerendering), or with the panel already closed, nothing to do.
        }
    }

    /// <summary>
    /// Gives the focus back to what had it when the panel opened, or to the first element matching
    /// <paramref name="fallbackSelector"/> when that is gone, disabled or was the page itself.
    /// </summary>
    public async Task ReturnAsync(ElementReference title, string? fallbackSelector = null)
    {
        try
        {
            if (_module is not null)
            {
                await _module.InvokeVoidAsync("restore", title, fallbackSelector);
            }
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException)
        {
            // As above.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone; so is the module.
            }
            _module = null;
        }
    }
}
