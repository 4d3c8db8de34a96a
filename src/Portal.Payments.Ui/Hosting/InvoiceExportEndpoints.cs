using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Open-invoices CSV export endpoint (owner: open-invoices grid work).</summary>
internal static class InvoiceExportEndpoints
{
    /// <summary>Maps <c>GET {ApiPrefix}/invoices/export.csv</c>.</summary>
    public static void MapInvoiceExport(RouteGroupBuilder api)
    {
    }
}
