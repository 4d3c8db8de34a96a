using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Portal.Payments.Sync;
using Portal.Payments.Ui;

// The conventional namespace for endpoint-mapping extensions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the portal's HTTP endpoints (downloads, ERP ingest).</summary>
public static class PortalEndpoints
{
    /// <summary>
    /// Maps the endpoints under <see cref="PortalRoutes.ApiPrefix"/>. Every endpoint is scoped to the
    /// signed-in user's current account through <c>IPortalUserContext</c>; the ERP ingest endpoint is
    /// protected by <see cref="PortalPaymentsOptions.IngestApiKey"/> instead. Also maps each payment gateway's webhook,
    /// <c>POST /portal-payments/gateways/{gatewayKey}/webhook</c> (see <see cref="PortalRoutes.GatewayWebhook"/>), to the
    /// registered <c>IGatewayWebhookHandler</c> of that key (404 when none): anonymous, no antiforgery, the gateway's
    /// signature is the authentication.
    /// </summary>
    public static RouteGroupBuilder MapCustomerPortalPayments(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // A site started from build output outside Development: the packages' static files from the build's manifest.
        PortalStaticFiles.ServeFromBuildOutput(endpoints.ServiceProvider);
        var api = endpoints.MapGroup(PortalRoutes.ApiPrefix);
        // How the start check and the pages' setup check tell that this call was made (PortalEndpointCheck).
        api.WithMetadata(PortalEndpointCheck.Marker.Instance);
        // Problems in the request's language (request localization sets the culture), like the components' messages; to a
        // browser showing the answer as a page (a download opened in a new tab, the invoice preview) a page saying why
        // (PortalRefusals), since it shows neither problem JSON nor why a download failed.
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            // No answer of the portal's (CSV, JSON, PDF, documents, problems) is sniffed by a browser into another type.
            http.Response.Headers.XContentTypeOptions = "nosniff";
            try
            {
                return await next(context);
            }
            catch (Exception ex) when (PortalRefusals.Answers(http, ex))
            {
                // The portal's refusals (no access, not found, invalid, ERP down) and a failure of its database (an export
                // before its first row, a receipt, a document's lookup: "try again in a moment", not a bare 500).
                return PortalRefusals.Answer(http, ex);
            }
        });

        api.MapGet("/summary", async (HttpContext http, AccountOverviewService overview, CancellationToken ct) =>
        {
            // The account's balances: kept by no cache (a shared computer's browser, a proxy), like the other account data.
            http.Response.Headers.CacheControl = "private, no-store";
            var s = await overview.GetSummaryAsync(ct);
            return Results.Ok(new
            {
                s.AccountId,
                s.AccountName,
                TotalBalance = s.TotalBalance,
                s.OpenItemCount,
                Buckets = s.Buckets.Select(b => new { b.Label, b.MinDaysPastDue, b.MaxDaysPastDue, b.Balance, b.ItemCount }),
                s.LastSyncedAt,
                s.LastSyncFailed,
            });
        }).WithName("PortalPaymentsSummary");

        api.MapPost("/erp/accounts/{accountId}/sync", async (string accountId, HttpRequest request, IOptions<PortalPaymentsOptions> options, ErpSyncService sync, CancellationToken ct) =>
        {
            var expected = options.Value.IngestApiKey;
            if (string.IsNullOrEmpty(expected))
            {
                return Results.NotFound();
            }
            var given = request.Headers["X-Portal-Ingest-Key"].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            {
                return Results.Problem("The X-Portal-Ingest-Key header is missing or wrong.", statusCode: StatusCodes.Status401Unauthorized);
            }
            // Spaces around the id (an ERP's fixed-width field) are dropped: "ACME " is account ACME, not a second
            // account. A blank id is the caller's error (400), never a failed pull the ERP would retry for good.
            accountId = accountId.Trim();
            if (accountId.Length is 0 or > 64)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["accountId"] = ["An account id has 1 to 64 characters (spaces around it are dropped)."] });
            }
            ErpSyncResult result;
            try
            {
                result = await sync.SyncAccountAsync(accountId, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && !request.HttpContext.Response.HasStarted)
            {
                // Logged by the sync (saying whose failure it was) and recorded as the account's last sync error for the
                // health check: the caller is told to try again, not that the portal broke for good.
                request.HttpContext.Response.Headers.RetryAfter = "60";
                return ErpSyncService.IsErpFailure(ex)
                    ? Results.Problem("The portal could not pull this account's items from the ERP just now: the ERP's open-items call failed or timed out. The error is logged and shown as the account's last sync error. Try again later.",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "The ERP pull failed")
                    : Results.Problem("The ERP answered, but the portal could not store this account's items just now (its database failed); the error is logged. Try again later.",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "The portal could not store the ERP's items");
            }
            if (result.Skipped)
            {
                // Another node is syncing the account (or took it over). Its pull may have passed the change the ERP is
                // announcing, so the push is not answered done: the ERP pushes again shortly, and is then synced.
                request.HttpContext.Response.Headers.RetryAfter = "10";
                return Results.Problem("Another portal node is syncing this account right now; this request's change may not be in its pull. Push again after the Retry-After delay.",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "The account is being synced by another node");
            }
            return Results.Ok(new { result.AccountId, result.Inserted, result.Updated, result.Closed, result.Skipped });
        })
        // The ERP has no signed-in user: the ingest key (checked above) is its credential, whatever the host's fallback
        // policy or a RequireAuthorization() chained on the API group asks of users.
        .AllowAnonymous()
        .WithName("PortalPaymentsErpSync");

        InvoiceExportEndpoints.MapInvoiceExport(api);
        InvoiceDocumentEndpoints.MapInvoiceDocuments(api);
        PaymentHistoryEndpoints.MapPaymentHistory(api);
        GatewayWebhookEndpoints.MapGatewayWebhooks(endpoints);
        return api;
    }
}
