namespace Portal.Payments.Erp;

/// <summary>Kind of open item on an account.</summary>
public enum OpenItemType
{
    /// <summary>An invoice the customer owes.</summary>
    Invoice = 1,
    /// <summary>A credit memo (negative balance) that nets against invoices.</summary>
    CreditMemo = 2,
    /// <summary>Cash received and not yet applied (negative balance).</summary>
    UnappliedCash = 3,
}

/// <summary>
/// One open item as the ERP knows it. Credit memos and unapplied cash carry negative amounts.
/// An item that is no longer open (paid and settled) is sent once more with <see cref="IsOpen"/> false.
/// </summary>
public sealed record ErpOpenItem
{
    /// <summary>The ERP's stable id of the item.</summary>
    public required string ExternalId { get; init; }
    /// <summary>Document number shown to the customer ("INV-10042").</summary>
    public required string Number { get; init; }
    /// <summary>Invoice, credit memo or unapplied cash.</summary>
    public required OpenItemType Type { get; init; }
    /// <summary>Customer's purchase-order number.</summary>
    public string? PoNumber { get; init; }
    /// <summary>Other reference (order number, contract).</summary>
    public string? Reference { get; init; }
    /// <summary>Document date.</summary>
    public required DateOnly DocumentDate { get; init; }
    /// <summary>Due date.</summary>
    public required DateOnly DueDate { get; init; }
    /// <summary>Original amount.</summary>
    public required Money OriginalAmount { get; init; }
    /// <summary>Amount still open.</summary>
    public required Money OpenAmount { get; init; }
    /// <summary>Early-payment discount available until <see cref="DiscountDate"/>, if any.</summary>
    public Money? DiscountAmount { get; init; }
    /// <summary>Last day the discount may be taken.</summary>
    public DateOnly? DiscountDate { get; init; }
    /// <summary>False once the ERP considers the item settled; the portal drops it from the open list.</summary>
    public bool IsOpen { get; init; } = true;
    /// <summary>True while the customer disputes the item in the ERP: autopay does not pay it. Default false.</summary>
    public bool IsDisputed { get; init; }
    /// <summary>
    /// The portal payments (<see cref="ErpPaymentPosting.PaymentId"/>) the ERP has applied to this item and not reversed.
    /// This is how the portal learns a payment's fate in the ERP: an invoice held by a payment in flight becomes payable
    /// again (for its remaining balance) only once the ERP lists that payment here — never because the open amount
    /// changed for another reason (a credit memo or tax correction while a bank debit is in flight). Report it on every
    /// item a posted payment touched.
    /// </summary>
    public IReadOnlyList<Guid> AppliedPaymentIds { get; init; } = Array.Empty<Guid>();
}

/// <summary>A page of changed open items.</summary>
/// <param name="Items">Items changed after the cursor, oldest change first.</param>
/// <param name="NextCursor">Cursor to pass next time (store it); never null.</param>
/// <param name="HasMore">True when more changes wait behind <paramref name="NextCursor"/>.</param>
public sealed record OpenItemsPage(IReadOnlyList<ErpOpenItem> Items, string NextCursor, bool HasMore);

/// <summary>An invoice document rendered by the ERP.</summary>
/// <param name="ContentType">"application/pdf" or "text/html".</param>
/// <param name="FileName">Suggested file name.</param>
/// <param name="Content">The bytes.</param>
public sealed record ErpDocument(string ContentType, string FileName, byte[] Content);

/// <summary>How a payment was split over one invoice (or credit memo).</summary>
public sealed record ErpAllocation
{
    /// <summary>The item's ERP id.</summary>
    public required string ItemExternalId { get; init; }
    /// <summary>The item's number.</summary>
    public required string ItemNumber { get; init; }
    /// <summary>Cash applied to the item (negative for a credit memo applied).</summary>
    public required Money Applied { get; init; }
    /// <summary>Early-payment discount taken.</summary>
    public Money? DiscountTaken { get; init; }
    /// <summary>Amount short-paid (left open on purpose).</summary>
    public Money? ShortAmount { get; init; }
    /// <summary>The short-pay reason.</summary>
    public string? ShortPayReason { get; init; }
    /// <summary>The payer's comment.</summary>
    public string? Comment { get; init; }
}

/// <summary>A payment to post. <see cref="PaymentId"/> is stable: drop a second posting with the same id.</summary>
public sealed record ErpPaymentPosting
{
    /// <summary>The portal's payment id; the adapter's duplicate key.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>Receipt number shown to the payer.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Total cash received.</summary>
    public required Money Amount { get; init; }
    /// <summary>When the money was received (UTC).</summary>
    public required DateTimeOffset PaidAt { get; init; }
    /// <summary>Masked method, e.g. "Visa •••• 4242".</summary>
    public required string MethodDescription { get; init; }
    /// <summary>Gateway reference of the charge.</summary>
    public string? GatewayReference { get; init; }
    /// <summary>Per-item allocations.</summary>
    public required IReadOnlyList<ErpAllocation> Allocations { get; init; }
    /// <summary>
    /// The convenience fee included in <see cref="Amount"/> (null when none): book it as fee income, never apply it to
    /// invoices. The allocations add up to <see cref="Amount"/> minus this fee.
    /// </summary>
    public Money? ConvenienceFee { get; init; }
}

