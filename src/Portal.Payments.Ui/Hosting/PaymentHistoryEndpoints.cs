using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Payments.Hosting;
using Portal.Payments.Grid;
using Portal.Payments.Pdf;
using Portal.Payments.Services;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Payment-history downloads: receipt PDF, remittance CSV and the history CSV export. A payment id that is malformed,
/// unknown or another account's is "not found" (404), never "forbidden", so ids cannot be probed.
/// </summary>
internal static class PaymentHistoryEndpoints
{
    private static readonly PortalFieldError DamagedLink =
        PortalFieldError.Of("q", "HistoryExportLinkDamaged", "The export link is damaged or incomplete. Go back to Payment history and export again.");

    /// <summary>
    /// Maps <c>GET {ApiPrefix}/payments/{id}/receipt.pdf</c>, <c>GET {ApiPrefix}/payments/{id}/remittance.csv</c> and
    /// <c>GET {ApiPrefix}/payments/export.csv?q=&lt;GridQueryCodec text&gt;&amp;columns=Date,ReceiptNumber,…</c>.
    /// </summary>
    public static void MapPaymentHistory(RouteGroupBuilder api)
    {
        api.MapGet("/payments/{id}/receipt.pdf", ReceiptPdfAsync).WithName("PortalPaymentsReceiptPdf");
        api.MapGet("/payments/{id}/remittance.csv", RemittanceCsvAsync).WithName("PortalPaymentsRemittanceCsv");
        api.MapGet("/payments/export.csv", ExportAsync).WithName("PortalPaymentsHistoryExport");
    }

    /// <summary>The receipt PDF link of a payment.</summary>
    internal static string ReceiptPdfLink(Guid paymentId) => $"{Portal.Payments.Ui.PortalRoutes.Href(Portal.Payments.Ui.PortalRoutes.ApiPrefix)}/payments/{paymentId}/receipt.pdf";

    /// <summary>The remittance CSV link of a payment.</summary>
    internal static string RemittanceLink(Guid paymentId) => $"{Portal.Payments.Ui.PortalRoutes.Href(Portal.Payments.Ui.PortalRoutes.ApiPrefix)}/payments/{paymentId}/remittance.csv";

    /// <summary>The link the history grid's Export CSV button points at.</summary>
    internal static string ExportLink(GridQuery query, IEnumerable<string> columns) =>
        $"{Portal.Payments.Ui.PortalRoutes.Href(Portal.Payments.Ui.PortalRoutes.ApiPrefix)}/payments/export.csv?q={GridQueryCodec.Encode(query)}&columns={Uri.EscapeDataString(string.Join(',', columns))}";

    /// <summary>
    /// The receipt PDF in the request's language and culture (the host's request localization), the payment time in the
    /// user's time zone when the host supplies it (<see cref="Portal.Payments.Users.PortalUser.TimeZoneId"/>), else in UTC:
    /// the zone a browser reports is known only to its own circuit.
    /// </summary>
    private static async Task<IResult> ReceiptPdfAsync(string id, HttpContext http, PortalAccess access, PaymentService payments,
        IOptions<PortalPaymentsOptions> options, IStringLocalizer<PortalStrings> l, UserTime time, CancellationToken ct)
    {
        var receipt = PaymentText.ForReader(l, await payments.GetReceiptAsync(await PaymentIdAsync(id, access, ct), ct));
        await time.EnsureLoadedAsync(ct);
        var pdf = ReceiptPdfRenderer.Render(receipt, options.Value.Merchant, ReceiptPdfTexts.For(l, time.Zone));
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName($"receipt-{receipt.ReceiptNumber}.pdf");
        http.Response.Headers.ContentDisposition = disposition.ToString();
        http.Response.Headers.CacheControl = "private, no-store";
        return Results.Bytes(pdf, "application/pdf");
    }

    private static async Task RemittanceCsvAsync(string id, HttpContext http, PortalAccess access, PaymentHistoryService history, CancellationToken ct)
    {
        var paymentId = await PaymentIdAsync(id, access, ct);
        var remittance = await history.GetRemittanceAsync(paymentId, ct);
        await InvoiceExportEndpoints.WriteCsvDownloadAsync(http.Response, $"remittance-{remittance.ReceiptNumber}.csv",
            writer => history.WriteRemittanceCsvAsync(paymentId, writer, ct));
    }

    private static async Task ExportAsync(HttpContext http, string? q, string? columns, PortalAccess access, PaymentHistoryService history, TimeProvider clock,
        IOptions<PortalPaymentsOptions> options, CancellationToken ct)
    {
        // Signed in first: a signed-out caller gets 401 whatever the link holds (not 400 for a damaged one).
        var scope = await access.ForViewAsync(ct);
        var query = GridQueryCodec.Decode<GridQuery>(q, DamagedLink);
        var fields = string.IsNullOrWhiteSpace(columns)
            ? PaymentHistoryFields.DefaultColumns
            : columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var today = options.Value.Today(clock);
        await InvoiceExportEndpoints.WriteCsvDownloadAsync(http.Response, $"payment-history-{InvoiceExportEndpoints.SafeName(scope.AccountId)}-{today:yyyy-MM-dd}.csv",
            writer => history.WriteCsvAsync(query, fields, writer, ct));
    }

    /// <summary>The id in the URL; a malformed one is "not found" (after the sign-in check, so signed-out callers get 401).</summary>
    private static async Task<Guid> PaymentIdAsync(string id, PortalAccess access, CancellationToken ct)
    {
        await access.ForViewAsync(ct);
        return Guid.TryParse(id, out var paymentId) ? paymentId : throw new PortalNotFoundException("That payment was not found.");
    }
}
