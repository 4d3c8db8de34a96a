using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// What the portal's dialogs and side panels share: focus moved in when shown (<c>js/dialog.js</c>), Tab kept inside,
/// Escape closes, and focus goes back to what opened it.
/// </summary>
public abstract class PortalDialogBase : ComponentBase, IAsyncDisposable
{
    private DialogScript? _script;
    private bool _closed;

    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>Raised when the dialog closes (Close, Escape, the backdrop, or a finished action).</summary>
    [Parameter] public EventCallback OnClosed { get; set; }

    /// <summary>The dialog element (focus moves to it, or to its element marked <c>data-autofocus</c>).</summary>
    protected ElementReference Element { get; set; }

    /// <summary>A unique id prefix for the dialog's elements.</summary>
    protected string Id { get; } = "pp-dlg-" + Guid.NewGuid().ToString("N")[..8];

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        _script = new DialogScript(JS);
        await _script.OpenDialogAsync(Element);
    }

    /// <summary>Escape closes.</summary>
    protected async Task KeyDownAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Escape")
        {
            await CloseAsync();
        }
    }

    /// <summary>Closes once: focus goes back to the opener, then <see cref="OnClosed"/>.</summary>
    protected async Task CloseAsync()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        if (_script is not null)
        {
            await _script.CloseDialogAsync(Element);
        }
        await ClosingAsync();
        await OnClosed.InvokeAsync();
    }

    /// <summary>Runs as the dialog closes, before <see cref="OnClosed"/> (to tell the page what was done meanwhile).</summary>
    protected virtual Task ClosingAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_script is not null)
        {
            await _script.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
