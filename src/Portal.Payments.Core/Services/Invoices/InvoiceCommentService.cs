using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Outbox;

namespace Portal.Payments.Services.Invoices;

/// <summary>A comment on an invoice, as plain text, and how far it has got on its way to the ERP.</summary>
public sealed record InvoiceComment(Guid Id, string AuthorName, string Text, DateTimeOffset CreatedAt)
{
    /// <summary>How far it has got on its way to the ERP.</summary>
    public CommentDelivery Delivery { get; init; }
}

/// <summary>How far a comment has got on its way to the ERP (where the accounts receivable team reads it).</summary>
public enum CommentDelivery
{
    /// <summary>The ERP took it (also a comment stored before the portal tracked this).</summary>
    Delivered,

    /// <summary>Queued; not tried yet.</summary>
    Sending,

    /// <summary>The ERP refused it or did not answer; it is tried again automatically.</summary>
    Retrying,

    /// <summary>
    /// Given up after <see cref="Hosting.PortalPaymentsOptions.OutboxMaxAttempts"/> tries: the accounts receivable team has
    /// not got it (an operator can replay it).
    /// </summary>
    NotDelivered,
}

/// <summary>Invoice comments: list and add (sent to the ERP through the outbox).</summary>
public sealed class InvoiceCommentService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    TimeProvider clock,
    ILogger<InvoiceCommentService> logger)
{
    /// <summary>Maximum comment length.</summary>
    public const int MaxLength = 2000;

    private const int MaxAuthorLength = 200;

    /// <summary>Comments of an invoice of the signed-in account, oldest first.</summary>
    public async Task<IReadOnlyList<InvoiceComment>> ListAsync(long invoiceId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await FindInvoiceAsync(db, scope, invoiceId, cancellationToken);
        var rows = await db.InvoiceComments.AsNoTracking()
            .Where(c => c.AccountId == scope.AccountId && c.InvoiceId == invoiceId)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .Select(c => new
            {
                Comment = c,
                // The comment's posting has the comment's id (comments stored before that have none here: Delivered).
                Posting = db.Outbox
                    .Where(m => m.Id == c.Id && m.Kind == OutboxKind.ErpComment)
                    .Select(m => new { m.CompletedAt, m.DeadLetteredAt, m.Attempts })
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return rows.Select(r => ToComment(r.Comment, r.Posting switch
        {
            null => CommentDelivery.Delivered,
            { CompletedAt: not null } => CommentDelivery.Delivered,
            { DeadLetteredAt: not null } => CommentDelivery.NotDelivered,
            { Attempts: > 0 } => CommentDelivery.Retrying,
            _ => CommentDelivery.Sending,
        })).ToList();
    }

    /// <summary>The invoice's comment count as stored on the invoice (what the grid shows).</summary>
    public async Task<int> CountAsync(long invoiceId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await FindInvoiceAsync(db, scope, invoiceId, cancellationToken)).CommentCount;
    }

    /// <summary>
    /// Adds a comment (1 to 2,000 characters, not blank) and queues it for the ERP. Comments reach the
    /// AR team as the customer's word on an invoice (disputes, promises to pay), so like every other
    /// change they need the accounts-payable (Pay) permission; view-only users read them only.
    /// </summary>
    public async Task<InvoiceComment> AddAsync(long invoiceId, string text, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var trimmed = ValidText(text);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var invoice = await FindInvoiceAsync(db, scope, invoiceId, cancellationToken);
        var counted = await db.Invoices
            .Where(i => i.Id == invoiceId && i.AccountId == scope.AccountId)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.CommentCount, i => i.CommentCount + 1), cancellationToken);
        if (counted != 1)
        {
            throw new PortalNotFoundException("That invoice was not found on this account.");
        }
        var author = scope.User.DisplayName.Trim();
        var row = new InvoiceCommentRecord
        {
            Id = Guid.NewGuid(),
            AccountId = scope.AccountId,
            InvoiceId = invoiceId,
            AuthorUserId = scope.User.UserId,
            AuthorName = author.Length > MaxAuthorLength ? author[..MaxAuthorLength] : author,
            Text = trimmed,
            CreatedAt = now,
        };
        db.InvoiceComments.Add(row);
        OutboxWriter.EnqueueComment(db, new ErpCommentPosting
        {
            CommentId = row.Id,
            AccountId = scope.AccountId,
            ItemExternalId = invoice.ExternalId,
            Author = row.AuthorName,
            Text = row.Text,
            CreatedAt = Utc(now),
        }, now);
        AuditLog.Add(db, scope.AccountId, scope.User.UserId, "invoice.comment-added", invoiceId.ToString(System.Globalization.CultureInfo.InvariantCulture), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        logger.LogInformation("Comment {CommentId} added to invoice {InvoiceId} of {AccountId}", row.Id, invoiceId, scope.AccountId);
        return ToComment(row, CommentDelivery.Sending);
    }

    private static string ValidText(string? text)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw PortalFieldError.Of("text", "InvoiceCommentEmpty", "Write a comment before adding it.").ToException();
        }
        return trimmed.Length > MaxLength
            ? throw PortalFieldError.Of("text", "InvoiceCommentTooLong", "A comment can be at most {0:N0} characters; this one has {1:N0}.", MaxLength, trimmed.Length).ToException()
            : trimmed;
    }

    private static async Task<InvoiceRecord> FindInvoiceAsync(PaymentsDbContext db, AccountScope scope, long invoiceId, CancellationToken ct) =>
        await db.Invoices.AsNoTracking().FirstOrDefaultAsync(i => i.Id == invoiceId && i.AccountId == scope.AccountId, ct)
        ?? throw new PortalNotFoundException("That invoice was not found on this account.");

    private static InvoiceComment ToComment(InvoiceCommentRecord r, CommentDelivery delivery) => new(r.Id, r.AuthorName, r.Text, Utc(r.CreatedAt)) { Delivery = delivery };

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
