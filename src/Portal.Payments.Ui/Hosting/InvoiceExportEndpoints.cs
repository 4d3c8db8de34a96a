using Portal.Payments.Hosting;
using Microsoft.Extensions.Options;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Open-invoices CSV export endpoint (owner: open-invoices grid work).</summary>
internal static class InvoiceExportEndpoints
{
    /// <summary>UTF-8 with a byte order mark, so spreadsheet programs read accented text correctly.</summary>
    private static readonly Encoding Utf8WithBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);

    /// <summary>
    /// Maps <c>GET {ApiPrefix}/invoices/export.csv?q=&lt;InvoiceQueryCodec text&gt;&amp;columns=Number,DueDate,…</c>:
    /// every row of the signed-in account's filtered, sorted open items, streamed as a CSV download.
    /// </summary>
    public static void MapInvoiceExport(RouteGroupBuilder api)
    {
        api.MapGet("/invoices/export.csv", ExportAsync).WithName("PortalPaymentsInvoiceExport");
    }

    /// <summary>The link the grid's Export CSV button points at.</summary>
    internal static string Link(InvoiceQuery query, IEnumerable<string> columns) =>
        $"{Portal.Payments.Ui.PortalRoutes.Href(Portal.Payments.Ui.PortalRoutes.ApiPrefix)}/invoices/export.csv?q={InvoiceQueryCodec.Encode(query)}&columns={Uri.EscapeDataString(string.Join(',', columns))}";

    private static async Task ExportAsync(HttpContext http, string? q, string? columns, PortalAccess access, InvoiceQueryService invoices, TimeProvider clock,
        IOptions<PortalPaymentsOptions> options, CancellationToken ct)
    {
        // Signed in first: a signed-out caller gets 401 whatever the link holds (not 400 for a damaged one).
        var scope = await access.ForViewAsync(ct);
        var query = InvoiceQueryCodec.Decode(q);
        var fields = string.IsNullOrWhiteSpace(columns)
            ? InvoiceFields.DefaultColumns
            : columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var today = options.Value.Today(clock);
        await WriteCsvDownloadAsync(http.Response, $"open-invoices-{SafeName(scope.AccountId)}-{today:yyyy-MM-dd}.csv",
            writer => invoices.WriteCsvAsync(query, fields, writer, ct));
    }

    /// <summary>
    /// Streams a CSV download written by <paramref name="write"/> (shared by the grids' exports and the remittance). The
    /// writer is buffered and disposed (flushed) only on success, so a refusal or a database failure before the first rows
    /// went out sends nothing: the API group's filter drops the attachment headers and answers why (PortalRefusals). A
    /// failure after that aborts the response, so a cut-off file is never saved as complete.
    /// </summary>
    internal static async Task WriteCsvDownloadAsync(HttpResponse response, string fileName, Func<TextWriter, Task> write)
    {
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = fileName }.ToString();
        var writer = new StreamWriter(response.Body, Utf8WithBom, bufferSize: 32 * 1024);
        await write(writer);
        await writer.DisposeAsync();
    }

    /// <summary>An account id made safe for a file name.</summary>
    internal static string SafeName(string accountId) =>
        string.Concat(accountId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
