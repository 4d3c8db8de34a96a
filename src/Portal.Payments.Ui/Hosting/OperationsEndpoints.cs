using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portal.Payments.Services.Payments;

// The conventional namespace for endpoint-mapping extensions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the operators' endpoints: payments with an overdue outcome and undelivered ERP postings, and their replay.</summary>
public static class OperationsEndpoints
{
    // Statuses and kinds as names, for people reading the answers.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Prefix of the operators' endpoints: <c>/portal-payments/ops</c>.</summary>
    public const string Prefix = "/portal-payments/ops";

    /// <summary>
    /// Maps, under <see cref="Prefix"/>, protected by the host's authorization policy <paramref name="authorizationPolicy"/>
    /// (these endpoints see every account, so a policy is required):
    /// <list type="bullet">
    /// <item><c>GET /report</c>: counts and ages (what the health check reports);</item>
    /// <item><c>GET /payments/stuck</c>: payments whose outcome is overdue;</item>
    /// <item><c>POST /payments/{id}/recheck</c>: ask the gateway about a payment at the reconciler's next run;</item>
    /// <item><c>GET /outbox/undelivered</c>: ERP postings and emails not delivered (money postings first);</item>
    /// <item><c>POST /outbox/{id}/replay</c> and <c>POST /outbox/replay</c>: deliver again now (dead-lettered ones too).</item>
    /// </list>
    /// </summary>
    public static RouteGroupBuilder MapCustomerPortalPaymentsOperations(this IEndpointRouteBuilder endpoints, string authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorizationPolicy);
        var ops = endpoints.MapGroup(Prefix).RequireAuthorization(authorizationPolicy);

        ops.MapGet("/report", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetReportAsync(ct), Json))
            .WithName("PortalPaymentsOpsReport");
        ops.MapGet("/payments/stuck", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetStuckPaymentsAsync(ct), Json))
            .WithName("PortalPaymentsOpsStuckPayments");
        ops.MapPost("/payments/{id:guid}/recheck", async (Guid id, HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            await operations.RecheckPaymentAsync(id, Operator(http), ct)
                ? Results.Accepted()
                : Results.Problem("That payment has no status check to bring forward (unknown, final, or being charged right now).", statusCode: StatusCodes.Status404NotFound))
            .WithName("PortalPaymentsOpsRecheck");
        ops.MapGet("/outbox/undelivered", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetUndeliveredAsync(ct), Json))
            .WithName("PortalPaymentsOpsUndelivered");
        ops.MapPost("/outbox/{id:guid}/replay", async (Guid id, HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            await operations.ReplayMessageAsync(id, Operator(http), ct)
                ? Results.Accepted()
                : Results.Problem("That message is unknown or already delivered.", statusCode: StatusCodes.Status404NotFound))
            .WithName("PortalPaymentsOpsReplay");
        ops.MapPost("/outbox/replay", async (HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            Results.Ok(new { Replayed = await operations.ReplayAllMessagesAsync(Operator(http), ct) }))
            .WithName("PortalPaymentsOpsReplayAll");
        return ops;
    }

    private static string Operator(HttpContext http) => http.User.Identity?.Name ?? "operator";
}
