using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Pages;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The printable receipt, on real services and SQLite.</summary>
public class ReceiptViewTests : ReceiptTestContext
{
    [Fact]
    public async Task The_receipt_carries_the_merchants_logo_and_name_from_the_hosts_options()
    {
        await StartAsync(configure: o =>
        {
            o.Merchant.Name = "Northwind Supply";
            o.Merchant.LogoUrl = "/images/northwind.png";
        });
        var paid = await PayAsync();

        var cut = RenderLoaded(paid.PaymentId);

        var merchant = cut.Find("[data-testid=receipt-merchant]");
        Assert.Equal("Northwind Supply", merchant.TextContent.Trim());
        // A path of the site, relative to the page's <base href> (so a site below a path base keeps it).
        Assert.Equal("images/northwind.png", cut.Find("[data-testid=receipt-logo]").GetAttribute("src"));
        // The name beside it says who it is: the logo itself is decoration.
        Assert.Equal("", cut.Find("[data-testid=receipt-logo]").GetAttribute("alt"));
    }

    [Theory]
    [InlineData("/images/northwind.png", "images/northwind.png")]
    [InlineData("https://cdn.example.com/northwind.png", "https://cdn.example.com/northwind.png")]
    public void A_logo_path_of_the_site_follows_the_pages_base_and_a_url_stays_as_given(string configured, string source) =>
        Assert.Equal(source, ReceiptView.LogoSource(configured));

