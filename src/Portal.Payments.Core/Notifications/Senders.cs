using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Payments.Data;
using Portal.Payments.Hosting;

namespace Portal.Payments.Notifications;

/// <summary>Records a sent email in the mailbox table once (by id), whatever the transport.</summary>
internal static class Mailbox
{
    public static async Task RecordAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PortalEmail email, string transport, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.SentEmails.AnyAsync(e => e.Id == email.Id, ct))
        {
            return;
        }
        db.SentEmails.Add(new SentEmailRecord
        {
            Id = email.Id,
            AccountId = email.AccountId,
            To = email.To,
            Subject = email.Subject,
            TextBody = email.TextBody,
            HtmlBody = email.HtmlBody,
            Kind = email.Kind,
            PaymentId = email.PaymentId,
            SentAt = now,
            Transport = transport,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Recorded by a concurrent delivery of the same message (primary key); anything else is a real failure.
            await using var check = await dbFactory.CreateDbContextAsync(ct);
            if (!await check.SentEmails.AnyAsync(e => e.Id == email.Id, ct))
            {
                throw;
            }
        }
    }
}

/// <summary>The default sender: keeps every email in the mailbox table (shown by the host's Mailbox page) and logs it.</summary>
public sealed class StoredEmailSender(IDbContextFactory<PaymentsDbContext> dbFactory, TimeProvider clock, ILogger<StoredEmailSender> logger) : INotificationSender
{
    /// <inheritdoc />
    public async Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        await Mailbox.RecordAsync(dbFactory, email, "stored", clock.GetUtcNow().UtcDateTime, cancellationToken);
        logger.LogInformation("Email {Kind} to {To}: {Subject}", email.Kind, email.To, email.Subject);
    }
}

/// <summary>Sends through an SMTP server with MailKit (select with Notifications:Transport = Smtp); also records the mailbox copy.</summary>
public sealed class SmtpNotificationSender(
    IOptions<PortalPaymentsOptions> options,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    TimeProvider clock,
    ILogger<SmtpNotificationSender> logger) : INotificationSender
{
    /// <inheritdoc />
    public async Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        var smtp = options.Value.Notifications.Smtp;
        var message = new MimeMessage { Subject = email.Subject };
        message.Headers.Add("Message-ID", $"<{email.Id:N}@portal-payments>");
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.FromAddress));
        message.To.Add(new MailboxAddress(email.ToName ?? email.To, email.To));
        var body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody };
        message.Body = body.ToMessageBody();

        using var client = new SmtpClient();
        // The validator admits only the names of SmtpOptions.SecurityValues; never fall back to a weaker mode.
        var security = Enum.Parse<SecureSocketOptions>(smtp.Security, ignoreCase: true);
        await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Notifications:Smtp:Host is not set."), smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);

        await Mailbox.RecordAsync(dbFactory, email, "smtp", clock.GetUtcNow().UtcDateTime, cancellationToken);
        logger.LogInformation("Email {Kind} sent by SMTP to {To}: {Subject}", email.Kind, email.To, email.Subject);
    }
}
