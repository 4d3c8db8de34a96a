using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Portal.Payments.Services;
using Portal.Payments.Ui;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// How the portal's endpoints say no. An API client gets the status with a problem body; a browser showing the answer as a
/// page (a download link opened in a new tab, the invoice preview's frame, "Open in new tab") gets the same status with a
/// short page saying why in the reader's language: a browser shows neither problem JSON nor the reason of a refused
/// download. A download that was refused never keeps its attachment headers, so the browser shows the page, not a file.
/// </summary>
internal static class PortalRefusals
{
    /// <summary>A browser showing the answer as a page (a frame or a tab), not a script or API client asking for data.</summary>
    internal static bool IsBrowserPage(HttpRequest request) =>
        request.Headers["Sec-Fetch-Dest"].ToString() is "document" or "iframe" or "frame"
        || request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The refusal <paramref name="text"/> (already in the reader's language) with <paramref name="status"/>: a page for a
    /// browser, else <paramref name="api"/>. A 503 says when to try again (<c>Retry-After: 60</c>).
    /// </summary>
    internal static IResult Answer(HttpContext http, int status, string text, Func<IResult> api)
    {
        var response = http.Response;
        if (!response.HasStarted)
        {
            // A download's headers set before it was refused (the CSV exports set them before their first row).
            response.Headers.Remove(HeaderNames.ContentDisposition);
            response.ContentType = null;
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers.RetryAfter = "60";
            }
        }
        return IsBrowserPage(http.Request) ? Page(http, status, text) : api();
    }

    /// <summary>
    /// The answer to a failure of the portal itself (its database, most likely) before the answer started: logged with
    /// the exception, then 503 "try again in a moment" in the reader's language (<c>Download.StorageFailed</c>), never a
    /// bare 500 that a browser shows as a failed download or an error page.
    /// </summary>
    internal static IResult StorageFailed(HttpContext http, Exception ex)
    {
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Payments.Endpoints")
            .LogError(ex, "GET {Path} failed before its answer started (the portal's database, most likely); answered 503", http.Request.Path.Value);
        var text = http.RequestServices.GetRequiredService<IStringLocalizer<PortalStrings>>()["Download.StorageFailed"].Value;
        return Answer(http, StatusCodes.Status503ServiceUnavailable, text,
            () => Results.Problem(text, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The portal's database is not available"));
    }

    /// <summary>
    /// True for an exception of the portal's storage rather than one of the portal's own answers (no access, not found,
    /// refused, ERP unavailable) or a cancelled request.
    /// </summary>
    internal static bool IsStorageFailure(HttpContext http, Exception ex) =>
        ex is not (OperationCanceledException or PortalAccessDeniedException or PortalNotFoundException or PortalUnavailableException
            or PortalValidationException)
        && !http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted;

    private static IResult Page(HttpContext http, int status, string text)
    {
        var headers = http.Response.Headers;
        // No script, no network, framed by the portal only (the invoice preview): the invoice documents' policy.
        headers.ContentSecurityPolicy = InvoiceDocumentEndpoints.ContentSecurityPolicy;
        headers.CacheControl = "private, no-store";
        var html = $"""
            <!DOCTYPE html>
            <html lang="{WebUtility.HtmlEncode(CultureInfo.CurrentUICulture.Name)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(text)}</title></head>
            <body style="font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b;"><p role="alert">{WebUtility.HtmlEncode(text)}</p></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }
}
