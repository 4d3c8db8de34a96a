using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// What the pay and schedule panels share: they open inline above the grid, away from the button that opened them, so
/// keyboard and screen-reader users start at the panel's title (a phone scrolls it into view), and on close the focus
/// goes back to that button, or to the grid when a payment cleared the selection that showed it.
/// </summary>
public abstract class InlinePanelBase : ComponentBase, IAsyncDisposable
{
    private DialogScript? _script;

    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>Raised when the panel closes (Cancel or Close).</summary>
    [Parameter] public EventCallback OnClosed { get; set; }

    /// <summary>The panel's heading (<c>tabindex="-1"</c>): it takes the focus when the panel opens.</summary>
    protected ElementReference Title { get; set; }

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _script = new DialogScript(JS);
            await _script.OpenPanelAsync(Title);
        }
    }

    /// <summary>Gives the focus back, then raises <see cref="OnClosed"/>.</summary>
    protected async Task CloseAsync()
    {
        if (_script is not null)
        {
            await _script.ClosePanelAsync(Title, "[role=grid]");
        }
        await OnClosed.InvokeAsync();
    }

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
