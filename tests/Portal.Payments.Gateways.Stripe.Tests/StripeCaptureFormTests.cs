using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using Portal.Payments.Gateways.Stripe.Components;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Portal.Payments.Services;
using Portal.Payments.TestInfrastructure;
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
    private readonly (CultureInfo Culture, CultureInfo UiCulture) _cultures = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);

    public async Task InitializeAsync()
    {
        _h = await StripeGatewayHarness.StartAsync();
        Services.AddSingleton(_h.Gateway);
        Services.AddSingleton<IPortalUserContext>(_users);
        Services.AddScoped<PortalAccess>();
        Services.AddLogging();
        Services.AddSingleton<IStringLocalizer<StripeTexts>, StripeTextLocalizer>();
        _module = JSInterop.SetupModule(StripeCaptureForm.ModulePath);
        _module.SetupVoid("unmount", _ => true).SetVoidResult();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = _cultures;
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

        cut.WaitForAssertion(() => Assert.Equal("Your card was declined.", cut.Find("[data-testid=stripe-error]").TextContent), TimeSpan.FromSeconds(10));
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
        Assert.Equal([StripeStandIn.PublishableKey, "pi_123_secret_456", StripeLocale.For(CultureInfo.CurrentUICulture)], Assert.Single(next.Invocations).Arguments);
        Assert.Empty(mount.Invocations);
        Assert.Empty(cut.FindAll("input"));
        if (!completed)
        {
            Assert.Equal(error, cut.Find("[role=alert]").TextContent);
        }
    }

    // Review (words): the form's own texts were English on a German page, and Stripe.js (its fields, its messages) followed
    // the browser's language instead of the portal's.
    [Fact]
    public void A_German_user_gets_the_form_in_German_and_Stripe_js_in_German()
    {
        German();
        var mount = _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true);
        mount.SetResult(new StripeCaptureForm.MountResult(true, null));
        var confirm = _module.Setup<StripeCaptureForm.ConfirmResult>("confirm", _ => true);

        var cut = Render<StripeCaptureForm>(p => p.Add(c => c.OnCancelled, (Func<Task>)(() => Task.CompletedTask)));
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));

        Assert.Equal("Name auf der Karte", cut.Find("label").TextContent);
        Assert.Equal("Kartendaten", cut.Find(".pp-label").TextContent);
        Assert.Equal(["Weiter", "Abbrechen"], cut.FindAll("button").Select(b => b.TextContent));
        Assert.Equal("de", Assert.Single(mount.Invocations).Arguments[4]);
        cut.Find("button").Click();
        cut.WaitForAssertion(() => Assert.Equal("Geben Sie den Namen auf der Karte ein.", cut.Find("[role=alert]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(confirm.Invocations);
        AssertNoEnglish(cut.Markup);
    }

    [Fact]
    public void A_German_user_linking_a_bank_account_reads_the_form_and_its_failures_in_German()
    {
        German();
        _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true).SetResult(new StripeCaptureForm.MountResult(true, null));
        _module.Setup<StripeCaptureForm.ConfirmResult>("confirm", _ => true).SetResult(new StripeCaptureForm.ConfirmResult(null, null, Code: "no-bank-account"));

        var cut = Render<StripeCaptureForm>(p => p.Add(c => c.Kind, PaymentMethodType.BankAccount));
        cut.WaitForAssertion(() => Assert.False(cut.Find("button").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
        Assert.Equal("Name des Kontoinhabers", cut.Find("label").TextContent);
        Assert.StartsWith("„Weiter“ öffnet das sichere Fenster von Stripe", cut.Find(".pp-muted").TextContent);
        cut.Find("input").Input("Pat Payer");
        cut.Find("button").Click();

        cut.WaitForAssertion(() => Assert.Equal("Es wurde kein Bankkonto verknüpft. Wählen Sie „Weiter“, um es erneut zu versuchen.",
            cut.Find("[data-testid=stripe-error]").TextContent), TimeSpan.FromSeconds(10));
        AssertNoEnglish(cut.Markup);
    }

    // The script's own failures come as codes the form words; Stripe's messages (already in Stripe.js's locale) pass as they are.
    [Theory]
    [InlineData("en-US", "stripe-js", null, "Stripe.js could not be loaded. Check the connection and reload the page.")]
    [InlineData("de-DE", "stripe-js", null, "Stripe.js konnte nicht geladen werden. Prüfen Sie die Verbindung und laden Sie die Seite neu.")]
    [InlineData("de-DE", "form-gone", null, "Das sichere Formular konnte nicht geladen werden. Laden Sie die Seite neu und versuchen Sie es erneut.")]
    [InlineData("de-DE", null, null, "Das sichere Formular konnte nicht geladen werden. Laden Sie die Seite neu und versuchen Sie es erneut.")]
    [InlineData("de-DE", null, "Ungültiger API-Schlüssel.", "Ungültiger API-Schlüssel.")]
    public void A_form_that_cannot_load_says_why_in_the_user_s_language(string culture, string? code, string? stripeMessage, string expected)
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
        _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true).SetResult(new StripeCaptureForm.MountResult(false, stripeMessage, code));

        var cut = Render<StripeCaptureForm>();

        cut.WaitForAssertion(() => Assert.Equal(expected, cut.Find("[data-testid=stripe-error]").TextContent), TimeSpan.FromSeconds(10));
        Assert.True(cut.Find("button").HasAttribute("disabled"));
    }

    [Fact]
    public void A_German_user_whom_Stripe_cannot_serve_or_who_may_not_pay_is_told_in_German()
    {
        German();
        var mount = _module.Setup<StripeCaptureForm.MountResult>("mount", _ => true);
        _h.StandIn.Fail(new StandInFault("POST", "/v1/setup_intents", 400, "invalid_request_error", "parameter_invalid_empty"));

        var unavailable = Render<StripeCaptureForm>();
        unavailable.WaitForAssertion(() => Assert.Equal("Karten- und Bankdaten können gerade nicht erfasst werden. Versuchen Sie es gleich noch einmal.",
            unavailable.Find("[data-testid=stripe-error]").TextContent), TimeSpan.FromSeconds(10));

        _users.User = FakePortalUserContext.UserOn("ACME", PortalPermissions.View);
        var denied = Render<StripeCaptureForm>();
        denied.WaitForAssertion(() => Assert.Equal("Dafür fehlt Ihnen in diesem Kundenkonto die Berechtigung.",
            denied.Find("[data-testid=stripe-error]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(mount.Invocations);
    }

    [Fact]
    public void A_German_user_whose_bank_confirmation_failed_without_a_word_from_Stripe_reads_why_in_German()
    {
        German();
        _module.Setup<StripeCaptureForm.NextActionResult>("handleNextAction", _ => true).SetResult(new StripeCaptureForm.NextActionResult(false, null));
        CustomerActionOutcome? outcome = null;

        var cut = Render<StripeCaptureForm>(p => p
            .Add(c => c.CustomerAction, "pi_123_secret_456")
            .Add(c => c.OnCustomerActionCompleted, (Func<CustomerActionOutcome, Task>)(o => { outcome = o; return Task.CompletedTask; })));

        cut.WaitForAssertion(() => Assert.NotNull(outcome), TimeSpan.FromSeconds(10));
        Assert.Equal("Die Zahlung wurde bei Ihrer Kartenbank nicht bestätigt.", outcome!.Message);
        Assert.Equal(outcome.Message, cut.Find("[role=alert]").TextContent);
    }

    [Theory]
    [InlineData("de-DE", "de")]
    [InlineData("de-AT", "de")]
    [InlineData("en-US", "en")]
    [InlineData("en-GB", "en-GB")]
    [InlineData("pt-BR", "pt-BR")]
    [InlineData("pt-PT", "pt")]
    [InlineData("fr-CA", "fr-CA")]
    [InlineData("sw-KE", "auto")]
    [InlineData("", "auto")]
    public void Stripe_js_runs_in_the_portal_s_language_where_Stripe_has_it(string culture, string expected) =>
        Assert.Equal(expected, StripeLocale.For(CultureInfo.GetCultureInfo(culture)));

    [Fact]
    public void German_has_every_English_text_of_the_form() =>
        ResourceTexts.AssertGermanMatchesEnglish([StripeTextLocalizer.Resources], atLeast: 20);

    private static void German() => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");

    // No English text of the form's own (nor a key shown for a missing text) on a German page.
    private static void AssertNoEnglish(string markup)
    {
        var english = ResourceTexts.Of([StripeTextLocalizer.Resources], CultureInfo.InvariantCulture);
        Assert.DoesNotContain(english.Values, t => markup.Contains(System.Net.WebUtility.HtmlEncode(t), StringComparison.Ordinal) || markup.Contains(t, StringComparison.Ordinal));
        Assert.DoesNotMatch(@"(Capture|Action)\.[A-Z]", markup);
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
