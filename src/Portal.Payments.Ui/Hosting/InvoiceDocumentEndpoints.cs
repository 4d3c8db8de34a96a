using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Portal.Payments.Services.Invoices;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Invoice document endpoint for preview and print (owner: invoice preview work).</summary>
internal static class InvoiceDocumentEndpoints
{
    /// <summary>
    /// No script, no plugins, no network: the document comes from the ERP and is served from the portal's
    /// origin, so it must never be able to run code there. Inline styles and data: images keep it readable.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

    /// <summary>Maps <c>GET {ApiPrefix}/invoices/{id}/document</c>.</summary>
    public static void MapInvoiceDocuments(RouteGroupBuilder api) =>
        api.MapGet("/invoices/{id:long}/document", async (long id, HttpContext http, InvoiceDocumentService documents, CancellationToken ct) =>
        {
            var document = (await documents.GetAsync(id, ct)).Document;
            var contentType = MediaTypeHeaderValue.TryParse(document.ContentType, out var parsed)
                ? parsed.ToString()
                : "application/octet-stream";
            var headers = http.Response.Headers;
            var disposition = new ContentDispositionHeaderValue("inline");
            disposition.SetHttpFileName(FileName(document.FileName, id));
            headers.ContentDisposition = disposition.ToString();
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "private, no-store";
            // PDF viewers are plugins that a script-free policy would block; every other type (HTML, SVG, XML…) gets it.
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
