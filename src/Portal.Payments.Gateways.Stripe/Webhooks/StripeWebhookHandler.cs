using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using global::Stripe;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Gateways.Stripe.Webhooks;

/// <summary>
/// Stripe's webhook endpoint (<c>POST /portal-payments/gateways/stripe/webhook</c>). Verifies the <c>Stripe-Signature</c>
/// header as Stripe documents it (HMAC-SHA256 of <c>"{t}.{raw body}"</c> with the endpoint's signing secret, any of the
/// <c>v1</c> signatures, timestamp within <see cref="StripeGatewayOptions.WebhookTolerance"/>), then reports what the event
/// means to <see cref="IGatewayEventSink"/>, with Stripe's event id (the sink processes each id once, in any order):
/// <list type="bullet">
/// <item><c>payment_intent.succeeded</c> / <c>processing</c> / <c>payment_failed</c> / <c>canceled</c> → <see cref="ChargeStatusEvent"/>
/// (a failed US bank debit is <see cref="ChargeStatus.Returned"/> with the return reason, a failed card charge <see cref="ChargeStatus.Declined"/>);</item>
/// <item><c>charge.refunded</c> refunded in full → <see cref="ChargeStatus.Reversed"/> (a partial refund changes no status);</item>
/// <item><c>refund.failed</c>, and <c>refund.updated</c> / <c>charge.refund.updated</c> with status <c>failed</c> or
/// <c>canceled</c> → <see cref="RefundFailedEvent"/> (the money stayed with the merchant: a conflict for a person), once per
/// refund;</item>
/// <item><c>charge.dispute.created</c> → <see cref="ChargeDisputedEvent"/> for cards; for a US bank debit, whose disputes are
/// final unauthorized-debit returns, → <see cref="ChargeStatus.Returned"/>;</item>
/// <item><c>charge.dispute.closed</c> → <see cref="ChargeDisputedEvent"/> for cards, <see cref="DisputeStage.Lost"/> for
/// <c>lost</c>, <see cref="DisputeStage.Won"/> for <c>won</c> and <c>warning_closed</c> (an inquiry that never became a
/// chargeback); nothing for a US bank debit (returned when its dispute was created);</item>
/// <item><c>payment_method.updated</c> / <c>payment_method.automatically_updated</c> → <see cref="MethodUpdatedEvent"/> (card expiry, last 4,
/// as Stripe holds the card when the event arrives: events come in any order; 503 when Stripe cannot be asked, so it delivers again);</item>
/// <item><c>payment_method.detached</c> → <see cref="MethodDetachedEvent"/>;</item>
/// <item><c>setup_intent.succeeded</c> → <see cref="MethodUpdatedEvent"/> with <see cref="MethodUpdatedEvent.VerificationPending"/>
/// false for the SetupIntent's payment method (a bank account verified by micro-deposits can pay from now on);
/// <c>setup_intent.setup_failed</c> → <see cref="MethodUpdatedEvent.VerificationFailed"/> for it (a method still pending
/// verification can never pay and is removed).</item>
/// </list>
/// Other event types are answered 200 and ignored, so Stripe does not retry them.
/// </summary>
public sealed class StripeWebhookHandler(
    IOptions<StripeGatewayOptions> options,
    TimeProvider clock,
    ILogger<StripeWebhookHandler> logger,
    IGatewayEventSink? sink = null,
    StripeGateway? gateway = null) : IGatewayWebhookHandler
{
    /// <summary>The header Stripe signs deliveries with.</summary>
    public const string SignatureHeader = "Stripe-Signature";

    /// <inheritdoc />
    public string GatewayKey => StripeGateway.GatewayKey;

    /// <inheritdoc />
    public async Task<GatewayWebhookResponse> HandleAsync(GatewayWebhookRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = options.Value;
        if (string.IsNullOrEmpty(o.WebhookSigningSecret))
        {
            return new(500, "The webhook signing secret is not configured.");
        }
        var header = request.Headers.FirstOrDefault(h => string.Equals(h.Key, SignatureHeader, StringComparison.OrdinalIgnoreCase)).Value;
        var verdict = Verify(header, request.Body, o.WebhookSigningSecret, o.WebhookTolerance, clock.GetUtcNow());
        if (verdict is not null)
        {
            logger.LogWarning("Stripe webhook refused: {Reason}", verdict);
            return new(400, verdict);
        }

        GatewayEvent? gatewayEvent;
        string id, type;
        (string Refunded, string Amount, string? Charge, string? PaymentIntent, string? PaymentId)? part = null;
        try
        {
            using var json = JsonDocument.Parse(request.Body);
            var root = json.RootElement;
            id = root.GetProperty("id").GetString() ?? throw new FormatException("The event has no id.");
            type = root.GetProperty("type").GetString() ?? throw new FormatException("The event has no type.");
            var occurred = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("created").GetInt64());
            var data = root.GetProperty("data").GetProperty("object");
            gatewayEvent = Map(id, type, occurred, data);
            if (gatewayEvent is null && type == "charge.refunded")
            {
                part = PartRefunded(data);
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            logger.LogWarning("Stripe webhook with a signed but unreadable body: {Error}", ex.Message);
            return new(400, "The event could not be read.");
        }

        if (part is { } refundedInPart)
        {
            // A refund of part of a charge changes no payment's status (the payment stays paid, its invoices stay paid in the
            // ERP): the money returned is for the merchant to record, so an operator hears of it.
            logger.LogWarning("Stripe event {EventId} (charge.refunded): {Refunded} of {Amount} of charge {Charge} (payment intent {PaymentIntent}, portal payment {PaymentId}) was refunded in part; the portal keeps the payment as paid. Record the refund in the ERP (a credit to the account) if it should reopen an invoice",
                id, refundedInPart.Refunded, refundedInPart.Amount, refundedInPart.Charge, refundedInPart.PaymentIntent, refundedInPart.PaymentId);
            return new(200, $"Ignored {type}.");
        }
        if (gatewayEvent is null)
        {
            logger.LogDebug("Stripe event {EventId} ({Type}) needs nothing from the portal", id, type);
            return new(200, $"Ignored {type}.");
        }
        if (sink is null)
        {
            // Stripe retries non-2xx answers for days: nothing is lost while the host has no sink.
            logger.LogError("Stripe event {EventId} ({Type}) cannot be applied: no IGatewayEventSink is registered", id, type);
            return new(503, "The portal cannot apply gateway events yet.");
        }
        if (gatewayEvent is MethodUpdatedEvent update && type.StartsWith("payment_method.", StringComparison.Ordinal) && gateway is not null)
        {
            // Events arrive in any order: a late copy of an earlier change must not bring back an older expiry, so the
            // card is reported as Stripe holds it now.
            PaymentMethod? current;
            try
            {
                current = await gateway.CurrentMethodAsync(update.Token, cancellationToken);
            }
            catch (Exception ex) when (StripeGateway.IsCallFailure(ex))
            {
                logger.LogWarning("Stripe event {EventId} ({Type}): payment method {Token} could not be read from Stripe ({Error}); Stripe delivers it again",
                    id, type, update.Token, StripeGateway.Describe(ex));
                return new(503, "The payment method could not be read from Stripe; deliver the event again later.");
            }
            if (current?.Card is not { } card)
            {
                logger.LogInformation("Stripe event {EventId} ({Type}): payment method {Token} is no card at Stripe any more; nothing to apply", id, type, update.Token);
                return new(200, "Ignored: the payment method is gone.");
            }
            gatewayEvent = update with { ExpiryMonth = (int)card.ExpMonth, ExpiryYear = (int)card.ExpYear, Last4 = card.Last4 };
        }
        var outcome = await sink.ReportAsync(GatewayKey, gatewayEvent, cancellationToken);
        logger.LogInformation("Stripe event {EventId} ({Type}): {Outcome}", id, type, outcome);
        return new(200, outcome.ToString());
    }

    /// <summary>Null when the signature is valid; otherwise why not (for the delivery log, no secrets).</summary>
    internal static string? Verify(string? header, byte[] body, string secret, TimeSpan tolerance, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return "The Stripe-Signature header is missing.";
        }
        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var (key, value) = (part[..eq], part[(eq + 1)..]);
            if (key == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (key == "v1")
            {
                signatures.Add(value);
            }
        }
        if (timestamp is null || signatures.Count == 0)
        {
            return "The Stripe-Signature header has no timestamp or no v1 signature.";
        }

        var prefix = Encoding.UTF8.GetBytes(timestamp.Value.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        if (!signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(s))))
        {
            return "No signature matches the body and the signing secret.";
        }
        // Checked after the signature, so a forged header cannot probe the clock.
        var age = now - DateTimeOffset.FromUnixTimeSeconds(timestamp.Value);
        if (age > tolerance)
        {
            return "The signature's timestamp is too old (a replayed delivery?).";
        }
        if (age < -tolerance)
        {
            return "The signature's timestamp is in the future.";
        }
        return null;
    }

    private static GatewayEvent? Map(string id, string type, DateTimeOffset occurred, JsonElement o) => type switch
    {
        "payment_intent.succeeded" => IntentEvent(id, occurred, o, ChargeStatus.Succeeded),
        "payment_intent.processing" => IntentEvent(id, occurred, o, ChargeStatus.Processing),
        "payment_intent.canceled" => IntentEvent(id, occurred, o, ChargeStatus.Reversed),
        "payment_intent.payment_failed" => FailedIntentEvent(id, occurred, o),
        "charge.refunded" => RefundedEvent(id, occurred, o),
        "refund.failed" or "refund.updated" or "charge.refund.updated" => FailedRefundEvent(occurred, o),
        "charge.dispute.created" => DisputeEvent(id, occurred, o),
        "charge.dispute.closed" => ClosedDisputeEvent(id, occurred, o),
        "payment_method.updated" or "payment_method.automatically_updated" => MethodUpdated(id, occurred, o),
        "payment_method.detached" => new MethodDetachedEvent(id, occurred) { Token = Str(o, "id") ?? throw new FormatException("The payment method has no id.") },
        "setup_intent.succeeded" => SetupIntentEvent(id, occurred, o, failed: false),
        "setup_intent.setup_failed" => SetupIntentEvent(id, occurred, o, failed: true),
        _ => null,
    };

    /// <summary>
    /// The verification outcome of the method a SetupIntent collected. Its payment method is <c>payment_method</c> (an id or
    /// an expanded object) or, once a failure has cleared it, <c>last_setup_error.payment_method</c>; none: nothing to tell.
    /// </summary>
    private static MethodUpdatedEvent? SetupIntentEvent(string id, DateTimeOffset occurred, JsonElement si, bool failed)
    {
        var error = si.TryGetProperty("last_setup_error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
        var token = IdOf(si, "payment_method") ?? (error.ValueKind == JsonValueKind.Object ? IdOf(error, "payment_method") : null);
        if (token is null)
        {
            return null;
        }
        return failed
            ? new MethodUpdatedEvent(id, occurred)
            {
                Token = token,
                VerificationFailed = true,
                VerificationFailure = (error.ValueKind == JsonValueKind.Object ? Str(error, "code") : null) switch
                {
                    "payment_method_microdeposit_verification_attempts_exceeded" => "The test deposit amounts were entered wrongly too many times. Add the bank account again.",
                    "payment_method_microdeposit_verification_timeout" => "The test deposits were not confirmed in time. Add the bank account again.",
                    _ => "The bank account could not be verified. Add it again.",
                },
            }
            : new MethodUpdatedEvent(id, occurred) { Token = token, VerificationPending = false };
    }

    /// <summary>The id of a property that is an id or an expanded object.</summary>
    private static string? IdOf(JsonElement o, string name) =>
        !o.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object ? Str(value, "id")
        : null;

    private static ChargeStatusEvent IntentEvent(string id, DateTimeOffset occurred, JsonElement pi, ChargeStatus status) =>
        new(id, occurred)
        {
            Reference = Str(pi, "id"),
            IdempotencyKey = Metadata(pi, StripeGateway.IdempotencyKeyMetadata),
            PaymentId = Guid.TryParse(Metadata(pi, StripeGateway.PaymentIdMetadata), out var paymentId) ? paymentId : null,
            Status = status,
        };

    private static ChargeStatusEvent FailedIntentEvent(string id, DateTimeOffset occurred, JsonElement pi)
    {
        var error = pi.TryGetProperty("last_payment_error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
        var methodType = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("payment_method", out var pm) && pm.ValueKind == JsonValueKind.Object
            ? Str(pm, "type") : null;
        var bank = methodType == "us_bank_account" || (methodType is null && OnlyBankAccounts(pi));
        var code = error.ValueKind == JsonValueKind.Object ? Str(error, "decline_code") ?? Str(error, "code") : null;
        var failure = StripeErrors.Decline(code, bank);
        return IntentEvent(id, occurred, pi, failure.ChargeStatus) with { ErrorCode = failure.Code, Message = failure.Message };
    }

    private static ChargeStatusEvent? RefundedEvent(string id, DateTimeOffset occurred, JsonElement charge)
    {
        return RefundedInFull(charge)
            ? new ChargeStatusEvent(id, occurred)
            {
                Reference = Str(charge, "payment_intent") ?? Str(charge, "id"),
                IdempotencyKey = Metadata(charge, StripeGateway.IdempotencyKeyMetadata),
                PaymentId = Guid.TryParse(Metadata(charge, StripeGateway.PaymentIdMetadata), out var paymentId) ? paymentId : null,
                Status = ChargeStatus.Reversed,
                Refunded = true,
                Message = "The payment was refunded in full.",
            }
            : null;
    }

    /// <summary>Stripe says the charge is refunded, or its refunds add up to its amount.</summary>
    private static bool RefundedInFull(JsonElement charge) =>
        Bool(charge, "refunded") || (Long(charge, "amount") is > 0 and var amount && Long(charge, "amount_refunded") >= amount);

    /// <summary>A charge refunded in part: the amounts ("USD 25.00"), its ids; null when not refunded or refunded in full.</summary>
    private static (string Refunded, string Amount, string? Charge, string? PaymentIntent, string? PaymentId)? PartRefunded(JsonElement charge)
    {
        if (RefundedInFull(charge) || Long(charge, "amount") is not (> 0 and var amount) || Long(charge, "amount_refunded") is not (> 0 and var refunded))
        {
            return null;
        }
        var currency = (Str(charge, "currency") ?? "").ToUpperInvariant();
        string Text(long minor) => CurrencyInfo.IsKnown(currency) ? Money.FromMinorUnits(minor, currency).ToString() : $"{minor} minor units of {currency}";
        return (Text(refunded), Text(amount), Str(charge, "id"), Str(charge, "payment_intent"), Metadata(charge, StripeGateway.PaymentIdMetadata));
    }

    /// <summary>
    /// A refund that failed (<c>failed</c>; or <c>canceled</c>, never sent): the money is still the merchant's. Stripe may
    /// send <c>refund.failed</c>, <c>refund.updated</c> and <c>charge.refund.updated</c> for the one failure, so the event
    /// id given to the sink is the refund's (<c>refund-failed:re_…</c>): reported once however many of them arrive. Any
    /// other status (pending, succeeded, requires_action) needs nothing.
    /// </summary>
    private static RefundFailedEvent? FailedRefundEvent(DateTimeOffset occurred, JsonElement refund)
    {
        var status = Str(refund, "status");
        if (status is not ("failed" or "canceled"))
        {
            return null;
        }
        var refundId = Str(refund, "id") ?? throw new FormatException("The refund has no id.");
        var currency = Str(refund, "currency");
        var reason = Str(refund, "failure_reason")?.Replace('_', ' ');
        return new RefundFailedEvent("refund-failed:" + refundId, occurred)
        {
            Reference = IdOf(refund, "payment_intent") ?? IdOf(refund, "charge") ?? throw new FormatException("The refund names no charge."),
            RefundReference = refundId,
            Amount = currency is null || Long(refund, "amount") is not { } amount ? null : StripeAmounts.FromStripe(amount, currency),
            Reason = status == "canceled" ? "the refund was cancelled" + (reason is null ? "" : $" ({reason})") : reason,
        };
    }

    private static GatewayEvent DisputeEvent(string id, DateTimeOffset occurred, JsonElement dispute)
    {
        if (!IsBankDispute(dispute))
        {
            return CardDispute(id, occurred, dispute, DisputeStage.Opened);
        }
        var reason = Str(dispute, "reason");
        return new ChargeStatusEvent(id, occurred)
        {
            Reference = DisputedCharge(dispute),
            Status = ChargeStatus.Returned,
            ErrorCode = GatewayErrorCode.Returned,
            Message = "The account holder's bank took the debit back as unauthorized" + (reason is null ? "." : $" ({reason.Replace('_', ' ')})."),
        };
    }

    /// <summary>A card dispute at <paramref name="stage"/>: the charge, the amount disputed and the reason in words.</summary>
    private static ChargeDisputedEvent CardDispute(string id, DateTimeOffset occurred, JsonElement dispute, DisputeStage stage)
    {
        var currency = Str(dispute, "currency") ?? throw new FormatException("The dispute has no currency.");
        return new ChargeDisputedEvent(id, occurred)
        {
            Reference = DisputedCharge(dispute),
            Amount = StripeAmounts.FromStripe(Long(dispute, "amount") ?? 0, currency),
            Reason = Str(dispute, "reason")?.Replace('_', ' '),
            Stage = stage,
        };
    }

    private static string DisputedCharge(JsonElement dispute) =>
        Str(dispute, "payment_intent") ?? Str(dispute, "charge") ?? throw new FormatException("The dispute names no charge.");

    /// <summary>
    /// A closed card dispute: lost (the issuer keeps the money), won, or an inquiry closed without a chargeback
    /// (<c>warning_closed</c>: nothing was taken). A bank debit's dispute was a return when it was created; its closing
    /// and any other status say nothing new.
    /// </summary>
    private static ChargeDisputedEvent? ClosedDisputeEvent(string id, DateTimeOffset occurred, JsonElement dispute)
    {
        DisputeStage? stage = Str(dispute, "status") switch
        {
            "lost" => DisputeStage.Lost,
            "won" or "warning_closed" => DisputeStage.Won,
            _ => null,
        };
        return stage is null || IsBankDispute(dispute) ? null : CardDispute(id, occurred, dispute, stage.Value);
    }

    private static bool IsBankDispute(JsonElement dispute) =>
        dispute.TryGetProperty("payment_method_details", out var details) && details.ValueKind == JsonValueKind.Object
        && Str(details, "type") == "us_bank_account";

    private static MethodUpdatedEvent? MethodUpdated(string id, DateTimeOffset occurred, JsonElement pm)
    {
        if (!pm.TryGetProperty("card", out var card) || card.ValueKind != JsonValueKind.Object)
        {
            return null; // only cards have an expiry or a reissued number
        }
        return new MethodUpdatedEvent(id, occurred)
        {
            Token = Str(pm, "id") ?? throw new FormatException("The payment method has no id."),
            ExpiryMonth = (int?)Long(card, "exp_month"),
            ExpiryYear = (int?)Long(card, "exp_year"),
            Last4 = Str(card, "last4"),
        };
    }

    private static bool OnlyBankAccounts(JsonElement pi) =>
        pi.TryGetProperty("payment_method_types", out var types) && types.ValueKind == JsonValueKind.Array
        && types.GetArrayLength() == 1 && types[0].GetString() == "us_bank_account";

    private static string? Metadata(JsonElement o, string key) =>
        o.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object ? Str(metadata, key) : null;

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static bool Bool(JsonElement o, string name) =>
        o.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
