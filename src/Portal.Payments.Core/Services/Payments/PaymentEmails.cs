using System.Globalization;
using System.Net;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;

namespace Portal.Payments.Services.Payments;

/// <summary>
/// The payment emails, built from the stored payment (so a background runner can send them too), in the payer's language
/// and formats as stored with the payment (<see cref="PaymentRecord.Culture"/>; texts <c>Email.*</c>, see <see cref="EmailTexts"/>).
/// </summary>
internal static class PaymentEmails
{
    /// <summary>The receipt page link of a payment.</summary>
    public static string ReceiptLink(string portalBaseUrl, Guid paymentId) =>
        $"{portalBaseUrl.TrimEnd('/')}/portal/payments/{paymentId}/receipt";

    /// <summary>"Payment received" (Succeeded) or "Payment processing" (Processing), with the item breakdown.</summary>
    public static PortalEmail Confirmation(EmailTexts texts, PaymentRecord payment, PaymentStatus status, string? accountName, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var t = texts.For(payment.Culture);
        var deposit = payment.Kind == PaymentKind.Deposit;
        var received = status == PaymentStatus.Succeeded;
        var text = Opening(t, payment)
            .AppendLine(t.Format(received ? (deposit ? "Email.Received.Deposit" : "Email.Received.Payment") : (deposit ? "Email.Processing.Deposit" : "Email.Processing.Payment"),
                // A deposit is what went on account: a fee charged with it is a line of its own, then the total charged.
                deposit ? t.Amount(payment.AmountMinor - payment.FeeMinor, payment.Currency) : Amount(t, payment), Account(payment, accountName)))
            .AppendLine(t.Format("Email.ReceiptNumber", payment.ReceiptNumber))
            .AppendLine();
        AppendLines(t, text, payment);
        if (deposit && payment.FeeMinor != 0)
        {
            text.Append("  ").AppendLine(t.Format("Email.TotalCharged", Amount(t, payment)));
        }
        if (!string.IsNullOrEmpty(payment.Memo))
        {
            text.AppendLine(t.Format("Email.Note", payment.Memo));
        }
        // Only a paid payment has a receipt: the page of one still processing is titled "Payment … — processing".
        text.AppendLine().AppendLine(t.Format(received ? "Email.ViewReceipt" : "Email.PaymentDetails", ReceiptLink(portalBaseUrl, payment.Id)));
        var subject = received ? (deposit ? "Email.Subject.DepositReceived" : "Email.Subject.PaymentReceived")
            : deposit ? "Email.Subject.DepositProcessing" : "Email.Subject.PaymentProcessing";
        return Branded(Email(payment, deposit ? NotificationKind.DepositReceived : NotificationKind.PaymentProcessed, t.Format(subject, payment.ReceiptNumber), text),
            merchant, portalBaseUrl);
    }

    /// <summary>"Payment scheduled": the date, the amount, the items and how to cancel.</summary>
    public static PortalEmail Scheduled(EmailTexts texts, PaymentRecord payment, string? accountName, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var t = texts.For(payment.Culture);
        var text = Opening(t, payment)
            .AppendLine(t.Format("Email.Scheduled.Body", Amount(t, payment), Account(payment, accountName), Date(t, payment), t.Method(payment.MethodDescription)))
            .AppendLine(t.Format("Email.Reference", payment.ReceiptNumber))
            .AppendLine();
        AppendLines(t, text, payment);
        text.AppendLine()
            .AppendLine(t.Format("Email.Scheduled.ChangeOrCancel", Date(t, payment), ScheduledPaymentsLink(portalBaseUrl)));
        return Branded(Email(payment, NotificationKind.PaymentScheduled, t.Format("Email.Subject.Scheduled", Date(t, payment), Amount(t, payment), payment.ReceiptNumber), text),
            merchant, portalBaseUrl);
    }

    /// <summary>"Scheduled payment cancelled".</summary>
    public static PortalEmail Cancelled(EmailTexts texts, PaymentRecord payment, string? accountName, string cancelledBy, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var t = texts.For(payment.Culture);
        var text = Opening(t, payment)
            .AppendLine(t.Format("Email.Cancelled.Body", cancelledBy, Amount(t, payment), Account(payment, accountName), Date(t, payment)))
            .AppendLine(t.Format("Email.Reference", payment.ReceiptNumber))
            .AppendLine();
        AppendLines(t, text, payment);
        text.AppendLine().AppendLine(t.Format("Email.InvoicesOpenAgain", OpenInvoicesLink(portalBaseUrl)));
        return Branded(Email(payment, NotificationKind.PaymentCancelled, t.Format("Email.Subject.Cancelled", Amount(t, payment), payment.ReceiptNumber), text),
            merchant, portalBaseUrl);
    }

