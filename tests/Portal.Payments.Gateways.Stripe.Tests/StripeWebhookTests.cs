using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Portal.Payments.Gateways.Stripe.Webhooks;
using Portal.Payments.Testing;

namespace Portal.Payments.Gateways.Stripe.Tests;

/// <summary>
/// Stripe webhooks with real signatures computed in the test: only a valid, fresh signature over the exact body is
/// accepted, and every event type the portal needs reaches the event sink with Stripe's event id.
/// </summary>
public sealed class StripeWebhookTests : IAsyncLifetime
{
    private StripeGatewayHarness _h = null!;

    public async Task InitializeAsync() => _h = await StripeGatewayHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private DateTimeOffset Now => _h.Clock.GetUtcNow();

    private Task<GatewayWebhookResponse> DeliverAsync(string body, DateTimeOffset? signedAt = null, string secret = StripeGatewayHarness.WebhookSecret) =>
        _h.WebhookHandler.HandleAsync(StripeEvents.Delivery(body, StripeEvents.Sign(body, secret, signedAt ?? Now)));

    private async Task<(ChargeRequest Request, ChargeResult Result)> ChargeAsync(string number = "4242424242424242")
    {
        var card = await _h.SaveCardAsync("ACME", number);
        var request = StripeGatewayHarness.Charge(card.Token, "ACME");
        return (request, await _h.Gateway.ChargeAsync(request));
    }