/// <summary>Cash on account, not applied to any invoice (unapplied cash in the ERP).</summary>
public sealed record ErpDepositPosting
{
    /// <summary>The portal's payment id; the adapter's duplicate key.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>Receipt number.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Amount deposited.</summary>
    public required Money Amount { get; init; }
    /// <summary>When received (UTC).</summary>
    public required DateTimeOffset PaidAt { get; init; }
    /// <summary>Masked method.</summary>
    public required string MethodDescription { get; init; }
    /// <summary>Payer's memo.</summary>
    public string? Memo { get; init; }
    /// <summary>The convenience fee included in <see cref="Amount"/> (null when none): fee income, not cash on account.</summary>
    public Money? ConvenienceFee { get; init; }
}

/// <summary>
/// A payment or deposit posted earlier whose money the bank returned (for example an ACH debit returned R01):
/// the ERP undoes the posting, so the invoices it paid are open again (or the unapplied cash is gone).
/// One reversal per payment: <see cref="PaymentId"/> is the duplicate key.
/// </summary>
public sealed record ErpPaymentReversal
{
    /// <summary>The payment (or deposit) posted earlier, by the id of its posting.</summary>
    public required Guid PaymentId { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>Receipt number of the returned payment.</summary>
    public required string ReceiptNumber { get; init; }
    /// <summary>Amount returned (the whole payment).</summary>
    public required Money Amount { get; init; }
    /// <summary>When the portal learned of the return (UTC).</summary>
    public required DateTimeOffset ReturnedAt { get; init; }
    /// <summary>The bank's reason, e.g. "R01: insufficient funds".</summary>
    public required string Reason { get; init; }
    /// <summary>The convenience fee included in <see cref="Amount"/> that is reversed too (null when none).</summary>
    public Money? ConvenienceFee { get; init; }
}

/// <summary>A comment a portal user wrote on an invoice, for the AR team.</summary>
public sealed record ErpCommentPosting
{
    /// <summary>The portal's comment id; the adapter's duplicate key.</summary>
    public required Guid CommentId { get; init; }
    /// <summary>Customer account.</summary>
    public required string AccountId { get; init; }
    /// <summary>The invoice's ERP id.</summary>
    public required string ItemExternalId { get; init; }
    /// <summary>Author's display name.</summary>
    public required string Author { get; init; }
    /// <summary>Plain text.</summary>
    public required string Text { get; init; }
    /// <summary>When written (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Outcome of a posting.</summary>
public sealed record ErpPostingResult
{
    /// <summary>True when the ERP holds the posting (now or from an earlier attempt).</summary>
    public required bool Accepted { get; init; }
    /// <summary>True when the ERP had it already and dropped this copy.</summary>
    public bool Duplicate { get; init; }
    /// <summary>The ERP's document number for the posting.</summary>
    public string? ErpReference { get; init; }
    /// <summary>Why it was refused; a refusal is retried later by the outbox.</summary>
    public string? Error { get; init; }

    /// <summary>Accepted, first time.</summary>
    public static ErpPostingResult Ok(string? reference) => new() { Accepted = true, ErpReference = reference };

    /// <summary>Accepted before; this copy was dropped.</summary>
    public static ErpPostingResult AlreadyPosted(string? reference) => new() { Accepted = true, Duplicate = true, ErpReference = reference };

    /// <summary>Refused, with the reason.</summary>
    public static ErpPostingResult Refused(string error) => new() { Accepted = false, Error = error };
}

/// <summary>
/// An ERP adapter: the source of open items and the destination of payments, deposits, their reversals and comments.
/// Settlement is reported through the pull: a settled item comes back with <see cref="ErpOpenItem.IsOpen"/> false.
/// Check an implementation with the ERP conformance suite in Portal.Payments.Testing.
/// </summary>
public interface IErpAdapter
{
    /// <summary>Items changed after <paramref name="cursor"/> (null: from the beginning), at most <paramref name="maxItems"/>.</summary>
    Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default);

    /// <summary>The printable document of an item, or null when the ERP has none.</summary>
    Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default);

    /// <summary>Posts a payment; a repeated <see cref="ErpPaymentPosting.PaymentId"/> must be dropped, not posted twice.</summary>
    Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default);

    /// <summary>Posts a deposit as unapplied cash; a repeated payment id must be dropped.</summary>
    Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reverses a payment or deposit posted earlier (the bank returned the money): what it applied is open again. A
    /// repeated reversal of the same payment must be dropped; a reversal of a payment the ERP has not received yet must
    /// be refused (the outbox retries it after the payment's posting).
    /// </summary>
    Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default);

    /// <summary>Posts an invoice comment; a repeated comment id must be dropped.</summary>
    Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default);
}
