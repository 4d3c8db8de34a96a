using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// Radzen's date picker for a payment date, with typed dates it does not offer explained instead of erased. Radzen blanks
/// the box when the typed text is not a date, or is a date outside <c>Min</c>/<c>Max</c>, and says nothing (when the box
/// was empty) or clears the value: the payer sees an empty box and at best a general "enter a date". Here the typed text
/// is put back in the box and <see cref="Mistyped"/> is raised with the date typed (outside the range: the page asks the
/// server, which says why that date cannot be used) or null (not a date), so the message can be specific. The calendar
/// keeps its range. A date picked or typed within the range raises <see cref="Picked"/> (use it instead of <c>Change</c>).
/// Enter in the box does what it does in any text box (the typed date is taken, and the form the box is in is submitted),
/// not what Radzen makes of it (open the calendar, keep the form from being submitted): <c>js/form-keys.js</c> keeps the key
/// from Radzen. Alt+Down opens the calendar.
/// </summary>
public sealed class PortalDatePicker : RadzenDatePicker<DateTime?>
{
    private bool _ignoreNextNull;

    /// <summary>Reads typed text through <see cref="Read"/> and hears Radzen's changes itself.</summary>
    public PortalDatePicker()
    {
        ParseInput = Read;
        Change = EventCallback.Factory.Create<DateTime?>(this, ChangedAsync);
    }

    /// <summary>Raised with a date picked in the calendar or typed within <c>Min</c>/<c>Max</c>.</summary>
    [Parameter] public EventCallback<DateTime?> Picked { get; set; }

    /// <summary>
    /// Raised after the payer typed a date outside <c>Min</c>/<c>Max</c> (with that date) or text that is not a date
    /// (with null); the typed text stays in the box and the picker's value is cleared.
    /// </summary>
    [Parameter] public EventCallback<DateTime?> Mistyped { get; set; }

    /// <inheritdoc />
    /// <remarks>The box is marked for <c>js/form-keys.js</c>, with the attributes the page gives it.</remarks>
    protected override void OnParametersSet()
    {
        if (InputAttributes?.ContainsKey(EnterSubmits) != true)
        {
            InputAttributes = new Dictionary<string, object>(InputAttributes ?? new Dictionary<string, object>()) { [EnterSubmits] = "" };
        }
        base.OnParametersSet();
    }

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        await base.OnAfterRenderAsync(firstRender);
        if (firstRender && JSRuntime is { } js)
        {
            await FormKeys.ListenAsync(js);
        }
    }

    /// <summary>The attribute <c>js/form-keys.js</c> looks for on a date box.</summary>
    internal const string EnterSubmits = "data-pp-enter-submits";

    private async Task ChangedAsync(DateTime? value)
    {
        if (value is null && _ignoreNextNull)
        {
            // Radzen clearing the value of a mistyped date: the page has heard of it through Mistyped already.
            _ignoreNextNull = false;
            return;
        }
        _ignoreNextNull = false;
        await Picked.InvokeAsync(value);
    }

    /// <summary>Reads typed text as Radzen does (the date format, then the culture's formats); reports what Radzen would erase.</summary>
    private DateTime? Read(string? text)
    {
        var typed = text?.Trim();
        if (string.IsNullOrEmpty(typed))
        {
            return null;
        }
        DateTime? date = DateTime.TryParseExact(typed, DateFormat, Culture, DateTimeStyles.None, out var exact) ? exact
            : DateTime.TryParse(typed, Culture, DateTimeStyles.None, out var loose) ? loose
            : null;
        if (date is { } d && (Min is not { } min || d.Date >= min.Date) && (Max is not { } max || d.Date <= max.Date))
        {
            return date;
        }
        // Radzen now erases the box and clears a value it had (ignored above). This runs inline on the renderer's context, so
        // yield first: the text is put back after Radzen's call to erase it has gone out.
        _ignoreNextNull = Value is not null;
        _ = InvokeAsync(async () =>
        {
            await Task.Yield();
            await Mistyped.InvokeAsync(date);
            if (JSRuntime is { } js)
            {
                try
                {
                    await js.InvokeVoidAsync("Radzen.setInputValue", input, typed);
                }
                catch (JSDisconnectedException)
                {
                    // The circuit is gone: nothing to show it in.
                }
            }
        });
        return null;
    }
}
