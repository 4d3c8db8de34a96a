using Microsoft.EntityFrameworkCore;
using Portal.Payments.Data;
using Portal.Payments.Notifications;

namespace Portal.Payments.Services;

/// <summary>An email the portal sent, as the mailbox shows it.</summary>
/// <param name="Id">Id.</param>
/// <param name="To">Recipient.</param>
/// <param name="Subject">Subject.</param>
/// <param name="TextBody">Plain-text body.</param>
/// <param name="Kind">Why it was sent.</param>
/// <param name="SentAt">When (UTC).</param>
/// <param name="Transport">"stored" or "smtp".</param>
public sealed record MailboxEntry(Guid Id, string To, string Subject, string TextBody, NotificationKind Kind, DateTimeOffset SentAt, string Transport);

/// <summary>The emails sent about the current account, newest first (for a host's mailbox page).</summary>
public sealed class MailboxService(PortalAccess access, IDbContextFactory<PaymentsDbContext> dbFactory)
{
    /// <summary>Up to <paramref name="take"/> emails about the current account, newest first.</summary>
    public async Task<IReadOnlyList<MailboxEntry>> ListAsync(int take = 100, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        take = Math.Clamp(take, 1, 500);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.SentEmails.AsNoTracking()
            .Where(e => e.AccountId == scope.AccountId)
            .OrderByDescending(e => e.SentAt)
            .Take(take)
            .ToListAsync(cancellationToken);
        return rows.Select(e => new MailboxEntry(e.Id, e.To, e.Subject, e.TextBody, e.Kind, new DateTimeOffset(DateTime.SpecifyKind(e.SentAt, DateTimeKind.Utc)), e.Transport)).ToList();
    }
}
