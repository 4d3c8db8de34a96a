using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
    /// <item><c>POST /payments/{id}/resolve</c>: record how a payment the portal cannot finish ended, as found at the processor;</item>
    /// <item><c>GET /outbox/undelivered</c>: ERP postings and emails not delivered (money postings first);</item>
    /// <item><c>POST /outbox/{id}/replay</c> and <c>POST /outbox/replay</c>: deliver again now (dead-lettered ones too).</item>
    /// </list>
    /// A POST that carries credentials a browser adds by itself (a cookie, HTTP Basic/Negotiate/NTLM/Digest authentication,
    /// a client certificate) must also carry a valid antiforgery token in the <c>RequestVerificationToken</c> header, or it is
    /// refused with 400: another site cannot make a signed-in operator's browser replay or recheck. A script that
    /// authenticates with a bearer token (or its own header) and sends no cookie needs no token.
    /// </summary>
    public static RouteGroupBuilder MapCustomerPortalPaymentsOperations(this IEndpointRouteBuilder endpoints, string authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorizationPolicy);
        var ops = endpoints.MapGroup(Prefix).RequireAuthorization(authorizationPolicy);
        // Every account's payments and postings: kept by no cache (an operator's shared browser, a proxy), and never
        // sniffed into another type.
        ops.AddEndpointFilter((context, next) =>
        {
            var headers = context.HttpContext.Response.Headers;
            headers.CacheControl = "private, no-store";
            headers.XContentTypeOptions = "nosniff";
            return next(context);
        });

        ops.MapGet("/report", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetReportAsync(ct), Json))
            .WithName("PortalPaymentsOpsReport");
        ops.MapGet("/payments/stuck", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetStuckPaymentsAsync(ct), Json))
            .WithName("PortalPaymentsOpsStuckPayments");
        ops.MapPost("/payments/{id:guid}/recheck", async (Guid id, HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            await operations.RecheckPaymentAsync(id, Operator(http), ct)
                ? Results.Accepted()
                : Results.Problem("That payment has no status check to bring forward (unknown, final, or being charged right now).", statusCode: StatusCodes.Status404NotFound))
            .AddEndpointFilter(RefuseForgedAsync)
            .WithName("PortalPaymentsOpsRecheck");
        ops.MapPost("/payments/{id:guid}/resolve", async (Guid id, HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            {
                // Read here, not bound by the framework: a misspelt finding or unreadable JSON would be an empty 400 in
                // Production, where the operator must be told what to send.
                var (body, tooLarge) = await ReadResolveRequestAsync(http, ct);
                if (tooLarge)
                {
                    return Results.Problem($"The body is larger than {MaxResolveBodyBytes / 1024} KB. Send only the JSON {{\"finding\", \"note\", \"reference\"}}; nothing was changed.",
                        statusCode: StatusCodes.Status413PayloadTooLarge);
                }
                if (body?.Finding is not { } finding || !Enum.IsDefined(finding) || string.IsNullOrWhiteSpace(body.Note)
                    || body.Note.Trim().Length > PaymentOperations.MaxNoteLength || body.Reference?.Trim().Length > PaymentOperations.MaxReferenceLength)
                {
                    return Results.Problem($"Send JSON {{\"finding\": \"Charged\" or \"NotCharged\", \"note\": what you found (up to {PaymentOperations.MaxNoteLength} characters), \"reference\": the processor's charge id (optional, up to {PaymentOperations.MaxReferenceLength})}}.",
                        statusCode: StatusCodes.Status400BadRequest);
                }
                return await operations.ResolvePaymentAsync(id, finding, body.Reference, body.Note, Operator(http), ct) switch
                {
                    ResolveResult.Resolved => Results.Ok(),
                    ResolveResult.NotFound => Results.Problem("No payment has that id.", statusCode: StatusCodes.Status404NotFound),
                    _ => Results.Problem("That payment is not open (it ended or is scheduled), or a node is charging or checking it right now: see GET /payments/stuck.",
                        statusCode: StatusCodes.Status409Conflict),
                };
            })
            .AddEndpointFilter(RefuseForgedAsync)
            .Accepts<ResolveRequest>("application/json")
            .WithName("PortalPaymentsOpsResolve");
        ops.MapGet("/outbox/undelivered", async (PaymentOperations operations, CancellationToken ct) => Results.Json(await operations.GetUndeliveredAsync(ct), Json))
            .WithName("PortalPaymentsOpsUndelivered");
        ops.MapPost("/outbox/{id:guid}/replay", async (Guid id, HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            await operations.ReplayMessageAsync(id, Operator(http), ct)
                ? Results.Accepted()
                : Results.Problem("That message is unknown or already delivered.", statusCode: StatusCodes.Status404NotFound))
            .AddEndpointFilter(RefuseForgedAsync)
            .WithName("PortalPaymentsOpsReplay");
        ops.MapPost("/outbox/replay", async (HttpContext http, PaymentOperations operations, CancellationToken ct) =>
            Results.Ok(new { Replayed = await operations.ReplayAllMessagesAsync(Operator(http), ct) }))
            .AddEndpointFilter(RefuseForgedAsync)
            .WithName("PortalPaymentsOpsReplayAll");
        return ops;
    }

    /// <summary>Largest body <c>POST /payments/{id}/resolve</c> reads (its note and reference are a few thousand characters at most).</summary>
    internal const int MaxResolveBodyBytes = 64 * 1024;

    /// <summary>
    /// The body of <c>POST /payments/{id}/resolve</c>, or null when it is not JSON of that shape (a finding it does not know);
    /// too large when it has more than <see cref="MaxResolveBodyBytes"/> (read no further, not the server's 30 MB limit).
    /// </summary>
    private static async Task<(ResolveRequest? Body, bool TooLarge)> ReadResolveRequestAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > MaxResolveBodyBytes)
        {
            return (null, true);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxResolveBodyBytes)
            {
                return (null, true);
            }
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        try
        {
            return (JsonSerializer.Deserialize<ResolveRequest>(buffer, Json), false);
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }

    /// <summary>The body of <c>POST /payments/{id}/resolve</c>.</summary>
    /// <param name="Finding">What the processor has: <c>Charged</c> or <c>NotCharged</c>.</param>
    /// <param name="Note">What the operator found, and where (logged).</param>
    /// <param name="Reference">The processor's charge id, when charged (optional): the payment's reference when it has none, else kept in the audit log beside it.</param>
    public sealed record ResolveRequest(OperatorFinding? Finding, string? Note, string? Reference);

    /// <summary>
    /// Who the operator is, for the log and the audit trail: the identity's name, else the first of the claims sign-ins name
    /// users by (a host's OpenID Connect or JWT sign-in with its own claim types, or the claim mapping off, leaves
    /// <c>Identity.Name</c> null), else a bearer token's client; never one name for everybody when the sign-in says who it is.
    /// </summary>
    internal static string Operator(HttpContext http)
    {
        var user = http.User;
        if (user.Identity?.Name is { } name && !string.IsNullOrWhiteSpace(name))
        {
            return name.Trim();
        }
        foreach (var type in OperatorClaimTypes)
        {
            if (user.FindFirst(type)?.Value is { } value && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }
        return "operator (the sign-in gave no name)";
    }

    private static readonly string[] OperatorClaimTypes =
    [
        "preferred_username", "name", System.Security.Claims.ClaimTypes.Upn, "upn", System.Security.Claims.ClaimTypes.Email, "email",
        System.Security.Claims.ClaimTypes.NameIdentifier, "sub", "oid", "client_id", "azp", "appid",
    ];

    // ASP.NET Core's antiforgery middleware checks only endpoints that bind a form, and these bind none: the check is here.
    private static async ValueTask<object?> RefuseForgedAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (CarriesBrowserCredentials(http)
            && (http.RequestServices.GetService<IAntiforgery>() is not { } antiforgery || !await antiforgery.IsRequestValidAsync(http)))
        {
            return Results.Problem(
                "This request carries the browser's sign-in (a cookie) but no valid antiforgery token. Send the token in the RequestVerificationToken " +
                "header (IAntiforgery.GetAndStoreTokens gives it), or call with a bearer token and no cookie. Nothing was changed.",
                statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token missing or invalid");
        }
        return await next(context);
    }

    /// <summary>
    /// Whether the request carries a credential a browser sends on its own, also when another site makes it post: a
    /// cookie, HTTP authentication the browser remembers (anything but a bearer token), or a client certificate.
    /// </summary>
    internal static bool CarriesBrowserCredentials(HttpContext http) =>
        http.Request.Headers.Cookie.Count > 0
        || http.Connection.ClientCertificate is not null
        || (http.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization
            && !authorization.TrimStart().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase));
}
