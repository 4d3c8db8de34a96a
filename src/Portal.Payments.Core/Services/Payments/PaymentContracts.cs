using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Fees;

namespace Portal.Payments.Services.Payments;

/// <summary>One item of a payment preview, computed by the server.</summary>
public sealed record PaymentPreviewLine
{
    /// <summary>Local invoice id.</summary>
    public required long InvoiceId { get; init; }
    /// <summary>Document number.</summary>
    public required string Number { get; init; }
    /// <summary>Invoice or credit memo (unapplied cash counts as a credit).</summary>
    public required OpenItemType Type { get; init; }
    /// <summary>Due date.</summary>
    public required DateOnly DueDate { get; init; }
    /// <summary>Open balance (negative for credits).</summary>
    public required Money OpenBalance { get; init; }
    /// <summary>Discount taken if paid on the payment date (zero when none).</summary>
    public required Money Discount { get; init; }
    /// <summary>Cash applied: balance minus discount for invoices; the (negative) credit applied for credits.</summary>
    public required Money AmountToPay { get; init; }
    /// <summary>A full payment of an invoice today: open balance minus the discount available (null for credits).</summary>
    public Money? FullPayment { get; init; }
    /// <summary>The amount the payer entered (echoed), or null when the invoice is paid in full.</summary>
    public Money? AmountEntered { get; init; }
    /// <summary>What stays unpaid on a short payment (balance − amount paid − discount taken); null when paid in full.</summary>
    public Money? ShortAmount { get; init; }
    /// <summary>The short-pay reason (one of the host's reasons), on a short payment.</summary>
    public string? ShortReason { get; init; }
    /// <summary>The payer's comment on a short payment.</summary>
    public string? Comment { get; init; }
    /// <summary>Set when paying less changed the discount (the discount policy), e.g. "Paying less reduced the discount from $20.00 to $12.00."</summary>
    public string? DiscountNotice { get; init; }
    /// <summary>True for a short payment.</summary>
    public bool IsShort => ShortAmount is { IsZero: false };
}

/// <summary>A payment preview: every figure computed by the server from the database, never from the browser.</summary>
public sealed record PaymentPreview
{
    /// <summary>Items, invoices first then credits.</summary>
    public required IReadOnlyList<PaymentPreviewLine> Lines { get; init; }
    /// <summary>Sum of invoice balances.</summary>
    public required Money InvoiceBalanceTotal { get; init; }
    /// <summary>Sum of discounts taken.</summary>
    public required Money DiscountTotal { get; init; }
    /// <summary>Credits applied (a positive amount), never more than the invoices net of discounts.</summary>
    public required Money CreditsApplied { get; init; }
    /// <summary>Amount to charge: invoices − discounts − credits, never below zero.</summary>
    public required Money Total { get; init; }
    /// <summary>The date the discounts are computed for.</summary>
    public required DateOnly PaymentDate { get; init; }
    /// <summary>Sum of the short-pay adjustments (what stays unpaid on short-paid invoices).</summary>
    public Money ShortTotal => Lines.Aggregate(Money.Zero(Total.Currency), (sum, l) => l.ShortAmount is { } s ? sum + s : sum);
    /// <summary>True when a partial payment changed at least one discount.</summary>
    public bool DiscountChanged => Lines.Any(l => l.DiscountNotice is not null);
    /// <summary>
    /// The convenience fee for the chosen method (charged on top of <see cref="Total"/>, never applied to invoices); null
    /// when no method was given. For a later charge (scheduled, autopay) it is the fee of today's policy: the policy in
    /// force on the charge date applies.
    /// </summary>
    public ConvenienceFee? Fee { get; init; }
    /// <summary>What the fee would be by card and by bank account (for "Pay by bank: no fee" beside the methods).</summary>
    public ConvenienceFee? CardFee { get; init; }
    /// <summary>What the fee would be by bank account.</summary>
    public ConvenienceFee? BankFee { get; init; }
    /// <summary>What is charged: <see cref="Total"/> plus the fee.</summary>
    public Money TotalCharged => Fee is { Charged: true } fee ? Total + fee.Amount : Total;

    /// <summary>
    /// The short-pay refusals of the amounts, reasons and comments entered (<c>PaymentService.ReviewAsync</c>): the
    /// preview is computed anyway (a refused amount counts as the full payment), and nothing can be paid while any remain.
    /// </summary>
    public IReadOnlyList<PortalFieldError> Errors { get; init; } = [];
}

