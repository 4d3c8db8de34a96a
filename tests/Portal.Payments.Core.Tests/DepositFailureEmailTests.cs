using Portal.Payments.Data;
using Portal.Payments.Notifications;
using Portal.Payments.Services.Payments;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The email of a deposit that failed, was returned by the bank or was refunded: a deposit paid no invoices, so it is
/// named a deposit and no invoices are said to be "open again".
/// </summary>
public sealed class DepositFailureEmailTests
{
    private static PaymentRecord Deposit(string? culture) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = "ACME",
        AccountName = "Acme Manufacturing",
        Kind = PaymentKind.Deposit,
        Currency = "USD",
        AmountMinor = 50_000,
        ReceiptNumber = "R-260302-DEPOSI",
        CreatedByName = "Pat Payer",
        CreatedByEmail = "pat@acme.example",
        MethodDescription = "Sandbox Bank checking •••• 6789",
        FailureCode = PaymentFailureCodes.Returned,
        Memo = "Prepayment",
        Culture = culture,
    };

    // Review: a returned ACH deposit was emailed as "Your bank returned your payment … The invoices are open again; pay or
    // schedule them here", linking to the open invoices, although the deposit paid none.
    [Fact]
    public void A_returned_deposit_is_named_a_deposit_and_offers_the_deposit_page_not_open_invoices()
    {
        var email = PaymentEmails.Failed(EmailTexts.Default, Deposit(null), PaymentStatus.Returned, "The bank returned the payment.", null, "https://portal.example.com");

        Assert.Equal("Deposit returned: USD 500.00 (R-260302-DEPOSI)", email.Subject);
        Assert.Contains("Your bank returned your deposit of USD 500.00 for Acme Manufacturing (ACME).", email.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("invoices", email.TextBody, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("You can make the deposit again here: https://portal.example.com/portal/deposit", email.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refunded_or_failed_deposit_in_german_reads_as_an_anzahlung()
    {
        var refunded = PaymentEmails.Failed(EmailTexts.Default, Deposit("de-DE"), PaymentStatus.Refunded, "The payment was refunded.", null, "https://portal.example.com");
        var failed = PaymentEmails.Failed(EmailTexts.Default, Deposit("de-DE"), PaymentStatus.Failed, "The payment did not go through.", null, "https://portal.example.com");

        Assert.Equal("Anzahlung erstattet: USD 500,00 (R-260302-DEPOSI)", refunded.Subject);
        Assert.Contains("Ihre Anzahlung von USD 500,00 für Acme Manufacturing (ACME) wurde Ihnen erstattet.", refunded.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Rechnungen", refunded.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/portal/deposit", refunded.TextBody, StringComparison.Ordinal);
        Assert.Equal("Anzahlung fehlgeschlagen: USD 500,00 (R-260302-DEPOSI)", failed.Subject);
        Assert.Contains("Ihre Anzahlung von USD 500,00 für Acme Manufacturing (ACME) ist fehlgeschlagen. Es wurde nichts belastet.", failed.TextBody, StringComparison.Ordinal);
        Assert.Contains("Hier können Sie die Anzahlung erneut leisten: https://portal.example.com/portal/deposit", failed.TextBody, StringComparison.Ordinal);
    }
}
