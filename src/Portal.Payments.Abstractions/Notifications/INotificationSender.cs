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
    /// A sender of your own that knows a refusal is for good (an email API answering "invalid recipient", say) throws
    /// <see cref="EmailUndeliverableException"/> for the same.
    /// </summary>
    Task SendAsync(PortalEmail email, CancellationToken cancellationToken = default);
}

/// <summary>
/// Thrown by an <see cref="INotificationSender"/> when an email can never be delivered as it was queued (the provider refused
/// the recipient or the message for good): the outbox gives it up at its first attempt, dead-lettered with
/// <see cref="Exception.Message"/> as its last error (operators see it and can replay it once the cause is fixed), instead
/// of retrying it for hours. Also recognised wrapped in another exception. Throw any other exception for a failure worth
/// trying again (the relay unreachable, a timeout, a rate limit).
/// </summary>
public class EmailUndeliverableException : Exception
{
    /// <summary>A refusal for good, in words an operator can act on (do not put the recipient's address in it if your logs must not hold it).</summary>
    public EmailUndeliverableException(string message)
        : base(message)
    {
    }

    /// <summary>As <see cref="EmailUndeliverableException(string)"/>, keeping the provider's own exception.</summary>
    public EmailUndeliverableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
