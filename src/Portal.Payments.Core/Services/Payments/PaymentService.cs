namespace Portal.Payments.Services.Payments;

/// <summary>Pay-now: server-computed preview, one charge per confirmation, receipts.</summary>
public sealed class PaymentService
{
    /// <summary>The server's preview of paying <paramref name="invoiceIds"/> today.</summary>
    public Task<PaymentPreview> PreviewAsync(IReadOnlyList<long> invoiceIds, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Recomputes, holds the items, charges once under the request's idempotency key, records the outcome.</summary>
    public Task<PaymentOutcome> PayInvoicesAsync(PayInvoicesRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>The receipt of a payment of the signed-in account (not found for any other).</summary>
    public Task<PaymentReceipt> GetReceiptAsync(Guid paymentId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
