using MailKit.Net.Smtp;
using MailKit;
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
    /// <summary>True when the email with <paramref name="id"/> is in the mailbox table: it was sent (or kept) already.</summary>
    public static async Task<bool> HasAsync(IDbContextFactory<PaymentsDbContext> dbFactory, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SentEmails.AnyAsync(e => e.Id == id, ct);
    }

    /// <summary>
    /// Records <paramref name="email"/> unless it is there already; <paramref name="checkFirst"/> false skips the look
    /// when the caller has just made it (<see cref="HasAsync"/>): a copy recorded meanwhile still ends in no second row.
    /// </summary>
    public static async Task RecordAsync(IDbContextFactory<PaymentsDbContext> dbFactory, PortalEmail email, string transport, DateTime now, CancellationToken ct,
        bool checkFirst = true)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (checkFirst && await db.SentEmails.AnyAsync(e => e.Id == email.Id, ct))
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

/// <summary>
/// How the senders log a recipient. The address is personal data: the Information and Error lines name the email by its id
/// (the outbox message's id too, <see cref="Outbox.OutboxWriter.EnqueueEmail"/>, and the mailbox row's, which has the
/// address for whoever may read it) and the address at most masked; the full address goes to Debug only.
/// </summary>
internal static class RecipientLog
{
    /// <summary>"p•••@acme.example": the first character and the domain (enough to see a relay's or a domain's problem).</summary>
    public static string Masked(string? address)
    {
        var trimmed = address?.Trim() ?? "";
        var at = trimmed.LastIndexOf('@');
        return trimmed.Length == 0 ? "(none)" : trimmed[..1] + "•••" + (at > 0 ? trimmed[at..] : "");
    }

    /// <summary>The full address, for whoever turns Debug on, by the email's id (the id the Information lines name).</summary>
    public static void Debug(ILogger logger, PortalEmail email) => logger.LogDebug("Email {Id} is addressed to {To}", email.Id, email.To);
}

/// <summary>The default sender: keeps every email in the mailbox table (shown by the host's Mailbox page) and logs it.</summary>
internal sealed class StoredEmailSender(IDbContextFactory<PaymentsDbContext> dbFactory, TimeProvider clock, ILogger<StoredEmailSender> logger) : INotificationSender
{
    /// <inheritdoc />
    public async Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        await Mailbox.RecordAsync(dbFactory, email, "stored", clock.GetUtcNow().UtcDateTime, cancellationToken);
        logger.LogInformation("Email {Kind} {Id} kept in the mailbox: {Subject}", email.Kind, email.Id, email.Subject);
        RecipientLog.Debug(logger, email);
    }
}

