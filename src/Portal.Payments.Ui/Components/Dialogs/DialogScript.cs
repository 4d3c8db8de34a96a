using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The portal's focus script (<c>js/dialog.js</c>), imported once per component and disposed with it: dialogs and drawers
/// (focus in, Tab kept inside, focus back to the opener), inline panels (focus to the title, back to the opener or a
/// fallback), and a list's marked button. Focus is a courtesy: without script (prerendering), with the circuit gone or
/// the element already removed, every call does nothing.
/// </summary>
internal sealed class DialogScript(IJSRuntime js) : IAsyncDisposable
{
    private const string ModulePath = "./_content/Portal.Payments.Ui/js/dialog.js";
    private IJSObjectReference? _module;

    /// <summary>Moves the focus into <paramref name="dialog"/> and keeps Tab inside it.</summary>
    public Task OpenDialogAsync(ElementReference dialog) => RunAsync(m => m.InvokeVoidAsync("open", dialog));

    /// <summary>Releases Tab and gives the focus back to what opened <paramref name="dialog"/>.</summary>
    public Task CloseDialogAsync(ElementReference dialog) => RunAsync(m => m.InvokeVoidAsync("close", dialog), importIfNeeded: false);

    /// <summary>Remembers what has the focus, then focuses <paramref name="title"/> (an inline panel's heading).</summary>
    public Task OpenPanelAsync(ElementReference title) => RunAsync(async m =>
    {
        await m.InvokeVoidAsync("remember", title);
        await title.FocusAsync();
    });

    /// <summary>
    /// Gives the focus back to what had it when the panel of <paramref name="title"/> opened, or to the first element
    /// matching <paramref name="fallbackSelector"/> when that is gone, disabled or was the page itself.
    /// </summary>
    public Task ClosePanelAsync(ElementReference title, string? fallbackSelector) =>
        RunAsync(m => m.InvokeVoidAsync("restore", title, fallbackSelector), importIfNeeded: false);

    /// <summary>
    /// Whether the focus is inside <paramref name="element"/>; null when that cannot be known (no script, circuit gone).
    /// </summary>
    public async Task<bool?> HoldsFocusAsync(ElementReference element)
    {
        bool? holds = null;
        await RunAsync(async m => holds = await m.InvokeAsync<bool>("holdsFocus", element));
        return holds;
    }

    /// <summary>Focuses the element marked <c>data-focus="<paramref name="name"/>"</c>.</summary>
    public Task FocusMarkedAsync(string name) => RunAsync(m => m.InvokeVoidAsync("focusMarked", name));

    /// <summary>Focuses the first element matching <paramref name="selector"/> (the grid, once what had the focus is gone).</summary>
    public Task FocusFirstAsync(string selector) => RunAsync(m => m.InvokeVoidAsync("focusFirst", selector));

    /// <summary>
    /// Focuses <paramref name="element"/> (Blazor's own call: no module needed); nothing happens when it was never rendered,
    /// is gone, or the circuit is.
    /// </summary>
    public static async Task FocusAsync(ElementReference element)
    {
        if (string.IsNullOrEmpty(element.Id))
        {
            return;
        }
        try
        {
            await element.FocusAsync();
        }
        catch (Exception ex) when (IsCourtesyFailure(ex))
        {
            // See the class: focus is a courtesy.
        }
    }

    private async Task RunAsync(Func<IJSObjectReference, ValueTask> call, bool importIfNeeded = true)
    {
        try
        {
            if (_module is null && importIfNeeded)
            {
                _module = await js.InvokeAsync<IJSObjectReference>("import", ModulePath);
            }
            if (_module is not null)
            {
                await call(_module);
            }
        }
        catch (Exception ex) when (IsCourtesyFailure(ex))
        {
            // See the class: focus is a courtesy.
        }
    }

    // No script (prerendering, tests), the circuit gone, the element removed or the component disposed meanwhile.
    private static bool IsCourtesyFailure(Exception ex) =>
        ex is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException or ObjectDisposedException;

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
