using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

/// <summary>Builds Stripe webhook deliveries (event objects as Stripe sends them) and signs them as Stripe does.</summary>
public static class StripeEvents
{
    /// <summary>An event of <paramref name="type"/> about <paramref name="dataObject"/>, created at <paramref name="created"/>.</summary>
    public static (string Id, string Json) Event(string type, JsonObject dataObject, DateTimeOffset created, JsonObject? previousAttributes = null)
    {
        var id = "evt_" + Guid.NewGuid().ToString("N")[..24];
        var data = new JsonObject { ["object"] = dataObject.DeepClone() };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }
        var json = new JsonObject
        {
            ["id"] = id, ["object"] = "event", ["api_version"] = "2026-10-28.endive", ["created"] = created.ToUnixTimeSeconds(),
            ["data"] = data, ["livemode"] = false, ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = "req_" + Guid.NewGuid().ToString("N")[..14], ["idempotency_key"] = null }, ["type"] = type,
        };
        return (id, json.ToJsonString());
    }

    /// <summary>
    /// The <c>Stripe-Signature</c> header Stripe sends: <c>t=&lt;unix time&gt;,v1=&lt;hex HMAC-SHA256 of "t.body" keyed
    /// with the whole signing secret&gt;</c>, computed here independently of the code under test.
    /// </summary>
    public static string Sign(string body, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var signature = Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(t + "." + body))).ToLowerInvariant();
        return $"t={t},v1={signature}";
    }

    /// <summary>A delivery with headers as the endpoint passes them.</summary>
    public static GatewayWebhookRequest Delivery(string body, string? signature) =>
        new(signature is null ? new Dictionary<string, string>() : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Stripe-Signature"] = signature },
            Encoding.UTF8.GetBytes(body));

    /// <summary>A refund object of the whole <paramref name="charge"/> as Stripe sends it in <c>refund.*</c> and <c>charge.refund.updated</c> events.</summary>
    public static JsonObject Refund(JsonObject charge, string status, string? failureReason = null, string? id = null) => new()
    {
        ["id"] = id ?? "re_" + Guid.NewGuid().ToString("N")[..24], ["object"] = "refund", ["amount"] = charge["amount"]!.GetValue<long>(),
        ["balance_transaction"] = null, ["charge"] = charge["id"]!.GetValue<string>(), ["created"] = charge["created"]!.GetValue<long>() + 3600,
        ["currency"] = charge["currency"]!.GetValue<string>(), ["destination_details"] = null, ["failure_balance_transaction"] = null,
        ["failure_reason"] = failureReason, ["metadata"] = new JsonObject(), ["payment_intent"] = charge["payment_intent"]!.GetValue<string>(),
        ["reason"] = "requested_by_customer", ["receipt_number"] = null, ["source_transfer_reversal"] = null, ["status"] = status, ["transfer_reversal"] = null,
    };

    /// <summary>A dispute object as Stripe sends it in <c>charge.dispute.created</c> (or, with its final status, <c>charge.dispute.closed</c>).</summary>
    public static JsonObject Dispute(JsonObject charge, string reason, string? status = null) => new()
    {
        ["id"] = "dp_" + Guid.NewGuid().ToString("N")[..24], ["object"] = "dispute", ["amount"] = charge["amount"]!.GetValue<long>(),
        ["balance_transactions"] = new JsonArray(), ["charge"] = charge["id"]!.GetValue<string>(), ["created"] = charge["created"]!.GetValue<long>() + 86400,
        ["currency"] = charge["currency"]!.GetValue<string>(),
        ["evidence_details"] = new JsonObject { ["due_by"] = null, ["has_evidence"] = false, ["past_due"] = false, ["submission_count"] = 0 },
        ["is_charge_refundable"] = false, ["livemode"] = false, ["metadata"] = new JsonObject(), ["payment_intent"] = charge["payment_intent"]!.GetValue<string>(),
        ["payment_method_details"] = new JsonObject { ["type"] = charge["payment_method_details"]!["type"]!.GetValue<string>() },
        ["reason"] = reason, ["status"] = status ?? (charge["payment_method_details"]!["type"]!.GetValue<string>() == "us_bank_account" ? "lost" : "needs_response"),
    };
}
