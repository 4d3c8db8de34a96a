using System.Globalization;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Services.Autopay;

/// <summary>The autopay emails: enrolled, changed, cancelled, and "upcoming autopay" before each debit.</summary>
internal static class AutopayEmails
{
    /// <summary>The autopay page link.</summary>
    public static string AutopayLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/autopay";

    /// <summary>"Autopay is on / changed / off", with the terms in force.</summary>
    public static PortalEmail Enrollment(AutopayEnrollmentRecord e, string change, string methodDescription, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Hello {e.UserName},")
            .AppendLine();
        if (e.CancelledAt is null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Autopay is {change} for {e.AccountName ?? e.AccountId}: the portal pays each invoice {AutopayRules.Describe(e.Rule, e.DaysBeforeDue)} with {methodDescription}.");
            if (e.MaxPaymentMinor is { } max)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Invoices over {Money.FromMinorUnits(max, e.Currency)} are not paid automatically.");
            }
            if (e.ApplyCreditMemos || e.ApplyUnappliedCash)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Open {(e.ApplyCreditMemos && e.ApplyUnappliedCash ? "credit memos and unapplied cash are" : e.ApplyCreditMemos ? "credit memos are" : "unapplied cash is")} applied automatically.");
            }
            if (e.EndDate is { } end)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Autopay ends after {end.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture)}.");
            }
            text.AppendLine("You get an email a few days before each debit, and you can exclude an invoice or change or cancel autopay at any time.");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Autopay is cancelled for {e.AccountName ?? e.AccountId}. Payments it had scheduled are cancelled; nothing more is paid automatically.");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Autopay settings: {AutopayLink(portalBaseUrl)}");
        var email = new PortalEmail
        {
            Id = Guid.NewGuid(),
            To = e.UserEmail,
            ToName = e.UserName,
            Subject = e.CancelledAt is null ? $"Autopay {change}" : "Autopay cancelled",
            TextBody = text.ToString(),
            Kind = NotificationKind.AutopayEnrollment,
            AccountId = e.AccountId,
        };
        return PaymentEmails.Branded(email, merchant, portalBaseUrl);
    }

    /// <summary>"Upcoming autopay": the debit's date, amount, method and invoices, and how to exclude an invoice.</summary>
    public static PortalEmail Upcoming(AutopayEnrollmentRecord e, PaymentRecord payment, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(payment);
        var amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency);
        var date = payment.ScheduledFor!.Value.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Hello {e.UserName},")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Autopay will pay {amount} for {PaymentEmails.Account(payment, e.AccountName)} on {date} with {payment.MethodDescription}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Reference: {payment.ReceiptNumber}")
            .AppendLine();
        PaymentEmails.AppendLines(text, payment);
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"To keep an invoice out of autopay, exclude it before {date}: {AutopayLink(portalBaseUrl)}");
        var email = new PortalEmail
        {
            Id = Guid.NewGuid(),
            To = e.UserEmail,
            ToName = e.UserName,
            Subject = $"Upcoming autopay on {date}: {amount} ({payment.ReceiptNumber})",
            TextBody = text.ToString(),
            Kind = NotificationKind.AutopayUpcoming,
            AccountId = e.AccountId,
            PaymentId = payment.Id,
        };
        return PaymentEmails.Branded(email, merchant, portalBaseUrl);
    }
}
