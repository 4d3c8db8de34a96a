using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;

namespace Portal.Payments.Data;

// Money columns are integer minor units (cents) named *Minor: exact, and they sort and sum in SQL
// on SQLite too (EF Core stores SQLite decimals as TEXT, which neither sorts nor sums correctly).
// Timestamps are UTC DateTime (SQLite TEXT in ISO order sorts correctly; PostgreSQL timestamptz).

/// <summary>Local status of an open item while the portal is paying it.</summary>
public enum InvoiceStatus
{
    /// <summary>Payable.</summary>
    Open = 0,
    /// <summary>A payment was initiated and waits for the gateway or the ERP.</summary>
    Pending = 1,
    /// <summary>A scheduled payment will pay it.</summary>
    Scheduled = 2,
    /// <summary>The gateway is processing the payment (slow rails).</summary>
    Processing = 3,
}

/// <summary>Kind of portal payment.</summary>
public enum PaymentKind
{
    /// <summary>Pays one or more invoices.</summary>
    InvoicePayment = 1,
    /// <summary>Cash on account.</summary>
    Deposit = 2,
}

/// <summary>
/// Lifecycle of a portal payment. <c>PaymentLifecycle</c> owns the transitions between these states (see its
/// transition table and the diagram in docs/architecture.md); nothing else writes a payment's status.
/// </summary>
public enum PaymentStatus
{
    /// <summary>Waits for its date; holds its invoices as Scheduled.</summary>
    Scheduled = 1,
    /// <summary>
    /// The gateway accepted the charge and it settles later (a bank debit on the ACH rail, a card the gateway is
    /// still processing). The ERP posting has gone out; the status is looked up (or pushed) until it is final.
    /// </summary>
    Processing = 2,
    /// <summary>Money received.</summary>
    Succeeded = 3,
    /// <summary>Declined or failed; nothing charged.</summary>
    Failed = 4,
    /// <summary>A bank debit returned by the bank (before or after it settled); the ERP posting is reversed.</summary>
    Returned = 5,
    /// <summary>A scheduled payment cancelled before it ran; nothing charged.</summary>
    Cancelled = 6,
    /// <summary>
    /// A node holds the payment's lease and is charging it (or is about to). Recovery: when the lease expires, the
    /// reconciler asks the gateway by idempotency key and finishes it.
    /// </summary>
    Charging = 7,
    /// <summary>
    /// The gateway's answer is unknown (timeout, gateway unavailable, a request with the same key still in progress).
    /// Recovery: looked up by idempotency key at the next check time; never a failure until the gateway says so.
    /// </summary>
    Unconfirmed = 8,
    /// <summary>Refunded in full after it succeeded; the ERP posting is reversed.</summary>
    Refunded = 9,
    /// <summary>
    /// The payer must authenticate in the browser (3-D Secure) before the charge can go through. Recovery: looked up
    /// at the next check time; abandoned authentication ends Failed.
    /// </summary>
    RequiresAction = 10,
}

/// <summary>A stored payment method (token + display data only).</summary>
internal class PaymentMethodRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Owning account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Gateway that holds the token.</summary>
    public string GatewayKey { get; set; } = "";
    /// <summary>Gateway token.</summary>
    public string Token { get; set; } = "";
    /// <summary>Card or bank account.</summary>
    public PaymentMethodType Type { get; set; }
    /// <summary>Brand or bank name.</summary>
    public string? BrandOrBank { get; set; }
    /// <summary>Last four digits.</summary>
    public string Last4 { get; set; } = "";
    /// <summary>Card expiry month.</summary>
    public int? ExpiryMonth { get; set; }
    /// <summary>Card expiry year.</summary>
    public int? ExpiryYear { get; set; }
    /// <summary>Holder name.</summary>
    public string? HolderName { get; set; }
    /// <summary>Billing postal code.</summary>
    public string? BillingPostalCode { get; set; }
    /// <summary>Routing number (bank accounts).</summary>
    public string? RoutingNumber { get; set; }
    /// <summary>Checking or savings.</summary>
    public BankAccountType? BankAccountType { get; set; }
    /// <summary>Business or personal.</summary>
    public BankAccountHolderType? HolderType { get; set; }
    /// <summary>How the card is funded, as the gateway reported it.</summary>
    public Fees.CardFunding Funding { get; set; }
    /// <summary>User's nickname.</summary>
    public string? Nickname { get; set; }
    /// <summary>The account's default method.</summary>
    public bool IsDefault { get; set; }
    /// <summary>Gateway still verifying.</summary>
    public bool VerificationPending { get; set; }
    /// <summary>Created (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Who added it.</summary>
    public string CreatedByUserId { get; set; } = "";
    /// <summary>Last change (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
    /// <summary>Deleted (UTC); deleted methods stay for history and receipts.</summary>
    public DateTime? DeletedAt { get; set; }
    /// <summary>
    /// Not saved for future payments: never listed, never the default, removed once its payments are done
    /// (<c>SingleUseMethodSweeper</c>).
    /// </summary>
    public bool SingleUse { get; set; }
    /// <summary>
    /// A single-use method's removal is not tried before this (UTC): a node's claim while it asks the gateway, then a
    /// wait after the gateway refused or did not answer, so the sweep moves on to the methods behind it. Null: not tried.
    /// </summary>
    public DateTime? SweepAfter { get; set; }
    /// <summary>
    /// A payer's deletion holds the method until this (UTC) while it asks the gateway to remove it: no new payment,
    /// scheduled payment or autopay may take the method meanwhile (<c>PaymentMethodService.HoldForUseAsync</c>), and its
    /// checks saw every one made before. Cleared when the deletion ends either way; a claim that outlives its node runs out.
    /// </summary>
    public DateTime? RemovingUntil { get; set; }
}

