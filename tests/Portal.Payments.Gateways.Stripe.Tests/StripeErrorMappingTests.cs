using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

namespace Portal.Payments.Gateways.Stripe.Tests;

/// <summary>
/// Every way a Stripe call can go wrong ends in one of the portal's closed error codes, as a value: declines with the
/// decline code's plain-language reason; an unknown outcome (timeouts, connection errors, 5xx, 429, 409) stays
/// Processing and is never Failed; idempotency misuse is a conflict. Never an exception.
/// </summary>
public sealed class StripeErrorMappingTests : IAsyncLifetime
{
    private StripeGatewayHarness _h = null!;

    public async Task InitializeAsync() => _h = await StripeGatewayHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData("4000000000000341", GatewayErrorCode.Declined, "The card was declined.")]
    [InlineData("4000000000009995", GatewayErrorCode.InsufficientFunds, "insufficient funds")]
    [InlineData("4000000000000069", GatewayErrorCode.ExpiredCard, "has expired")]
    [InlineData("4000000000000127", GatewayErrorCode.InvalidSecurityCode, "security code is incorrect")]
    [InlineData("4000000000000119", GatewayErrorCode.Other, "could not be processed")]
    public async Task A_test_card_decline_is_a_Declined_value_with_the_reason_in_plain_language(string number, GatewayErrorCode code, string reason)
    {
        var card = await _h.SaveCardAsync("ACME", number);
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");

        var result = await _h.Gateway.ChargeAsync(request);

        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.Equal(code, result.ErrorCode);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
        Assert.StartsWith("pi_", result.Reference, StringComparison.Ordinal);
        Assert.Equal(0, _h.StandIn.MoneyMovingIntents());
    }

    [Theory]
    [InlineData("4000000000009987")]
    [InlineData("4000000000009979")]
    public async Task A_lost_or_stolen_card_is_told_to_the_payer_as_a_plain_decline(string number)
    {
        var card = await _h.SaveCardAsync("ACME", number);

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.Equal(GatewayErrorCode.Declined, result.ErrorCode);
        Assert.DoesNotContain("lost", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stolen", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("declined", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("do_not_honor", GatewayErrorCode.Declined, "without giving a reason")]
    [InlineData("generic_decline", GatewayErrorCode.Declined, "The card was declined.")]
    [InlineData("card_velocity_exceeded", GatewayErrorCode.Declined, "spending limit")]
    [InlineData("insufficient_funds", GatewayErrorCode.InsufficientFunds, "insufficient funds")]
    [InlineData("some_future_code", GatewayErrorCode.Declined, "The card was declined.")]
    public async Task Issuer_decline_codes_map_to_their_reason(string declineCode, GatewayErrorCode code, string reason)
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        _h.StandIn.Fail(new StandInFault("POST", "/v1/payment_intents", 402, "card_error", "card_declined", declineCode));

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.Equal(code, result.ErrorCode);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_declined_charge_replayed_with_its_key_answers_the_same_decline_and_reference()
    {
        var card = await _h.SaveCardAsync("ACME", "4000000000009995");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");

        var first = await _h.Gateway.ChargeAsync(request);
        var second = await _h.Gateway.ChargeAsync(request);

        Assert.Equal(first.Reference, second.Reference);
        Assert.Equal(GatewayErrorCode.InsufficientFunds, second.ErrorCode);
        Assert.False(first.Replayed);
        Assert.True(second.Replayed);
    }

    [Theory]
    [InlineData(429, "invalid_request_error", "rate_limit", GatewayErrorCode.Unavailable)]
    [InlineData(500, "api_error", null, GatewayErrorCode.Unavailable)]
    [InlineData(503, "api_error", null, GatewayErrorCode.Unavailable)]
    [InlineData(409, "idempotency_error", null, GatewayErrorCode.InProgress)]
    public async Task An_answer_that_leaves_the_outcome_unknown_is_Processing_never_Failed(int status, string type, string? code, GatewayErrorCode expected)
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        _h.StandIn.Fail(new StandInFault("POST", "/v1/payment_intents", status, type, code));

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

        Assert.Equal(ChargeStatus.Processing, result.Status);
        Assert.Equal(expected, result.ErrorCode);
        Assert.Contains("do not pay again", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_charge_whose_answer_times_out_is_Processing_with_Timeout_and_the_lookup_by_key_finds_it()
    {
        await using var h = await StripeGatewayHarness.StartAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(3));
        var card = await h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        h.StandIn.Fail(new StandInFault("POST", "/v1/payment_intents", 500, Delay: TimeSpan.FromSeconds(5), AfterExecuting: true));

        var result = await h.Gateway.ChargeAsync(request);
        var lookup = await h.Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));

        Assert.Equal(ChargeStatus.Processing, result.Status);
        Assert.Equal(GatewayErrorCode.Timeout, result.ErrorCode);
        Assert.Null(result.Reference);
        Assert.Equal(ChargeStatus.Succeeded, lookup.Status);
        Assert.StartsWith("pi_", lookup.Reference, StringComparison.Ordinal);
        Assert.Equal(1, h.StandIn.MoneyMovingIntents(request.IdempotencyKey));
    }

    [Fact]
    public async Task A_charge_retried_after_a_5xx_with_the_same_key_charges_once()
    {
        await using var h = await StripeGatewayHarness.StartAsync(o => o.MaxNetworkRetries = 1);
        var card = await h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        h.StandIn.Fail(new StandInFault("POST", "/v1/payment_intents", 500, "api_error", AfterExecuting: true));

        var result = await h.Gateway.ChargeAsync(request);

        Assert.Equal(ChargeStatus.Succeeded, result.Status);
        Assert.True(result.Replayed);
        Assert.Equal(2, h.StandIn.Requests.Count(r => r.Path == "/v1/payment_intents"));
        Assert.Equal(1, h.StandIn.MoneyMovingIntents(request.IdempotencyKey));
    }

    [Fact]
    public async Task Stripe_unreachable_is_Unavailable_and_Processing()
    {
        await using var h = await StripeGatewayHarness.StartAsync();
        var card = await h.SaveCardAsync("ACME", "4242424242424242");
        var offline = await StripeGatewayHarness.StartAsync(o => o.ApiBase = "http://127.0.0.1:9"); // discard port: nothing listens
        await using (offline)
        {
            // The offline gateway shares nothing with Stripe; its customer store is empty, so give it the account's customer.
            var customers = offline.Services.GetService(typeof(IGatewayCustomerStore)) as IGatewayCustomerStore;
            var customer = await h.Services.GetRequiredService<IGatewayCustomerStore>().GetAsync("stripe", "ACME");
            await customers!.GetOrAddAsync("stripe", "ACME", customer!);

            var result = await offline.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

            Assert.Equal(ChargeStatus.Processing, result.Status);
            Assert.Equal(GatewayErrorCode.Unavailable, result.ErrorCode);
        }
    }

    [Fact]
    public async Task A_concurrent_request_with_the_same_key_gets_InProgress_or_the_same_success_and_only_one_charge_is_made()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        _h.StandIn.ChargeLatency = TimeSpan.FromMilliseconds(800);

        var results = await Task.WhenAll(_h.Gateway.ChargeAsync(request), DelayedAsync(() => _h.Gateway.ChargeAsync(request), 200));

        // Stripe answers the second caller 409 "in progress"; Stripe.net may retry it after a back-off, and a retry that
        // lands after the first finished gets the first one's answer replayed. Either is right; a second charge is not.
        var charged = Assert.Single(results, r => r.Status == ChargeStatus.Succeeded && !r.Replayed);
        var other = Assert.Single(results, r => !ReferenceEquals(r, charged));
        Assert.True(
            (other.ErrorCode == GatewayErrorCode.InProgress && other.Status == ChargeStatus.Processing)
            || (other.Status == ChargeStatus.Succeeded && other.Replayed && other.Reference == charged.Reference),
            $"The concurrent caller got {other}.");
        Assert.Equal(1, _h.StandIn.MoneyMovingIntents(request.IdempotencyKey));
    }

    [Fact]
    public async Task Reusing_a_key_with_another_amount_is_an_IdempotencyConflict_and_charges_nothing_more()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var request = StripeGatewayHarness.Charge(card.Token, "ACME", 10m);
        await _h.Gateway.ChargeAsync(request);

        var other = await _h.Gateway.ChargeAsync(request with { Amount = Money.Create(20m, "USD") });

        Assert.Equal(ChargeStatus.Failed, other.Status);
        Assert.Equal(GatewayErrorCode.IdempotencyConflict, other.ErrorCode);
        Assert.Equal(1, _h.StandIn.MoneyMovingIntents(request.IdempotencyKey));
    }

    [Fact]
    public async Task Refused_credentials_are_Unavailable_and_nothing_is_charged()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        // A gateway on the same stand-in and customer store, with a key Stripe does not know.
        var gateway = new StripeGateway(
            Microsoft.Extensions.Options.Options.Create(new StripeGatewayOptions { SecretKey = "sk_test_51WrongKey000000000000000000", PublishableKey = StripeStandIn.PublishableKey, ApiBase = _h.StandIn.Url, MaxNetworkRetries = 0 }),
            _h.Services.GetRequiredService<IGatewayCustomerStore>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<StripeGateway>.Instance);

        var result = await gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME"));

        Assert.Equal(ChargeStatus.Failed, result.Status);
        Assert.Equal(GatewayErrorCode.Unavailable, result.ErrorCode);
        Assert.Contains("Nothing was charged", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_payment_method_is_InvalidToken()
    {
        await _h.SaveCardAsync("ACME", "4242424242424242");

        var result = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge("pm_doesnotexist000", "ACME"));
        var notStripe = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge("sbx_pm_card_ok_123", "ACME"));

        Assert.Equal(GatewayErrorCode.InvalidToken, result.ErrorCode);
        Assert.Equal(ChargeStatus.Failed, result.Status);
        Assert.Equal(GatewayErrorCode.InvalidToken, notStripe.ErrorCode);
    }

    [Fact]
    public async Task Lookups_of_unknown_references_and_keys_are_NotFound_and_an_unreachable_lookup_is_not()
    {
        var byReference = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup("k", "pi_doesnotexist"));
        var byKey = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup("never-" + Guid.NewGuid().ToString("N")));
        _h.StandIn.Fail(new StandInFault("GET", "/v1/payment_intents/pi_", 503, "api_error"));
        var down = await _h.Gateway.GetChargeStatusAsync(new ChargeLookup("k", "pi_whatever"));

        Assert.Equal(GatewayErrorCode.NotFound, byReference.ErrorCode);
        Assert.Equal(GatewayErrorCode.NotFound, byKey.ErrorCode);
        Assert.Equal(ChargeStatus.Processing, down.Status);
        Assert.Equal(GatewayErrorCode.Unavailable, down.ErrorCode);
    }

    [Fact]
    public async Task Stripe_errors_while_saving_a_method_are_values()
    {
        var (session, _) = await _h.Gateway.BeginSetupAsync("ACME", PaymentMethodType.Card);
        var pm = await _h.Browser.ConfirmCardSetupAsync(session!.ClientSecret, "4242424242424242", 1, DateTime.UtcNow.Year + 1, "Pat", null);
        _h.StandIn.Fail(new StandInFault("GET", "/v1/setup_intents", 500, "api_error"));

        var result = await _h.Gateway.StoreMethodAsync(new StoreMethodRequest("ACME", pm, "k-" + Guid.NewGuid().ToString("N")));
        var retried = await _h.Gateway.StoreMethodAsync(new StoreMethodRequest("ACME", pm, "k-" + Guid.NewGuid().ToString("N")));

        Assert.False(result.Succeeded);
        Assert.Equal(GatewayErrorCode.Unavailable, result.ErrorCode);
        Assert.True(retried.Succeeded);
    }

    // Review: an idempotency error while saving a method told the payer "This payment was already sent with different
    // details; nothing more was charged." — about a payment nobody made.
    [Fact]
    public async Task An_idempotency_error_while_saving_a_method_speaks_of_saving_not_of_a_payment()
    {
        var (session, _) = await _h.Gateway.BeginSetupAsync("ACME", PaymentMethodType.Card);
        var pm = await _h.Browser.ConfirmCardSetupAsync(session!.ClientSecret, "4242424242424242", 1, DateTime.UtcNow.Year + 1, "Pat", null);
        _h.StandIn.Fail(new StandInFault("POST", "/v1/payment_methods/pm_", 400, "idempotency_error"));

        var result = await _h.Gateway.StoreMethodAsync(new StoreMethodRequest("ACME", pm, "k-" + Guid.NewGuid().ToString("N")));

        Assert.False(result.Succeeded);
        Assert.Equal(GatewayErrorCode.IdempotencyConflict, result.ErrorCode);
        Assert.Equal(StripeErrors.SaveSentWithOtherDetails, result.Message);
        Assert.DoesNotContain("payment", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("charged", result.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<ChargeResult> DelayedAsync(Func<Task<ChargeResult>> call, int milliseconds)
    {
        await Task.Delay(milliseconds);
        return await call();
    }
}
