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
    /// <summary>
    /// The account the form was opened for (<see cref="AccountScope.AccountId"/> when it opened). When the user's
    /// current account is another one by the time the form is confirmed, nothing is done and the form is refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
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

/// <summary>A scheduled payment as the Scheduled payments list shows it.</summary>
public sealed record ScheduledPaymentView
{
    /// <summary>Payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Reference (receipt number).</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>The date it will be charged.</summary>
    public required DateOnly ScheduledFor { get; init; }
    /// <summary>The amount that will be charged.</summary>
    public required Money Amount { get; init; }
    /// <summary>The stored method it will be charged to (null when that method was deleted).</summary>
    public Guid? PaymentMethodId { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>Who scheduled it.</summary>
    public required string ScheduledBy { get; init; }
    /// <summary>The items it pays, invoices first.</summary>
    public required IReadOnlyList<ScheduledPaymentItem> Items { get; init; }
}

/// <summary>
/// The date and method a change form of a scheduled payment started from (<see cref="ScheduledPaymentView.ScheduledFor"/> and
/// <see cref="ScheduledPaymentView.PaymentMethodId"/> as listed): a change saved from the form is refused when the payment no
/// longer has them.
/// </summary>
/// <param name="ScheduledFor">The date the form showed.</param>
/// <param name="PaymentMethodId">The method the form showed (null when it had been deleted).</param>
public sealed record ScheduledChangeBasis(DateOnly ScheduledFor, Guid? PaymentMethodId)
{
    /// <summary>The basis of a form opened on <paramref name="payment"/> as listed.</summary>
    public static ScheduledChangeBasis Of(ScheduledPaymentView payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return new(payment.ScheduledFor, payment.PaymentMethodId);
    }
}

/// <summary>One item of a scheduled payment.</summary>
/// <param name="InvoiceId">Local invoice id.</param>
/// <param name="Number">Document number.</param>
/// <param name="Type">Invoice, credit memo or unapplied cash.</param>
/// <param name="Applied">Amount it applies (negative for credits).</param>
/// <param name="Discount">Discount taken on the date.</param>
public sealed record ScheduledPaymentItem(long InvoiceId, string Number, Erp.OpenItemType Type, Money Applied, Money Discount);

/// <summary>What cancelling some invoices of a scheduled payment would do (shown for confirmation; nothing changed yet).</summary>
public sealed record ScheduledCancelPlan
{
    /// <summary>The payment as it is now.</summary>
    public required ScheduledPaymentView Payment { get; init; }
    /// <summary>The invoices that would be cancelled (open again).</summary>
    public required IReadOnlyList<ScheduledPaymentItem> Cancelled { get; init; }
    /// <summary>True when nothing of the payment would remain (the whole payment is cancelled).</summary>
    public required bool WholePayment { get; init; }
    /// <summary>The amount the payment would charge afterwards (the remaining items, recomputed for its date); null for a whole cancellation.</summary>
    public Money? RemainingAmount { get; init; }
    /// <summary>
    /// Why only the whole payment can be cancelled (the remaining items are credits that would pay nothing), or null.
    /// </summary>
    public string? WholeOnlyReason { get; init; }
}

/// <summary>A change of a scheduled payment, computed by the server for the lifecycle.</summary>
/// <param name="Preview">The remaining items priced for the (new) date, with the (new) method's convenience fee: the payment
/// charges <see cref="PaymentPreview.TotalCharged"/>.</param>
/// <param name="MethodId">The (new) stored method.</param>
/// <param name="MethodDescription">Its masked description.</param>
/// <param name="RemovedNumbers">Numbers of the invoices taken out of the payment.</param>
internal sealed record ScheduledAmendment(PaymentPreview Preview, Guid? MethodId, string MethodDescription, IReadOnlyList<string> RemovedNumbers)
{
    /// <summary>The fee <paramref name="preview"/> charges, in minor units (0 when none is charged).</summary>
    public static long FeeMinorOf(PaymentPreview preview) => preview.Fee is { Charged: true } fee ? fee.Amount.ToMinorUnits() : 0;

    /// <summary>The fee's label, when one is charged.</summary>
    public static string? FeeLabelOf(PaymentPreview preview) => preview.Fee is { Charged: true } fee ? fee.Label : null;
}

/// <summary>What a change of a scheduled payment did.</summary>
/// <param name="ReceiptNumber">The payment's reference.</param>
/// <param name="WholePaymentCancelled">True when the whole payment was cancelled (nothing of it remains).</param>
/// <param name="RemainingAmount">What it charges now on its date; null when it was cancelled whole.</param>
/// <param name="CancelledInvoices">Numbers of the invoices taken out (open again).</param>
/// <param name="InvoicesReopened">How many invoices are open again.</param>
public sealed record ScheduledChangeOutcome(string ReceiptNumber, bool WholePaymentCancelled, Money? RemainingAmount, IReadOnlyList<string> CancelledInvoices, int InvoicesReopened);
