using System.Globalization;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Invoices;

namespace Portal.Payments.Pdf;

/// <summary>
/// The words and formats of the receipt PDF (<see cref="ReceiptPdfRenderer"/>), one property per text. The defaults are
/// English with invariant amounts and dates and the payment time in UTC; a caller that prints in the reader's language sets
/// every text, the <see cref="Culture"/> and the reader's <see cref="TimeZone"/>. Texts with placeholders are
/// <see cref="string.Format(IFormatProvider, string, object[])"/> formats in <see cref="Culture"/>; a placeholder keeps its
/// meaning in every language.
/// </summary>
public sealed class ReceiptPdfText
{
    /// <summary>The built-in English texts (invariant culture, UTC).</summary>
    public static ReceiptPdfText English { get; } = new();

    /// <summary>The culture of amounts, dates and placeholders. Default: invariant ("1,234.56").</summary>
    public CultureInfo Culture { get; init; } = CultureInfo.InvariantCulture;

    /// <summary>The zone the payment time is printed in (followed by "UTC" or its offset, "UTC+01:00"). Default: UTC.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>"Receipt {0}": the heading and the document's title of a paid payment; {0} the receipt number.</summary>
    public string Title { get; init; } = "Receipt {0}";

    /// <summary>"Payment {0} — failed": the heading and title of a payment that failed (nothing charged); {0} the receipt number.</summary>
    public string TitleFailed { get; init; } = "Payment {0} — failed";

    /// <summary>"Payment {0} — returned by the bank": the heading and title of a bank debit the bank returned; {0} the receipt number.</summary>
    public string TitleReturned { get; init; } = "Payment {0} — returned by the bank";

    /// <summary>"Payment {0} — refunded": the heading and title of a payment refunded after it was charged; {0} the receipt number.</summary>
    public string TitleRefunded { get; init; } = "Payment {0} — refunded";

    /// <summary>"Payment {0} — processing": the heading and title of a payment the gateway accepted that has not settled yet; {0} the receipt number.</summary>
    public string TitleProcessing { get; init; } = "Payment {0} — processing";

    /// <summary>
    /// "Payment {0} — not confirmed yet": the heading and title of a payment being charged, its outcome unknown, or waiting
    /// for the payer's bank; {0} the receipt number.
    /// </summary>
    public string TitleUnconfirmed { get; init; } = "Payment {0} — not confirmed yet";

    /// <summary>"Scheduled payment {0}": the heading and title of a payment waiting for its date; {0} the receipt number.</summary>
    public string TitleScheduled { get; init; } = "Scheduled payment {0}";

    /// <summary>"Payment {0} — cancelled": the heading and title of a scheduled payment cancelled before it ran; {0} the receipt number.</summary>
    public string TitleCancelled { get; init; } = "Payment {0} — cancelled";

    /// <summary>"Payment receipt for {0} ({1})": the document's subject of a paid payment; {0} the account name, {1} the account id.</summary>
    public string Subject { get; init; } = "Payment receipt for {0} ({1})";

    /// <summary>"Payment details for {0} ({1})": the document's subject of a payment that is not paid; {0} the account name, {1} the account id.</summary>
    public string SubjectNotPaid { get; init; } = "Payment details for {0} ({1})";

    /// <summary>"Receipt {0} - page {1}": the footer of every page of a paid payment; {0} the receipt number, {1} the page number.</summary>
    public string Footer { get; init; } = "Receipt {0} - page {1}";

    /// <summary>"Payment {0} - page {1}": the footer of every page of a payment that is not paid; {0} the receipt number, {1} the page number.</summary>
    public string FooterNotPaid { get; init; } = "Payment {0} - page {1}";

    /// <summary>"Payer".</summary>
    public string Payer { get; init; } = "Payer";

    /// <summary>"Paid by": who paid a paid payment.</summary>
    public string PaidBy { get; init; } = "Paid by";

    /// <summary>"Submitted by": who made a payment that is not paid (failed, returned, refunded, scheduled, not settled yet).</summary>
    public string SubmittedBy { get; init; } = "Submitted by";

    /// <summary>"Date".</summary>
    public string Date { get; init; } = "Date";

    /// <summary>
    /// "{0:MMM d, yyyy HH:mm} {1}": the payment time; {0} the time in <see cref="TimeZone"/>, {1} "UTC" or the zone's offset
    /// then ("UTC+01:00").
    /// </summary>
    public string DateValue { get; init; } = "{0:MMM d, yyyy HH:mm} {1}";

    /// <summary>"Receipt number".</summary>
    public string ReceiptNumber { get; init; } = "Receipt number";

    /// <summary>"Kind".</summary>
    public string Kind { get; init; } = "Kind";

    /// <summary>"Method".</summary>
    public string Method { get; init; } = "Method";

    /// <summary>"Status".</summary>
    public string Status { get; init; } = "Status";

    /// <summary>"Scheduled for".</summary>
    public string ScheduledFor { get; init; } = "Scheduled for";

    /// <summary>"{0:MMM d, yyyy}": the scheduled date; {0} the date.</summary>
    public string ScheduledDate { get; init; } = "{0:MMM d, yyyy}";

    /// <summary>"Reference" (the gateway's reference).</summary>
    public string Reference { get; init; } = "Reference";

    /// <summary>"Not charged" (the label of the reason a payment failed).</summary>
    public string NotCharged { get; init; } = "Not charged";

    /// <summary>"Reversed" (the label of the reason a payment was returned or refunded after it was charged).</summary>
    public string Reversed { get; init; } = "Reversed";

    /// <summary>"Invoice breakdown (amounts in {0})"; {0} the currency code.</summary>
    public string Breakdown { get; init; } = "Invoice breakdown (amounts in {0})";

