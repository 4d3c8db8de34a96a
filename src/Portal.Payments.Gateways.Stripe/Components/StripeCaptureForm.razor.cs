using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging;
using Microsoft.JSInterop;
using Portal.Payments.Services;

namespace Portal.Payments.Gateways.Stripe.Components;

/// <summary>
/// The Stripe gateway's capture component. On first render it creates a SetupIntent for the account's Stripe Customer
/// and lets Stripe.js (loaded from <c>https://js.stripe.com/v3/</c>) collect the details in the browser: a card in the
/// Payment Element, confirmed with <c>confirmSetup</c>; a US bank account through <c>collectBankAccountForSetup</c>
/// (the portal's signed ACH authorization then confirms it on the server as the mandate's customer acceptance). Only
/// the resulting <c>pm_…</c> id comes back over the circuit, in <see cref="OnCaptured"/>.
/// With <see cref="CustomerAction"/> set it captures nothing: it runs Stripe.js's <c>handleNextAction</c> for that
/// PaymentIntent client secret (3-D Secure) and reports to <see cref="OnCustomerActionCompleted"/>.
/// </summary>
public partial class StripeCaptureForm : ComponentBase, IAsyncDisposable
{
    /// <summary>Path of the JavaScript module, under the package's static web assets.</summary>
    internal const string ModulePath = "./_content/Portal.Payments.Gateways.Stripe/stripe-capture.js";

    private readonly string _id = "stripe" + Guid.NewGuid().ToString("N")[..8];
    private IJSObjectReference? _module;
    private string? _name, _nameError, _error, _email;
    private bool _ready, _busy, _disposed;

    [Inject] private StripeGateway Gateway { get; set; } = null!;
    [Inject] private PortalAccess Access { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private ILogger<StripeCaptureForm> Logger { get; set; } = null!;

    /// <summary>Which kind of method to capture. Default Card.</summary>
    [Parameter] public PaymentMethodType Kind { get; set; } = PaymentMethodType.Card;

    /// <summary>Called once with the <c>pm_…</c> id. Required when capturing.</summary>
    [Parameter] public Func<CapturedPaymentMethod, Task>? OnCaptured { get; set; }

    /// <summary>Called when the payer cancels. Default none (no Cancel button).</summary>
    [Parameter] public Func<Task>? OnCancelled { get; set; }

    /// <summary>
    /// A <see cref="ChargeResult.CustomerAction"/> (PaymentIntent client secret) to complete instead of capturing.
    /// Default null (capture). See <see cref="CaptureComponentParameters.CustomerAction"/>.
    /// </summary>
    [Parameter] public string? CustomerAction { get; set; }

    /// <summary>Called once the customer action finished or failed. Default none.</summary>
    [Parameter] public Func<CustomerActionOutcome, Task>? OnCustomerActionCompleted { get; set; }

    private bool IsCard => Kind != PaymentMethodType.BankAccount;

    private string MountId => _id + "-element";

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        try
        {
            if (CustomerAction is not null)
            {
                _busy = true;
                StateHasChanged();
                var outcome = await HandleCustomerActionAsync(CustomerAction);
                _busy = false;
                _error = outcome.Completed ? null : outcome.Message;
                StateHasChanged();
                if (OnCustomerActionCompleted is not null)
                {
                    await OnCustomerActionCompleted(outcome);
                }
                return;
            }

            var scope = await Access.ForPayAsync();
            _email = scope.User.Email;
            var (session, error) = await Gateway.BeginSetupAsync(scope.AccountId, Kind);
            if (session is null)
            {
                _error = error;
                StateHasChanged();
                return;
            }
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
            var mounted = await _module.InvokeAsync<MountResult>("mount", MountId, session.PublishableKey, session.ClientSecret, Kind.ToString());
            _ready = mounted.Ok;
            _error = mounted.Ok ? null : mounted.Error ?? "The secure form could not be loaded. Reload the page and try again.";
            StateHasChanged();
        }
        catch (PortalAccessDeniedException ex)
        {
            _error = ex.Message;
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
            // The circuit went away while loading: nothing to show.
        }
        catch (JSException ex)
        {
            Logger.LogWarning("Stripe capture form could not load: {Error}", ex.Message);
            _error = "The secure form could not be loaded. Reload the page and try again.";
            StateHasChanged();
        }
    }

    /// <summary>
    /// Runs Stripe.js's <c>handleNextAction</c> for a PaymentIntent client secret (a <see cref="ChargeResult.CustomerAction"/>)
    /// so the payer can authenticate (3-D Secure) in the browser. The outcome is only what the browser saw: ask the gateway
    /// for the charge's status afterwards.
    /// </summary>
    public async Task<CustomerActionOutcome> HandleCustomerActionAsync(string customerAction)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerAction);
        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
            var result = await _module.InvokeAsync<NextActionResult>("handleNextAction", Gateway.PublishableKey, customerAction);
            return result.Completed
                ? new CustomerActionOutcome(true)
                : new CustomerActionOutcome(false, result.Error ?? "The payment was not confirmed with your card issuer.");
        }
        catch (JSDisconnectedException)
        {
            return new CustomerActionOutcome(false, "The page was closed before the payment was confirmed.");
        }
        catch (JSException ex)
        {
            Logger.LogWarning("Stripe handleNextAction failed: {Error}", ex.Message);
            return new CustomerActionOutcome(false, "The confirmation window could not be opened. Try again.");
        }
    }

    private async Task SubmitAsync()
    {
        if (_busy || !_ready || _module is null)
        {
            return;
        }
        _nameError = null;
        _error = null;
        var name = _name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            _nameError = IsCard ? "Enter the name on the card." : "Enter the account holder's name.";
            return;
        }
        _busy = true;
        try
        {
            var result = await _module.InvokeAsync<ConfirmResult>("confirm", MountId, new { name, email = _email });
            if (result.PaymentMethodId is not { Length: > 0 } paymentMethod)
            {
                _error = result.Error ?? "The details were not accepted. Check them and try again.";
                return;
            }
            if (OnCaptured is not null)
            {
                await OnCaptured(new CapturedPaymentMethod(paymentMethod, Kind) { Last4 = result.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) ? last4 : null });
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone: nobody to answer.
        }
        catch (JSException ex)
        {
            Logger.LogWarning("Stripe confirmation failed in the browser: {Error}", ex.Message);
            _error = "The details could not be sent to Stripe. Try again.";
        }
        finally
        {
            _busy = false;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        GC.SuppressFinalize(this);
        if (_module is null)
        {
            return;
        }
        try
        {
            await _module.InvokeVoidAsync("unmount", MountId);
            await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone; the browser dropped everything already.
        }
    }

    internal sealed record MountResult(bool Ok, string? Error);

    internal sealed record ConfirmResult(string? PaymentMethodId, string? Error, string? Last4 = null);

    internal sealed record NextActionResult(bool Completed, string? Error);
}