    [Fact]
    public async Task A_validly_signed_payment_intent_succeeded_reports_Succeeded_with_the_event_id_key_reference_and_payment_id()
    {
        var (request, charge) = await ChargeAsync();
        var (id, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now.AddSeconds(-2));

        var response = await DeliverAsync(body);

        Assert.Equal(200, response.StatusCode);
        var (gateway, reported) = Assert.Single(_h.Sink.Events);
        Assert.Equal("stripe", gateway);
        var e = Assert.IsType<ChargeStatusEvent>(reported);
        Assert.Equal(id, e.EventId);
        Assert.Equal(ChargeStatus.Succeeded, e.Status);
        Assert.Equal(charge.Reference, e.Reference);
        Assert.Equal(request.IdempotencyKey, e.IdempotencyKey);
        Assert.Equal(request.PaymentId, e.PaymentId);
        Assert.Equal(Now.AddSeconds(-2).ToUnixTimeSeconds(), e.OccurredAt.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task A_tampered_body_is_refused_and_nothing_is_reported()
    {
        var (_, charge) = await ChargeAsync();
        var (_, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now);
        var signature = StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, Now);
        var tampered = body.Replace("\"amount\":12550", "\"amount\":1", StringComparison.Ordinal);
        Assert.NotEqual(body, tampered);

        var response = await _h.WebhookHandler.HandleAsync(StripeEvents.Delivery(tampered, signature));

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task A_stale_signature_is_refused_as_a_replay_and_one_within_tolerance_is_accepted()
    {
        var (_, charge) = await ChargeAsync();
        var (_, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now.AddMinutes(-10));

        var stale = await DeliverAsync(body, Now.AddSeconds(-301));
        var future = await DeliverAsync(body, Now.AddSeconds(301));
        var fresh = await DeliverAsync(body, Now.AddSeconds(-299));

        Assert.Equal(400, stale.StatusCode);
        Assert.Contains("too old", stale.Message, StringComparison.Ordinal);
        Assert.Equal(400, future.StatusCode);
        Assert.Equal(200, fresh.StatusCode);
        Assert.Single(_h.Sink.Events);
    }

    [Fact]
    public async Task A_signature_made_with_another_secret_or_no_signature_at_all_is_refused()
    {
        var (_, charge) = await ChargeAsync();
        var (_, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now);

        var wrong = await DeliverAsync(body, secret: "whsec_SomebodyElsesSecret000000000");
        var missing = await _h.WebhookHandler.HandleAsync(StripeEvents.Delivery(body, null));
        var garbage = await _h.WebhookHandler.HandleAsync(StripeEvents.Delivery(body, "t=abc,v1=zz"));

        Assert.Equal(400, wrong.StatusCode);
        Assert.Equal(400, missing.StatusCode);
        Assert.Equal(400, garbage.StatusCode);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task During_secret_rotation_any_matching_v1_signature_is_accepted()
    {
        var (_, charge) = await ChargeAsync();
        var (_, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now);
        var old = StripeEvents.Sign(body, "whsec_OldSecret00000000000000", Now);
        var current = StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, Now);
        var header = old + "," + current[(current.IndexOf(',', StringComparison.Ordinal) + 1)..] + ",v0=ignored";

        var response = await _h.WebhookHandler.HandleAsync(StripeEvents.Delivery(body, header));

        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task A_duplicate_delivery_passes_the_same_event_id_so_the_sink_applies_it_once()
    {
        var (_, charge) = await ChargeAsync();
        var (id, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now);

        var first = await DeliverAsync(body);
        var second = await DeliverAsync(body, Now.AddSeconds(30));

        Assert.Equal(200, first.StatusCode);
        Assert.Equal(200, second.StatusCode);
        Assert.Equal("Applied", first.Message);
        Assert.Equal("Duplicate", second.Message);
        Assert.All(_h.Sink.Events, e => Assert.Equal(id, e.Event.EventId));
        Assert.Equal(2, _h.Sink.Events.Count);
    }

    [Fact]
    public async Task Out_of_order_events_are_each_reported_with_the_time_Stripe_gave_them()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(bank.Token, "ACME"));
        var processing = _h.StandIn.Get(charge.Reference!)!;
        var processingAt = Now;
        _h.Clock.Advance(TimeSpan.FromDays(3));
        var succeeded = _h.StandIn.Get(charge.Reference!)!;
        var (succeededId, succeededBody) = StripeEvents.Event("payment_intent.succeeded", succeeded, Now);
        var (processingId, processingBody) = StripeEvents.Event("payment_intent.processing", processing, processingAt);

        await DeliverAsync(succeededBody);
        await DeliverAsync(processingBody);

        var events = _h.Sink.Events.Select(e => Assert.IsType<ChargeStatusEvent>(e.Event)).ToList();
        Assert.Equal([succeededId, processingId], events.Select(e => e.EventId));
        Assert.Equal([ChargeStatus.Succeeded, ChargeStatus.Processing], events.Select(e => e.Status));
        Assert.True(events[0].OccurredAt > events[1].OccurredAt, "The later status must carry the later time, whatever the arrival order.");
        Assert.All(events, e => Assert.Equal(charge.Reference, e.Reference));
    }

    [Fact]
    public async Task A_failed_card_payment_reports_Declined_with_the_reason()
    {
        var (request, charge) = await ChargeAsync("4000000000009995");
        var (_, body) = StripeEvents.Event("payment_intent.payment_failed", _h.StandIn.Get(charge.Reference!)!, Now);

        await DeliverAsync(body);

        var e = Assert.IsType<ChargeStatusEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(ChargeStatus.Declined, e.Status);
        Assert.Equal(GatewayErrorCode.InsufficientFunds, e.ErrorCode);
        Assert.Equal(request.IdempotencyKey, e.IdempotencyKey);
    }

    [Fact]
    public async Task An_ACH_debit_processing_then_succeeded_then_returned_reports_each_step_ending_Returned()
    {
        var bank = await _h.SaveBankAccountAsync("ACME", "000123456789");
        var request = StripeGatewayHarness.Charge(bank.Token, "ACME", 900m);
        var charge = await _h.Gateway.ChargeAsync(request);
        await DeliverAsync(StripeEvents.Event("payment_intent.processing", _h.StandIn.Get(charge.Reference!)!, Now).Json);
        _h.Clock.Advance(TimeSpan.FromDays(3));
        await DeliverAsync(StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, Now).Json);
        _h.Clock.Advance(TimeSpan.FromDays(20));
        // Weeks later the account holder's bank takes the debit back as unauthorized: for ACH, Stripe opens a dispute.
        var achCharge = _h.StandIn.ChargeOf(charge.Reference!)!;
        await DeliverAsync(StripeEvents.Event("charge.dispute.created", StripeEvents.Dispute(achCharge, "debit_not_authorized"), Now).Json);

        var statuses = _h.Sink.Events.Select(e => Assert.IsType<ChargeStatusEvent>(e.Event)).ToList();
        Assert.Equal([ChargeStatus.Processing, ChargeStatus.Succeeded, ChargeStatus.Returned], statuses.Select(s => s.Status));
        Assert.Equal(GatewayErrorCode.Returned, statuses[^1].ErrorCode);
        Assert.All(statuses, s => Assert.Equal(charge.Reference, s.Reference));
        Assert.Contains("debit not authorized", statuses[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bank_debit_that_fails_while_processing_reports_Returned_with_the_return_code()
    {
        var bank = await _h.SaveBankAccountAsync("ACME", "000222222227");
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(bank.Token, "ACME"));
        _h.Clock.Advance(TimeSpan.FromDays(3));

        await DeliverAsync(StripeEvents.Event("payment_intent.payment_failed", _h.StandIn.Get(charge.Reference!)!, Now).Json);

        var e = Assert.IsType<ChargeStatusEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(ChargeStatus.Returned, e.Status);
        Assert.Equal(GatewayErrorCode.Returned, e.ErrorCode);
        Assert.StartsWith("R01", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_payment_intent_reports_Reversed()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(bank.Token, "ACME"));
        await _h.Gateway.VoidAsync(new ReversalRequest(charge.Reference!, "void-1"));

        await DeliverAsync(StripeEvents.Event("payment_intent.canceled", _h.StandIn.Get(charge.Reference!)!, Now).Json);

        var e = Assert.IsType<ChargeStatusEvent>(Assert.Single(_h.Sink.Events).Event);
        // Cancelled before anything moved: not a refund (the portal records it voided, nothing charged).
        Assert.Equal((ChargeStatus.Reversed, false), (e.Status, e.Refunded));
    }

    // Review (money): a full refund and a cancelled intent both reported only "Reversed", so a payment whose answer was
    // lost, refunded at Stripe, was recorded voided with nothing charged. A refund says it is one.
    [Fact]
    public async Task A_full_refund_reports_Reversed_and_a_partial_one_reports_nothing()
    {
        var (request, charge) = await ChargeAsync();
        await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "r1", Money.Create(25m, "USD")));
        var partial = await DeliverAsync(StripeEvents.Event("charge.refunded", _h.StandIn.ChargeOf(charge.Reference!)!, Now).Json);
        await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "r2"));
        var full = await DeliverAsync(StripeEvents.Event("charge.refunded", _h.StandIn.ChargeOf(charge.Reference!)!, Now).Json);

        Assert.Equal(200, partial.StatusCode);
        Assert.Equal(200, full.StatusCode);
        var e = Assert.IsType<ChargeStatusEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(ChargeStatus.Reversed, e.Status);
        Assert.True(e.Refunded);
        Assert.Equal(charge.Reference, e.Reference);
        Assert.Equal(request.IdempotencyKey, e.IdempotencyKey);
    }

    // Review: a refund of part of a charge, made in Stripe's dashboard, was heard of nowhere (a debug line): the payment
    // stays paid and the ERP keeps the invoices paid, while money went back. An operator is told, with the amounts.
    [Fact]
    public async Task A_partial_refund_warns_the_operator_with_the_amounts_and_changes_no_payment()
    {
        var (request, charge) = await ChargeAsync();
        var log = new WarningLog();
        var handler = new StripeWebhookHandler(Options.Create(new StripeGatewayOptions { WebhookSigningSecret = StripeGatewayHarness.WebhookSecret }),
            TimeProvider.System, log, _h.Sink);
        await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "r1", Money.Create(25m, "USD")));
        var (_, body) = StripeEvents.Event("charge.refunded", _h.StandIn.ChargeOf(charge.Reference!)!, DateTimeOffset.UtcNow);

        var response = await handler.HandleAsync(StripeEvents.Delivery(body, StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, DateTimeOffset.UtcNow)));

        Assert.Equal(200, response.StatusCode);
        Assert.Empty(_h.Sink.Events);
        var warning = Assert.Single(log.Warnings);
        Assert.Contains($"USD 25.00 of {request.Amount}", warning, StringComparison.Ordinal);
        Assert.Contains(charge.Reference!, warning, StringComparison.Ordinal);
        Assert.Contains("refunded in part", warning, StringComparison.Ordinal);
    }

    /// <summary>Keeps the warnings a handler logs.</summary>
    private sealed class WarningLog : Microsoft.Extensions.Logging.ILogger<StripeWebhookHandler>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }

    // Review: a refund that failed after charge.refunded had made the payment Refunded (final) went unnoticed: refund.failed
    // and charge.refund.updated were answered "Ignored".
    [Fact]
    public async Task A_refund_that_fails_after_charge_refunded_reports_RefundFailedEvent_once_for_the_payment_intent()
    {
        var (_, charge) = await ChargeAsync();
        await _h.Gateway.RefundAsync(new ReversalRequest(charge.Reference!, "r1"));
        var stripeCharge = _h.StandIn.ChargeOf(charge.Reference!)!;
        var refunded = await DeliverAsync(StripeEvents.Event("charge.refunded", stripeCharge, Now).Json);
        var refund = StripeEvents.Refund(stripeCharge, "failed", "expired_or_canceled_card");

        var failed = await DeliverAsync(StripeEvents.Event("refund.failed", refund, Now.AddHours(1)).Json);
        var updated = await DeliverAsync(StripeEvents.Event("charge.refund.updated", refund, Now.AddHours(1)).Json);
        var pending = await DeliverAsync(StripeEvents.Event("refund.updated", StripeEvents.Refund(stripeCharge, "pending"), Now).Json);

        Assert.Equal((200, "Applied"), (refunded.StatusCode, refunded.Message));
        Assert.Equal((200, "Applied"), (failed.StatusCode, failed.Message));
        Assert.Equal((200, "Duplicate"), (updated.StatusCode, updated.Message));   // the same failure, reported once
        Assert.StartsWith("Ignored", pending.Message, StringComparison.Ordinal);
        var events = _h.Sink.Events.Select(e => e.Event).ToList();
        Assert.Equal(ChargeStatus.Reversed, Assert.IsType<ChargeStatusEvent>(events[0]).Status);
        var e = Assert.IsType<RefundFailedEvent>(events[1]);
        Assert.Equal(charge.Reference, e.Reference);   // the PaymentIntent, as the portal stores it
        Assert.Equal(refund["id"]!.GetValue<string>(), e.RefundReference);
        Assert.Equal(Money.Create(125.50m, "USD"), e.Amount);
        Assert.Equal("expired or canceled card", e.Reason);
        Assert.Equal(3, events.Count);
    }

    [Fact]
    public async Task A_card_dispute_reports_ChargeDisputedEvent_with_the_amount_and_reason()
    {
        var (_, charge) = await ChargeAsync();

        await DeliverAsync(StripeEvents.Event("charge.dispute.created", StripeEvents.Dispute(_h.StandIn.ChargeOf(charge.Reference!)!, "product_not_received"), Now).Json);

        var e = Assert.IsType<ChargeDisputedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(charge.Reference, e.Reference);
        Assert.Equal(Money.Create(125.50m, "USD"), e.Amount);
        Assert.Equal("product not received", e.Reason);
    }

    // Review: only charge.dispute.created was mapped, so a lost card dispute never reached the portal.
    [Theory]
    [InlineData("lost", DisputeStage.Lost)]
    [InlineData("won", DisputeStage.Won)]
    [InlineData("warning_closed", DisputeStage.Won)]
    public async Task A_closed_card_dispute_reports_how_it_ended(string status, DisputeStage stage)
    {
        var (_, charge) = await ChargeAsync();

        var answer = await DeliverAsync(StripeEvents.Event("charge.dispute.closed", StripeEvents.Dispute(_h.StandIn.ChargeOf(charge.Reference!)!, "fraudulent", status), Now).Json);

        Assert.Equal(200, answer.StatusCode);
        var e = Assert.IsType<ChargeDisputedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal((stage, charge.Reference, Money.Create(125.50m, "USD"), "fraudulent"), (e.Stage, e.Reference, e.Amount, e.Reason));
    }

    [Fact]
    public async Task A_closed_bank_debit_dispute_or_a_dispute_still_open_reports_nothing_more()
    {
        var bank = await _h.SaveBankAccountAsync("ACME", "000123456789");
        var ach = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(bank.Token, "ACME", 900m));
        var (_, card) = await ChargeAsync();

        // A bank debit's dispute was its return when it opened; its closing says nothing new.
        var closedBank = await DeliverAsync(StripeEvents.Event("charge.dispute.closed", StripeEvents.Dispute(_h.StandIn.ChargeOf(ach.Reference!)!, "debit_not_authorized", "lost"), Now).Json);
        // A "closed" event whose dispute is not won or lost (a status Stripe may add) is left alone.
        var unclear = await DeliverAsync(StripeEvents.Event("charge.dispute.closed", StripeEvents.Dispute(_h.StandIn.ChargeOf(card.Reference!)!, "fraudulent", "under_review"), Now).Json);

        Assert.Equal((200, 200), (closedBank.StatusCode, unclear.StatusCode));
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task A_dispute_in_a_zero_decimal_currency_keeps_its_amount()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var charge = await _h.Gateway.ChargeAsync(StripeGatewayHarness.Charge(card.Token, "ACME", 15000m, "JPY"));

        await DeliverAsync(StripeEvents.Event("charge.dispute.created", StripeEvents.Dispute(_h.StandIn.ChargeOf(charge.Reference!)!, "fraudulent"), Now).Json);

        Assert.Equal(Money.Create(15000m, "JPY"), Assert.IsType<ChargeDisputedEvent>(Assert.Single(_h.Sink.Events).Event).Amount);
    }

    [Theory]
    [InlineData("payment_method.updated")]
    [InlineData("payment_method.automatically_updated")]
    public async Task A_card_updated_at_Stripe_reports_the_new_expiry_and_last4(string type)
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var year = DateTime.UtcNow.Year + 5;
        var pm = _h.StandIn.ChangeMethod(card.Token, m =>
        {
            m["card"]!["exp_month"] = 7;
            m["card"]!["exp_year"] = year;
            m["card"]!["last4"] = "1881";
        });

        await DeliverAsync(StripeEvents.Event(type, pm, Now, new JsonObject { ["card"] = new JsonObject { ["exp_year"] = card.ExpiryYear } }).Json);

        var e = Assert.IsType<MethodUpdatedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(card.Token, e.Token);
        Assert.Equal(7, e.ExpiryMonth);
        Assert.Equal(year, e.ExpiryYear);
        Assert.Equal("1881", e.Last4);
    }

    // Review: the event's own copy of the card was reported, and Stripe delivers events in any order: an earlier change
    // delivered late brought back the older expiry (a date since passed would then refuse scheduled payments).
    [Fact]
    public async Task An_earlier_card_update_delivered_late_reports_the_card_as_Stripe_holds_it_now()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        var year = DateTime.UtcNow.Year + 5;
        // Two changes at Stripe: the first's event (expiry 3 / year - 2) is delivered after the second one's was.
        var older = _h.StandIn.ChangeMethod(card.Token, m =>
        {
            m["card"]!["exp_month"] = 3;
            m["card"]!["exp_year"] = year - 2;
        });
        _h.StandIn.ChangeMethod(card.Token, m =>
        {
            m["card"]!["exp_month"] = 7;
            m["card"]!["exp_year"] = year;
        });

        var response = await DeliverAsync(StripeEvents.Event("payment_method.updated", older, Now).Json);

        Assert.Equal(200, response.StatusCode);
        var e = Assert.IsType<MethodUpdatedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal((card.Token, 7, year), (e.Token, e.ExpiryMonth, e.ExpiryYear));
    }

    [Fact]
    public async Task A_card_update_that_cannot_be_checked_at_Stripe_is_answered_503_for_redelivery_and_reports_nothing()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        _h.StandIn.Fail(new StandInFault("GET", "/v1/payment_methods", 500, "api_error"));

        var response = await DeliverAsync(StripeEvents.Event("payment_method.updated", _h.StandIn.Get(card.Token)!, Now).Json);

        Assert.Equal(503, response.StatusCode);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task A_detached_payment_method_reports_MethodDetachedEvent()
    {
        var card = await _h.SaveCardAsync("ACME", "4242424242424242");
        await _h.Gateway.RemoveMethodAsync(card.Token);

        await DeliverAsync(StripeEvents.Event("payment_method.detached", _h.StandIn.Get(card.Token)!, Now).Json);

        Assert.Equal(card.Token, Assert.IsType<MethodDetachedEvent>(Assert.Single(_h.Sink.Events).Event).Token);
    }

    // Review: nothing cleared "verification pending", so a bank account verified by micro-deposits read pending for good.
    [Fact]
    public async Task A_succeeded_setup_intent_reports_its_payment_method_verified()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var si = _h.StandIn.SetupIntentOf(bank.Token)!;
        si["status"] = "succeeded";

        var (id, body) = StripeEvents.Event("setup_intent.succeeded", si, Now);
        var response = await DeliverAsync(body);

        Assert.Equal(200, response.StatusCode);
        var e = Assert.IsType<MethodUpdatedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal((id, bank.Token, (bool?)false, false), (e.EventId, e.Token, e.VerificationPending, e.VerificationFailed));
        Assert.Equal(((int?)null, (int?)null, (string?)null), (e.ExpiryMonth, e.ExpiryYear, e.Last4));
    }

    [Fact]
    public async Task A_succeeded_setup_intent_with_its_payment_method_expanded_names_the_method()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var si = _h.StandIn.SetupIntentOf(bank.Token)!;
        si["status"] = "succeeded";
        si["payment_method"] = _h.StandIn.Get(bank.Token);

        await DeliverAsync(StripeEvents.Event("setup_intent.succeeded", si, Now).Json);

        Assert.Equal(bank.Token, Assert.IsType<MethodUpdatedEvent>(Assert.Single(_h.Sink.Events).Event).Token);
    }

    [Fact]
    public async Task A_failed_micro_deposit_verification_reports_the_method_whose_verification_failed_with_the_reason()
    {
        var bank = await _h.SaveBankAccountAsync("ACME");
        var si = _h.StandIn.SetupIntentOf(bank.Token)!;
        // As Stripe sends it: the intent back to requires_payment_method, its method named only by the last error.
        si["status"] = "requires_payment_method";
        si["payment_method"] = null;
        si["last_setup_error"] = new JsonObject
        {
            ["type"] = "invalid_request_error",
            ["code"] = "payment_method_microdeposit_verification_attempts_exceeded",
            ["message"] = "You have exceeded the number of allowed verification attempts.",
            ["payment_method"] = _h.StandIn.Get(bank.Token),
        };

        var response = await DeliverAsync(StripeEvents.Event("setup_intent.setup_failed", si, Now).Json);

        Assert.Equal(200, response.StatusCode);
        var e = Assert.IsType<MethodUpdatedEvent>(Assert.Single(_h.Sink.Events).Event);
        Assert.Equal(bank.Token, e.Token);
        Assert.True(e.VerificationFailed);
        Assert.Null(e.VerificationPending);
        Assert.Contains("too many times", e.VerificationFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_setup_intent_that_names_no_payment_method_is_answered_200_and_reports_nothing()
    {
        var si = new JsonObject { ["id"] = "seti_123", ["object"] = "setup_intent", ["status"] = "requires_payment_method", ["payment_method"] = null, ["last_setup_error"] = null };

        var response = await DeliverAsync(StripeEvents.Event("setup_intent.setup_failed", si, Now).Json);

        Assert.Equal(200, response.StatusCode);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task An_event_type_the_portal_does_not_need_is_answered_200_and_ignored()
    {
        var customer = new JsonObject { ["id"] = "cus_123", ["object"] = "customer" };

        var response = await DeliverAsync(StripeEvents.Event("customer.updated", customer, Now).Json);

        Assert.Equal(200, response.StatusCode);
        Assert.Contains("Ignored", response.Message, StringComparison.Ordinal);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task A_signed_but_unreadable_body_is_refused()
    {
        var response = await DeliverAsync("{\"id\":\"evt_1\",\"type\":");

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(_h.Sink.Events);
    }

    [Fact]
    public async Task Without_an_event_sink_the_handler_answers_503_so_Stripe_retries()
    {
        var handler = new StripeWebhookHandler(Options.Create(new StripeGatewayOptions { WebhookSigningSecret = StripeGatewayHarness.WebhookSecret }),
            TimeProvider.System, NullLogger<StripeWebhookHandler>.Instance);
        var (_, charge) = await ChargeAsync();
        var (_, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, DateTimeOffset.UtcNow);

        var response = await handler.HandleAsync(StripeEvents.Delivery(body, StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, DateTimeOffset.UtcNow)));

        Assert.Equal(503, response.StatusCode);
    }

    [Fact]
    public async Task The_portal_maps_the_webhook_endpoint_anonymously_without_antiforgery_and_404s_unknown_gateways()
    {
        var sink = new RecordingEventSink();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IGatewayEventSink>(sink);
        builder.Services.AddAuthorization(o => o.FallbackPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddAuthentication();
        builder.Services.AddAntiforgery();
        builder.Services.AddRazorComponents();
        builder.Services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false)
            .UseSqlite($"Data Source={Path.Combine(Path.GetTempPath(), "wh-" + Guid.NewGuid().ToString("N") + ".db")}")
            .UseUserContext<FakePortalUserContext>()
            .UseDemoErp()
            .AddStripeGateway(o =>
            {
                o.SecretKey = StripeStandIn.SecretKey;
                o.PublishableKey = StripeStandIn.PublishableKey;
                o.WebhookSigningSecret = StripeGatewayHarness.WebhookSecret;
                o.ApiBase = _h.StandIn.Url;
            });
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapCustomerPortalPayments();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var (_, charge) = await ChargeAsync();
        var (id, body) = StripeEvents.Event("payment_intent.succeeded", _h.StandIn.Get(charge.Reference!)!, DateTimeOffset.UtcNow);

        HttpRequestMessage Post(string path, string? signature)
        {
            var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (signature is not null)
            {
                message.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
            }
            return message;
        }
        var signature = StripeEvents.Sign(body, StripeGatewayHarness.WebhookSecret, DateTimeOffset.UtcNow);
        using var ok = await http.SendAsync(Post("/portal-payments/gateways/stripe/webhook", signature));
        using var unsigned = await http.SendAsync(Post("/portal-payments/gateways/stripe/webhook", null));
        using var unknown = await http.SendAsync(Post("/portal-payments/gateways/acmepay/webhook", signature));
        using var get = await http.GetAsync("/portal-payments/gateways/stripe/webhook");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(id, Assert.Single(sink.Events).Event.EventId);
        await app.StopAsync();
    }

}