/// <summary>
/// Sends through an SMTP server with MailKit (select with Notifications:Transport = Smtp); also records the mailbox copy.
/// Connections come from <see cref="SmtpConnectionPool"/>: connect, TLS and authentication happen once per connection,
/// not once per email. An email already in the mailbox table is not sent again: its delivery went through before but
/// was not marked done (the node stopped, or lost the message's lease, after the relay took it).
/// </summary>
internal sealed class SmtpNotificationSender(
    SmtpConnectionPool pool,
    IOptions<PortalPaymentsOptions> options,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    TimeProvider clock,
    ILogger<SmtpNotificationSender> logger) : INotificationSender
{
    /// <inheritdoc />
    public async Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (await Mailbox.HasAsync(dbFactory, email.Id, cancellationToken))
        {
            logger.LogInformation("Email {Kind} {Id} was sent before; not sent again", email.Kind, email.Id);
            return;
        }
        var to = email.To?.Trim() ?? "";
        if (!Portal.Payments.Hosting.PortalPaymentsOptionsValidator.IsBareAddress(to, out _))
        {
            // The address is the queued email's own: no retry can change it. Given up at once (dead-lettered), with an error
            // that says what to fix for the emails to come.
            throw new UndeliverableEmailException(
                $"The {email.Kind} email {email.Id} is addressed to '{email.To}', which is not an email address: nothing was sent. " +
                "The address is the PortalUser.Email your IPortalUserContext gave for the user who made the payment or set up autopay; " +
                "give every portal user an email address there.");
        }
        var smtp = options.Value.Notifications.Smtp;
        // The Message-ID is the email's id on every attempt: MimeKit gives a new message a random one, which is replaced (a
        // second header beside it would make two, refused or marked as spam by strict relays, and mail programs go by the first).
        var message = new MimeMessage { Subject = email.Subject, MessageId = $"{email.Id:N}@portal-payments" };
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.FromAddress));
        message.To.Add(new MailboxAddress(email.ToName ?? to, to));
        var body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody };
        message.Body = body.ToMessageBody();

        await pool.SendAsync(message, cancellationToken);

        try
        {
            await Mailbox.RecordAsync(dbFactory, email, "smtp", clock.GetUtcNow().UtcDateTime, CancellationToken.None, checkFirst: false);
        }
        catch (Exception ex)
        {
            // The relay has the email: a failure here is no failed delivery (the next attempt, finding no mailbox copy,
            // would send it to the payer a second time). The mailbox misses this copy; the log has it.
            logger.LogError(ex, "Email {Kind} {Id} was sent by SMTP to {To} ({Subject}), but its mailbox copy could not be recorded; it is not sent again",
                email.Kind, email.Id, RecipientLog.Masked(email.To), email.Subject);
            RecipientLog.Debug(logger, email);
            return;
        }
        logger.LogInformation("Email {Kind} {Id} sent by SMTP: {Subject}", email.Kind, email.Id, email.Subject);
        RecipientLog.Debug(logger, email);
    }
}

/// <summary>Looks through an exception and the exceptions it wraps.</summary>
internal static class ExceptionChain
{
    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="exception"/>'s chain (itself, then what it wraps), or null.</summary>
    public static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }
        return null;
    }
}

/// <summary>An email that can never be sent as queued (its recipient is no email address): the outbox gives it up at once.</summary>
internal sealed class UndeliverableEmailException(string message) : EmailUndeliverableException(message);

