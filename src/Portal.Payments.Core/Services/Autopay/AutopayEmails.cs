using System.Globalization;
using System.Text;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Services.Payments;

namespace Portal.Payments.Services.Autopay;

/// <summary>
/// The autopay emails: enrolled, changed, cancelled, and "upcoming autopay" before each debit, in the language of whoever
/// enrolled or last changed it (<see cref="AutopayEnrollmentRecord.Culture"/>).
/// </summary>
internal static class AutopayEmails
{
    /// <summary>The autopay page link.</summary>
    public static string AutopayLink(string portalBaseUrl) => $"{portalBaseUrl.TrimEnd('/')}/portal/autopay";

    /// <summary>"Autopay is on / changed / off", with the terms in force; <paramref name="changed"/>: an enrolment changed, not a new one.</summary>
    public static PortalEmail Enrollment(EmailTexts texts, AutopayEnrollmentRecord e, bool changed, string methodDescription, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var t = texts.For(e.Culture);
        var account = e.AccountName ?? e.AccountId;
        var text = PaymentEmails.Opening(t, e.UserName);
        if (e.CancelledAt is null)
        {
            text.AppendLine(t.Format(changed ? "Email.Autopay.Changed" : "Email.Autopay.On", account, t.AutopayRule(e.Rule, e.DaysBeforeDue), t.Method(methodDescription)));
            if (e.MaxPaymentMinor is { } max)
            {
                text.AppendLine(t.Format("Email.Autopay.Max", t.Amount(max, e.Currency)));
            }
            if (e.ApplyCreditMemos || e.ApplyUnappliedCash)
            {
                text.AppendLine(t[e.ApplyCreditMemos && e.ApplyUnappliedCash ? "Email.Autopay.CreditsAndCash" : e.ApplyCreditMemos ? "Email.Autopay.Credits" : "Email.Autopay.Cash"]);
            }
            if (e.EndDate is { } end)
            {
                text.AppendLine(t.Format("Email.Autopay.Ends", t.Date(end)));
            }
            text.AppendLine(t["Email.Autopay.Notice"]);
        }
        else
        {
            text.AppendLine(t.Format("Email.Autopay.Cancelled", account));
        }
        text.AppendLine().AppendLine(t.Format("Email.Autopay.Settings", AutopayLink(portalBaseUrl)));
        var email = new PortalEmail
        {
            Id = Guid.NewGuid(),
            To = e.UserEmail,
            ToName = e.UserName,
            Subject = t[e.CancelledAt is not null ? "Email.Subject.AutopayCancelled" : changed ? "Email.Subject.AutopayChanged" : "Email.Subject.AutopayOn"],
            TextBody = text.ToString(),
            Kind = NotificationKind.AutopayEnrollment,
            AccountId = e.AccountId,
        };
        return PaymentEmails.Branded(email, merchant, portalBaseUrl);
    }

    /// <summary>"Upcoming autopay": the debit's date, amount, method and invoices, and how to exclude an invoice.</summary>
    public static PortalEmail Upcoming(EmailTexts texts, AutopayEnrollmentRecord e, PaymentRecord payment, string portalBaseUrl, MerchantOptions? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(payment);
        var t = texts.For(payment.Culture);
        var amount = t.Amount(payment.AmountMinor, payment.Currency);
        var date = t.Date(payment.ScheduledFor!.Value);
        var text = PaymentEmails.Opening(t, e.UserName)
            .AppendLine(t.Format("Email.Upcoming.Body", amount, PaymentEmails.Account(payment, e.AccountName), date, t.Method(payment.MethodDescription)))
            .AppendLine(t.Format("Email.Reference", payment.ReceiptNumber))
            .AppendLine();
        PaymentEmails.AppendLines(t, text, payment);
        text.AppendLine()
            .AppendLine(t.Format("Email.Upcoming.Exclude", date, AutopayLink(portalBaseUrl)));
        var email = new PortalEmail
        {
            Id = Guid.NewGuid(),
            To = e.UserEmail,
            ToName = e.UserName,
            Subject = t.Format("Email.Subject.Upcoming", date, amount, payment.ReceiptNumber),
            TextBody = text.ToString(),
            Kind = NotificationKind.AutopayUpcoming,
            AccountId = e.AccountId,
            PaymentId = payment.Id,
        };
        return PaymentEmails.Branded(email, merchant, portalBaseUrl);
    }
}
