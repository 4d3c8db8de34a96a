using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Pdf;

namespace Portal.Payments.Ui;

/// <summary>
/// The receipt PDF in the user's language: its own words (<c>ReceiptPdf.*</c>) and the portal's status, kind and type words
/// (the history grid and receipt page use the same), amounts and dates in the user's culture.
/// </summary>
internal static class ReceiptPdfTexts
{
    /// <summary>
    /// The texts for the current request: words in its UI culture, amounts and dates in its culture, the payment time in
    /// <paramref name="zone"/>. Every word is looked up now, so the texts stay in this request's language.
    /// </summary>
    public static ReceiptPdfText For(IStringLocalizer<PortalStrings> l, TimeZoneInfo zone)
    {
        var statuses = Words<PaymentStatus>(status => status switch
        {
            PaymentStatus.Failed => l["ReceiptPdf.StatusFailed"],
            PaymentStatus.Returned => l["ReceiptPdf.StatusReturned"],
            _ => PaymentText.Status(l, status),
        });
        var kinds = Words<PaymentKind>(kind => PaymentText.Kind(l, kind));
        var types = Words<OpenItemType>(type => l["Type." + type]);
        return new ReceiptPdfText
        {
            Culture = CultureInfo.CurrentCulture,
            TimeZone = zone,
            Title = l["ReceiptPdf.Title"],
            TitleFailed = l["ReceiptPdf.TitleFailed"],
            TitleReturned = l["ReceiptPdf.TitleReturned"],
            TitleRefunded = l["ReceiptPdf.TitleRefunded"],
            TitleProcessing = l["ReceiptPdf.TitleProcessing"],
            TitleUnconfirmed = l["ReceiptPdf.TitleUnconfirmed"],
            TitleScheduled = l["ReceiptPdf.TitleScheduled"],
            TitleCancelled = l["ReceiptPdf.TitleCancelled"],
            Subject = l["ReceiptPdf.Subject"],
            SubjectNotPaid = l["ReceiptPdf.SubjectNotPaid"],
            Footer = l["ReceiptPdf.Footer"],
            FooterNotPaid = l["ReceiptPdf.FooterNotPaid"],
            Payer = l["ReceiptPdf.Payer"],
            PaidBy = l["ReceiptPdf.PaidBy"],
            SubmittedBy = l["ReceiptPdf.SubmittedBy"],
            Date = l["ReceiptPdf.Date"],
            DateValue = l["ReceiptPdf.DateValue"],
            ReceiptNumber = l["ReceiptPdf.ReceiptNumber"],
            Kind = l["ReceiptPdf.Kind"],
            Method = l["ReceiptPdf.Method"],
            Status = l["ReceiptPdf.Status"],
            ScheduledFor = l["ReceiptPdf.ScheduledFor"],
            ScheduledDate = l["ReceiptPdf.ScheduledDate"],
            Reference = l["ReceiptPdf.Reference"],
            NotCharged = l["ReceiptPdf.NotCharged"],
            Reversed = l["ReceiptPdf.Reversed"],
            Breakdown = l["ReceiptPdf.Breakdown"],
            BreakdownContinued = l["ReceiptPdf.BreakdownContinued"],
            ColumnInvoice = l["ReceiptPdf.ColumnInvoice"],
            ColumnOpenBalance = l["ReceiptPdf.ColumnOpenBalance"],
            ColumnDiscount = l["ReceiptPdf.ColumnDiscount"],
            ColumnShortPaid = l["ReceiptPdf.ColumnShortPaid"],
            ColumnShortReason = l["ReceiptPdf.ColumnShortReason"],
            ColumnApplied = l["ReceiptPdf.ColumnApplied"],
            Comment = l["ReceiptPdf.Comment"],
            TotalInvoices = l["ReceiptPdf.TotalInvoices"],
            TotalDiscounts = l["ReceiptPdf.TotalDiscounts"],
            TotalShortPaid = l["ReceiptPdf.TotalShortPaid"],
            TotalCredits = l["ReceiptPdf.TotalCredits"],
            ConvenienceFee = l["ReceiptPdf.ConvenienceFee"],
            AmountAttempted = l["ReceiptPdf.AmountAttempted"],
            AmountPaid = l["ReceiptPdf.AmountPaid"],
            AmountScheduled = l["ReceiptPdf.AmountScheduled"],
            AmountCancelled = l["ReceiptPdf.AmountCancelled"],
            AmountUnconfirmed = l["ReceiptPdf.AmountUnconfirmed"],
            AmountReturned = l["ReceiptPdf.AmountReturned"],
            AmountRefunded = l["ReceiptPdf.AmountRefunded"],
            DepositAmount = l["ReceiptPdf.DepositAmount"],
            DepositNote = l["ReceiptPdf.DepositNote"],
            Note = l["ReceiptPdf.Note"],
            StatusName = status => statuses[status],
            KindName = kind => kinds[kind],
            MethodName = description => PaymentText.Method(l, description),
            TypeName = type => types.TryGetValue(type, out var word) ? word : types[Erp.OpenItemType.Invoice], // an unknown type reads as an invoice, like the grid
        };
    }

    /// <summary>The word of every value of <typeparamref name="T"/>, looked up once.</summary>
    private static Dictionary<T, string> Words<T>(Func<T, string> word) where T : struct, Enum =>
        Enum.GetValues<T>().ToDictionary(v => v, word);
}
