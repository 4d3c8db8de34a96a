using Microsoft.JSInterop;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// The portal's form keys (<c>js/form-keys.js</c>): Enter in a date box marked <c>data-pp-enter-submits</c> submits its form
/// instead of opening the calendar, and Escape in a form marked <c>data-pp-escape-cancels</c> presses its
/// <c>data-pp-cancel</c> button unless it closes a calendar or list open in it. Importing the script once per page is
/// enough; without script (prerendering, tests) or with the circuit gone the keys are the browser's own.
/// </summary>
internal static class FormKeys
{
    private const string ModulePath = "./_content/Portal.Payments.Ui/js/form-keys.js";

    /// <summary>Makes sure the page listens for the keys.</summary>
    public static async Task ListenAsync(IJSRuntime js)
    {
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", ModulePath);
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException or ObjectDisposedException)
        {
            // The keys are a courtesy: the form's buttons do the same.
        }
    }
}