/// <summary>
/// Tells an SMTP relay's refusal of one email that no retry can change (the recipient's mailbox does not exist, its name
/// is not allowed, the message was refused at DATA) from one worth trying again. Only a 5xx reply to RCPT TO or to DATA
/// (MailKit's <see cref="SmtpCommandException"/>, also when a host's own sender wraps it) is permanent, and not every one:
/// a refusal that is really the host relay's configuration stays a failed attempt, retried with backoff and so delivered
/// by itself once the operator fixes the relay — anything at connect, TLS, AUTH (535) or MAIL FROM (530 authentication
/// required, the sender address refused), a 552 to RCPT TO (RFC 5321 §4.5.3.1.10: treat as temporary), an enhanced status
/// 5.7.x (security or policy: relaying denied, authentication required, the sender's domain not authorised), and a reply
/// that speaks of relaying or authentication. 4xx replies, lost connections and timeouts are always retried.
/// </summary>
internal static class SmtpRefusal
{
    private static readonly System.Text.RegularExpressions.Regex Enhanced = new(@"^\s*5\.(?<subject>\d{1,3})\.\d{1,3}\b",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// When <paramref name="exception"/> (or one it wraps) is the relay's refusal of a command, true, with
    /// <paramref name="reason"/> in the relay's words (its code, its text, the command it answered) and whether the
    /// refusal is <paramref name="permanent"/>; false for anything else (no connection, TLS, a timeout, a login refused).
    /// </summary>
    public static bool IsRefusal(Exception exception, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? reason, out bool permanent)
    {
        if (ExceptionChain.Find<SmtpCommandException>(exception) is not { } refusal)
        {
            reason = null;
            permanent = false;
            return false;
        }
        permanent = IsPermanent(refusal);
        var stage = refusal.ErrorCode switch
        {
            SmtpErrorCode.RecipientNotAccepted => $" to RCPT TO {refusal.Mailbox?.Address}".TrimEnd(),
            SmtpErrorCode.SenderNotAccepted => $" to MAIL FROM {refusal.Mailbox?.Address}".TrimEnd(),
            SmtpErrorCode.MessageNotAccepted => " to DATA",
            _ => "",
        };
        var reply = $"{(int)refusal.StatusCode} {refusal.Message.Trim()}".TrimEnd().TrimEnd('.');
        reason = permanent
            ? $"The mail relay refused the email permanently{stage}: {reply} — not retried" +
              (refusal.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? " (the address is the PortalUser.Email your IPortalUserContext gave for the user)." : ".")
            : $"The mail relay refused the email{stage}: {reply} — retried later.";
        return true;
    }

    private static bool IsPermanent(SmtpCommandException refusal)
    {
        var code = (int)refusal.StatusCode;
        if (refusal.ErrorCode is not (SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted) || code is < 550 or > 554)
        {
            return false;
        }
        if (code == 552 && refusal.ErrorCode == SmtpErrorCode.RecipientNotAccepted)
        {
            return false;
        }
        var text = refusal.Message ?? "";
        if (Enhanced.Match(text) is { Success: true } enhanced && enhanced.Groups["subject"].Value == "7")
        {
            return false;
        }
        return !(text.Contains("relay", StringComparison.OrdinalIgnoreCase) || text.Contains("authenticat", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>
/// Open, authenticated SMTP connections kept for reuse (at most <see cref="PortalPaymentsOptions.OutboxConcurrency"/>
/// idle ones, each for up to a minute idle). A connection that fails while sending is dropped and the message is sent
/// once more on a fresh one; a second failure goes back to the outbox, which retries it later.
/// </summary>
internal sealed class SmtpConnectionPool(IOptions<PortalPaymentsOptions> options, TimeProvider clock, ILogger<SmtpConnectionPool> logger) : IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(1);
    private readonly System.Collections.Concurrent.ConcurrentBag<(SmtpClient Client, DateTimeOffset Since)> _idle = [];
    private int _connects;

    /// <summary>Connections opened so far (a measure of reuse).</summary>
    public int Connects => _connects;

    /// <summary>Sends <paramref name="message"/> on a pooled connection (a fresh one when the pooled one has gone stale).</summary>
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (client, reused) = await RentAsync(cancellationToken);
        try
        {
            await client.SendAsync(message, cancellationToken);
        }
        catch (Exception ex) when (reused && ex is ServiceNotConnectedException or SmtpProtocolException or IOException)
        {
            // The server closed the idle connection: once more on a new one.
            Discard(client);
            logger.LogInformation("A pooled SMTP connection was closed by the server; sending on a new one");
            (client, _) = await RentAsync(cancellationToken, fresh: true);
            try
            {
                await client.SendAsync(message, cancellationToken);
            }
            catch
            {
                Discard(client);
                throw;
            }
        }
        catch
        {
            Discard(client);
            throw;
        }
        Return(client);
    }

    private async Task<(SmtpClient Client, bool Reused)> RentAsync(CancellationToken ct, bool fresh = false)
    {
        while (!fresh && _idle.TryTake(out var idle))
        {
            if (idle.Client.IsConnected && clock.GetUtcNow() - idle.Since < MaxIdle)
            {
                return (idle.Client, true);
            }
            Discard(idle.Client);
        }
        var smtp = options.Value.Notifications.Smtp;
        var client = new SmtpClient();
        try
        {
            // The validator admits only the names of SecureSocketOptions; never fall back to a weaker mode.
            var security = Enum.Parse<SecureSocketOptions>(smtp.Security, ignoreCase: true);
            await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Notifications:Smtp:Host is not set."), smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
            }
        }
        catch
        {
            client.Dispose();
            throw;
        }
        Interlocked.Increment(ref _connects);
        return (client, false);
    }

    private void Return(SmtpClient client)
    {
        if (client.IsConnected && _idle.Count < options.Value.OutboxConcurrency)
        {
            _idle.Add((client, clock.GetUtcNow()));
        }
        else
        {
            Discard(client);
        }
    }

    private static void Discard(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                client.Disconnect(quit: true);
            }
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or ServiceNotConnectedException or OperationCanceledException)
        {
            // Gone already.
        }
        client.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        while (_idle.TryTake(out var idle))
        {
            Discard(idle.Client);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
