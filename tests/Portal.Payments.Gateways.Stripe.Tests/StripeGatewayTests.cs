using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

namespace Portal.Payments.Gateways.Stripe.Tests;

/// <summary>The Stripe adapter's own rules, against the Stripe stand-in.</summary>
public sealed class StripeGatewayTests : IAsyncLifetime
{
    private StripeGatewayHarness _h = null!;

    public async Task InitializeAsync() => _h = await StripeGatewayHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_saved_card_gives_brand_last4_expiry_holder_and_postal_code_and_only_the_pm_id_as_token()
    {
        var year = DateTime.UtcNow.Year + 4;
        var card = await _h.SaveCardAsync("ACME", "5555555555554444", "Pat Payer", year);

        Assert.StartsWith("pm_", card.Token, StringComparison.Ordinal);
        Assert.Equal(PaymentMethodType.Card, card.Type);
        Assert.Equal("Mastercard", card.BrandOrBank);
        Assert.Equal("4444", card.Last4);
        Assert.Equal(12, card.ExpiryMonth);
        Assert.Equal(year, card.ExpiryYear);
        Assert.Equal("Pat Payer", card.HolderName);
        Assert.Equal("94107", card.BillingPostalCode);
        Assert.False(card.VerificationPending);
        Assert.DoesNotContain("5555555555554444", card.Token, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bank_account_is_confirmed_on_the_server_with_the_signed_ACH_authorization_as_online_customer_acceptance()
    {
        var signedAt = _h.Clock.GetUtcNow().AddMinutes(-1);
        var bank = await _h.SaveBankAccountAsync("ACME", "000123456789", new AchMandate(signedAt, "198.51.100.23", "Mozilla/5.0 (X11; Linux) Test/1.0", "2026-01"));

        Assert.Equal(PaymentMethodType.BankAccount, bank.Type);
        Assert.Equal("STRIPE TEST BANK", bank.BrandOrBank);
        Assert.Equal("6789", bank.Last4);
        Assert.Equal("110000000", bank.RoutingNumber);
        Assert.Equal(BankAccountType.Checking, bank.BankAccountType);
        Assert.Equal(BankAccountHolderType.Business, bank.HolderType);
        Assert.Equal("Acme Manufacturing", bank.HolderName);

        var confirm = Assert.Single(_h.StandIn.Requests, r => r.Method == "POST" && r.Path.EndsWith("/confirm", StringComparison.Ordinal) && r.Path.Contains("/setup_intents/", StringComparison.Ordinal));
        Assert.Equal("online", confirm.Form["mandate_data[customer_acceptance][type]"]);
        Assert.Equal("198.51.100.23", confirm.Form["mandate_data[customer_acceptance][online][ip_address]"]);
        Assert.Equal("Mozilla/5.0 (X11; Linux) Test/1.0", confirm.Form["mandate_data[customer_acceptance][online][user_agent]"]);
        Assert.Equal(signedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), confirm.Form["mandate_data[customer_acceptance][accepted_at]"]);
        Assert.NotNull(confirm.IdempotencyKey);
    }

    [Fact]
    public async Task A_bank_account_without_the_ACH_authorization_is_not_saved()
    {
        var (session, _) = await _h.Gateway.BeginSetupAsync("ACME", PaymentMethodType.BankAccount);
        var pm = await _h.Browser.CollectBankAccountAsync(session!.ClientSecret, "110000000", "000123456789", "Acme");

        var result = await _h.Gateway.StoreMethodAsync(new StoreMethodRequest("ACME", pm, "k-" + Guid.NewGuid().ToString("N")));

        Assert.False(result.Succeeded);
        Assert.Equal(GatewayErrorCode.InvalidRequest, result.ErrorCode);
        Assert.Contains("authorization", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("requires_confirmation", _h.StandIn.Get(SetupIntentId(session.ClientSecret))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_payment_method_collected_for_another_account_is_refused()
    {
        var globex = await _h.SaveCardAsync("GLOBEX", "4242424242424242");
        await _h.SaveCardAsync("ACME", "4242424242424242"); // ACME has a customer too

        var stolen = await _h.Gateway.StoreMethodAsync(new StoreMethodRequest("ACME", globex.Token, "k-" + Guid.NewGuid().ToString("N")));
        var charged = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(globex.Token, "ACME"));

        Assert.Equal(GatewayErrorCode.InvalidToken, stolen.ErrorCode);
        Assert.Equal(GatewayErrorCode.InvalidToken, charged.ErrorCode);
        Assert.Equal(0, _h.StandIn.MoneyMovingIntents());
    }

    [Fact]
    public async Task A_card_declined_while_saving_is_not_stored()
    {
        var (session, _) = await _h.Gateway.BeginSetupAsync("ACME", PaymentMethodType.Card);
        var (ok, body) = await _h.Browser.TryConfirmCardSetupAsync(session!.ClientSecret, "4000000000000002", 12, DateTime.UtcNow.Year + 2, "Pat", null);

        Assert.False(ok);
        Assert.Equal("card_declined", body["error"]!["code"]!.GetValue<string>());
        Assert.Null(_h.StandIn.Get(SetupIntentId(session.ClientSecret))!["payment_method"]);
    }

    [Fact]
    public async Task Concurrent_first_uses_of_an_account_create_one_Stripe_customer()
    {
        var sessions = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _h.Gateway.BeginSetupAsync("NEWCO", PaymentMethodType.Card)));

        Assert.All(sessions, s => Assert.NotNull(s.Session));
        Assert.Equal(1, _h.StandIn.CustomerCount);
        var creates = _h.StandIn.Requests.Where(r => r.Method == "POST" && r.Path == "/v1/customers").ToList();
        Assert.True(creates.Count >= 1);
        Assert.Single(creates.Select(r => r.IdempotencyKey).Distinct());
        Assert.Equal("NEWCO", creates[0].Form["metadata[portal_account_id]"]);
    }

    // Review: after a switch from test to live keys (or to another Stripe account) on the same database, the stored cus_ id
    // is unknown to Stripe; every SetupIntent was refused and the account could never save a card or bank account again.
    [Fact]
    public async Task A_stored_customer_Stripe_does_not_know_is_replaced_by_a_new_one_and_saving_a_method_works()
    {
        var customers = _h.Services.GetRequiredService<IGatewayCustomerStore>();
        Assert.Equal("cus_MadeWithTestKeys", await customers.GetOrAddAsync("stripe", "ACME", "cus_MadeWithTestKeys"));

        // The stand-in has no such customer: it answers as Stripe does (resource_missing on the customer parameter).
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");

        var replaced = await customers.GetAsync("stripe", "ACME");
        Assert.NotNull(replaced);
        Assert.NotEqual("cus_MadeWithTestKeys", replaced);
        Assert.Equal(1, _h.StandIn.CustomerCount);
        Assert.NotNull(_h.StandIn.Get(replaced!));
        Assert.Equal(ChargeStatus.Succeeded, (await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"))).Status);

        // Answered 404 resource_missing on the customer: replaced again, once.
        _h.StandIn.Fail(new StandInFault("POST", "/v1/setup_intents", 404, "invalid_request_error", "resource_missing", Param: "customer"));
        var (session, error) = await _h.Gateway.BeginSetupAsync("ACME", PaymentMethodType.Card);
        Assert.True(session is not null, error);
        var again = await customers.GetAsync("stripe", "ACME");
        Assert.NotEqual(replaced, again);
        Assert.Equal(2, _h.StandIn.CustomerCount);
    }

    [Fact]
    public async Task A_charge_is_a_PaymentIntent_confirmed_on_the_server_under_the_payment_key_with_the_ids_in_metadata()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME", 1234.56m);

        var result = await _h.Gateway.ChargeAsync(request);

        Assert.Equal(ChargeStatus.Succeeded, result.Status);
        Assert.StartsWith("pi_", result.Reference, StringComparison.Ordinal);
        var create = Assert.Single(_h.StandIn.Requests, r => r.Method == "POST" && r.Path == "/v1/payment_intents");
        Assert.Equal(request.IdempotencyKey, create.IdempotencyKey);
        Assert.Equal("123456", create.Form["amount"]);
        Assert.Equal("usd", create.Form["currency"]);
        Assert.Equal("true", create.Form["confirm"]);
        Assert.Equal(card.Token, create.Form["payment_method"]);
        Assert.Equal("card", create.Form["allowed_payment_method_types[0]"]);
        Assert.Equal(request.PaymentId.ToString(), create.Form["metadata[portal_payment_id]"]);
        Assert.Equal(request.IdempotencyKey, create.Form["metadata[portal_idempotency_key]"]);
        Assert.Equal("ACME PORTAL", create.Form["statement_descriptor_suffix"]);
        Assert.False(create.Form.ContainsKey("off_session"));
        Assert.StartsWith("2026-", create.StripeVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bank_debit_carries_the_whole_statement_descriptor_and_is_processing_then_returned_R01()
    {
        var bank = await _h.SaveBankAccountAsync("ACME", "000222222227");
        var request = StripeGatewayHarness.Charge(bank.Token, "ACME", 500m);

        var first = await _h.Gateway.ChargeAsync(request);
        _h.Clock.Advance(TimeSpan.FromDays(3));
        var later = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey, first.Reference));

        Assert.Equal(ChargeStatus.Processing, first.Status);
        Assert.Equal("ACME PORTAL", _h.StandIn.Requests.Last(r => r.Path == "/v1/payment_intents").Form["statement_descriptor"]);
        Assert.Equal(ChargeStatus.Returned, later.Status);
        Assert.Equal(GatewayErrorCode.Returned, later.ErrorCode);
        Assert.StartsWith("R01", later.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_off_session_charge_sends_off_session_true()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", offSession: true));

        Assert.Equal(ChargeStatus.Succeeded, result.Status);
        Assert.Equal("true", _h.StandIn.Requests.Single(r => r.Path == "/v1/payment_intents").Form["off_session"]);
    }

    [Fact]
    public async Task A_card_needing_3D_Secure_on_session_answers_RequiresAction_with_the_client_secret_and_succeeds_once_authenticated()
    {
        var card = await _h.SaveCardAsync("ACME", "4000002760003184");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");

        var result = await _h.Gateway.ChargeAsync(request);

        Assert.Equal(ChargeStatus.RequiresAction, result.Status);
        Assert.Equal(GatewayErrorCode.None, result.ErrorCode);
        Assert.Equal(_h.StandIn.Get(result.Reference!)!["client_secret"]!.GetValue<string>(), result.CustomerAction);
        Assert.Equal(0, _h.StandIn.MoneyMovingIntents());

        await _h.Browser.AuthenticateAsync(result.CustomerAction!, complete: true);
        var after = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey, result.Reference));
        Assert.Equal(ChargeStatus.Succeeded, after.Status);
    }

    [Fact]
    public async Task A_failed_3D_Secure_challenge_ends_declined()
    {
        var card = await _h.SaveCardAsync("ACME", "4000002760003184");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        var result = await _h.Gateway.ChargeAsync(request);

        await _h.Browser.AuthenticateAsync(result.CustomerAction!, complete: false);
        var after = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));