    /// <summary>"Scheduled payment changed": the new date, amount, method and items, and the invoices no longer in it.</summary>
    public static PortalEmail Changed(EmailTexts texts, PaymentRecord payment, string? accountName, string changedBy, IReadOnlyList<string> removedInvoices, string portalBaseUrl,
        MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(removedInvoices);
        var t = texts.For(payment.Culture);
        var text = Opening(t, payment)
            .AppendLine(t.Format("Email.Changed.Body", changedBy, payment.ReceiptNumber, Account(payment, accountName), Amount(t, payment), Date(t, payment),
                t.Method(payment.MethodDescription)))
            .AppendLine();
        if (removedInvoices.Count > 0)
        {
            text.AppendLine(t.Format("Email.Changed.Removed", string.Join(", ", removedInvoices))).AppendLine();
        }
        AppendLines(t, text, payment);
        text.AppendLine()
            .AppendLine(t.Format("Email.YourScheduledPayments", ScheduledPaymentsLink(portalBaseUrl)));
        return Branded(Email(payment, NotificationKind.PaymentScheduled,
            t.Format("Email.Subject.Changed", Amount(t, payment), Date(t, payment), payment.ReceiptNumber), text), merchant, portalBaseUrl);
    }

    /// <summary>The scheduled payments page link.</summary>
    public static string ScheduledPaymentsLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/scheduled";

    /// <summary>
    /// "Payment failed" (nothing charged), "Payment returned" (the bank returned the debit) or "Payment refunded" (the
    /// money went back to the payer), with the reason (its code's words in the payer's language when it has a code) and a
    /// link back.
    /// </summary>
    public static PortalEmail Failed(EmailTexts texts, PaymentRecord payment, PaymentStatus status, string reason, string? accountName, string portalBaseUrl,
        MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var t = texts.For(payment.Culture);
        var outcome = status switch
        {
            PaymentStatus.Returned => "Returned",
            PaymentStatus.Refunded => "Refunded",
            _ => "Failed",
        };
        // A deposit paid no invoices: it is named a deposit, and no invoices "are open again".
        var deposit = payment.Kind == PaymentKind.Deposit;
        var headline = t.Format($"Email.Failed.{outcome}{(deposit ? "Deposit" : payment.ScheduledFor is null ? "" : "Scheduled")}", Amount(t, payment), Account(payment, accountName), Date(t, payment));
        var text = Opening(t, payment)
            .AppendLine(headline)
            .AppendLine(t.Format("Email.Reason", t.FailureReason(payment.FailureCode, reason)))
            .AppendLine(t.Format("Email.Reference", payment.ReceiptNumber))
            .AppendLine();
        AppendLines(t, text, payment);
        text.AppendLine();
        if (!deposit)
        {
            text.AppendLine(t.Format("Email.Failed.OpenAgain", OpenInvoicesLink(portalBaseUrl)));
        }
        else if (status != PaymentStatus.Refunded)
        {
            text.AppendLine(t.Format("Email.Failed.DepositAgain", DepositLink(portalBaseUrl)));
        }
        text.AppendLine(t.Format("Email.PaymentDetails", ReceiptLink(portalBaseUrl, payment.Id)));
        return Branded(Email(payment, NotificationKind.PaymentFailed, t.Format($"Email.Subject.{(deposit ? "Deposit" : "")}{outcome}", Amount(t, payment), payment.ReceiptNumber), text),
            merchant, portalBaseUrl);
    }

    /// <summary>The deposit page link.</summary>
    public static string DepositLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/deposit";

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

    /// <summary>"Hello Pat," and a blank line.</summary>
    internal static StringBuilder Opening(EmailText t, string name) => new StringBuilder().AppendLine(t.Format("Email.Hello", name)).AppendLine();

    private static StringBuilder Opening(EmailText t, PaymentRecord payment) => Opening(t, payment.CreatedByName);

    /// <summary>One line per invoice (amount applied, discount, short payment and its reason) and the fee's line.</summary>
    internal static void AppendLines(EmailText t, StringBuilder text, PaymentRecord payment)
    {
        foreach (var line in payment.Allocations.OrderBy(a => a.Id))
        {
            text.Append("  ").Append(line.InvoiceNumber).Append(": ").Append(t.Amount(line.AppliedMinor, payment.Currency));
            if (line.DiscountMinor != 0)
            {
                text.Append(t.Format("Email.Line.Discount", t.Amount(line.DiscountMinor, payment.Currency)));
            }
            if (line.ShortMinor != 0)
            {
                // The reason with the payer's comment, as the receipt shows it ("Other: Pallet 3 arrived crushed"), on the line.
                var reason = line.ShortReason is null ? "" : t.ShortPayReason(line.ShortReason);
                if (!string.IsNullOrWhiteSpace(line.Comment))
                {
                    var comment = string.Join(' ', line.Comment.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    reason = reason.Length == 0 ? comment : $"{reason}: {comment}";
                }
                text.Append(t.Format("Email.Line.ShortPaid", t.Amount(line.ShortMinor, payment.Currency), reason));
            }
            text.AppendLine();
        }
        if (payment.FeeMinor != 0)
        {
            text.Append("  ").Append(payment.FeeLabel ?? t["Email.ConvenienceFee"]).Append(": ").AppendLine(t.Amount(payment.FeeMinor, payment.Currency));
        }
    }

    internal static PortalEmail Email(PaymentRecord payment, NotificationKind kind, string subject, StringBuilder text) => new()
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

    private static string Amount(EmailText t, PaymentRecord payment) => t.Amount(payment.AmountMinor, payment.Currency);

    private static string Date(EmailText t, PaymentRecord payment) => payment.ScheduledFor is { } date ? t.Date(date) : "";
}
