using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services.Invoices;

/// <summary>An invoice's document from the ERP.</summary>
/// <param name="InvoiceNumber">Document number.</param>
/// <param name="Document">Content type, file name, bytes.</param>
public sealed record InvoiceDocument(string InvoiceNumber, ErpDocument Document);

/// <summary>Invoice documents for preview and print.</summary>
public sealed class InvoiceDocumentService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IErpAdapter erp,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<InvoiceDocumentService> logger)
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
        var document = await FromErpAsync(scope.AccountId, externalId, number, cancellationToken)
            ?? throw new PortalNotFoundException($"The ERP has no document for invoice {number}.");
        return new InvoiceDocument(number, document);
    }

    /// <summary>
    /// Asks the ERP within <see cref="PortalPaymentsOptions.ErpRequestTimeout"/> on the injected clock, as every other
    /// time limit of the portal (<see cref="TimeLimit"/>): the adapter's token is cancelled then, and the wait ends even
    /// when an adapter ignores it. A timeout or an adapter failure is "unavailable", not a crash.
    /// </summary>
    private async Task<ErpDocument?> FromErpAsync(string accountId, string externalId, string number, CancellationToken cancellationToken)
    {
        var timeout = options.Value.ErpRequestTimeout;
        try
        {
            return await TimeLimit.RunAsync(c => erp.GetDocumentAsync(accountId, externalId, c), timeout, clock,
                "The request for the invoice's document got no answer from the ERP", nameof(PortalPaymentsOptions.ErpRequestTimeout), cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("The ERP did not return the document of invoice {Invoice} (account {Account}) within {Timeout}.", number, accountId, timeout);
            throw new PortalUnavailableException($"The ERP did not send the document of invoice {number} in time. Try again in a minute.", ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or PortalNotFoundException or PortalAccessDeniedException or PortalValidationException))
        {
            logger.LogError(ex, "The ERP failed to return the document of invoice {Invoice} (account {Account}).", number, accountId);
            throw new PortalUnavailableException($"The ERP could not send the document of invoice {number} just now. Try again in a minute.", ex);
        }
    }
}