    /// <summary>"Invoice breakdown (continued)": the heading of the breakdown on a further page.</summary>
    public string BreakdownContinued { get; init; } = "Invoice breakdown (continued)";

    /// <summary>Column "Invoice".</summary>
    public string ColumnInvoice { get; init; } = "Invoice";

    /// <summary>Column "Open balance".</summary>
    public string ColumnOpenBalance { get; init; } = "Open balance";

    /// <summary>Column "Discount".</summary>
    public string ColumnDiscount { get; init; } = "Discount";

    /// <summary>Column "Short paid".</summary>
    public string ColumnShortPaid { get; init; } = "Short paid";

    /// <summary>Column "Short-pay reason".</summary>
    public string ColumnShortReason { get; init; } = "Short-pay reason";

    /// <summary>Column "Applied".</summary>
    public string ColumnApplied { get; init; } = "Applied";

    /// <summary>"Comment: {0}": the payer's short-pay comment under its line; {0} the comment.</summary>
    public string Comment { get; init; } = "Comment: {0}";

    /// <summary>Total "Invoices".</summary>
    public string TotalInvoices { get; init; } = "Invoices";

    /// <summary>Total "Discounts".</summary>
    public string TotalDiscounts { get; init; } = "Discounts";

    /// <summary>Total "Short paid".</summary>
    public string TotalShortPaid { get; init; } = "Short paid";

    /// <summary>Total "Credits applied".</summary>
    public string TotalCredits { get; init; } = "Credits applied";

    /// <summary>"Convenience fee": the fee's label when the payment stored none.</summary>
    public string ConvenienceFee { get; init; } = "Convenience fee";

    /// <summary>Total "Amount attempted" (a failed payment).</summary>
    public string AmountAttempted { get; init; } = "Amount attempted";

    /// <summary>Total "Amount paid".</summary>
    public string AmountPaid { get; init; } = "Amount paid";

    /// <summary>Total "Amount to be charged" (a scheduled payment: nothing is charged before its date).</summary>
    public string AmountScheduled { get; init; } = "Amount to be charged";

    /// <summary>Total "Amount (cancelled, not charged)" (a scheduled payment cancelled before it ran).</summary>
    public string AmountCancelled { get; init; } = "Amount (cancelled, not charged)";

    /// <summary>Total "Amount (not confirmed yet)" (being charged, its outcome unknown, or waiting for the payer's bank).</summary>
    public string AmountUnconfirmed { get; init; } = "Amount (not confirmed yet)";

    /// <summary>Total "Amount (returned, not paid)" (a bank debit the bank returned).</summary>
    public string AmountReturned { get; init; } = "Amount (returned, not paid)";

    /// <summary>Total "Amount (refunded, not paid)" (a payment refunded after it was charged).</summary>
    public string AmountRefunded { get; init; } = "Amount (refunded, not paid)";

    /// <summary>"Deposit on account": a deposit's amount without the convenience fee charged with it.</summary>
    public string DepositAmount { get; init; } = "Deposit on account";

    /// <summary>"Deposit note": the label of a deposit's note.</summary>
    public string DepositNote { get; init; } = "Deposit note";

    /// <summary>"Note": the label of an invoice payment's note.</summary>
    public string Note { get; init; } = "Note";

    /// <summary>The receipt's status in words: "Paid", "Failed (nothing charged)", "Returned by the bank", …</summary>
    public Func<PaymentStatus, string> StatusName { get; init; } = EnglishStatus;

    /// <summary>"Invoice payment" or "Deposit".</summary>
    public Func<PaymentKind, string> KindName { get; init; } = PaymentHistoryText.KindName;

    /// <summary>The payment method as stored ("Visa •••• 4242") in the reader's words; as stored by default.</summary>
    public Func<string, string> MethodName { get; init; } = description => description;

    /// <summary>"Invoice", "Credit memo", "Unapplied cash" (shown after the number of a line that is no invoice).</summary>
    public Func<OpenItemType, string> TypeName { get; init; } = InvoiceText.TypeName;

    /// <summary>
    /// The heading and title of a payment in <paramref name="status"/>: only a paid payment is a "Receipt"; the others say
    /// what became of it, as the page and the emails do.
    /// </summary>
    internal string TitleOf(PaymentStatus status) => status switch
    {
        PaymentStatus.Succeeded => Title,
        PaymentStatus.Failed => TitleFailed,
        PaymentStatus.Returned => TitleReturned,
        PaymentStatus.Refunded => TitleRefunded,
        PaymentStatus.Processing => TitleProcessing,
        PaymentStatus.Charging or PaymentStatus.Unconfirmed or PaymentStatus.RequiresAction => TitleUnconfirmed,
        PaymentStatus.Scheduled => TitleScheduled,
        PaymentStatus.Cancelled => TitleCancelled,
        _ => Title,
    };

    /// <summary>Whether a payment in <paramref name="status"/> is paid: its PDF is a receipt, its maker "paid by".</summary>
    internal static bool IsPaid(PaymentStatus status) => status == PaymentStatus.Succeeded;

    /// <summary><paramref name="format"/> (one of the texts) with <paramref name="arguments"/>, in <see cref="Culture"/>.</summary>
    internal string Format(string format, params object?[] arguments) => string.Format(Culture, format, arguments);

    private static string EnglishStatus(PaymentStatus status) => status switch
    {
        PaymentStatus.Succeeded => "Paid",
        PaymentStatus.Failed => "Failed (nothing charged)",
        PaymentStatus.Returned => "Returned by the bank",
        _ => status.ToString(),
    };
}
