using Portal.Payments.Erp;

namespace Portal.Payments.Services.Invoices;

/// <summary>An invoice's document from the ERP.</summary>
/// <param name="InvoiceNumber">Document number.</param>
/// <param name="Document">Content type, file name, bytes.</param>
public sealed record InvoiceDocument(string InvoiceNumber, ErpDocument Document);

/// <summary>Invoice documents for preview and print.</summary>
public sealed class InvoiceDocumentService
{
    /// <summary>The document of an invoice of the signed-in account.</summary>
    public Task<InvoiceDocument> GetAsync(long invoiceId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