/// <summary>An immutable ACH debit authorization: written once, never updated.</summary>
internal class AchAuthorizationRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>The bank account method it authorizes.</summary>
    public Guid PaymentMethodId { get; set; }
    /// <summary>Agreement text version.</summary>
    public string AgreementVersion { get; set; } = "";
    /// <summary>SHA-256 (hex) of the agreement text shown.</summary>
    public string AgreementSha256 { get; set; } = "";
    /// <summary>Name typed as the signature.</summary>
    public string SignerName { get; set; } = "";
    /// <summary>Signing user.</summary>
    public string UserId { get; set; } = "";
    /// <summary>When signed (UTC).</summary>
    public DateTime SignedAt { get; set; }
    /// <summary>Signer's IP address.</summary>
    public string? IpAddress { get; set; }
    /// <summary>Signer's user agent.</summary>
    public string? UserAgent { get; set; }
    /// <summary>Bank account last four.</summary>
    public string AccountLast4 { get; set; } = "";
    /// <summary>True for an authorization of recurring debits (autopay), signed on its own agreement text.</summary>
    public bool Recurring { get; set; }
}

/// <summary>Revocation of an ACH authorization (a separate row, so the authorization itself stays untouched).</summary>
internal class AchRevocationRecord
{
    /// <summary>The revoked authorization.</summary>
    public Guid AuthorizationId { get; set; }
    /// <summary>When revoked (UTC).</summary>
    public DateTime RevokedAt { get; set; }
    /// <summary>Who revoked it.</summary>
    public string UserId { get; set; } = "";
    /// <summary>Keep until (UTC): at least two years after revocation.</summary>
    public DateTime RetainUntil { get; set; }
}

/// <summary>Local read model of an ERP open item, kept current by the ERP sync.</summary>
internal class InvoiceRecord
{
    /// <summary>Id.</summary>
    public long Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>ERP id.</summary>
    public string ExternalId { get; set; } = "";
    /// <summary>Document number.</summary>
    public string Number { get; set; } = "";
    /// <summary>Invoice, credit memo, unapplied cash.</summary>
    public OpenItemType Type { get; set; }
    /// <summary>PO number.</summary>
    public string? PoNumber { get; set; }
    /// <summary>Reference.</summary>
    public string? Reference { get; set; }
    /// <summary>Search key of <see cref="Number"/>: <see cref="SearchKeys.Normalize"/> (upper case, ordinal), for index-friendly prefix search.</summary>
    public string NumberKey { get; set; } = "";
    /// <summary>Search key of <see cref="PoNumber"/> ("" when none).</summary>
    public string PoKey { get; set; } = "";
    /// <summary>Search key of <see cref="Reference"/> ("" when none).</summary>
    public string ReferenceKey { get; set; } = "";
    /// <summary>Document date.</summary>
    public DateOnly DocumentDate { get; set; }
    /// <summary>Due date.</summary>
    public DateOnly DueDate { get; set; }
    /// <summary>ISO 4217 code.</summary>
    public string Currency { get; set; } = "";
    /// <summary>Original amount in minor units.</summary>
    public long OriginalMinor { get; set; }
    /// <summary>Open balance in minor units, as the ERP reports it.</summary>
    public long OpenMinor { get; set; }
    /// <summary>Early-payment discount in minor units.</summary>
    public long? DiscountMinor { get; set; }
    /// <summary>Last discount day.</summary>
    public DateOnly? DiscountDate { get; set; }
    /// <summary>False once settled in the ERP (leaves the open list).</summary>
    public bool IsOpen { get; set; }
    /// <summary>The ERP reports the invoice disputed (autopay leaves it alone).</summary>
    public bool IsDisputed { get; set; }
    /// <summary>Local payment status.</summary>
    public InvoiceStatus Status { get; set; }
    /// <summary>Scheduled payment date when <see cref="Status"/> is Scheduled.</summary>
    public DateOnly? ScheduledFor { get; set; }
    /// <summary>Payment currently holding the invoice.</summary>
    public Guid? ActivePaymentId { get; set; }
    /// <summary>Number of comments.</summary>
    public int CommentCount { get; set; }
    /// <summary>Last sync that touched it (UTC).</summary>
    public DateTime SyncedAt { get; set; }
    /// <summary>Optimistic concurrency version, bumped by every status change.</summary>
    public int Version { get; set; }
}

