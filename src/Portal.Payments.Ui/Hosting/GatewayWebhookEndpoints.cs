using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Gateways;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// <c>POST /portal-payments/gateways/{gatewayKey}/webhook</c>: hands the raw delivery to the registered
/// <see cref="IGatewayWebhookHandler"/> of that gateway. No sign-in and no antiforgery token: the gateway's signature,
/// checked by the handler, is the authentication.
/// </summary>
internal static class GatewayWebhookEndpoints
{
    /// <summary>Largest body accepted (Stripe events are a few kilobytes).</summary>
    internal const int MaxBodyBytes = 1024 * 1024;

    public static void MapGatewayWebhooks(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Portal.Payments.Ui.PortalRoutes.GatewayWebhook("{gatewayKey}"), HandleAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithName("PortalPaymentsGatewayWebhook");

    private static async Task<IResult> HandleAsync(string gatewayKey, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        var handler = http.RequestServices.GetServices<IGatewayWebhookHandler>()
            .FirstOrDefault(h => string.Equals(h.GatewayKey, gatewayKey, StringComparison.OrdinalIgnoreCase));
        if (handler is null)
        {
            return Results.NotFound();
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        // The signature covers the exact bytes: read them unchanged.
        using var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }
            body.Write(buffer, 0, read);
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in http.Request.Headers)
        {
            headers[name] = values.ToString();
        }

        var response = await handler.HandleAsync(new GatewayWebhookRequest(headers, body.ToArray()), ct);
        return Results.Text(response.Message, "text/plain; charset=utf-8", statusCode: response.StatusCode);
    }
}