        Assert.Equal(ChargeStatus.Declined, after.Status);
        Assert.Equal(GatewayErrorCode.Declined, after.ErrorCode);
        Assert.Equal(result.Reference, after.Reference);
    }

    [Fact]
    public async Task An_off_session_charge_needing_authentication_is_declined_asking_the_payer_to_pay_now_while_signed_in()
    {
        var card = await _h.SaveCardAsync("ACME", "4000002760003184");

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", offSession: true));

        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.Equal(GatewayErrorCode.AuthenticationRequired, result.ErrorCode);
        Assert.Null(result.CustomerAction);
        Assert.Contains("Sign in and pay it now", result.Message, StringComparison.Ordinal);
        Assert.Equal(0, _h.StandIn.MoneyMovingIntents());
    }

    [Fact]
    public async Task A_full_refund_reverses_the_charge_and_the_lookup_says_so()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME", 80m);
        var charge = await _h.Gateway.ChargeAsync(request);

        var refund = await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "refund-" + request.IdempotencyKey));
        var again = await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "refund-" + request.IdempotencyKey));
        var lookup = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));

        Assert.Equal((ChargeStatus.Reversed, true), (refund.Status, refund.Refunded));
        Assert.Equal(ChargeStatus.Reversed, again.Status);
        Assert.True(again.Replayed);
        // The lookup tells a refund (money taken, then given back) from a cancel (nothing taken).
        Assert.Equal((ChargeStatus.Reversed, true), (lookup.Status, lookup.Refunded));
        Assert.Single(_h.StandIn.Requests, r => r.Path == "/v1/refunds" && !r.Replayed);
    }

    [Fact]
    public async Task A_partial_refund_leaves_the_charge_succeeded()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", 80m));

        var refund = await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "r-" + Guid.NewGuid().ToString("N"), Money.Create(30m, "USD")));

        Assert.True(ChargeStatus.Succeeded == refund.Status, $"{refund.Status} {refund.ErrorCode} {refund.Message}");
        Assert.Contains("USD 30.00", refund.Message, StringComparison.Ordinal);
        Assert.Equal(3000, _h.StandIn.ChargeOf(charge.Reference!)!["amount_refunded"]!.GetValue<long>());
    }

    [Fact]
    public async Task Voiding_a_processing_bank_debit_cancels_it_and_a_settled_charge_cannot_be_voided()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var debit = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(bank.Token, "ACME", 70m));
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var settled = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", 70m));

        var voided = await _h.Gateway.VoidAsync(new ReversalRequest(debit.Reference!, "v-" + Guid.NewGuid().ToString("N")));
        var refused = await _h.Gateway.VoidAsync(new ReversalRequest(settled.Reference!, "v-" + Guid.NewGuid().ToString("N")));

        Assert.Equal((ChargeStatus.Reversed, false), (voided.Status, voided.Refunded));
        Assert.False((await _h.Gateway.GetChargeStatusAsync(new ChargeLookup("unused", debit.Reference))).Refunded);
        Assert.Equal("canceled", _h.StandIn.Get(debit.Reference!)!["status"]!.GetValue<string>());
        Assert.Equal(ChargeStatus.Failed, refused.Status);
        Assert.Equal(GatewayErrorCode.InvalidRequest, refused.ErrorCode);
        Assert.Contains("refund", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Updating_a_card_changes_expiry_holder_and_postal_code_at_Stripe()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var year = DateTime.UtcNow.Year + 6;

        var ok = await _h.Gateway.UpdateMethodAsync(new UpdateMethodRequest(card.Token) { ExpiryMonth = 3, ExpiryYear = year, HolderName = "P. Payer", BillingPostalCode = "10001" });
        var bad = await _h.Gateway.UpdateMethodAsync(new UpdateMethodRequest(card.Token) { ExpiryMonth = 13 });
        var unknown = await _h.Gateway.UpdateMethodAsync(new UpdateMethodRequest("pm_doesnotexist") { HolderName = "X" });

        Assert.True(ok.Succeeded, ok.Message);
        var pm = _h.StandIn.Get(card.Token)!;
        Assert.Equal(3, pm["card"]!["exp_month"]!.GetValue<int>());
        Assert.Equal(year, pm["card"]!["exp_year"]!.GetValue<int>());
        Assert.Equal("P. Payer", pm["billing_details"]!["name"]!.GetValue<string>());
        Assert.Equal("10001", pm["billing_details"]!["address"]!["postal_code"]!.GetValue<string>());
        Assert.Equal(GatewayErrorCode.InvalidExpiry, bad.ErrorCode);
        Assert.Equal(GatewayErrorCode.NotFound, unknown.ErrorCode);
    }

    [Fact]
    public async Task Removing_a_method_detaches_it_and_removing_it_again_is_fine()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");

        var first = await _h.Gateway.RemoveMethodAsync(card.Token);
        var second = await _h.Gateway.RemoveMethodAsync(card.Token);
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

        Assert.True(first.Succeeded);
        Assert.True(second.Succeeded);
        Assert.Null(_h.StandIn.Get(card.Token)!["customer"]);
        Assert.Equal(GatewayErrorCode.InvalidToken, charge.ErrorCode);
    }

    // Review (money path): a retry whose method had left the customer meanwhile (the payer deleted it, a detach webhook)
    // was refused by the adapter's own check before Stripe saw the key, so a charge made by the lost first attempt was
    // recorded as failed and its invoices reopened.
    [Fact]
    public async Task A_retry_under_the_same_key_after_the_method_was_removed_answers_with_the_charge_made_not_a_refusal()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        var first = await _h.Gateway.ChargeAsync(request);
        Assert.Equal(ChargeStatus.Succeeded, first.Status);

        Assert.True((await _h.Gateway.RemoveMethodAsync(card.Token)).Succeeded);
        var retry = await _h.Gateway.ChargeAsync(request);

        Assert.Equal((ChargeStatus.Succeeded, GatewayErrorCode.None, first.Reference, true), (retry.Status, retry.ErrorCode, retry.Reference, retry.Replayed));
        Assert.Equal(1, _h.StandIn.MoneyMovingIntents());
        // A new payment with the removed method is still refused.
        Assert.Equal(GatewayErrorCode.InvalidToken, (await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"))).ErrorCode);
    }

    [Theory]
    [InlineData("JPY", "1000", "1000")]
    [InlineData("USD", "10.99", "1099")]
    [InlineData("KWD", "12.340", "12340")]
    [InlineData("MGA", "2500", "2500")]
    [InlineData("ISK", "1500", "150000")]
    public async Task Amounts_are_sent_in_Stripe_minor_units_per_currency(string currency, string amount, string expected)
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME", decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency);

        await _h.Gateway.ChargeAsync(request);

        var create = _h.StandIn.Requests.Single(r => r.Path == "/v1/payment_intents");
        Assert.Equal(expected, create.Form["amount"]);
        Assert.Equal(currency.ToLowerInvariant(), create.Form["currency"]);
    }

    [Fact]
    public async Task An_amount_Stripe_cannot_represent_is_refused_before_calling_Stripe()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", 12.345m, "KWD"));

        Assert.Equal(GatewayErrorCode.InvalidRequest, result.ErrorCode);
        Assert.DoesNotContain(_h.StandIn.Requests, r => r.Path == "/v1/payment_intents");
    }

    [Fact]
    public async Task A_lookup_by_key_finds_the_charge_even_when_Stripe_search_has_not_caught_up()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        var charge = await _h.Gateway.ChargeAsync(request);
        _h.StandIn.SearchIsBehind = true;

        var found = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));

        Assert.Equal(charge.Reference, found.Reference);
        Assert.Equal(ChargeStatus.Succeeded, found.Status);
        Assert.Contains(_h.StandIn.Requests, r => r.Method == "GET" && r.Path == "/v1/payment_intents" && r.Form.ContainsKey("created[gte]"));
    }

    [Fact]
    public void Card_brands_read_as_people_write_them()
    {
        Assert.Equal("Visa", StripeGateway.BrandName("visa"));
        Assert.Equal("American Express", StripeGateway.BrandName("amex"));
        Assert.Equal("Diners Club", StripeGateway.BrandName("diners"));
        Assert.Equal("Card", StripeGateway.BrandName("unknown"));
        Assert.Equal("Link card", StripeGateway.BrandName("link_card"));
    }

    private static string SetupIntentId(string clientSecret) => clientSecret[..clientSecret.IndexOf("_secret_", StringComparison.Ordinal)];
}
