using System.Globalization;
using System.Net;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;

namespace Portal.Payments.Services.Payments;

/// <summary>The payment emails, built from the stored payment (so a background runner can send them too).</summary>
internal static class PaymentEmails
{
    /// <summary>The receipt page link of a payment.</summary>
    public static string ReceiptLink(string portalBaseUrl, Guid paymentId) =>
        $"{portalBaseUrl.TrimEnd('/')}/portal/payments/{paymentId}/receipt";

    /// <summary>"Payment received" (Succeeded) or "Payment processing" (Processing), with the item breakdown.</summary>
    public static PortalEmail Confirmation(PaymentRecord payment, PaymentStatus status, string? accountName, string portalBaseUrl, MerchantOptions? merchant = null)
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
        AppendLines(text, payment);
        if (!string.IsNullOrEmpty(payment.Memo))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Note: {payment.Memo}");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"View your receipt: {ReceiptLink(portalBaseUrl, payment.Id)}");
        var title = payment.Kind == PaymentKind.Deposit ? "Deposit" : "Payment";
        return Branded(new PortalEmail
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
        }, merchant, portalBaseUrl);
    }

    /// <summary>"Payment scheduled": the date, the amount, the items and how to cancel.</summary>
    public static PortalEmail Scheduled(PaymentRecord payment, string? accountName, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var text = Opening(payment)
            .AppendLine(CultureInfo.InvariantCulture,
                $"Your payment of {Amount(payment)} for {Account(payment, accountName)} is scheduled for {Date(payment)}, using {payment.MethodDescription}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Reference: {payment.ReceiptNumber}")
            .AppendLine();
        AppendLines(text, payment);
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"To change or cancel it before {Date(payment)}, open your scheduled payments: {ScheduledPaymentsLink(portalBaseUrl)}");
        return Branded(Email(payment, NotificationKind.PaymentScheduled, $"Payment scheduled for {Date(payment)}: {Amount(payment)} ({payment.ReceiptNumber})", text), merchant, portalBaseUrl);
    }

    /// <summary>"Scheduled payment cancelled".</summary>
    public static PortalEmail Cancelled(PaymentRecord payment, string? accountName, string cancelledBy, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var text = Opening(payment)
            .AppendLine(CultureInfo.InvariantCulture,
                $"{cancelledBy} cancelled the payment of {Amount(payment)} for {Account(payment, accountName)} scheduled for {Date(payment)}. Nothing was charged.")
            .AppendLine(CultureInfo.InvariantCulture, $"Reference: {payment.ReceiptNumber}")
            .AppendLine();
        AppendLines(text, payment);
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"The invoices are open again: {OpenInvoicesLink(portalBaseUrl)}");
        return Branded(Email(payment, NotificationKind.PaymentCancelled, $"Scheduled payment cancelled: {Amount(payment)} ({payment.ReceiptNumber})", text), merchant, portalBaseUrl);
    }

    /// <summary>"Scheduled payment changed": the new date, amount, method and items, and the invoices no longer in it.</summary>
    public static PortalEmail Changed(PaymentRecord payment, string? accountName, string changedBy, IReadOnlyList<string> removedInvoices, string portalBaseUrl,
        MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(removedInvoices);
        var text = Opening(payment)
            .AppendLine(CultureInfo.InvariantCulture,
                $"{changedBy} changed the scheduled payment {payment.ReceiptNumber} for {Account(payment, accountName)}. It is now {Amount(payment)} on {Date(payment)}, using {payment.MethodDescription}.")
            .AppendLine();
        if (removedInvoices.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"No longer in this payment (open again): {string.Join(", ", removedInvoices)}").AppendLine();
        }
        AppendLines(text, payment);
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Your scheduled payments: {ScheduledPaymentsLink(portalBaseUrl)}");
        return Branded(Email(payment, NotificationKind.PaymentScheduled, $"Scheduled payment changed: {Amount(payment)} on {Date(payment)} ({payment.ReceiptNumber})", text),
            merchant, portalBaseUrl);
    }

    /// <summary>The scheduled payments page link.</summary>
    public static string ScheduledPaymentsLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/scheduled";

    /// <summary>
    /// "Payment failed" (nothing charged), "Payment returned" (the bank returned the debit) or "Payment refunded" (the
    /// money went back to the payer), with the reason and a link back.
    /// </summary>
    public static PortalEmail Failed(PaymentRecord payment, PaymentStatus status, string reason, string? accountName, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var returned = status == PaymentStatus.Returned;
        var refunded = status == PaymentStatus.Refunded;
        var what = payment.ScheduledFor is null ? "payment" : $"payment scheduled for {Date(payment)}";
        var headline = returned ? $"Your bank returned your {what} of {Amount(payment)} for {Account(payment, accountName)}."
            : refunded ? $"Your {what} of {Amount(payment)} for {Account(payment, accountName)} was refunded to you."
            : $"Your {what} of {Amount(payment)} for {Account(payment, accountName)} failed. Nothing was charged.";
        var text = Opening(payment)
            .AppendLine(headline)
            .AppendLine(CultureInfo.InvariantCulture, $"Reason: {reason}")
            .AppendLine(CultureInfo.InvariantCulture, $"Reference: {payment.ReceiptNumber}")
            .AppendLine();
        AppendLines(text, payment);
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"The invoices are open again; pay or schedule them here: {OpenInvoicesLink(portalBaseUrl)}")
            .AppendLine(CultureInfo.InvariantCulture, $"Payment details: {ReceiptLink(portalBaseUrl, payment.Id)}");
        var subject = returned ? $"Payment returned: {Amount(payment)} ({payment.ReceiptNumber})"
            : refunded ? $"Payment refunded: {Amount(payment)} ({payment.ReceiptNumber})"
            : $"Payment failed: {Amount(payment)} ({payment.ReceiptNumber})";
        return Branded(Email(payment, NotificationKind.PaymentFailed, subject, text), merchant, portalBaseUrl);
    }

    /// <summary>The open invoices page link.</summary>
    public static string OpenInvoicesLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/invoices";

    /// <summary>
    /// "Acme Manufacturing (ACME)": the name given, else the one stored with the payment (the runner has no signed-in
    /// user to ask), or the id alone when neither is known.
    /// </summary>
    public static string Account(PaymentRecord payment, string? accountName) =>
        (string.IsNullOrEmpty(accountName) ? payment.AccountName : accountName) is { Length: > 0 } name
            ? $"{name} ({payment.AccountId})"
            : payment.AccountId;

    /// <summary>
    /// The email signed with the merchant's name, and an HTML version headed by its logo (the same text, encoded), when
    /// <paramref name="merchant"/> names either; otherwise unchanged.
    /// </summary>
    public static PortalEmail Branded(PortalEmail email, MerchantOptions? merchant, string portalBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(email);
        var name = string.IsNullOrWhiteSpace(merchant?.Name) ? null : merchant.Name.Trim();
        var logo = merchant?.AbsoluteLogoUrl(portalBaseUrl);
        if (name is null && logo is null)
        {
            return email;
        }
        var text = name is null ? email.TextBody : email.TextBody.TrimEnd() + Environment.NewLine + Environment.NewLine + name + Environment.NewLine;
        var html = new StringBuilder("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        if (logo is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p><img src=\"{WebUtility.HtmlEncode(logo)}\" alt=\"{WebUtility.HtmlEncode(name ?? "Logo")}\" style=\"max-height:48px;max-width:200px\"></p>");
        }
        html.Append("<div style=\"white-space:pre-wrap\">").Append(WebUtility.HtmlEncode(text)).Append("</div></body></html>");
        return email with { TextBody = text, HtmlBody = html.ToString() };
    }

    private static StringBuilder Opening(PaymentRecord payment) =>
        new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"Hello {payment.CreatedByName},").AppendLine();

    internal static void AppendLines(StringBuilder text, PaymentRecord payment)
    {
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
        if (payment.FeeMinor != 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {payment.FeeLabel ?? "Convenience fee"}: {Money.FromMinorUnits(payment.FeeMinor, payment.Currency)}");
        }
    }

    private static PortalEmail Email(PaymentRecord payment, NotificationKind kind, string subject, StringBuilder text) => new()
    {
        Id = Guid.NewGuid(),
        To = payment.CreatedByEmail,
        ToName = payment.CreatedByName,
        Subject = subject,
        TextBody = text.ToString(),
        Kind = kind,
        AccountId = payment.AccountId,
        PaymentId = payment.Id,
    };

    private static Money Amount(PaymentRecord payment) => Money.FromMinorUnits(payment.AmountMinor, payment.Currency);

    private static string Date(PaymentRecord payment) =>
        payment.ScheduledFor?.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture) ?? "";
}
