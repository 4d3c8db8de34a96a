using Microsoft.EntityFrameworkCore;
using Portal.Payments.Data;
using Portal.Payments.Erp;

namespace Portal.Payments.Services.Invoices;

/// <summary>An invoice's document from the ERP.</summary>
/// <param name="InvoiceNumber">Document number.</param>
/// <param name="Document">Content type, file name, bytes.</param>
public sealed record InvoiceDocument(string InvoiceNumber, ErpDocument Document);

/// <summary>Invoice documents for preview and print.</summary>
public sealed class InvoiceDocumentService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IErpAdapter erp)
{
    /// <summary>The document of an invoice of the signed-in account.</summary>
    public async Task<InvoiceDocument> GetAsync(long invoiceId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        string externalId, number;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var invoice = await db.Invoices.AsNoTracking()
                .Where(i => i.Id == invoiceId && i.AccountId == scope.AccountId)
                .Select(i => new { i.ExternalId, i.Number })
                .FirstOrDefaultAsync(cancellationToken)
                ?? throw new PortalNotFoundException("That invoice was not found on this account.");
            (externalId, number) = (invoice.ExternalId, invoice.Number);
        }
        var document = await erp.GetDocumentAsync(scope.AccountId, externalId, cancellationToken)
            ?? throw new PortalNotFoundException($"The ERP has no document for invoice {number}.");
        return new InvoiceDocument(number, document);
    }
}
