using Microsoft.Extensions.Localization;
using Portal.Payments.Data;

namespace Portal.Payments.Ui;

/// <summary>Payment words in the user's language, the same in the history grid, the receipt and the scheduled list.</summary>
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
}
