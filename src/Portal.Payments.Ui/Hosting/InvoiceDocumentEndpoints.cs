using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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
            // Refusals (no document, an ERP that did not answer, the portal's database failing) are answered by the API
            // group's filter: a page saying why to the preview frame or "Open in new tab", a problem to an API client.
            var document = (await documents.GetAsync(id, ct)).Document;
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

    private static string FileName(string? name, long id)
    {
        var file = Path.GetFileName(name ?? "");
        return string.IsNullOrWhiteSpace(file) ? $"invoice-{id}" : file;
    }
}
