using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Payment history (/portal/payments) in Chromium: find a payment by the invoice it paid, open its receipt,
/// download the PDF, export the history to CSV and save a view.
/// </summary>
public sealed class PaymentHistoryBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Find_a_payment_by_invoice_number_open_its_receipt_download_the_PDF_export_CSV_and_save_a_view() => RunPageTest(async page =>
    {
        // Search by the invoice the payment paid: that payment only.
        var (invoice, receipt, _) = await FindNewPaymentAsync(page, "HIST");
        var links = page.GetByTestId("history-receipt-link");
        await Expect(InvoiceGridSteps.HistoryStatuses(page)).ToHaveTextAsync([T("Paid")]);
        await AssertAccessibleAsync(page);

        // Export the current result: the file holds that payment.
        var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("history-export-csv").ClickAsync());
        var lines = (await File.ReadAllLinesAsync(await csv.PathAsync())).Where(l => l.Length > 0).ToList();
        Assert.Equal(2, lines.Count);
        // The CSV header is Core's column titles, in English whatever the page language (a file for the customer's AP system).
        Assert.Contains("Receipt number", lines[0], StringComparison.Ordinal);
        Assert.Contains(receipt, lines[1], StringComparison.Ordinal);

        // Save the searched layout as a view.
        var name = $"E2E history {Guid.NewGuid().ToString("N")[..6]}";
        var views = page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save view…") }).ClickAsync();
        await views.GetByLabel(T("View name"), new() { Exact = true }).FillAsync(name);
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save"), Exact = true }).ClickAsync();
        await Expect(views.GetByLabel(T("View"), new() { Exact = true }).Locator("option:checked")).ToHaveTextAsync(new Regex(Regex.Escape(name)));
        await AssertAccessibleAsync(page);

        // The receipt: number, invoice, amount; the PDF is a real PDF file.
        await links.First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/portal/payments/[0-9a-fA-F-]{36}/receipt$"));
        var view = page.GetByTestId("receipt");
        await Expect(view.GetByRole(AriaRole.Heading, new() { Name = TKey("Receipt.Heading", "Receipt {0}", receipt), Level = 1 })).ToBeVisibleAsync();
        await Expect(view.GetByTestId("receipt-lines")).ToContainTextAsync(invoice);
        await Expect(view.GetByTestId("receipt-amount")).ToHaveTextAsync(new Regex(Regex.Escape(123.45m.ToString("N2", SuiteLanguage.Culture))));
        // Its links drawn as buttons (Save as PDF, Export remittance CSV) centre their words as the Print button does;
        // they were set to display: inline-block, their words at the top of the box.
        var offCentre = await view.Locator("a.pp-button").EvaluateAllAsync<string[]>("""
            links => links.map(a => {
                const range = document.createRange();
                range.selectNodeContents(a);
                const words = range.getBoundingClientRect(), box = a.getBoundingClientRect();
                const off = (words.top + words.height / 2) - (box.top + box.height / 2);
                return Math.abs(off) > 2 ? `${a.textContent.trim()} (${off.toFixed(1)} px)` : '';
            }).filter(t => t)
            """);
        Assert.True(offCentre.Length == 0, "Words off the centre of their button: " + string.Join(", ", offCentre));
        await AssertAccessibleAsync(page);
        var pdf = await page.RunAndWaitForDownloadAsync(() => view.GetByTestId("receipt-pdf").ClickAsync());
        Assert.EndsWith(".pdf", pdf.SuggestedFilename, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(await pdf.PathAsync());
        Assert.Equal("%PDF-", Encoding.ASCII.GetString(bytes, 0, 5));
        Assert.True(bytes.Length > 1_000, $"The PDF has only {bytes.Length} bytes.");
    });


    [Fact]
    public Task On_a_390_phone_a_receipt_with_a_long_gateway_reference_does_not_scroll_sideways() => RunPageTest(async page =>
    {
        // A sandbox charge id is one unbroken word of 36 characters: it widened the page to 494 px.
        var (_, receipt, _) = await FindNewPaymentAsync(page, "HSTP", "sbx_ch_3238f62e5cc24fd4a3891067a5c1e2d4");
        await page.GetByTestId("history-receipt-link").First.ClickAsync();
        var view = page.GetByTestId("receipt");
        await Expect(view.GetByRole(AriaRole.Heading, new() { Name = TKey("Receipt.Heading", "Receipt {0}", receipt), Level = 1 })).ToBeVisibleAsync();
        await Expect(view.GetByTestId("receipt-facts")).ToContainTextAsync("sbx_ch_3238f62e5cc24fd4a3891067a5c1e2d4");
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"The receipt is {overflow} px wider than the 390 px window.");
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, nameof(On_a_390_phone_a_receipt_with_a_long_gateway_reference_does_not_scroll_sideways), 390, 844);

    // Review (history): the status column's filter listed "Processing" twice (a payment being charged reads so too).
    [Fact]
    public Task The_status_filter_lists_each_status_once_and_processing_narrows_the_rows() => RunPageTest(async page =>
    {
        var (_, _, search) = await FindNewPaymentAsync(page, "HSTF");

        await page.Locator($"[data-testid='history-grid'] thead th:has(.rz-column-title[title='{T("Status")}']) .rz-grid-filter-icon").ClickAsync();
        var menu = page.Locator(".rz-overlaypanel:visible").Last;
        await Expect(menu).ToBeVisibleAsync();
        // The first condition's value list (after its operator list).
        await menu.Locator(".rz-dropdown").Nth(1).ClickAsync();
        var choices = page.Locator(".rz-dropdown-panel:visible li[role=option]");
        await Expect(choices.First).ToBeVisibleAsync();
        var texts = (await choices.AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
        Output.WriteLine($"choices: {string.Join(" | ", texts)}");
        Assert.Equal(texts.Count, texts.Distinct().Count());
        Assert.Single(texts, t => t == T("Processing"));
        Assert.Contains(T("Paid"), texts);
        await choices.Filter(new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(T("Processing"))}\\s*$") }).ClickAsync();
        await menu.Locator("button").Last.ClickAsync();
        await Expect(menu).ToBeHiddenAsync();

        // The paid payment is not processing: nothing matches, and Clear filters (search too) brings the payments back.
        var none = page.GetByTestId("history-no-results");
        await Expect(none).ToBeVisibleAsync();
        await none.GetByRole(AriaRole.Button, new() { Name = T("Clear filters") }).ClickAsync();
        await Expect(search).ToHaveValueAsync("");
        await Expect(page.GetByTestId("history-receipt-link").First).ToBeVisibleAsync();
    });

    // Review (exports): with the links' `download` attribute a refused export was only Chromium's "Failed - Server problem";
    // opened in a new tab it says why there, and the portal page keeps its search and rows.
    [Fact]
    public Task A_refused_export_opens_a_tab_saying_why_and_the_page_keeps_its_state() => RunPageTest(async page =>
    {
        var (invoice, receipt, search) = await FindNewPaymentAsync(page, "HSTX");
        var links = page.GetByTestId("history-receipt-link");

        // The link as a mail program or a truncated copy may leave it: its query is damaged.
        var export = page.GetByTestId("history-export-csv");
        await export.EvaluateAsync("a => a.href = a.href.replace(/q=[^&]*/, 'q=not-base64-json!!')");
        var tab = await page.Context.RunAndWaitForPageAsync(() => export.ClickAsync());
        await Expect(tab.GetByRole(AriaRole.Alert)).ToHaveTextAsync(T("The export link is damaged or incomplete. Go back to Payment history and export again."));
        await tab.CloseAsync();

        await Expect(search).ToHaveValueAsync(invoice);
        await Expect(links).ToHaveTextAsync([receipt]);
    });

    /// <summary>
    /// A paid payment of a new invoice (its number tagged <paramref name="tag"/>), then Pat signed in, the history opened
    /// from the navigation and searched for that invoice: its row alone.
    /// </summary>
    private async Task<(string Invoice, string Receipt, ILocator Search)> FindNewPaymentAsync(IPage page, string tag, string? gatewayReference = null)
    {
        var invoice = $"INV-{tag}-{Guid.NewGuid().ToString("N")[..6].ToUpperInvariant()}";
        var (_, receipt) = await PaymentSeed.InsertPaymentAsync(Host, "ACME", invoice, tag, gatewayReference);
        await SignInAsync(page, Users.Pat);
        await OpenHistoryFromNavAsync(page);
        var search = page.GetByRole(AriaRole.Searchbox, new() { Name = T("Search payments") });
        await search.FillAsync(invoice);
        await search.PressAsync("Enter");
        await Expect(page.GetByTestId("history-receipt-link")).ToHaveTextAsync([receipt]);
        return (invoice, receipt, search);
    }

    private async Task OpenHistoryFromNavAsync(IPage page)
    {
        var payments = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        await payments.GetByRole(AriaRole.Link, new() { Name = T("Payment history"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/portal/payments");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment history"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("history-receipt-link").First).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
    }
}
