using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Ui.Components;

/// <summary>The account's scheduled payments, with change of date or method and cancellation (whole or some invoices).</summary>
public partial class ScheduledPaymentsList : ComponentBase, IAsyncDisposable
{
    private readonly string _id = "pp-sched-" + Guid.NewGuid().ToString("N")[..8];
    // Per payment, the invoices ticked for cancelling (all of them until the payer unticks some).
    private readonly Dictionary<Guid, HashSet<long>> _checked = [];
    private IReadOnlyList<ScheduledPaymentView>? _payments;
    private bool _canPay;
    private bool _busy;
    private string? _error;
    private string? _notice;
    private ScheduledPaymentView? _changing;
    private ScheduleWindow? _window;
    private DateTime? _date;
    private Guid? _methodId;
    private Money? _changeAmount;
    private string? _changeError;
    // Why the date chosen cannot be used (the server's words), beside the date box.
    private string? _dateError;
    // What the last change did, shown in the row of that payment.
    private (Guid PaymentId, string Text)? _changed;
    // What takes the focus from the change form once it is gone: the row's message after a save, its Change button after Cancel.
    private MarkedFocus? _focus;
    private IReadOnlyList<long>? _cancelIds;

    [Inject] private ScheduledPaymentService Scheduled { get; set; } = default!;
    [Inject] private PortalAccess Access { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        try
        {
            _canPay = (await Access.ForViewAsync()).CanPay;
            await LoadAsync();
        }
        catch (PortalAccessDeniedException ex)
        {
            _error = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            _error = L["Common.LoadFailed"];
        }
    }

    private async Task LoadAsync()
    {
        _payments = await Scheduled.ListAsync();
        foreach (var stale in _checked.Keys.Except(_payments.Select(p => p.PaymentId)).ToList())
        {
            _checked.Remove(stale);
        }
    }

    private HashSet<long> Checked(ScheduledPaymentView payment)
    {
        if (!_checked.TryGetValue(payment.PaymentId, out var ids) || !ids.IsSubsetOf(payment.Items.Select(i => i.InvoiceId)))
        {
            ids = [.. payment.Items.Select(i => i.InvoiceId)];
            _checked[payment.PaymentId] = ids;
        }
        return ids;
    }

    private void Tick(ScheduledPaymentView payment, ScheduledPaymentItem item, bool on)
    {
        var ids = Checked(payment);
        if (on)
        {
            ids.Add(item.InvoiceId);
        }
        else
        {
            ids.Remove(item.InvoiceId);
        }
    }

    private void StartCancel(ScheduledPaymentView payment) => _cancelIds = [.. Checked(payment)];

    private async Task CancelledAsync(string message)
    {
        _cancelIds = null;
        _changed = null;
        _notice = message;
        // The dialog and the button that opened it may be gone (the whole payment was cancelled): the focus goes to what
        // was done, at the top of the list, instead of falling to the page's top.
        Focus.Request("scheduled-notice");
        await LoadAsync();
        if (_changing is { } changing)
        {
            // The change form was open on a payment this cancel may have changed: a payment that is gone takes its form
            // with it (left open, it held back every focus move, the one above too); one that lost invoices keeps the form,
            // with the payer's date and method, on what it charges now (its old amount would only be refused on save).
            if (_payments?.FirstOrDefault(p => p.PaymentId == changing.PaymentId) is not { } now)
            {
                _changing = null;
            }
            else if (now.Items.Count != changing.Items.Count)
            {
                _changing = now;
                await ReloadWindowAsync(now.PaymentId);
                if (_dateError is null)
                {
                    await RefreshChangeAmountAsync();
                }
            }
        }
    }

