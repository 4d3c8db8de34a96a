using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Invoice document endpoint for preview and print (owner: invoice preview work).</summary>
internal static class InvoiceDocumentEndpoints
{
    /// <summary>Maps <c>GET {ApiPrefix}/invoices/{id}/document</c>.</summary>
    public static void MapInvoiceDocuments(RouteGroupBuilder api)
    {
    }
}