/// <summary>
/// The amount to pay for one selected invoice, when it is not the full amount. An invoice without a line
/// is paid in full (open balance minus the discount available today).
/// </summary>
/// <param name="InvoiceId">Local invoice id; must be an invoice (credits cannot be short-paid).</param>
public sealed record PayLine(long InvoiceId)
{
    /// <summary>Cash to apply; null pays in full. Less than the full payment is a short payment.</summary>
    public Money? Amount { get; init; }
    /// <summary>Short-pay reason, one of <c>PortalPaymentsOptions.EffectiveShortPayReasons</c>; only on a short payment.</summary>
    public string? Reason { get; init; }
    /// <summary>Comment (up to 2,000 characters); required when the reason is "Other".</summary>
    public string? Comment { get; init; }
}

/// <summary>Pay selected invoices now.</summary>
/// <param name="InvoiceIds">Local invoice ids (invoices and credit memos).</param>
/// <param name="PaymentMethodId">A stored method of the account.</param>
/// <param name="IdempotencyKey">One key per confirmation (the UI creates it when the preview is shown): a double click or resubmit with the same key returns the first outcome.</param>
public sealed record PayInvoicesRequest(IReadOnlyList<long> InvoiceIds, Guid PaymentMethodId, string IdempotencyKey)
{
    /// <summary>
    /// The total the user saw (what is charged: <see cref="PaymentPreview.TotalCharged"/>, fee included); when the
    /// server's recomputation differs, the payment is refused and nothing is charged.
    /// </summary>
    public Money? ExpectedTotal { get; init; }
    /// <summary>
    /// The discounts the user saw taken (<see cref="PaymentPreview.DiscountTotal"/>); when the server's recomputation differs
    /// (the ERP withdrew or changed a discount since), the payment is refused and nothing is charged, even when the total
    /// still matches (a short payment sends the amount typed, whatever its discount). Null: not checked.
    /// </summary>
    public Money? ExpectedDiscountTotal { get; init; }
    /// <summary>
    /// The short-pay adjustments the user saw (<see cref="PaymentPreview.ShortTotal"/>: what stays unpaid, posted to the ERP
    /// as short-paid); when the server's recomputation differs (the ERP changed a short-paid invoice's balance since), the
    /// payment is refused and nothing is charged, even when the total still matches. Null: not checked.
    /// </summary>
    public Money? ExpectedShortTotal { get; init; }
    /// <summary>Amounts, reasons and comments for short-paid invoices; ids not in <see cref="InvoiceIds"/> are added to the selection.</summary>
    public IReadOnlyList<PayLine>? Lines { get; init; }
    /// <summary>
    /// The account the form was opened for (<see cref="AccountScope.AccountId"/> when it opened). When the user's
    /// current account is another one by the time the form is confirmed, nothing is done and the form is refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
}

/// <summary>What happened to a payment attempt.</summary>
public sealed record PaymentOutcome
{
    /// <summary>Payment id (for the receipt).</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>
    /// Succeeded, Processing (settling on a bank rail), Failed (declined; nothing charged), RequiresAction (the payer must
    /// authenticate: see <see cref="CustomerAction"/>), or — when the outcome is not known yet — Charging or Unconfirmed
    /// (see <see cref="MayHaveGoneThrough"/>).
    /// </summary>
    public required PaymentStatus Status { get; init; }
    /// <summary>Amount charged (or attempted).</summary>
    public required Money Amount { get; init; }
    /// <summary>The convenience fee included in <see cref="Amount"/> (zero when none): a deposit put the rest on account.</summary>
    public Money Fee { get; init; }
    /// <summary>The gateway's reason when Failed.</summary>
    public string? FailureReason { get; init; }
    /// <summary>
    /// Why it failed, as a code (see <see cref="PaymentFailureCodes"/>), when the gateway or the portal gave one: lets a page
    /// say the reason in the payer's language. Null when it did not fail, or the reason has no code (the gateway's words only).
    /// </summary>
    public string? FailureCode { get; init; }
    /// <summary>True when this call found the payment made by an earlier call with the same key.</summary>
    public bool Replayed { get; init; }
    /// <summary>With <see cref="PaymentStatus.RequiresAction"/>: what the gateway's capture component needs for the payer to authenticate.</summary>
    public string? CustomerAction { get; init; }
    /// <summary>
    /// True while the outcome is not known (the gateway did not answer, or it could not be recorded yet): money may
    /// have moved. The payer must check payment history before paying again; a retry with the same key is safe.
    /// </summary>
    public bool MayHaveGoneThrough => Status is PaymentStatus.Charging or PaymentStatus.Unconfirmed;