    /// <summary>
    /// Opens the change form on what the payment charges now (its amount, fee included, is what the server compares), with
    /// the dates it may move to (the window of its invoices, as the schedule panel offers them).
    /// </summary>
    private async Task StartChangeAsync(ScheduledPaymentView payment)
    {
        _changing = payment;
        _window = null;
        _date = payment.ScheduledFor.ToDateTime(TimeOnly.MinValue);
        _methodId = payment.PaymentMethodId;
        _changeAmount = payment.Amount;
        _changeError = _dateError = null;
        _changed = null;
        try
        {
            var window = await Scheduled.GetChangeWindowAsync(payment.PaymentId);
            if (_changing?.PaymentId == payment.PaymentId)
            {
                _window = window;
                // The form opens below the payment's invoices: its date box takes the focus, or a keyboard user's Enter on
                // Change seemed to do nothing (the focus stayed on the button, the form out of sight, nothing announced).
                Focus.RequestFirst("form[data-testid='scheduled-change-form'] input");
            }
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalNotFoundException or PortalAccessDeniedException)
        {
            _changeError = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            _changeError = L["Common.LoadFailed"];
        }
    }

    private Task DateChangedAsync(DateTime? value)
    {
        _date = value;
        _changeError = _dateError = null;
        return RefreshChangeAmountAsync();
    }

    /// <summary>
    /// A date typed outside the window (or text that is no date): the typed text stays in the box and the server says why
    /// that date cannot be used beside it; the form holds no date until one it can use is picked.
    /// </summary>
    private async Task DateMistypedAsync(DateTime? typed)
    {
        await DateChangedAsync(typed);
        if (_dateError is not null)
        {
            _date = null;
        }
    }

    /// <summary>
    /// Another method may carry another convenience fee: the amount is asked again (not while the date is refused: its
    /// reason stays beside the box until a date that can be used is chosen).
    /// </summary>
    private Task MethodChangedAsync(Guid? method)
    {
        _methodId = method;
        _changeError = null;
        return _dateError is null ? RefreshChangeAmountAsync() : Task.CompletedTask;
    }

    /// <summary>
    /// The amount the change would charge (fee included) for the date and method chosen, from the server (asked again when either
    /// changed meanwhile); none while it is asked, so nothing is saved against an older figure.
    /// </summary>
    private async Task RefreshChangeAmountAsync()
    {
        _changeAmount = null;
        if (_changing is not { } payment)
        {
            return;
        }
        (DateTime?, Guid?) asked = (_date, _methodId);
        // An answer counts only for the form and the choice it was asked for (the payer may have chosen again meanwhile, or
        // opened another payment's form): a later request says what holds now.
        bool Current() => _changing?.PaymentId == payment.PaymentId && asked == (_date, _methodId);
        try
        {
            Money amount;
            do
            {
                asked = (_date, _methodId);
                amount = (await Scheduled.PreviewChangeAsync(payment.PaymentId, ChosenDate, _methodId)).TotalCharged;
            }
            while (asked != (_date, _methodId));
            if (_changing?.PaymentId == payment.PaymentId)
            {
                _changeAmount = amount;
            }
        }
        catch (PortalValidationException ex) when (ex.Field == "date")
        {
            if (Current())
            {
                _dateError = FieldErrorText.Of(L, ex);
            }
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalNotFoundException or PortalAccessDeniedException)
        {
            if (Current())
            {
                _changeError = FieldErrorText.Of(L, ex);
            }
        }
        catch (Exception)
        {
            // The amount could not be asked (the database, the network): the form stays open with what was chosen, and
            // nothing can be saved without an amount; choosing the date or method again asks again.
            if (Current())
            {
                _changeError = L["Common.WentWrong"];
            }
        }
    }

    private DateOnly? ChosenDate => _date is { } d ? DateOnly.FromDateTime(d) : null;