/// <summary>A comment on an invoice.</summary>
internal class InvoiceCommentRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Invoice.</summary>
    public long InvoiceId { get; set; }
    /// <summary>Author's user id.</summary>
    public string AuthorUserId { get; set; } = "";
    /// <summary>Author's name.</summary>
    public string AuthorName { get; set; } = "";
    /// <summary>Plain text.</summary>
    public string Text { get; set; } = "";
    /// <summary>When (UTC).</summary>
    public DateTime CreatedAt { get; set; }
}

/// <summary>A portal payment.</summary>
internal class PaymentRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Invoice payment or deposit.</summary>
    public PaymentKind Kind { get; set; }
    /// <summary>Status.</summary>
    public PaymentStatus Status { get; set; }
    /// <summary>ISO 4217 code.</summary>
    public string Currency { get; set; } = "";
    /// <summary>Amount charged, minor units.</summary>
    public long AmountMinor { get; set; }
    /// <summary>Discounts taken, minor units.</summary>
    public long DiscountMinor { get; set; }
    /// <summary>Short-paid, minor units.</summary>
    public long ShortMinor { get; set; }
    /// <summary>Convenience fee charged on top (part of <see cref="AmountMinor"/>, never applied to invoices), minor units.</summary>
    public long FeeMinor { get; set; }
    /// <summary>The fee line's label as the payer saw it, or null when no fee.</summary>
    public string? FeeLabel { get; set; }
    /// <summary>The account's billing region when the payment was made (fee policies use it for a later charge).</summary>
    public string? BillingRegion { get; set; }
    /// <summary>The autopay enrolment that made this scheduled payment, or null for one the payer made.</summary>
    public Guid? AutopayEnrollmentId { get; set; }
    /// <summary>Method used.</summary>
    public Guid? PaymentMethodId { get; set; }
    /// <summary>Masked method description at payment time.</summary>
    public string MethodDescription { get; set; } = "";
    /// <summary>Scheduled date.</summary>
    public DateOnly? ScheduledFor { get; set; }
    /// <summary>One key per payment, sent with every charge attempt.</summary>
    public string IdempotencyKey { get; set; } = "";
    /// <summary>Gateway used.</summary>
    public string GatewayKey { get; set; } = "";
    /// <summary>Gateway's charge reference.</summary>
    public string? GatewayReference { get; set; }
    /// <summary>Receipt number.</summary>
    public string ReceiptNumber { get; set; } = "";
    /// <summary>Search key of <see cref="ReceiptNumber"/> (<see cref="SearchKeys.Normalize"/>; set on save).</summary>
    public string ReceiptKey { get; set; } = "";
    /// <summary>Creator's user id.</summary>
    public string CreatedByUserId { get; set; } = "";
    /// <summary>Creator's name.</summary>
    public string CreatedByName { get; set; } = "";
    /// <summary>Creator's email.</summary>
    public string CreatedByEmail { get; set; } = "";
    /// <summary>The account's display name when the payment was made (for emails the runner sends later).</summary>
    public string? AccountName { get; set; }
    /// <summary>Search key of <see cref="MethodDescription"/> (set on save).</summary>
    public string MethodKey { get; set; } = "";
    /// <summary>Search key of <see cref="CreatedByName"/> (set on save).</summary>
    public string PaidByKey { get; set; } = "";
    /// <summary>Created (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Final outcome time (UTC).</summary>
    public DateTime? CompletedAt { get; set; }
    /// <summary>Why it failed.</summary>
    public string? FailureReason { get; set; }
    /// <summary>Why it failed, as a code (<see cref="Services.Payments.PaymentFailureCodes"/>), when the reason has one.</summary>
    public string? FailureCode { get; set; }
    /// <summary>
    /// The payer's language and formats when the payment was made (a culture name such as "de-DE"), so the emails a
    /// background runner sends later read in it too; null: the portal's default (English).
    /// </summary>
    public string? Culture { get; set; }
    /// <summary>Deposit memo.</summary>
    public string? Memo { get; set; }
    /// <summary>Search key of <see cref="Memo"/> ("" when none; set on save).</summary>
    public string MemoKey { get; set; } = "";
    /// <summary>Number of items paid.</summary>
    public int InvoiceCount { get; set; }
    /// <summary>Node holding the runner lease.</summary>
    public string? LeaseOwner { get; set; }
    /// <summary>Lease expiry (UTC).</summary>
    public DateTime? LeaseExpiresAt { get; set; }
    /// <summary>Charge attempts so far.</summary>
    public int Attempts { get; set; }
    /// <summary>Next status check (UTC) of an Unconfirmed, Processing or RequiresAction payment: its recovery deadline.</summary>
    public DateTime? NextCheckAt { get; set; }
    /// <summary>Status checks made so far (the delay between checks doubles up to a cap).</summary>
    public int StatusChecks { get; set; }
    /// <summary>When charging began (UTC): on confirmation for pay now and deposits, when claimed for scheduled payments.</summary>
    public DateTime? ChargeStartedAt { get; set; }
    /// <summary>
    /// When the gateway first accepted the money (Processing or Succeeded, UTC): the ERP posting went out then, so a
    /// later return, failure or refund must reverse it.
    /// </summary>
    public DateTime? AcceptedAt { get; set; }
    /// <summary>When the status last changed (UTC).</summary>
    public DateTime? StatusChangedAt { get; set; }
    /// <summary>Allocations.</summary>
    public List<PaymentAllocationRecord> Allocations { get; set; } = [];
}

