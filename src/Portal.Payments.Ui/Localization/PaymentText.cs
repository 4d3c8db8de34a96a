using Microsoft.Extensions.Localization;
using Portal.Payments.Data;
using Portal.Payments.Erp;

namespace Portal.Payments.Ui;

/// <summary>Payment words in the user's language, the same in the history grid, the receipt, the scheduled list and the payment preview.</summary>
internal static class PaymentText
{
    /// <summary>
    /// The payer-facing status: a succeeded payment is "Paid" everywhere (grid, receipt); the unresolved states read as
    /// plain progress.
    /// </summary>
    public static string Status(IStringLocalizer<PortalStrings> l, PaymentStatus status) => l[status switch
    {
        PaymentStatus.Succeeded => "PaymentStatus.Paid",
        PaymentStatus.Charging => "PaymentStatus.Processing",
        PaymentStatus.Unconfirmed => "PaymentStatus.Confirming",
        PaymentStatus.RequiresAction => "PaymentStatus.ActionRequired",
        _ => "PaymentStatus." + status,
    }];

    /// <summary>
    /// The status of a payment in a list: a scheduled one says when it will be charged ("Scheduled 3/15/2027", as the
    /// invoices grid says it), since the list's date is when it was made.
    /// </summary>
    public static string Status(IStringLocalizer<PortalStrings> l, PaymentStatus status, DateOnly? scheduledFor) =>
        status == PaymentStatus.Scheduled && scheduledFor is { } date ? ScheduledFor(l, date) : Status(l, status);

    /// <summary>"Scheduled 3/15/2027": the status of a payment, or an invoice, to be charged on <paramref name="date"/>.</summary>
    public static string ScheduledFor(IStringLocalizer<PortalStrings> l, DateOnly date) => l["Status.ScheduledFor", PortalFormat.Date(date)];

    /// <summary>
    /// An enum value of a grid column (the column filter's choices): its wording in the user's language, or null for an
    /// enum the portal does not word (the grid then shows the member's name).
    /// </summary>
    public static string? EnumValue(IStringLocalizer<PortalStrings> l, Enum value) => value switch
    {
        PaymentStatus status => Status(l, status),
        PaymentKind kind => Kind(l, kind),
        OpenItemType type => ItemType(l, type),
        InvoiceStatus status => l["Status." + status],
        _ => null,
    };

    /// <summary>
    /// Why a payment failed. The stored reasons are English: the gateway's, often with advice of its own ("Use another
    /// card, or contact your card issuer"), or the portal's, naming the invoices that changed. An English page shows them
    /// as they are; a page in another language words the reason's code (<see cref="Services.Payments.PaymentFailureCodes"/>:
    /// declined, insufficient funds, expired card, returned, method removed…) itself, and shows the stored words for a
    /// reason without a code.
    /// </summary>
    public static string FailureReason(IStringLocalizer<PortalStrings> l, Services.Payments.PaymentOutcome outcome) =>
        FailureReason(l, outcome.FailureCode, outcome.FailureReason);

    /// <inheritdoc cref="FailureReason(IStringLocalizer{PortalStrings}, Services.Payments.PaymentOutcome)"/>
    public static string FailureReason(IStringLocalizer<PortalStrings> l, string? code, string? reason) =>
        code is not null
        && System.Globalization.CultureInfo.CurrentUICulture.TwoLetterISOLanguageName != "en"
        && l["Failure." + code] is { ResourceNotFound: false } text
            ? text.Value
            : reason ?? "";

    /// <summary>
    /// A receipt with its failure and short-pay reasons in the reader's language (stored as the gateway and the host
    /// worded them): what the receipt page and its PDF show.
    /// </summary>
    public static Services.Payments.PaymentReceipt ForReader(IStringLocalizer<PortalStrings> l, Services.Payments.PaymentReceipt receipt) => receipt with
    {
        FailureReason = receipt.FailureReason is null ? null : FailureReason(l, receipt.FailureCode, receipt.FailureReason),
        Lines = [.. receipt.Lines.Select(line => line.ShortReason is null ? line : line with { ShortReason = ShortPayReason(l, line.ShortReason) })],
    };

    /// <summary>
    /// A short-pay reason in the user's language. The reason itself (what is stored and sent to the ERP) stays as the host
    /// configured it; the built-in ones (<see cref="Hosting.PortalPaymentsOptions.DefaultShortPayReasons"/>) have texts
    /// <c>ShortPayReason.{reason}</c>, a host's own reasons show as configured.
    /// </summary>
    public static string ShortPayReason(IStringLocalizer<PortalStrings> l, string reason) =>
        l["ShortPayReason." + reason] is { ResourceNotFound: false } text ? text.Value : reason;

    /// <summary>"Invoice payment" or "Deposit".</summary>
    public static string Kind(IStringLocalizer<PortalStrings> l, PaymentKind kind) =>
        l[kind == PaymentKind.Deposit ? "PaymentKind.Deposit" : "PaymentKind.InvoicePayment"];

    /// <summary>"Invoice", "Credit memo" or "Unapplied cash".</summary>
    public static string ItemType(IStringLocalizer<PortalStrings> l, OpenItemType type) => l[type switch
    {
        OpenItemType.CreditMemo => "Type.CreditMemo",
        OpenItemType.UnappliedCash => "Type.UnappliedCash",
        _ => "Type.Invoice",
    }];

    /// <summary>
    /// A stored method's masked name in the user's language: Core describes it in English ("Visa •••• 4242", "Sandbox Bank
    /// checking •••• 6789", "Card •••• 4242" without a brand, "a removed method"); the words in it are worded here, the
    /// brand or bank name and the last four stay. English (and a text of another shape) is shown as Core wrote it.
    /// </summary>
    public static string Method(IStringLocalizer<PortalStrings> l, string? description) =>
        string.IsNullOrEmpty(description) || PortalFormat.ReadsEnglish
            ? description ?? ""
            : Text.MethodNames.Reword(description, key => l[key] is { ResourceNotFound: false } text ? text.Value : null);
}
