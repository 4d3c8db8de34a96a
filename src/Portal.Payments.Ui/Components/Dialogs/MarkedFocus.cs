using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The focus after a render for an element the component holds no reference to (a list's button marked
/// <c>data-focus</c>, Radzen's grid), when what had the focus was removed (a form closed, a row gone, the selection
/// cleared): the component asks with <see cref="Request"/> or <see cref="RequestFirst"/> and calls <see cref="ApplyAsync"/>
/// from <c>OnAfterRenderAsync</c> once the element is on the page. It imports the focus script (<see cref="DialogScript"/>)
/// on first use and disposes it with the component; focus is a courtesy, so a missing script or circuit does nothing.
/// </summary>
internal sealed class MarkedFocus(IJSRuntime js) : IAsyncDisposable
{
    private DialogScript? _script;
    private Func<DialogScript, Task>? _move;

    /// <summary>Focuses the element marked <c>data-focus="<paramref name="name"/>"</c> at the next <see cref="ApplyAsync"/>.</summary>
    public void Request(string name) => _move = s => s.FocusMarkedAsync(name);

    /// <summary>Focuses the first element matching <paramref name="selector"/> at the next <see cref="ApplyAsync"/>.</summary>
    public void RequestFirst(string selector) => _move = s => s.FocusFirstAsync(selector);

    /// <summary>Makes the move requested since the last call, once; nothing when none was.</summary>
    public Task ApplyAsync()
    {
        if (_move is not { } move)
        {
            return Task.CompletedTask;
        }
        _move = null;
        return move(_script ??= new DialogScript(js));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _script?.DisposeAsync() ?? ValueTask.CompletedTask;
}
