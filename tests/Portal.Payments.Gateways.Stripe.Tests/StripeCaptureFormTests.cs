using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using Portal.Payments.Gateways.Stripe.Components;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Portal.Payments.Services;
using Portal.Payments.Testing;
using Portal.Payments.Users;

namespace Portal.Payments.Gateways.Stripe.Tests;

/// <summary>
/// The Stripe capture component without a browser (bUnit, Stripe.js's side answered through JS interop): it creates the
/// account's SetupIntent on the server, hands Stripe.js only the publishable key and client secret, passes on only the
/// <c>pm_…</c> id, runs <c>handleNextAction</c> for a customer action, and survives a vanished circuit.
/// </summary>
public sealed class StripeCaptureFormTests : BunitContext, IAsyncLifetime
{
    private readonly FakePortalUserContext _users = new() { User = FakePortalUserContext.UserOn("ACME", PortalPermissions.Pay) };
    private StripeGatewayHarness _h = null!;
    private BunitJSModuleInterop _module = null!;

    public async Task InitializeAsync()
    {
        _h = await StripeGatewayHarness.StartAsync();
        Services.AddSingleton(_h.Gateway);
        Services.AddSingleton<IPortalUserContext>(_users);
        Services.AddScoped<PortalAccess>();
        Services.AddLogging();
        _module = JSInterop.SetupModule(StripeCaptureForm.ModulePath);
        _module.SetupVoid("unmount", _ => true).SetVoidResult();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _h.DisposeAsync();
    }

    [Fact]
    public void A_card_is_captured_with_the_SetupIntent_of_the_account_and_only_the_pm_id_is_passed_on()
    {
        var mount = _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true);
        mount.SetResult(new StripeCaptureForm.MountResult(true, null));
        _module.Setup<StripeCaptureForm.ConfirmResult>("confirm", _ => true).SetResult(new StripeCaptureForm.ConfirmResult("pm_captured123", null));
        CapturedPaymentMethod? captured = null;

        var cut = Render<StripeCaptureForm>(p => p
            .Add(c => c.Kind, PaymentMethodType.Card)
            .Add(c => c.OnCaptured, (Func<CapturedPaymentMethod, Task>)(m => { captured = m; return Task.CompletedTask; })));
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        cut.Find("input").Input("Pat Payer");
        cut.Find("button").Click();

        cut.WaitForAssertion(() => Assert.NotNull(captured), TimeSpan.FromSeconds(10));
        Assert.Equal(new CapturedPaymentMethod("pm_captured123", PaymentMethodType.Card), captured);
        var args = Assert.Single(mount.Invocations).Arguments;
        Assert.Equal(StripeStandIn.PublishableKey, args[1]);
        var clientSecret = Assert.IsType<string>(args[2]);
        var setupIntent = _h.StandIn.Get(clientSecret[..clientSecret.IndexOf("_secret_", StringComparison.Ordinal)])!;
        Assert.Equal("card", setupIntent["payment_method_types"]![0]!.GetValue<string>());
        Assert.Equal("ACME", setupIntent["metadata"]!["portal_account_id"]!.GetValue<string>());
        Assert.Equal("Card", args[3]);
        Assert.DoesNotContain(_module.Invocations, i => i.Arguments.Any(a => a is string s && s.StartsWith("sk_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Continue_without_a_name_asks_for_it_and_sends_nothing_to_Stripe()
    {
        _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true).SetResult(new StripeCaptureForm.MountResult(true, null));
        var confirm = _module.Setup<StripeCaptureForm.ConfirmResult>("confirm", _ => true);

        var cut = Render<StripeCaptureForm>(p => p.Add(c => c.Kind, PaymentMethodType.BankAccount));
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        cut.Find("button").Click();

        cut.WaitForAssertion(() => Assert.Equal("Enter the account holder's name.", cut.Find("[role=alert]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(confirm.Invocations);
    }

    [Fact]
    public void Stripe_s_refusal_is_shown_and_nothing_is_captured()
    {
        _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true).SetResult(new StripeCaptureForm.MountResult(true, null));
        _module.Setup<StripeCaptureForm.ConfirmResult>("confirm", _ => true).SetResult(new StripeCaptureForm.ConfirmResult(null, "Your card was declined."));
        var captured = false;

        var cut = Render<StripeCaptureForm>(p => p.Add(c => c.OnCaptured, (Func<CapturedPaymentMethod, Task>)(_ => { captured = true; return Task.CompletedTask; })));
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        cut.Find("input").Input("Pat Payer");
        cut.Find("button").Click();

        cut.WaitForAssertion(() => Assert.Equal("Your card was declined.", cut.Find("[data-testid=stripe-error]").TextContent));
        Assert.False(captured);
    }

    [Fact]
    public void A_view_only_user_gets_no_SetupIntent()
    {
        _users.User = FakePortalUserContext.UserOn("ACME", PortalPermissions.View);
        var mount = _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true);

        var cut = Render<StripeCaptureForm>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stripe-error]")), TimeSpan.FromSeconds(10));
        Assert.Empty(mount.Invocations);
        Assert.Equal(0, _h.StandIn.CustomerCount);
        Assert.True(cut.Find("button").HasAttribute("disabled"));
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "We are unable to authenticate your payment method.")]
    public void A_customer_action_runs_handleNextAction_with_the_client_secret_and_reports_the_outcome(bool completed, string? error)
    {
        var next = _module.Setup<StripeCaptureForm.NextActionResult>("handleNextAction", _ => true);
        next.SetResult(new StripeCaptureForm.NextActionResult(completed, error));
        var mount = _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true);
        CustomerActionOutcome? outcome = null;

        var cut = Render<StripeCaptureForm>(p => p
            .Add(c => c.CustomerAction, "pi_123_secret_456")
            .Add(c => c.OnCustomerActionCompleted, (Func<CustomerActionOutcome, Task>)(o => { outcome = o; return Task.CompletedTask; })));

        cut.WaitForAssertion(() => Assert.NotNull(outcome), TimeSpan.FromSeconds(10));
        Assert.Equal(completed, outcome!.Completed);
        Assert.Equal(error, outcome.Message);
        Assert.Equal([StripeStandIn.PublishableKey, "pi_123_secret_456"], Assert.Single(next.Invocations).Arguments);
        Assert.Empty(mount.Invocations);
        Assert.Empty(cut.FindAll("input"));
        if (!completed)
        {
            Assert.Equal(error, cut.Find("[role=alert]").TextContent);
        }
    }

    [Fact]
    public async Task Disposing_after_the_circuit_is_gone_does_not_throw()
    {
        _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true).SetResult(new StripeCaptureForm.MountResult(true, null));
        var cut = Render<StripeCaptureForm>();
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        _module.SetupVoid("unmount", _ => true).SetException(new JSDisconnectedException("The circuit is gone."));

        await cut.Instance.DisposeAsync();
        await cut.Instance.DisposeAsync();
    }
}
