using System.Globalization;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Notifications;

namespace Portal.Payments.Services.Payments;

/// <summary>The payment emails, built from the stored payment (so a background runner can send them too).</summary>
public static class PaymentEmails
{
    /// <summary>The receipt page link of a payment.</summary>
    public static string ReceiptLink(string portalBaseUrl, Guid paymentId) =>
        $"{portalBaseUrl.TrimEnd('/')}/portal/payments/{paymentId}/receipt";

    /// <summary>"Payment received" (Succeeded) or "Payment processing" (Processing), with the item breakdown.</summary>
    public static PortalEmail Confirmation(PaymentRecord payment, PaymentStatus status, string? accountName, string portalBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        var what = payment.Kind == PaymentKind.Deposit ? "deposit" : "payment";
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Hello {payment.CreatedByName},")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture,
                $"{(status == PaymentStatus.Succeeded ? $"We received your {what}" : $"Your {what} is being processed")} of {amount} for {Account(payment, accountName)}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Receipt number: {payment.ReceiptNumber}")
            .AppendLine();
        foreach (var line in payment.Allocations.OrderBy(a => a.Id))
        {
            var applied = Money.FromMinorUnits(line.AppliedMinor, payment.Currency);
            var discount = Money.FromMinorUnits(line.DiscountMinor, payment.Currency);
            var shortPaid = Money.FromMinorUnits(line.ShortMinor, payment.Currency);
            text.Append(CultureInfo.InvariantCulture, $"  {line.InvoiceNumber}: {applied}");
            if (!discount.IsZero)
            {
                text.Append(CultureInfo.InvariantCulture, $" (discount {discount})");
            }
            if (!shortPaid.IsZero)
            {
                text.Append(CultureInfo.InvariantCulture, $" (short-paid {shortPaid}: {line.ShortReason})");
            }
            text.AppendLine();
        }
        if (!string.IsNullOrEmpty(payment.Memo))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Note: {payment.Memo}");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"View your receipt: {ReceiptLink(portalBaseUrl, payment.Id)}");
        var title = payment.Kind == PaymentKind.Deposit ? "Deposit" : "Payment";
        return new PortalEmail
        {
            Id = Guid.NewGuid(),
            To = payment.CreatedByEmail,
            ToName = payment.CreatedByName,
            Subject = status == PaymentStatus.Succeeded
                ? $"{title} received: {payment.ReceiptNumber}"
                : $"{title} processing: {payment.ReceiptNumber}",
            TextBody = text.ToString(),
            Kind = payment.Kind == PaymentKind.Deposit ? NotificationKind.DepositReceived : NotificationKind.PaymentProcessed,
            AccountId = payment.AccountId,
            PaymentId = payment.Id,
        };
    }

    /// <summary>"Acme Manufacturing (ACME)", or the id alone when the name is not known.</summary>
    public static string Account(PaymentRecord payment, string? accountName) =>
        string.IsNullOrEmpty(accountName) ? payment.AccountId : $"{accountName} ({payment.AccountId})";
}