    /// <summary>True when this call recorded the outcome (a node that lost its lease reports the stored one instead).</summary>
    internal bool RecordedHere { get; init; }
}

/// <summary>One line of a receipt's invoice breakdown.</summary>
public sealed record ReceiptLine
{
    /// <summary>Document number.</summary>
    public required string InvoiceNumber { get; init; }
    /// <summary>Invoice or credit.</summary>
    public required OpenItemType Type { get; init; }
    /// <summary>Open balance at payment time.</summary>
    public required Money OpenBalance { get; init; }
    /// <summary>Discount taken.</summary>
    public required Money Discount { get; init; }
    /// <summary>Short-paid amount.</summary>
    public required Money ShortAmount { get; init; }
    /// <summary>Short-pay reason.</summary>
    public string? ShortReason { get; init; }
    /// <summary>Short-pay comment.</summary>
    public string? Comment { get; init; }
    /// <summary>Cash applied (negative for credits).</summary>
    public required Money Applied { get; init; }
}

/// <summary>A payment's receipt.</summary>
public sealed record PaymentReceipt
{
    /// <summary>Payment id.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Customer account id.</summary>
    public required string AccountId { get; init; }
    /// <summary>Customer account name.</summary>
    public required string AccountName { get; init; }
    /// <summary>Invoice payment or deposit.</summary>
    public required PaymentKind Kind { get; init; }
    /// <summary>Status.</summary>
    public required PaymentStatus Status { get; init; }
    /// <summary>When it was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Scheduled date, for scheduled payments.</summary>
    public DateOnly? ScheduledFor { get; init; }
    /// <summary>Who paid (name).</summary>
    public required string PaidBy { get; init; }
    /// <summary>Masked method ("Visa •••• 4242").</summary>
    public required string MethodDescription { get; init; }
    /// <summary>Amount charged.</summary>
    public required Money Amount { get; init; }
    /// <summary>Discounts taken.</summary>
    public required Money DiscountTotal { get; init; }
    /// <summary>Short-paid total.</summary>
    public required Money ShortTotal { get; init; }
    /// <summary>Credits applied (positive).</summary>
    public required Money CreditsApplied { get; init; }
    /// <summary>The convenience fee charged on top (zero when none); part of <see cref="Amount"/>.</summary>
    public Money Fee { get; init; }
    /// <summary>The fee line's label, or null when no fee.</summary>
    public string? FeeLabel { get; init; }
    /// <summary>Invoice breakdown.</summary>
    public required IReadOnlyList<ReceiptLine> Lines { get; init; }
    /// <summary>Deposit note.</summary>
    public string? Memo { get; init; }
    /// <summary>Why it failed, when it did.</summary>
    public string? FailureReason { get; init; }
    /// <summary>Why it failed, as a code (see <see cref="PaymentFailureCodes"/>), when the reason has one.</summary>
    public string? FailureCode { get; init; }
    /// <summary>Gateway reference.</summary>
    public string? GatewayReference { get; init; }
}

/// <summary>
/// Some of the selected items are already being paid (Pending, Scheduled or Processing), or were paid meanwhile:
/// nothing was charged.
/// </summary>
public sealed class PaymentConflictException(string message, IReadOnlyList<string> invoiceNumbers) : Exception(message)
{
    /// <summary>The items that could not be paid.</summary>
    public IReadOnlyList<string> InvoiceNumbers { get; } = invoiceNumbers;
}

/// <summary>How a payment's status is named to payers (grid, CSV, receipt): the unresolved states read as plain progress.</summary>
public static class PaymentStatusText
{
    /// <summary>The payer-facing name of <paramref name="status"/>.</summary>
    public static string Label(PaymentStatus status) => status switch
    {
        PaymentStatus.Charging => "Processing",
        PaymentStatus.Unconfirmed => "Confirming",
        PaymentStatus.RequiresAction => "Action required",
        _ => status.ToString(),
    };
}
