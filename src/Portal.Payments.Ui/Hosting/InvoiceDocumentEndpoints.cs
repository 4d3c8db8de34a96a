using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Erp;
using Portal.Payments.Services;
using Portal.Payments.Ui;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Invoice document endpoint for preview and print (owner: invoice preview work).</summary>
internal static class InvoiceDocumentEndpoints
{
    /// <summary>
    /// No script, no plugins, no network: the document comes from the ERP and is served from the portal's
    /// origin, so it must never be able to run code there. Inline styles and data: images keep it readable.
    /// And sandboxed, framed or opened on its own (the preview frame carries no sandbox attribute, which would keep a
    /// PDF viewer out): no scripts, forms, popups or navigation of the page around it; same origin only so the
    /// preview's Print can reach the frame, and modals for its print dialog.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin allow-modals";

    /// <summary>Maps <c>GET {ApiPrefix}/invoices/{id}/document</c>.</summary>
    public static void MapInvoiceDocuments(RouteGroupBuilder api) =>
        api.MapGet("/invoices/{id:long}/document", async (long id, HttpContext http, InvoiceDocumentService documents, CancellationToken ct) =>
        {
            ErpDocument document;
            try
            {
                document = (await documents.GetAsync(id, ct)).Document;
            }
            catch (Exception ex) when (ex is PortalNotFoundException or PortalUnavailableException && IsBrowserPage(http.Request) && !http.Response.HasStarted)
            {
                // The preview frame, or "Open in new tab": a page that says why, in the reader's language, instead of
                // problem JSON printed as text (and printed by the preview's Print). API callers get the problem.
                return Explained(http, ex);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or PortalAccessDeniedException or PortalNotFoundException
                                           or PortalUnavailableException or PortalValidationException))
            {
                // The portal's own storage failed (the invoice's lookup): a 503 that says so, as for an ERP that did not
                // answer, not a bare 500 in the preview frame.
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Payments.InvoiceDocuments")
                    .LogError(ex, "The document of invoice {InvoiceId} could not be read: the portal's database failed", id);
                var unavailable = new PortalUnavailableException("The invoice's document could not be loaded right now. Please try again in a moment.", ex);
                if (IsBrowserPage(http.Request) && !http.Response.HasStarted)
                {
                    return Explained(http, unavailable);
                }
                throw unavailable;
            }
            var contentType = MediaTypeHeaderValue.TryParse(document.ContentType, out var parsed)
                ? parsed.ToString()
                : "application/octet-stream";
            var headers = http.Response.Headers;
            var disposition = new ContentDispositionHeaderValue("inline");
            disposition.SetHttpFileName(FileName(document.FileName, id));
            headers.ContentDisposition = disposition.ToString();
            headers.CacheControl = "private, no-store";
            // PDF viewers are plugins that a script-free or sandboxing policy would block (Chromium shows a blank frame); every
            // other type (HTML, SVG, XML…) gets it. A PDF runs no script of the portal's origin: the viewer is the browser's.
            if (parsed?.MediaType.Equals("application/pdf", StringComparison.OrdinalIgnoreCase) != true)
            {
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
            }
            return Results.Bytes(document.Content, contentType);
        }).WithName("PortalPaymentsInvoiceDocument");

    /// <summary>A browser showing the answer as a page (a frame or a tab), not a script or API client asking for data.</summary>
    private static bool IsBrowserPage(HttpRequest request) =>
        request.Headers["Sec-Fetch-Dest"].ToString() is "document" or "iframe" or "frame"
        || request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static IResult Explained(HttpContext http, Exception ex)
    {
        var text = FieldErrorText.Of(http.RequestServices.GetRequiredService<IStringLocalizer<PortalStrings>>(), ex);
        var unavailable = ex is PortalUnavailableException;
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.CacheControl = "private, no-store";
        if (unavailable)
        {
            headers.RetryAfter = "60";
        }
        var html = $"""
            <!DOCTYPE html>
            <html lang="{WebUtility.HtmlEncode(CultureInfo.CurrentUICulture.Name)}"><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(text)}</title></head>
            <body style="font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b;"><p role="alert">{WebUtility.HtmlEncode(text)}</p></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8,
            unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status404NotFound);
    }

    private static string FileName(string? name, long id)
    {
        var file = Path.GetFileName(name ?? "");
        return string.IsNullOrWhiteSpace(file) ? $"invoice-{id}" : file;
    }
}
