using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The open-invoices page (/portal/invoices) in Chromium against the sample host: search, aging-period
/// filter, saved views, CSV export, invoice preview, comments, and paying two invoices through to the receipt.
/// </summary>
/// <remarks>
/// Pat (payer) works on the Acme account, which other test classes share: every test finds its rows by
/// what it reads from the grid first, never by fixed numbers or counts.
/// </remarks>
public sealed class OpenInvoicesBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Search_finds_one_invoice_and_the_aging_period_toggle_filters_and_clears() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var all = await ResultCountAsync(page);
        Assert.True(all > 1, $"Acme has {all} open items; the demo account should have dozens.");

        // Search by a full invoice number read from the grid: exactly that row.
        var number = await FirstNumberAsync(page, "INV-");
        await SearchAsync(page, number);
        await Expect(Numbers(page)).ToHaveTextAsync([number]);
        Assert.Equal(1, await ResultCountAsync(page));

        // A prefix of it (lower case): every row starts with the prefix, and the search box clears with one click.
        var prefix = number[..^2].ToLowerInvariant();
        await SearchAsync(page, prefix);
        await Expect(Numbers(page).First).ToBeVisibleAsync();
        await Expect(Numbers(page).Filter(new() { HasNotTextRegex = new Regex("^\\s*" + Regex.Escape(prefix), RegexOptions.IgnoreCase) })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = T("Clear search"), Exact = true }).ClickAsync();
        await Expect(SearchBox(page)).ToHaveValueAsync("");
        await ExpectEveryItemAsync(page, all);

        // Markup and SQL in the search box are just text that matches nothing.
        await SearchAsync(page, "<b>' OR 1=1 --");
        await Expect(page.GetByTestId("grid-no-results")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
        await page.GetByTestId("grid-no-results").GetByRole(AriaRole.Button, new() { Name = T("Clear filters") }).ClickAsync();
        await ExpectEveryItemAsync(page, all);

        // Aging period: the grid shows that period's items; pressing it again shows everything.
        var buckets = page.GetByTestId("bucket-toggle");
        var chosen = await FirstNonEmptyBucketAsync(buckets);
        var bucket = buckets.Nth(chosen);
        var bucketCount = Count(ItemsInBucket().Match(await bucket.InnerTextAsync()));
        await bucket.ClickAsync();
        await Expect(bucket).ToHaveAttributeAsync("aria-pressed", "true");
        await ExpectResultCountAsync(page, bucketCount);
        await AssertAccessibleAsync(page);
        await bucket.ClickAsync();
        await Expect(bucket).ToHaveAttributeAsync("aria-pressed", "false");
        await ExpectEveryItemAsync(page, all);
    });

    [Fact]
    public Task A_saved_view_keeps_the_period_filter_and_switching_views_applies_it() => RunPageTest(async page =>
    {
        var name = $"E2E period {Guid.NewGuid().ToString("N")[..6]}";
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var all = await ResultCountAsync(page);
        var buckets = page.GetByTestId("bucket-toggle");
        var chosen = await FirstNonEmptyBucketAsync(buckets);
        await buckets.Nth(chosen).ClickAsync();
        await Expect(buckets.Nth(chosen)).ToHaveAttributeAsync("aria-pressed", "true");
        var filtered = await ResultCountAsync(page);

        var views = page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save view…") }).ClickAsync();
        await views.GetByLabel(T("View name"), new() { Exact = true }).FillAsync(name);
        await AssertAccessibleAsync(page);
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save"), Exact = true }).ClickAsync();
        var select = views.GetByLabel(T("View"), new() { Exact = true });
        await Expect(select.Locator("option:checked")).ToHaveTextAsync(new Regex(Regex.Escape(name)));

        // Standard view: no period filter.
        await select.SelectOptionAsync(new SelectOptionValue { Label = T("Standard view") });
        await Expect(buckets.Nth(chosen)).ToHaveAttributeAsync("aria-pressed", "false");
        await ExpectEveryItemAsync(page, all);

        // Back to the saved view: the period filter returns.
        await select.SelectOptionAsync(new SelectOptionValue { Label = await OptionLabelAsync(select, name) });
        await Expect(buckets.Nth(chosen)).ToHaveAttributeAsync("aria-pressed", "true");
        await ExpectResultCountAsync(page, filtered);

        // It is stored: a fresh page lists it.
        await page.ReloadAsync();
        await WaitForGridAsync(page);
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") }).GetByLabel(T("View"), new() { Exact = true }).Locator("option"))
            .ToContainTextAsync([name]);
        await AssertAccessibleAsync(page);
    });

    [Fact]
    public Task Export_CSV_downloads_every_row_of_the_current_result() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);

        // Everything: more rows than one page holds, so the export covers every page.
        var count = await ResultCountAsync(page);
        var pageRows = await Numbers(page).CountAsync();
        Assert.True(count > pageRows, $"{count} items on {pageRows} rows per page: the account should need more than one page.");
        var all = await DownloadCsvAsync(page);
        // The shared demo ERP settles other tests' payments in the background, so the account can change while
        // this test runs: compare the file with a fresh count, and download again if an item settled meanwhile.
        for (var attempt = 1; attempt <= 3 && all.Count - 1 != count; attempt++)
        {
            Output.WriteLine($"[csv] {all.Count - 1} rows for {count} items; reloading (attempt {attempt})");
            await page.ReloadAsync();
            await WaitForGridAsync(page);
            count = await ResultCountAsync(page);
            all = await DownloadCsvAsync(page);
        }
        // The CSV's column titles come from Core, in English in every language.
        Assert.Contains("Invoice number", all[0], StringComparison.Ordinal);
        Assert.Equal(count, all.Count - 1);
        foreach (var shown in await Numbers(page).AllInnerTextsAsync())
        {
            Assert.Contains(all, l => l.Contains(shown.Trim(), StringComparison.Ordinal));
        }

        // The current result only: after a search, the export holds just that invoice.
        var number = (await Numbers(page).First.InnerTextAsync()).Trim();
        await SearchAsync(page, number);
        await Expect(Numbers(page)).ToHaveTextAsync([number]);
        var one = await DownloadCsvAsync(page);
        Assert.Equal(2, one.Count);
        Assert.Contains(number, one[1], StringComparison.Ordinal);
    });

    [Fact]
    public Task Preview_shows_the_invoice_document_and_a_comment_is_added_as_text() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var number = await FirstNumberAsync(page, "INV-");
        await SearchAsync(page, number);

        // Preview: the ERP document in a dialog with Print.
        await page.GetByRole(AriaRole.Button, new() { Name = T("Preview invoice {0}", number), Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = T("Invoice {0}", number) });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = T("Print") })).ToBeVisibleAsync();
        var document = page.FrameLocator($"iframe[title='{T("Invoice {0} document", number)}']");
        await Expect(document.Locator("body")).ToContainTextAsync(number);
        await AssertAccessibleAsync(page, includeFrames: false);
        await dialog.GetByRole(AriaRole.Button, new() { Name = T("Close") }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // Escape closes the preview even after Print and with focus inside the document.
        await page.GetByRole(AriaRole.Button, new() { Name = T("Preview invoice {0}", number), Exact = true }).ClickAsync();
        await Expect(document.Locator("body")).ToContainTextAsync(number);
        await dialog.GetByRole(AriaRole.Button, new() { Name = T("Print") }).ClickAsync();
        // Printing moves focus into the document; once the print dialog is done, focus is back on the dialog.
        await Expect(dialog).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = T("Preview invoice {0}", number), Exact = true }).ClickAsync();
        await document.Locator("body").ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);

        // Comments: markup shows literally, and the count goes up.
        var commentsOn = new Regex("^" + FormatPattern("Comments ({0}) on invoice {1}", CountPattern, Regex.Escape(number)) + "$");
        var commentsButton = page.GetByRole(AriaRole.Button, new() { NameRegex = commentsOn });
        var before = Count(commentsOn.Match(await commentsButton.GetAttributeAsync("aria-label") ?? ""));
        await commentsButton.ClickAsync();
        var text = $"<b>Paid by check</b> {Guid.NewGuid().ToString("N")[..6]}";
        var box = page.GetByLabel(T("Add a comment"), new() { Exact = true });
        await box.FillAsync(text);
        await AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = T("Add comment"), Exact = true }).ClickAsync();
        await Expect(page.GetByText(text, new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("b", new() { HasText = "Paid by check" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = T("Comments ({0}) on invoice {1}", (before + 1).ToString("N0", SuiteLanguage.Culture), number), Exact = true })).ToBeVisibleAsync();
    });

    [Fact]
    public Task The_pay_panel_takes_the_focus_and_gives_it_back_to_its_button_on_cancel() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var number = Assert.Single(await InvoiceGridSteps.FirstSelectableAsync(page, 1));
        await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true }).CheckAsync();

        // Opened from the keyboard: the panel's title has the focus, and Cancel gives it back to "Pay selected".
        var pay = page.GetByTestId("pay-selected");
        await pay.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByRole(AriaRole.Heading, new() { Name = T("Pay selected invoices") })).ToBeFocusedAsync();
        // The panel's own Cancel, its last (a card form inside it has one of its own when the payer has no method yet).
        await panel.GetByRole(AriaRole.Button, new() { Name = T("Cancel"), Exact = true }).Last.ClickAsync();
        await Expect(panel).ToHaveCountAsync(0);
        await Expect(pay).ToBeFocusedAsync();
    });

    [Fact]
    public Task Paying_two_invoices_makes_them_Pending_and_shows_the_receipt() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        await SearchAsync(page, "INV-");

        // The first two payable invoices on the page.
        var numbers = await InvoiceGridSteps.FirstSelectableAsync(page, 2);
        foreach (var n in numbers)
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", n), Exact = true }).CheckAsync();
        }
        Assert.Equal(2, numbers.Count);
        await Expect(page.GetByText(T("{0} selected", 2))).ToBeVisibleAsync();

        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(2);
        foreach (var n in numbers)
        {
            await Expect(panel.GetByTestId("pay-lines")).ToContainTextAsync(n);
        }
        var format = SuiteLanguage.Culture.NumberFormat;
        await Expect(panel.GetByTestId("total")).ToHaveTextAsync(new Regex(
            $"^\\s*USD [\\d{Regex.Escape(format.NumberGroupSeparator)}]+{Regex.Escape(format.NumberDecimalSeparator)}\\d{{2}}\\s*$"));
        await AssertAccessibleAsync(page);

        // A new card, added inline from the picker.
        await PaymentFormSteps.AddCardAsync(panel);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = T("Make payment"), Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        var total = (await panel.GetByTestId("total").InnerTextAsync()).Trim();
        await makePayment.ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        // The confirmation replaced Make payment: it has the focus (it fell to the page's top).
        await Expect(confirmation).ToBeFocusedAsync();
        var receiptNumber = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        Assert.Matches("^R-\\d{6}-[0-9A-Z]{6}$", receiptNumber);
        await AssertAccessibleAsync(page);

        // The receipt: number, both invoices, the total charged.
        await confirmation.GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/portal/payments/[0-9a-f-]{36}/receipt$"));
        var receipt = page.Locator(".pp-receipt");
        await Expect(receipt).ToContainTextAsync(receiptNumber);
        foreach (var n in numbers)
        {
            await Expect(receipt).ToContainTextAsync(n);
        }
        await Expect(receipt).ToContainTextAsync(total);
        await Expect(receipt.GetByRole(AriaRole.Button, new() { Name = T("Print") })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        // Back on the grid both invoices are Pending and cannot be selected again.
        await OpenInvoicesFromNavAsync(page);
        foreach (var n in numbers)
        {
            await SearchAsync(page, n);
            await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Pending")]);
            await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", n), Exact = true })).ToBeDisabledAsync();
        }
    });

    [Fact]
    public Task The_spreadsheet_view_is_one_tab_stop_navigated_with_arrows_home_end_and_pages() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        await SearchAsync(page, "INV-");
        var first = (await Numbers(page).First.InnerTextAsync()).Trim();

        var toggle = page.GetByTestId("grid-spreadsheet-toggle");
        await toggle.CheckAsync();
        var sheet = page.GetByRole(AriaRole.Grid, new() { Name = T("{0}, spreadsheet view", T("Open invoices")), Exact = true });
        await Expect(sheet).ToBeVisibleAsync();
        await Expect(Cell(page, 1, 0)).ToHaveTextAsync(first);   // the grid's result, in the grid's order
        var lastRow = int.Parse(await sheet.GetAttributeAsync("aria-rowcount") ?? "0", CultureInfo.InvariantCulture) - 1;
        var lastCol = int.Parse(await sheet.GetAttributeAsync("aria-colcount") ?? "0", CultureInfo.InvariantCulture) - 1;
        Assert.True(lastRow > 30, $"The INV- result has {lastRow} rows; the demo account should have dozens.");
        await AssertAccessibleAsync(page);

        // Tabbing on from the toggle (past Export CSV and the selection bar's buttons) enters the grid on its first
        // header cell (roving tabindex): the grid is one tab stop.
        await toggle.FocusAsync();
        for (var step = 0; step < 10 && !await FocusInSheetAsync(page); step++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await Expect(Cell(page, 0, 0)).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(Cell(page, 1, 0)).ToBeFocusedAsync();
        await Expect(Cell(page, 1, 0)).ToHaveAttributeAsync("tabindex", "0");
        await Expect(sheet.Locator("[tabindex='0']")).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(Cell(page, 1, 1)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("End");
        await Expect(Cell(page, 1, lastCol)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowRight");   // stays at the edge
        await Expect(Cell(page, 1, lastCol)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Home");
        await Expect(Cell(page, 1, 0)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(Cell(page, 1, 0)).ToBeFocusedAsync();

        // PageDown moves by a screenful; PageUp comes back.
        await page.Keyboard.PressAsync("PageDown");
        await Expect(sheet.Locator("td:focus")).ToHaveCountAsync(1);
        var paged = int.Parse(await page.EvaluateAsync<string>("() => document.activeElement.dataset.r"), CultureInfo.InvariantCulture);
        Assert.InRange(paged, 3, lastRow);
        await page.Keyboard.PressAsync("PageUp");
        await Expect(Cell(page, 1, 0)).ToBeFocusedAsync();

        // Ctrl+End: the last cell of the last row, rendered on demand (the rows are virtualised); Ctrl+Home: back to the top.
        await page.Keyboard.PressAsync("Control+End");
        await Expect(Cell(page, lastRow, lastCol)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(Cell(page, lastRow, lastCol)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Control+Home");
        await Expect(Cell(page, 0, 0)).ToBeFocusedAsync();

        // Tab leaves the grid in one step.
        await page.Keyboard.PressAsync("Tab");
        Assert.False(await FocusInSheetAsync(page));
        await AssertAccessibleAsync(page);
    });

    private static Task<bool> FocusInSheetAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => !!document.activeElement?.closest('[data-testid=spreadsheet]')");

    private static ILocator Cell(IPage page, int row, int col) =>
        page.Locator($"[data-testid=spreadsheet] [data-r='{row}'][data-c='{col}']");

    /// <summary>Clicks "Export CSV" and returns the downloaded file's non-empty lines.</summary>
    private static async Task<List<string>> DownloadCsvAsync(IPage page)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("grid-export-csv").ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        return (await File.ReadAllLinesAsync(await download.PathAsync())).Where(l => l.Length > 0).ToList();
    }

    private static Task WaitForGridAsync(IPage page) => InvoiceGridSteps.WaitForGridAsync(page);

    private static ILocator SearchBox(IPage page) => InvoiceGridSteps.SearchBox(page);

    private static ILocator Numbers(IPage page) => InvoiceGridSteps.Numbers(page);

    /// <summary>Types into the search box and submits; waits until the grid shows that search's result.</summary>
    private static Task SearchAsync(IPage page, string text) => InvoiceGridSteps.SearchAsync(page, text);

    private static Task<int> ResultCountAsync(IPage page) => InvoiceGridSteps.ResultCountAsync(page);

    /// <summary>
    /// The grid shows every open item again: the count read at the start, or — when the account changed meanwhile (the
    /// demo ERP settles earlier tests' payments in the background, closing their invoices) — the account's open item
    /// count now, from the summary API. A filter still applied shows neither.
    /// </summary>
    private static async Task ExpectEveryItemAsync(IPage page, int before)
    {
        var summary = page.Locator("[data-testid='grid-grid'] .rz-pager-summary");
        var until = DateTime.UtcNow.AddMilliseconds(TimeoutMs);
        var (shown, now) = (-1, -1);
        while (DateTime.UtcNow < until)
        {
            var match = ItemsSummary().Match(await summary.InnerTextAsync());
            shown = match.Success ? Count(match) : -1;
            if (shown == before)
            {
                return;
            }
            var response = await page.APIRequest.GetAsync("/portal-payments/api/summary");
            using (var json = JsonDocument.Parse(await response.TextAsync()))
            {
                now = json.RootElement.GetProperty("openItemCount").GetInt32();
            }
            if (shown == now)
            {
                return;
            }
            await page.WaitForTimeoutAsync(250);
        }
        Assert.Fail($"The grid shows {shown} items; the account had {before} at the start and has {now} open items now.");
    }

    private static async Task ExpectResultCountAsync(IPage page, int count) =>
        await Expect(page.Locator("[data-testid='grid-grid'] .rz-pager-summary")).ToContainTextAsync(
            PagingSummary(Regex.Escape(count.ToString("N0", SuiteLanguage.Culture))));

    private static async Task<string> FirstNumberAsync(IPage page, string prefix)
    {
        await SearchAsync(page, prefix);
        return (await Numbers(page).First.InnerTextAsync()).Trim();
    }

    private static async Task<int> FirstNonEmptyBucketAsync(ILocator buckets)
    {
        var count = await buckets.CountAsync();
        for (var i = 0; i < count; i++)
        {
            var match = ItemsInBucket().Match(await buckets.Nth(i).InnerTextAsync());
            if (match.Success && Count(match) != 0)
            {
                return i;
            }
        }
        throw new Xunit.Sdk.XunitException("No aging period has items.");
    }

    private static async Task<string> OptionLabelAsync(ILocator select, string name)
    {
        foreach (var option in await select.Locator("option").AllInnerTextsAsync())
        {
            if (option.Contains(name, StringComparison.Ordinal))
            {
                return option.Trim();
            }
        }
        throw new Xunit.Sdk.XunitException($"No view option contains '{name}'.");
    }

    private static readonly string CountPattern = InvoiceGridSteps.CountPattern;

    private static Regex ItemsSummary() => InvoiceGridSteps.ItemsSummary();

    private static Regex PagingSummary(string countPattern) => InvoiceGridSteps.PagingSummaryPattern(countPattern);

    private static Regex ItemsInBucket() => InvoiceGridSteps.ItemsInBucket();

    private static int Count(Match match) => InvoiceGridSteps.Count(match);

    private static string FormatPattern(string englishFormat, params string[] placeholders) => InvoiceGridSteps.FormatPattern(englishFormat, placeholders);
}
