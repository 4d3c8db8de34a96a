using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Services.Payments;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The short-pay lines of the payment emails: the reason with the payer's comment, as on the receipt.</summary>
public sealed class ShortPayEmailTests
{
    private const string Comment = "Pallet 3 arrived crushed </td><img src=x onerror=alert(1)>";

    private static PaymentRecord Payment() => new()
    {
        Id = Guid.NewGuid(),
        AccountId = "ACME",
        AccountName = "Acme Manufacturing",
        Kind = PaymentKind.InvoicePayment,
        Currency = "USD",
        AmountMinor = 90_000,
        ReceiptNumber = "R-260302-ABCDEF",
        CreatedByName = "Pat Payer",
        CreatedByEmail = "pat@acme.example",
        MethodDescription = "Visa •••• 4242",
        Allocations =
        [
            new PaymentAllocationRecord { Id = 1, InvoiceNumber = "INV-1", AppliedMinor = 40_000 },
            new PaymentAllocationRecord { Id = 2, InvoiceNumber = "INV-2", AppliedMinor = 50_000, ShortMinor = 1_000, ShortReason = "Other", Comment = Comment },
        ],
    };

    // Review: the receipt shows a short payment's reason with the payer's comment ("Other: Pallet 3 arrived crushed"), the
    // email only the reason: "short-paid USD 10.00: Other", the one reason that says nothing without its comment.
    [Fact]
    public void A_short_payments_comment_is_in_the_email_beside_its_reason_and_encoded_in_html()
    {
        var merchant = new MerchantOptions { Name = "Northwind Supply" };

        var email = PaymentEmails.Confirmation(EmailTexts.Default, Payment(), PaymentStatus.Succeeded, null, "https://portal.example.com", merchant);

        Assert.Contains($"INV-2: USD 500.00 (short-paid USD 10.00: Other: {Comment})", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("Other: Pallet 3 arrived crushed &lt;/td&gt;&lt;img src=x onerror=alert(1)&gt;", email.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", email.HtmlBody, StringComparison.Ordinal);
    }
}
