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
    /// True when <see cref="Answer(HttpContext, Exception)"/> answers <paramref name="ex"/>: the answer has not started, the
    /// request was not cancelled, and the exception is one of the portal's own refusals (no access, not found, invalid,
    /// ERP unavailable) or a failure of the portal itself (its database, most likely).
    /// </summary>
    internal static bool Answers(HttpContext http, Exception ex) =>
        !http.Response.HasStarted
        && (IsRefusal(ex) || (ex is not OperationCanceledException && !http.RequestAborted.IsCancellationRequested));

    /// <summary>One of the portal's own answers (no access, not found, invalid, ERP unavailable), worded by <see cref="FieldErrorText"/>.</summary>
    private static bool IsRefusal(Exception ex) =>
        ex is PortalAccessDeniedException or PortalNotFoundException or PortalValidationException or PortalUnavailableException;

    /// <summary>
    /// The answer to <paramref name="ex"/> (see <see cref="Answers"/>), in the reader's language: 401/403 for no access,
    /// 404, 400 with the field for an invalid request, 503 for the ERP. Any other exception is a failure of the portal
    /// itself: logged with the exception, then 503 "try again in a moment" (<c>Download.StorageFailed</c>), never a bare
    /// 500 that a browser shows as a failed download or an error page.
    /// </summary>
    internal static IResult Answer(HttpContext http, Exception ex)
    {
        var strings = http.RequestServices.GetRequiredService<IStringLocalizer<PortalStrings>>();
        var text = IsRefusal(ex)
            ? FieldErrorText.Of(strings, ex)
            : strings["Download.StorageFailed"].Value;
        switch (ex)
        {
            case PortalAccessDeniedException denied:
                var status = denied.NotSignedIn ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
                return Answer(http, status, text, () => Results.Problem(text, statusCode: status));
            case PortalNotFoundException:
                return Answer(http, StatusCodes.Status404NotFound, text, () => Results.Problem(text, statusCode: StatusCodes.Status404NotFound));
            case PortalValidationException invalid:
                return Answer(http, StatusCodes.Status400BadRequest, text,
                    () => Results.ValidationProblem(new Dictionary<string, string[]> { [invalid.Field] = [text] }));
            case PortalUnavailableException:
                return Answer(http, StatusCodes.Status503ServiceUnavailable, text,
                    () => Results.Problem(text, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The ERP is not available"));
            default:
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Payments.Endpoints")
                    .LogError(ex, "{Method} {Path} failed before its answer started (the portal's database, most likely); answered 503",
                        http.Request.Method, http.Request.Path.Value);
                return Answer(http, StatusCodes.Status503ServiceUnavailable, text,
                    () => Results.Problem(text, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The portal's database is not available"));
        }
    }

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
