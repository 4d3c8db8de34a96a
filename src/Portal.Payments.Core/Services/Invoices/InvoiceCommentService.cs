namespace Portal.Payments.Services.Invoices;

/// <summary>A comment on an invoice, as plain text.</summary>
public sealed record InvoiceComment(Guid Id, string AuthorName, string Text, DateTimeOffset CreatedAt);

/// <summary>Invoice comments: list and add (sent to the ERP through the outbox).</summary>
public sealed class InvoiceCommentService
{
    /// <summary>Maximum comment length.</summary>
    public const int MaxLength = 2000;

    /// <summary>Comments of an invoice of the signed-in account, oldest first.</summary>
    public Task<IReadOnlyList<InvoiceComment>> ListAsync(long invoiceId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Adds a comment (1 to 2,000 characters, not blank) and queues it for the ERP.</summary>
    public Task<InvoiceComment> AddAsync(long invoiceId, string text, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
