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
    private readonly StepFocus _step = new();

    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>Raised when the panel closes (Cancel or Close).</summary>
    [Parameter] public EventCallback OnClosed { get; set; }

    /// <summary>The panel's heading (<c>tabindex="-1"</c>): it takes the focus when the panel opens.</summary>
    protected ElementReference Title { get; set; }

    /// <summary>
    /// The element of the step shown now (its confirmation), which takes the focus after <see cref="FocusStep"/>; default
    /// the title.
    /// </summary>
    protected virtual ElementReference? StepTarget => Title;

    /// <summary>
    /// The step changed and replaced the button just pressed (the confirm button by the confirmation): the next render's
    /// <see cref="StepTarget"/> takes the focus, instead of the browser dropping it to the top of the page.
    /// </summary>
    protected void FocusStep() => _step.Request();

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _script = new DialogScript(JS);
            await _script.OpenPanelAsync(Title);
        }
        await _step.ApplyAsync(StepTarget);
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