    [Fact]
    public async Task A_receipt_of_the_sandbox_says_no_real_money_moved_and_prints_it()
    {
        await StartAsync();
        var paid = await PayAsync();

        var cut = RenderLoaded(paid.PaymentId);

        var banner = cut.Find("[data-testid=receipt] > [data-testid=sandbox-banner]");
        Assert.Contains("Sandbox: no real money moves.", banner.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("pp-no-print", banner.GetAttribute("class") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_merchant_options_the_receipt_has_no_merchant_line()
    {
        await StartAsync();
        var paid = await PayAsync();

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Empty(cut.FindAll("[data-testid=receipt-merchant]"));
    }

    [Fact]
    public async Task The_payment_time_reads_in_the_users_time_zone_as_in_the_history_and_the_pdf()
    {
        await StartAsync();
        var paid = await PayAsync();
        Users.Current = Users.Current! with { TimeZoneId = "America/New_York" };

        var cut = RenderLoaded(paid.PaymentId);

        // 12:00 UTC on 10 March 2027 is 7:00 in New York (EST; daylight saving starts on the 14th).
        Assert.Equal("3/10/2027 7:00\u202FAM", Fact(cut, "Date"));   // ICU puts a narrow no-break space before AM
    }

    [Fact]
    public async Task The_receipt_shows_payer_method_status_breakdown_and_totals()
    {
        await StartAsync();
        var paid = await PayAsync();

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Equal($"Receipt {paid.ReceiptNumber}", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Acme Industrial Supply (ACME)", Fact(cut, "Payer"));
        Assert.Equal("Pat Payer", Fact(cut, "Paid by"));
        Assert.Equal("3/10/2027 12:00\u202FPM UTC", Fact(cut, "Date"));   // no zone known: UTC, named
        Assert.Equal(paid.ReceiptNumber, Fact(cut, "Receipt number"));
        Assert.Equal("Visa •••• 4242", Fact(cut, "Method"));
        Assert.Equal("Paid", Fact(cut, "Status"));
        var rows = cut.FindAll("[data-testid=receipt-line]").Select(r => r.Children.Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["INV-3001", "Invoice", "USD 1,000.00", "USD 20.00", "—", "", "USD 980.00"], rows[0]);
        Assert.Equal(["CM-3002", "Credit memo", "USD -100.00", "—", "—", "", "USD -100.00"], rows[1]);
        Assert.Equal("USD 1,000.00", cut.Find("[data-testid=receipt-invoices]").TextContent.Trim());
        Assert.Equal("USD -20.00", cut.Find("[data-testid=receipt-discounts]").TextContent.Trim());
        Assert.Equal("USD -100.00", cut.Find("[data-testid=receipt-credits]").TextContent.Trim());
        Assert.Equal("USD 880.00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=receipt-failure]"));
        // A way back for hosts whose layout has no portal navigation (not printed).
        var back = cut.Find("[data-testid=receipt-back]");
        Assert.Equal(("Back to payment history", "portal/payments"), (back.TextContent.Trim(), back.GetAttribute("href")));
        Assert.Contains("pp-no-print", back.ParentElement!.ClassName);
    }

    [Fact]
    public async Task Save_as_pdf_and_remittance_detail_link_to_the_account_scoped_downloads()
    {
        await StartAsync();
        var paid = await PayAsync();

        var cut = RenderLoaded(paid.PaymentId);

        var pdf = cut.Find("[data-testid=receipt-pdf]");
        Assert.Equal("Save as PDF", pdf.TextContent.Trim());
        Assert.Equal($"portal-payments/api/payments/{paid.PaymentId}/receipt.pdf", pdf.GetAttribute("href"));
        Assert.NotNull(pdf.Closest(".pp-no-print"));
        // A new tab, not the download attribute: the file is saved and the tab closes; a refusal shows a page saying why.
        Assert.False(pdf.HasAttribute("download"));
        Assert.Equal("_blank", pdf.GetAttribute("target"));
        var remittance = cut.Find("[data-testid=remittance]");
        Assert.Equal("Remittance detail", remittance.QuerySelector("h2")!.TextContent.Trim());
        Assert.Equal(["INV-3001 USD 980.00", "CM-3002 USD -100.00"],
            cut.FindAll("[data-testid=remittance-line]").Select(l => string.Join(' ', l.Children.Select(c => c.TextContent.Trim()))));
        var csv = cut.Find("[data-testid=remittance-csv]");
        Assert.Equal("Export remittance CSV", csv.TextContent.Trim());
        Assert.Equal($"portal-payments/api/payments/{paid.PaymentId}/remittance.csv", csv.GetAttribute("href"));
        Assert.False(csv.HasAttribute("download"));
        Assert.Equal("_blank", csv.GetAttribute("target"));
    }

    [Fact]
    public async Task Print_asks_the_browser_to_print()
    {
        await StartAsync();
        var paid = await PayAsync();
        var cut = RenderLoaded(paid.PaymentId);
        var print = Button(cut, "Print");
        Assert.NotNull(print.Closest(".pp-no-print"));

        print.Click();

        JSInterop.VerifyInvoke("print");
    }

    [Fact]
    public async Task A_scheduled_payments_receipt_says_when_and_what_will_be_charged_and_a_cancelled_one_that_nothing_was()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-3101", 50_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var scheduling = Services.GetRequiredService<ScheduledPaymentService>();
        var scheduled = await scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, TodayDate.AddDays(5), card.Id, Guid.NewGuid().ToString("N")));

        var cut = RenderLoaded(scheduled.PaymentId);

        Assert.Equal("3/15/2027", Fact(cut, "Scheduled for"));
        Assert.Equal($"Scheduled payment {scheduled.ReceiptNumber}", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Amount to be charged", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.Equal("USD 500.00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());
        Assert.StartsWith("The invoices this payment will pay on its date", cut.Find("[data-testid=remittance] p").TextContent.Trim(), StringComparison.Ordinal);

        await scheduling.CancelAsync([scheduled.PaymentId]);
        cut = RenderLoaded(scheduled.PaymentId);

        Assert.Equal($"Payment {scheduled.ReceiptNumber} — cancelled", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Amount (cancelled, not charged)", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.StartsWith("The invoices this payment was to pay; it was cancelled", cut.Find("[data-testid=remittance] p").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal("3/15/2027", Fact(cut, "Scheduled for"));
    }

    // Review: once charged, the receipt of a scheduled payment showed only the day it was set up ("Date"); the day it was
    // for was on the PDF alone.
    [Fact]
    public async Task A_charged_scheduled_payments_receipt_still_says_the_day_it_was_for()
    {
        await StartAsync();
        var ids = await SeedAsync(("INV-3102", 50_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var scheduled = await Services.GetRequiredService<ScheduledPaymentService>()
            .ScheduleAsync(new SchedulePaymentRequest(ids, TodayDate.AddDays(5), card.Id, Guid.NewGuid().ToString("N")));
        Clock.Advance(TimeSpan.FromDays(5));
        Assert.Equal(1, await Services.GetRequiredService<ScheduledPaymentRunner>().RunDueAsync());

        var cut = RenderLoaded(scheduled.PaymentId);

        Assert.Equal("Paid", cut.Find("[data-testid=receipt-status]").TextContent.Trim());
        Assert.Equal("3/10/2027", Fact(cut, "Date").Split(' ')[0]);
        Assert.Equal("3/15/2027", Fact(cut, "Scheduled for"));
    }

    [Fact]
    public async Task A_deposits_receipt_has_no_invoice_discount_or_credit_lines()
    {
        await StartAsync();
        var card = await AddCardAsync();
        var deposit = await Services.GetRequiredService<DepositService>().MakeDepositAsync(new DepositRequest(Money.Create(75m, "USD"), "For May", card.Id, Guid.NewGuid().ToString("N")));

        var cut = RenderLoaded(deposit.PaymentId);

        Assert.Equal(["Amount paid"], cut.FindAll("[data-testid=receipt-totals] dt").Select(d => d.TextContent.Trim()).ToArray());
        Assert.Equal("USD 75.00", cut.Find("[data-testid=receipt-amount]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=receipt-invoices]"));
        Assert.Empty(cut.FindAll("[data-testid=receipt-scheduled-for]"));
    }

    [Fact]
    public async Task A_declined_payment_shows_the_reason_and_that_nothing_was_charged()
    {
        await StartAsync();
        var declined = await PayAsync("4000000000000002");

        var cut = RenderLoaded(declined.PaymentId);

        Assert.Equal("Failed (nothing charged)", Fact(cut, "Status"));
        // Review: titled "Receipt …" with a "Paid by" line, though nothing was paid.
        Assert.Equal($"Payment {declined.ReceiptNumber} — failed", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Submitted by"));
        Assert.DoesNotContain("Paid by", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Receipt R-", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("The card was declined by the issuer.", cut.Find("[data-testid=receipt-failure]").TextContent);
        Assert.Equal("Amount attempted", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.StartsWith("The invoices this payment was to pay; it did not go through", cut.Find("[data-testid=remittance] p").TextContent.Trim());
    }

    // Review: a refunded payment's receipt said "Not charged: The payment was refunded.", "Amount paid" and "The invoices this
    // payment paid".
    [Fact]
    public async Task A_refunded_payment_is_not_called_paid_nor_not_charged()
    {
        await StartAsync();
        var paid = await PayAsync();
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.Payments.Where(p => p.Id == paid.PaymentId).ExecuteUpdateAsync(u => u
                .SetProperty(p => p.Status, PaymentStatus.Refunded)
                .SetProperty(p => p.FailureReason, "The payment was refunded.")
                .SetProperty(p => p.FailureCode, PaymentFailureCodes.Refunded));
        }

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Equal($"Payment {paid.ReceiptNumber} — refunded", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Submitted by"));
        Assert.Equal("Reversed: The payment was refunded.", cut.Find("[data-testid=receipt-failure]").TextContent.Trim());
        Assert.Equal("Amount (refunded, not paid)", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.StartsWith("The invoices this payment paid; it was refunded, so they are open again.", cut.Find("[data-testid=remittance] p").TextContent.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("Amount paid", cut.Markup);
        Assert.DoesNotContain("Not charged", cut.Markup);
    }

    // Review: a payment whose outcome is not known yet read "Amount paid" and "The invoices this payment paid".
    [Fact]
    public async Task A_payment_whose_outcome_is_not_known_yet_is_not_called_paid()
    {
        await StartAsync();
        var unsure = await PayAsync("4000000000000119");   // charged, then the answer is lost

        var cut = RenderLoaded(unsure.PaymentId);

        Assert.Equal($"Payment {unsure.ReceiptNumber} — not confirmed yet", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Submitted by"));
        Assert.Equal("Amount (not confirmed yet)", cut.FindAll("[data-testid=receipt-totals] dt")[^1].TextContent.Trim());
        Assert.StartsWith("The invoices this payment pays once it is confirmed", cut.Find("[data-testid=remittance] p").TextContent.Trim());
        Assert.DoesNotContain("Amount paid", cut.Markup);
        Assert.DoesNotContain("Paid by", cut.Markup, StringComparison.Ordinal);
    }

    // Review: a returned bank debit's receipt was titled "Receipt …" with a "Paid by" line, and its remittance said the
    // payment "did not go through"; it went through, then the bank took the money back.
    [Theory]
    [InlineData("R01: the bank returned the debit for insufficient funds.", PaymentFailureCodes.Returned,
        "The invoices this payment paid; the bank returned it (R01: the bank returned the debit for insufficient funds), so they are open again.")]
    [InlineData("The bank returned the payment.", PaymentFailureCodes.Returned, "The invoices this payment paid; the bank returned it, so they are open again.")]
    [InlineData(null, null, "The invoices this payment paid; the bank returned it, so they are open again.")]
    public async Task A_returned_debit_is_titled_and_worded_as_returned_with_the_banks_reason(string? reason, string? code, string remittance)
    {
        await StartAsync();
        var paid = await PayAsync();
        await ReturnAsync(paid.PaymentId, reason, code);

        var cut = RenderLoaded(paid.PaymentId);

        Assert.Equal($"Payment {paid.ReceiptNumber} — returned by the bank", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Pat Payer", Fact(cut, "Submitted by"));
        Assert.Equal("Returned by the bank", Fact(cut, "Status"));
        Assert.Equal(remittance, cut.Find("[data-testid=remittance-text]").TextContent.Trim());
        Assert.DoesNotContain("did not go through", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Paid by", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Receipt R-", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_or_another_accounts_receipt_is_not_found_without_details()
    {
        await StartAsync();
        var paid = await PayAsync();

        var unknown = RenderLoaded(Guid.NewGuid());
        Assert.Equal("Receipt not found", unknown.Find("h1").TextContent.Trim());
        Assert.Equal("alert", unknown.Find("[data-testid=receipt-error]").GetAttribute("role"));
        Assert.Empty(unknown.FindAll("[data-testid=receipt-retry]")); // another try would not find it either

        Users.SignIn(PortalPermissions.Pay, accountId: "OTHER", accountName: "Other Co");
        var theirs = RenderLoaded(paid.PaymentId);
        Assert.Equal("Receipt not found", theirs.Find("h1").TextContent.Trim());
        Assert.DoesNotContain(paid.ReceiptNumber, theirs.Markup);
        Assert.DoesNotContain("Acme", theirs.Markup);
        Assert.Empty(theirs.FindAll("[data-testid=receipt-lines]"));
    }

    // Review: a database failure reading the receipt escaped to the circuit ("part of the page failed"), which right
    // after paying reads as if the payment had failed.
    [Fact]
    public async Task When_the_receipt_cannot_be_read_the_page_says_the_payment_is_not_affected_and_tries_again()
    {
        var fault = new InjectedDbFault("SELECT", "pp_payments");
        await StartAsync(configure: o => o.Database.Interceptors.Add(fault));
        var paid = await PayAsync();
        fault.Armed = true;

        var cut = RenderLoaded(paid.PaymentId);

        Assert.True(fault.Failed > 0);
        Assert.Equal("Receipt", cut.Find("h1").TextContent.Trim());
        Assert.Equal("This receipt could not be loaded right now. That does not change the payment. Please try again in a moment.",
            cut.Find("[data-testid=receipt-error]").TextContent.Trim());
        Assert.DoesNotContain(paid.ReceiptNumber, cut.Markup);

        // Another try once the database answers shows the receipt and no error.
        fault.Armed = false;
        await cut.InvokeAsync(() => cut.Find("[data-testid=receipt-retry]").Click());

        cut.WaitForAssertion(() => Assert.Equal($"Receipt {paid.ReceiptNumber}", cut.Find("h1").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=receipt-error]"));
        Assert.Empty(cut.FindAll("[data-testid=receipt-retry]"));
        Assert.Equal(2, cut.FindAll("[data-testid=receipt-line]").Count);
    }

    [Fact]
    public async Task The_receipt_page_shows_the_receipt_for_a_view_only_user()
    {
        await StartAsync();
        var paid = await PayAsync();
        Users.SignIn(PortalPermissions.View);

        var cut = Render<ReceiptPage>(p => p.Add(x => x.PaymentId, paid.PaymentId));

        cut.WaitForAssertion(() => Assert.Equal($"Receipt {paid.ReceiptNumber}", cut.Find("h1").TextContent.Trim()), Timeout);
        Assert.Equal(2, cut.FindAll("[data-testid=receipt-line]").Count);
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
    }
}
