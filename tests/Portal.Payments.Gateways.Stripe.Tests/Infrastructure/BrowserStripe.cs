using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

/// <summary>
/// What Stripe.js does in the payer's browser, with the publishable key and an intent's client secret: confirm a card
/// SetupIntent with the typed card, link a bank account to a SetupIntent, complete or fail a 3-D Secure challenge.
/// Used by the tests that do not run a browser; the Chromium tests use the JavaScript stand-in instead.
/// </summary>
public sealed class BrowserStripe(string apiBase)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Confirms a card SetupIntent; returns the <c>pm_…</c> id, or fails the test with Stripe's error.</summary>
    public async Task<string> ConfirmCardSetupAsync(string clientSecret, string number, int expMonth, int expYear, string name, string? postalCode)
    {
        var (ok, body) = await TryConfirmCardSetupAsync(clientSecret, number, expMonth, expYear, name, postalCode);
        Assert.True(ok, $"confirmSetup failed: {body}");
        return body["payment_method"]!.GetValue<string>();
    }

    /// <summary>Confirms a card SetupIntent; returns the SetupIntent, or Stripe's error body.</summary>
    public async Task<(bool Ok, JsonObject Body)> TryConfirmCardSetupAsync(string clientSecret, string number, int expMonth, int expYear, string name, string? postalCode)
    {
        var form = new Dictionary<string, string>
        {
            ["key"] = StripeStandIn.PublishableKey,
            ["client_secret"] = clientSecret,
            ["payment_method_data[type]"] = "card",
            ["payment_method_data[card][number]"] = number.Replace(" ", "", StringComparison.Ordinal),
            ["payment_method_data[card][exp_month]"] = expMonth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["payment_method_data[card][exp_year]"] = expYear.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["payment_method_data[card][cvc]"] = "739",
            ["payment_method_data[billing_details][name]"] = name,
        };
        if (postalCode is not null)
        {
            form["payment_method_data[billing_details][address][postal_code]"] = postalCode;
        }
        return await PostAsync($"/v1/setup_intents/{IntentId(clientSecret)}/confirm", form);
    }

    /// <summary>Links a bank account to a SetupIntent (collectBankAccountForSetup); returns the <c>pm_…</c> id.</summary>
    public async Task<string> CollectBankAccountAsync(string clientSecret, string routing, string account, string name, string holderType = "company")
    {
        var (created, method) = await PostAsync("/v1/payment_methods", new Dictionary<string, string>
        {
            ["key"] = StripeStandIn.PublishableKey,
            ["type"] = "us_bank_account",
            ["us_bank_account[routing_number]"] = routing,
            ["us_bank_account[account_number]"] = account,
            ["us_bank_account[account_holder_type]"] = holderType,
            ["us_bank_account[account_type]"] = "checking",
            ["billing_details[name]"] = name,
        });
        Assert.True(created, $"Creating the bank PaymentMethod failed: {method}");
        var id = method["id"]!.GetValue<string>();
        var (attached, intent) = await PostAsync($"/v1/setup_intents/{IntentId(clientSecret)}", new Dictionary<string, string>
        {
            ["key"] = StripeStandIn.PublishableKey,
            ["client_secret"] = clientSecret,
            ["payment_method"] = id,
        });
        Assert.True(attached, $"Linking the bank account failed: {intent}");
        Assert.Equal("requires_confirmation", intent["status"]!.GetValue<string>());
        return id;
    }

    /// <summary>Completes (or fails) the 3-D Secure challenge of a PaymentIntent, as the payer would in Stripe's window.</summary>
    public async Task<JsonObject> AuthenticateAsync(string clientSecret, bool complete)
    {
        var (ok, body) = await PostAsync($"/v1/payment_intents/{IntentId(clientSecret)}/authenticate", new Dictionary<string, string>
        {
            ["key"] = StripeStandIn.PublishableKey,
            ["client_secret"] = clientSecret,
            ["result"] = complete ? "complete" : "fail",
        });
        Assert.True(ok, $"Authentication failed: {body}");
        return body;
    }

    private static string IntentId(string clientSecret) => clientSecret[..clientSecret.IndexOf("_secret_", StringComparison.Ordinal)];

    private async Task<(bool, JsonObject)> PostAsync(string path, Dictionary<string, string> form)
    {
        using var response = await Http.PostAsync(apiBase.TrimEnd('/') + path, new FormUrlEncodedContent(form));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>() ?? [];
        return (response.IsSuccessStatusCode, body);
    }
}
