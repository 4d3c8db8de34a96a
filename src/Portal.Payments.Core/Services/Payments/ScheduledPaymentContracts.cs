namespace Portal.Payments.Services.Payments;

/// <summary>The dates a payment of a selection may be scheduled for.</summary>
/// <param name="Earliest">Tomorrow (the account's today is the UTC date).</param>
/// <param name="Latest">The horizon, or the earliest due date when the host requires it.</param>
public sealed record ScheduleWindow(DateOnly Earliest, DateOnly Latest);

/// <summary>Schedule a payment of selected invoices for a later date.</summary>
/// <param name="InvoiceIds">Local invoice ids (invoices and credit memos).</param>
/// <param name="PaymentDate">The date to charge; null when the browser sent something that is not a date.</param>
/// <param name="PaymentMethodId">A stored method of the account.</param>
/// <param name="IdempotencyKey">One key per confirmation; it is also the key of the charge on the payment date.</param>
public sealed record SchedulePaymentRequest(IReadOnlyList<long> InvoiceIds, DateOnly? PaymentDate, Guid PaymentMethodId, string IdempotencyKey)
{
    /// <summary>The total the user saw; when the server's recomputation differs, nothing is scheduled.</summary>
    public Money? ExpectedTotal { get; init; }
}

/// <summary>A stored scheduled payment.</summary>
public sealed record ScheduledPaymentOutcome
{
    /// <summary>Payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Reference (receipt number).</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>The date it will be charged.</summary>
    public required DateOnly ScheduledFor { get; init; }
    /// <summary>The amount that will be charged.</summary>
    public required Money Amount { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>True when an earlier confirmation with the same key scheduled it.</summary>
    public bool Replayed { get; init; }
}

/// <summary>Scheduled payments that were cancelled.</summary>
/// <param name="ReceiptNumbers">References of the cancelled payments.</param>
/// <param name="InvoicesReopened">Invoices that are open again.</param>
public sealed record CancelScheduledOutcome(IReadOnlyList<string> ReceiptNumbers, int InvoicesReopened);
