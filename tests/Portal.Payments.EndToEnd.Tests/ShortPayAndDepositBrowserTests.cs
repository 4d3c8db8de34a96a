using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Deposits (/portal/deposit) and short payments from the open-invoices pay panel, in Chromium against the
/// sample host: the deposit's confirmation, receipt, email and history row; the short payment typed in the grid, its adjusted preview and receipt.
/// </summary>
/// <remarks>Pat works on the shared Acme account: amounts and notes are unique per run, rows are found by what the test reads.</remarks>
public sealed class ShortPayAndDepositBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Pat_makes_a_deposit_with_a_new_card_and_finds_the_receipt_and_the_email() => RunPageTest(async page =>
    {
        var note = $"E2E deposit {Guid.NewGuid().ToString("N")[..8]}";
        var amount = 100m + Random.Shared.Next(1, 9_999) / 100m;
        var amountText = amount.ToString("0.00", SuiteLanguage.Culture);
        var amountShown = amount.ToString("N2", SuiteLanguage.Culture);

        await SignInAsync(page, Users.Pat);
        var payments = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await payments.GetByRole(AriaRole.Link, new() { Name = T("Make a deposit"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/portal/deposit");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Make a deposit"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = T("Add a payment method"), Exact = true })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        // A bad amount is refused at the field.
        await page.GetByLabel(T("Amount"), new() { Exact = true }).FillAsync(12.345m.ToString("0.000", SuiteLanguage.Culture));
        await PaymentFormSteps.AddCardAsync(page.Locator("main"), expiryMonth: "10");
        var review = page.GetByRole(AriaRole.Button, new() { Name = T("Review deposit"), Exact = true });
        await Expect(review).ToBeEnabledAsync();
        await review.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = T("{0} amounts have at most {1} decimal places.", "USD", 2) })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        // Amount, note, review, confirm.
        await page.GetByLabel(T("Amount"), new() { Exact = true }).FillAsync(amountText);
        await page.GetByLabel(T("Note (optional)"), new() { Exact = true }).FillAsync(note);
        await Expect(page.GetByTestId("note-counter")).ToHaveTextAsync(PaymentFormSteps.NoteCount(note));
        await review.ClickAsync();
        var reviewed = page.GetByTestId("deposit-review");
        await Expect(reviewed.GetByTestId("review-amount")).ToContainTextAsync(amountShown);
        // The review replaced the form and its button: its heading has the focus (it fell to the page's top).
        await Expect(reviewed.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToBeFocusedAsync();
        await Expect(reviewed.GetByTestId("review-note")).ToHaveTextAsync(note);
        await Expect(reviewed.GetByTestId("review-method")).ToContainTextAsync("4242");
        await AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = T("Confirm deposit"), Exact = true }).ClickAsync();

        var confirmation = page.GetByTestId("deposit-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        // The outcome replaced the review and Confirm deposit: it has the focus.
        await Expect(confirmation).ToBeFocusedAsync();
        await Expect(page.GetByTestId("deposit-status")).ToHaveTextAsync(T("Deposit succeeded."));
        var receiptNumber = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        Assert.Matches("^R-\\d{6}-[0-9A-Z]{6}$", receiptNumber);
        await AssertAccessibleAsync(page);

        // The receipt: on account, with the note.
        await confirmation.GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/portal/payments/[0-9a-f-]{36}/receipt$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = TKey("Receipt.Heading", "Receipt {0}", receiptNumber), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("receipt-deposit")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("receipt-memo")).ToHaveTextAsync(T("Note: {0}", note));
        await Expect(page.GetByTestId("receipt-amount")).ToContainTextAsync(amountShown);
        await AssertAccessibleAsync(page);

        // The email, once the outbox has sent it.
        await page.GotoAsync("/mailbox");
        var mail = page.GetByTestId("mailbox").Locator("li").Filter(new() { HasText = receiptNumber });
        for (var attempt = 0; attempt < 20 && await mail.CountAsync() == 0; attempt++)
        {
            await page.WaitForTimeoutAsync(1_000);
            await page.ReloadAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Mailbox.Heading", "Mailbox"), Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("mailbox-empty").Or(page.GetByTestId("mailbox"))).ToBeVisibleAsync();
        }
        await Expect(mail).ToHaveCountAsync(1);
        await mail.Locator("summary").ClickAsync();
        await Expect(mail.Locator("pre")).ToContainTextAsync(receiptNumber);
        await Expect(mail.Locator("pre")).ToContainTextAsync(TKey("Email.Note", "Note: {0}", note));
        await AssertAccessibleAsync(page);

        // Payment history: found by its note, as kind Deposit, linking to the receipt.
        await page.GotoAsync("/portal/payments");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment history"), Level = 1 })).ToBeVisibleAsync();
        var search = page.GetByRole(AriaRole.Searchbox, new() { Name = T("Search payments") });
        await search.FillAsync(note);
        await search.PressAsync("Enter");
        await Expect(page.GetByTestId("history-receipt-link")).ToHaveTextAsync([receiptNumber]);
        var row = page.Locator(".rz-data-row").Filter(new() { Has = page.GetByTestId("history-receipt-link") });
        // One cell reads exactly "Deposit" (the type column).
        await Expect(row.Locator("td", new() { HasTextRegex = new Regex($@"^\s*{Regex.Escape(T("Deposit"))}\s*$") })).ToHaveCountAsync(1);
        await Expect(InvoiceGridSteps.HistoryStatuses(page)).ToHaveTextAsync([T("Paid")]);
        await Expect(row).ToContainTextAsync(amountShown);
        await AssertAccessibleAsync(page);
    });

    [Fact]
    public Task Pat_short_pays_one_invoice_with_reason_Other_and_a_comment_and_sees_it_on_the_receipt() => RunPageTest(async page =>
    {
        var comment = $"E2E short pay {Guid.NewGuid().ToString("N")[..8]}: two cartons damaged";

        await SignInAsync(page, Users.Pat);
        var payments = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await payments.GetByRole(AriaRole.Link, new() { Name = T("Open invoices"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/portal/invoices");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Open invoices"), Level = 1 })).ToBeVisibleAsync();
        var search = page.GetByRole(AriaRole.Searchbox, new() { Name = T("Search invoices") });
        await search.FillAsync("INV-");
        await search.PressAsync("Enter");
        await Expect(page.Locator("[data-testid='grid-grid'] .pp-inv-number").First).ToContainTextAsync("INV-");
        await AssertAccessibleAsync(page);

        // The first payable invoice.
        string? number = null;
        foreach (var box in await page.GetByRole(AriaRole.Checkbox, new() { NameRegex = SelectLabel }).AllAsync())
        {
            if (await box.IsEnabledAsync())
            {
                number = SelectLabel.Match(await box.GetAttributeAsync("aria-label") ?? "").Groups[1].Value;
                await box.CheckAsync();
                break;
            }
        }
        Assert.NotNull(number);

        // The amount to pay, typed in the grid: it defaults to the full payment today; half of it is short.
        var gridAmount = page.GetByLabel(T("Amount to pay for {0}", number), new() { Exact = true });
        await Expect(gridAmount).ToHaveValueAsync(new Regex($@"^\d+{Regex.Escape(SuiteLanguage.Culture.NumberFormat.NumberDecimalSeparator)}\d{{2}}$"));
        var full = decimal.Parse(await gridAmount.InputValueAsync(), NumberStyles.AllowDecimalPoint, SuiteLanguage.Culture);
        var part = decimal.Round(full / 2, 2);
        var partText = part.ToString("N2", SuiteLanguage.Culture);
        var tooPrecise = 12.345m.ToString("0.000", SuiteLanguage.Culture);
        await gridAmount.FillAsync(tooPrecise);
        await gridAmount.PressAsync("Tab");
        await Expect(page.GetByTestId("grid-amount-error")).ToHaveTextAsync(T("The amount to pay for {0} can have at most {1} decimal places.", number, 2));
        await Expect(gridAmount).ToHaveValueAsync(tooPrecise);
        await AssertAccessibleAsync(page);
        await gridAmount.FillAsync(part.ToString("0.00", SuiteLanguage.Culture));
        await gridAmount.PressAsync("Tab");
        // Short by what the preview will say: the balance less the amount less the discount it earns (a pro-rated
        // discount shrinks with the amount), so at least the full payment less the amount.
        var shortHint = new Regex("^" + Regex.Escape(T("Short by {0}; you give the reason when you pay.", "\u0001")).Replace("\u0001", "(.+)") + "$");
        await Expect(page.GetByTestId("grid-amount-short")).ToHaveTextAsync(shortHint);
        var shortText = shortHint.Match((await page.GetByTestId("grid-amount-short").InnerTextAsync()).Trim()).Groups[1].Value;
        Assert.True(decimal.Parse(shortText, NumberStyles.Number, SuiteLanguage.Culture) >= full - part, $"Short by {shortText} is less than {full} − {part}.");
        await page.GetByTestId("pay-selected").ClickAsync();

        // The preview starts from the typed amount: a reason is needed, and "Other" needs a comment.
        var panel = page.GetByTestId("pay-panel");
        var amount = panel.GetByLabel(T("Amount to pay for {0}", number), new() { Exact = true });
        await Expect(amount).ToHaveValueAsync(part.ToString("0.00", SuiteLanguage.Culture));
        await Expect(page.GetByTestId("grid-amount-paying")).ToHaveTextAsync(partText);
        var reason = panel.GetByLabel(T("Short-pay reason for {0}", number), new() { Exact = true });
        await Expect(panel.GetByTestId("reason-error")).ToHaveTextAsync(T("Choose why you are paying less than {1} for {0}.", number, new MoneyText("USD", full).ToString()));
        await AssertAccessibleAsync(page);
        await reason.SelectOptionAsync("Other");
        await Expect(panel.GetByTestId("comment-error")).ToHaveTextAsync(T("Explain the reason \"{1}\" for {0} in the comment.", number, TKey("ShortPayReason.Other", "Other")));
        await AssertAccessibleAsync(page);
        var commentBox = panel.GetByLabel(T("Comment for {0} (required)", number), new() { Exact = true });
        await commentBox.FillAsync(comment);
        await commentBox.PressAsync("Tab");

        // The server's adjusted preview.
        await Expect(panel.GetByTestId("total")).ToContainTextAsync(partText);
        await Expect(panel.GetByTestId("comment-error")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("line-short")).ToContainTextAsync(shortText);
        await Expect(panel.GetByTestId("total-short")).ToContainTextAsync("-");
        await AssertAccessibleAsync(page);

        await PaymentFormSteps.AddCardAsync(panel, expiryMonth: "11");
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = T("Make payment"), Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        await makePayment.ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        var receiptNumber = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        await confirmation.GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/portal/payments/[0-9a-f-]{36}/receipt$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = TKey("Receipt.Heading", "Receipt {0}", receiptNumber), Level = 1 })).ToBeVisibleAsync();
        var line = page.GetByTestId("receipt-line").Filter(new() { HasText = number });
        await Expect(line.GetByTestId("receipt-reason")).ToContainTextAsync(TKey("ShortPayReason.Other", "Other"));
        await Expect(line.GetByTestId("receipt-reason")).ToContainTextAsync(comment);
        await Expect(line.GetByTestId("receipt-short")).Not.ToHaveTextAsync("—");
        await Expect(page.GetByTestId("receipt-amount")).ToContainTextAsync(partText);
        await AssertAccessibleAsync(page);
    });

    /// <summary>An invoice's check box label ("Select invoice INV-…" in the suite's language); group 1 is the number.</summary>
    private static readonly Regex SelectLabel = SelectLabelRegex();

    private static Regex SelectLabelRegex()
    {
        var parts = T("Select invoice {0}").Split("{0}");
        Assert.Equal(2, parts.Length);
        return new Regex($"^{Regex.Escape(parts[0])}(INV-.+){Regex.Escape(parts[1])}$");
    }

}
