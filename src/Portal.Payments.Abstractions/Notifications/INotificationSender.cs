namespace Portal.Payments.Notifications;

/// <summary>Why an email is sent.</summary>
public enum NotificationKind
{
    /// <summary>A payment was made (processing or succeeded).</summary>
    PaymentProcessed = 1,
    /// <summary>A payment was scheduled.</summary>
    PaymentScheduled = 2,
    /// <summary>A payment failed or was returned.</summary>
    PaymentFailed = 3,
    /// <summary>A scheduled payment was cancelled.</summary>
    PaymentCancelled = 4,
    /// <summary>A deposit on account was made.</summary>
    DepositReceived = 5,
    /// <summary>Autopay was enrolled, changed or cancelled.</summary>
    AutopayEnrollment = 6,
    /// <summary>An autopay debit is coming up.</summary>
    AutopayUpcoming = 7,
    /// <summary>Anything else.</summary>
    General = 99,
}

/// <summary>One email to a portal user.</summary>
public sealed record PortalEmail
{
    /// <summary>Unique id; senders may use it to drop duplicates.</summary>
    public required Guid Id { get; init; }
    /// <summary>Recipient address.</summary>
    public required string To { get; init; }
    /// <summary>Recipient display name.</summary>
    public string? ToName { get; init; }
    /// <summary>Subject line.</summary>
    public required string Subject { get; init; }
    /// <summary>Plain-text body.</summary>
    public required string TextBody { get; init; }
    /// <summary>Optional HTML body.</summary>
    public string? HtmlBody { get; init; }
    /// <summary>Why it is sent.</summary>
    public required NotificationKind Kind { get; init; }
    /// <summary>The customer account it concerns.</summary>
    public required string AccountId { get; init; }
    /// <summary>The payment it concerns, if any.</summary>
    public Guid? PaymentId { get; init; }
}

/// <summary>Delivers payment emails. The portal calls it from its notification outbox, with retries.</summary>
public interface INotificationSender
{
    /// <summary>
    /// Sends one email; throw to have the outbox retry later. A MailKit <c>SmtpCommandException</c> (also wrapped in another
    /// exception) that refuses the recipient or the message for good — a 550, 551, 553 or 554 reply to RCPT TO or DATA
    /// that is not a 5.7.x policy refusal — gives the email up at once (dead-lettered with the relay's reply), not retried.
    /// </summary>
    Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default);
}
