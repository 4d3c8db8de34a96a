using Microsoft.AspNetCore.Components;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The focus of a step that replaces the button just pressed (a form opened by its button, a review or confirmation after
/// "Continue"): the browser drops the focus of a removed element to the page itself, and a keyboard or screen-reader user
/// would start over at its top. The component calls <see cref="Request"/> where the step changes and
/// <see cref="ApplyAsync"/> from <c>OnAfterRenderAsync</c> with the new step's heading or region (<c>tabindex="-1"</c>),
/// which that render has put on the page. Focus is a courtesy (<see cref="DialogScript.FocusAsync"/>): without script, with
/// the circuit gone or the component disposed meanwhile, nothing happens.
/// </summary>
internal sealed class StepFocus
{
    private bool _requested;

    /// <summary>Moves the focus to the step shown by the next render.</summary>
    public void Request() => _requested = true;

    /// <summary>Focuses <paramref name="target"/> when a move was requested since the last call (once; null: nowhere).</summary>
    public Task ApplyAsync(ElementReference? target)
    {
        if (!_requested)
        {
            return Task.CompletedTask;
        }
        _requested = false;
        return target is { } element ? DialogScript.FocusAsync(element) : Task.CompletedTask;
    }
}