    private async Task SaveChangeAsync()
    {
        // The save button's rule: a method chosen (not while one is being added inline; Enter in its fields submits this form too).
        if (_changing is not { } payment || _busy || _changeAmount is not { } amount || _methodId is null)
        {
            return;
        }
        _busy = true;
        _changeError = null;
        try
        {
            var changed = await Scheduled.ChangeAsync(payment.PaymentId, ChosenDate, _methodId, amount, ScheduledChangeBasis.Of(payment));
            // Said in the payment's row, which takes the focus from the form it replaces (not in the page's live notice too,
            // which would say it twice).
            _notice = null;
            _changed = (changed.PaymentId, L["Scheduled.Changed", changed.ReceiptNumber, PortalFormat.Money(changed.Amount), PortalFormat.Date(changed.ScheduledFor), PaymentText.Method(L, changed.MethodDescription)]);
            Focus.Request(ChangedFocus(changed.PaymentId));
            _changing = null;
            await LoadAsync();
        }
        catch (PortalValidationException ex) when (ex.Field == "total")
        {
            // Nothing changed: show the server's new amount for the payer to confirm with the next save.
            await RefreshChangeAmountAsync();
            _changeError = FieldErrorText.Of(L, ex);
        }
        catch (PortalValidationException ex) when (ex.Field == "date")
        {
            // The window moved meanwhile (midnight), or the card now expires first: the reason goes beside the date box, the
            // calendar offers the dates of now, and nothing can be saved until a date is chosen again.
            _dateError = FieldErrorText.Of(L, ex);
            _changeAmount = null;
            await ReloadWindowAsync(payment.PaymentId);
        }
        catch (PortalValidationException ex) when (ex.Error?.Code is "ScheduledChangedMeanwhile" or "NotChangeable")
        {
            await ChangedElsewhereAsync(payment, ex);
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalNotFoundException or PortalAccessDeniedException)
        {
            _changeError = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            // A failed write (the database, the gateway): the form stays open with what was chosen.
            _changeError = L["Common.WentWrong"];
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>
    /// The payment changed after the form opened (another tab, another person, the runner): the list shows it as it is now.
    /// A payment still scheduled keeps the form, started again from what it has now with the payer's date and method kept,
    /// for the payer to check and save again; one no longer scheduled closes the form, with why in the notice.
    /// </summary>
    private async Task ChangedElsewhereAsync(ScheduledPaymentView payment, PortalValidationException refusal)
    {
        try
        {
            await LoadAsync();
            if (_payments?.FirstOrDefault(p => p.PaymentId == payment.PaymentId) is not { } now)
            {
                _changing = null;
                _notice = FieldErrorText.Of(L, refusal);
                Focus.Request("scheduled-notice");
                return;
            }
            _changing = now;
            await ReloadWindowAsync(now.PaymentId);
            await RefreshChangeAmountAsync();
            if (_changing?.PaymentId == now.PaymentId && _changeError is null)
            {
                _changeError = L["Scheduled.ChangedElsewhere", now.ReceiptNumber];
            }
        }
        catch (Exception ex) when (ex is PortalValidationException or PortalNotFoundException or PortalAccessDeniedException)
        {
            _changeError = FieldErrorText.Of(L, ex);
        }
        catch (Exception)
        {
            // The list could not be read again: the refusal stands, with its own advice (refresh the list).
            _changeError = FieldErrorText.Of(L, refusal);
        }
    }

    /// <summary>The dates the payment may move to now. Kept as they were when they cannot be read: the server checks the next date anyway.</summary>
    private async Task ReloadWindowAsync(Guid paymentId)
    {
        try
        {
            var window = await Scheduled.GetChangeWindowAsync(paymentId);
            if (_changing?.PaymentId == paymentId)
            {
                _window = window;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The window shown stays; the reason for the refused date is already beside the box.
        }
    }

    /// <summary>The data-focus of the message saying what a change of <paramref name="paymentId"/> did.</summary>
    private static string ChangedFocus(Guid paymentId) => $"scheduled-changed-{paymentId:N}";

    private static string ChangeFocus(Guid paymentId) => $"scheduled-change-{paymentId:N}";

    /// <summary>Closes the change form unchanged; its row's Change button takes the focus the form held.</summary>
    private void StopChanging()
    {
        if (_changing is { } payment)
        {
            Focus.Request(ChangeFocus(payment.PaymentId));
        }
        _changing = null;
    }

    private MarkedFocus Focus => _focus ??= new MarkedFocus(JS);

    /// <inheritdoc />
    /// <remarks>
    /// Also while a change form is open: a move is asked for only when what had the focus went away (a form closed, a payment
    /// cancelled), and a cancel of another payment while one's form is open left the focus on the page's top. The page
    /// listens for the form keys (Escape cancels a change form) from the first render.
    /// </remarks>
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await FormKeys.ListenAsync(JS);
        }
        await Focus.ApplyAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_focus is not null)
        {
            await _focus.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