/// <summary>How a payment was applied to one item.</summary>
internal class PaymentAllocationRecord
{
    /// <summary>Id.</summary>
    public long Id { get; set; }
    /// <summary>Payment.</summary>
    public Guid PaymentId { get; set; }
    /// <summary>Local invoice id.</summary>
    public long InvoiceId { get; set; }
    /// <summary>ERP id.</summary>
    public string InvoiceExternalId { get; set; } = "";
    /// <summary>Document number.</summary>
    public string InvoiceNumber { get; set; } = "";
    /// <summary>Search key of <see cref="InvoiceNumber"/> (set on save).</summary>
    public string InvoiceNumberKey { get; set; } = "";
    /// <summary>Item type.</summary>
    public OpenItemType InvoiceType { get; set; }
    /// <summary>Open balance at payment time.</summary>
    public long OpenBalanceMinor { get; set; }
    /// <summary>Discount taken.</summary>
    public long DiscountMinor { get; set; }
    /// <summary>Short-paid amount.</summary>
    public long ShortMinor { get; set; }
    /// <summary>Cash applied (negative for credits).</summary>
    public long AppliedMinor { get; set; }
    /// <summary>Short-pay reason.</summary>
    public string? ShortReason { get; set; }
    /// <summary>Comment.</summary>
    public string? Comment { get; set; }
}

/// <summary>A saved grid layout.</summary>
internal class SavedViewRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Owner.</summary>
    public string OwnerUserId { get; set; } = "";
    /// <summary>Which grid ("invoices", "history").</summary>
    public string Grid { get; set; } = "";
    /// <summary>Name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Owner's display name (shown to the users it is shared with).</summary>
    public string OwnerName { get; set; } = "";
    /// <summary>Shared with every user of the account.</summary>
    public bool IsShared { get; set; }
    /// <summary>Layout JSON.</summary>
    public string LayoutJson { get; set; } = "{}";
    /// <summary>Created (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Updated (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A user's preferences for one grid of one account (which saved view opens by default).</summary>
