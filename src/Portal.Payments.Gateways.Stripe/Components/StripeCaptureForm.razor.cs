using Microsoft.AspNetCore.Components;
using System.Globalization;
using Microsoft.Extensions.Localization;
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
/// Its texts and Stripe.js's follow the user's UI culture (<see cref="StripeTexts"/>, <see cref="StripeLocale"/>).
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
    [Inject] private IStringLocalizer<StripeTexts> L { get; set; } = null!;

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
            var (session, _) = await Gateway.BeginSetupAsync(scope.AccountId, Kind);
            if (session is null)
            {
                // The gateway logged why; its answer is English, so the payer gets the form's own words.
                _error = L["Capture.Unavailable"];
                StateHasChanged();
                return;
            }
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
            var mounted = await _module.InvokeAsync<MountResult>("mount", MountId, session.PublishableKey, session.ClientSecret, Kind.ToString(), Locale);
            _ready = mounted.Ok;
            _error = mounted.Ok ? null : Text(mounted.Code, mounted.Error, "Capture.NotLoaded");
            StateHasChanged();
        }
        catch (PortalAccessDeniedException ex)
        {
            _error = L[ex.NotSignedIn ? "Capture.NotSignedIn" : "Capture.AccessDenied"];
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
            // The circuit went away while loading: nothing to show.
        }
        catch (JSException ex)
        {
            Logger.LogWarning("Stripe capture form could not load: {Error}", ex.Message);
            _error = L["Capture.NotLoaded"];
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
            var result = await _module.InvokeAsync<NextActionResult>("handleNextAction", Gateway.PublishableKey, customerAction, Locale);
            return result.Completed
                ? new CustomerActionOutcome(true)
                : new CustomerActionOutcome(false, Text(result.Code, result.Error, "Action.NotConfirmed"));
        }
        catch (JSDisconnectedException)
        {
            return new CustomerActionOutcome(false, L["Action.PageClosed"]);
        }
        catch (JSException ex)
        {
            Logger.LogWarning("Stripe handleNextAction failed: {Error}", ex.Message);
            return new CustomerActionOutcome(false, L["Action.WindowFailed"]);
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
            _nameError = L[IsCard ? "Capture.NameMissingCard" : "Capture.NameMissingBank"];
            return;
        }
        _busy = true;
        try
        {
            var result = await _module.InvokeAsync<ConfirmResult>("confirm", MountId, new { name, email = _email });
            if (result.PaymentMethodId is not { Length: > 0 } paymentMethod)
            {
                _error = Text(result.Code, result.Error, "Capture.NotAccepted");
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
            _error = L["Capture.NotSent"];
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

    /// <summary>Stripe.js's locale for the user's UI culture, so Stripe's fields and messages match the form's language.</summary>
    private static string Locale => StripeLocale.For(CultureInfo.CurrentUICulture);

    /// <summary>
    /// What to show for a failure from the browser: Stripe's own message (already in <see cref="Locale"/>'s language), or the
    /// form's words for the script's own failure codes, or <paramref name="fallback"/>.
    /// </summary>
    private string Text(string? code, string? stripeMessage, string fallback) => code switch
    {
        "stripe-js" => L["Capture.StripeJsUnreachable"],
        "not-ready" => L["Capture.NotReady"],
        "no-bank-account" => L["Capture.NoBankLinked"],
        "form-gone" => L["Capture.NotLoaded"],
        _ => string.IsNullOrWhiteSpace(stripeMessage) ? L[fallback] : stripeMessage,
    };

    /// <summary>The script's answer to <c>mount</c>: a Stripe message in <c>Error</c>, or one of its own failure codes in <c>Code</c>.</summary>
    internal sealed record MountResult(bool Ok, string? Error, string? Code = null);

    internal sealed record ConfirmResult(string? PaymentMethodId, string? Error, string? Last4 = null, string? Code = null);

    internal sealed record NextActionResult(bool Completed, string? Error, string? Code = null);
}
