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
}