internal class GridPreferenceRecord
{
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>User.</summary>
    public string UserId { get; set; } = "";
    /// <summary>Which grid ("invoices", "history").</summary>
    public string Grid { get; set; } = "";
    /// <summary>The view that opens by default (the user's own or one shared with the account); null for the built-in layout.</summary>
    public Guid? DefaultViewId { get; set; }
    /// <summary>Updated (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Kind of outbox work.</summary>
public enum OutboxKind
{
    /// <summary>Post a payment to the ERP.</summary>
    ErpPayment = 1,
    /// <summary>Post a deposit to the ERP.</summary>
    ErpDeposit = 2,
    /// <summary>Post a comment to the ERP.</summary>
    ErpComment = 3,
    /// <summary>Send an email.</summary>
    Email = 4,
    /// <summary>Reverse a returned payment or deposit in the ERP.</summary>
    ErpReversal = 5,
}

/// <summary>Work to do outside the transaction that decided it, retried with backoff.</summary>
internal class OutboxMessageRecord
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }
    /// <summary>Kind.</summary>
    public OutboxKind Kind { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>JSON payload.</summary>
    public string PayloadJson { get; set; } = "";
    /// <summary>Created (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Next attempt (UTC).</summary>
    public DateTime NextAttemptAt { get; set; }
    /// <summary>Attempts so far.</summary>
    public int Attempts { get; set; }
    /// <summary>Last error.</summary>
    public string? LastError { get; set; }
    /// <summary>Done (UTC).</summary>
    public DateTime? CompletedAt { get; set; }
    /// <summary>Gave up after too many attempts (UTC).</summary>
    public DateTime? DeadLetteredAt { get; set; }
    /// <summary>Node working on it.</summary>
    public string? LeaseOwner { get; set; }
    /// <summary>Lease expiry (UTC).</summary>
    public DateTime? LeaseExpiresAt { get; set; }
}

/// <summary>An email the portal sent (the mailbox).</summary>
internal class SentEmailRecord
{
    /// <summary>Id (the <see cref="PortalEmail.Id"/>).</summary>
    public Guid Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Recipient.</summary>
    public string To { get; set; } = "";
    /// <summary>Subject.</summary>
    public string Subject { get; set; } = "";
    /// <summary>Text body.</summary>
    public string TextBody { get; set; } = "";
    /// <summary>HTML body.</summary>
    public string? HtmlBody { get; set; }
    /// <summary>Kind.</summary>
    public NotificationKind Kind { get; set; }
    /// <summary>Payment.</summary>
    public Guid? PaymentId { get; set; }
    /// <summary>When (UTC).</summary>
    public DateTime SentAt { get; set; }
    /// <summary>How it went out ("stored", "smtp").</summary>
    public string Transport { get; set; } = "";
}

/// <summary>An audit trail entry.</summary>
internal class AuditEventRecord
{
    /// <summary>Id.</summary>
    public long Id { get; set; }
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>User.</summary>
    public string UserId { get; set; } = "";
    /// <summary>What happened ("payment.created").</summary>
    public string Action { get; set; } = "";
    /// <summary>Subject id.</summary>
    public string? SubjectId { get; set; }
    /// <summary>Details (JSON, never card or account numbers).</summary>
    public string? DetailJson { get; set; }
    /// <summary>When (UTC).</summary>
    public DateTime At { get; set; }
}

/// <summary>ERP sync progress per account.</summary>
internal class ErpSyncStateRecord
{
    /// <summary>Account.</summary>
    public string AccountId { get; set; } = "";
    /// <summary>Cursor to pass next.</summary>
    public string? Cursor { get; set; }
    /// <summary>Last successful sync (UTC).</summary>
    public DateTime? LastSyncedAt { get; set; }
    /// <summary>Last error.</summary>
    public string? LastError { get; set; }
    /// <summary>Node holding the sync lease.</summary>
    public string? LeaseOwner { get; set; }
    /// <summary>Lease expiry (UTC).</summary>
    public DateTime? LeaseExpiresAt { get; set; }
}

/// <summary>A gateway event the portal processed (webhooks are delivered at least once: each id is applied once).</summary>
internal class GatewayEventRecord
{
    /// <summary>Gateway key.</summary>
    public string GatewayKey { get; set; } = "";
    /// <summary>The gateway's event id.</summary>
    public string EventId { get; set; } = "";
    /// <summary>Event type (record name).</summary>
    public string Type { get; set; } = "";
    /// <summary>Payment the event applied to, if any.</summary>
    public Guid? PaymentId { get; set; }
    /// <summary>What was done.</summary>
    public GatewayEventOutcome Outcome { get; set; }
    /// <summary>When it happened at the gateway (UTC).</summary>
    public DateTime OccurredAt { get; set; }
    /// <summary>When the portal processed it (UTC).</summary>
    public DateTime ProcessedAt { get; set; }
}
