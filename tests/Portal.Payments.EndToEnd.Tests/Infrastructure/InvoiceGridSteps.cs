using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Steps on the open-invoices grid that must not race its reloads: the demo ERP settles earlier tests' payments in the
/// background, so a reload may change the rows while a test reads them.
/// </summary>
public static class InvoiceGridSteps
{
    /// <summary>The grid (its root carries <c>data-search</c>, the search it shows).</summary>
    public static ILocator Grid(IPage page) => page.GetByTestId("grid-grid");

    /// <summary>The grid's search box.</summary>
    public static ILocator SearchBox(IPage page) => page.GetByRole(AriaRole.Searchbox, new() { Name = T("Search invoices") });

    /// <summary>Radzen's loading indicator inside the grid (none while the grid shows rows).</summary>
    public static ILocator Loading(IPage page) => page.Locator("[data-testid='grid-grid'] .rz-datatable-loading, [data-testid='grid-grid'] .rz-grid-loading");

    /// <summary>
    /// Waits for the page's heading, the first rows, the aging periods and the end of any load; after a page load, for the
    /// circuit to answer.
    /// </summary>
    public static async Task WaitForGridAsync(IPage page)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Open invoices"), Level = 1 })).ToBeVisibleAsync();
        await Expect(Numbers(page).First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("bucket-toggle").First).ToBeVisibleAsync();
        await Expect(Loading(page)).ToHaveCountAsync(0);
    }

    /// <summary>
    /// Opens the selection's actions menu ("Actions", as a clerk finds it by its name) and chooses <paramref name="action"/>
    /// ("Schedule payment", "Cancel scheduled payment…", in the suite's language); the menu closes.
    /// </summary>
    public static async Task ChooseActionAsync(IPage page, string action)
    {
        var toggle = page.GetByRole(AriaRole.Button, new() { Name = T("Actions"), Exact = true });
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        var list = page.GetByTestId("invoice-actions-list");
        await list.GetByRole(AriaRole.Button, new() { Name = action, Exact = true }).ClickAsync();
        await Expect(list).ToHaveCountAsync(0);
    }

    /// <summary>The invoice numbers shown on the page.</summary>
    public static ILocator Numbers(IPage page) => page.Locator("[data-testid='grid-grid'] .pp-inv-number");

    /// <summary>The status cells shown on the page ("Open", "Scheduled 3/15/2027"…).</summary>
    public static ILocator Statuses(IPage page) => page.Locator("[data-testid='grid-grid'] td.pp-inv-status");

    /// <summary>The status cells of the payment-history grid ("Paid"…).</summary>
    public static ILocator HistoryStatuses(IPage page) => page.Locator("[data-testid='history-grid'] td.pp-status");

    /// <summary>
    /// Types <paramref name="text"/> into the search box and submits it; returns once the grid shows that search's result
    /// (its <c>data-search</c> says so and it is no longer loading), not the rows of the search before.
    /// </summary>
    public static async Task SearchAsync(IPage page, string text)
    {
        var box = SearchBox(page);
        await box.FillAsync(text);
        await box.PressAsync("Enter");
        await Expect(box).ToHaveValueAsync(text);
        await Expect(Grid(page)).ToHaveAttributeAsync("data-search", text.Trim());
        await Expect(Loading(page)).ToHaveCountAsync(0);
    }

    /// <summary>
    /// The numbers of the first <paramref name="count"/> rows on the page that are Open and whose check box is enabled,
    /// read in one pass over the page (a row-by-row walk could meet a row that a reload replaced, and wait for it). A row's
    /// own box is the one its label names an invoice by (on a phone each cell also repeats the header's "select this page").
    /// </summary>
    public static async Task<List<string>> FirstSelectableAsync(IPage page, int count)
    {
        var label = SelectLabel();
        List<string> numbers = [];
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await Expect(Loading(page)).ToHaveCountAsync(0);
            var labels = await page.Locator("[data-testid='grid-grid'] tbody tr").EvaluateAllAsync<string[]>(
                """
                (rows, open) => rows
                    .filter(row => row.querySelector("td.pp-inv-status")?.textContent.trim() === open)
                    .flatMap(row => [...row.querySelectorAll("input[type='checkbox']")])
                    .filter(box => !box.disabled)
                    .map(box => box.getAttribute('aria-label') ?? '')
                """, T("Open"));
            numbers = [.. labels.Select(l => label.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Take(count)];
            if (numbers.Count == count)
            {
                return numbers;
            }
            await page.WaitForTimeoutAsync(250);
        }
        Assert.Fail($"Fewer than {count} open, selectable invoices on the page (found {numbers.Count}).");
        return numbers;
    }

    /// <summary>
    /// Waits until the page shows every item of the result on one page (as many data rows as the paging summary counts),
    /// both read together each time: the demo ERP may close invoices between a count read first and rows read later.
    /// Returns that count.
    /// </summary>
    public static async Task<int> ExpectWholeResultOnPageAsync(IPage page)
    {
        var (rows, count) = (-1, -1);
        var until = DateTime.UtcNow.AddMilliseconds(BrowserTest.TimeoutMs);
        while (DateTime.UtcNow < until)
        {
            await Expect(Loading(page)).ToHaveCountAsync(0);
            count = await ResultCountAsync(page);
            rows = await Grid(page).Locator("tbody tr.rz-data-row").CountAsync();
            if (rows == count && count == await ResultCountAsync(page))
            {
                return count;
            }
            await page.WaitForTimeoutAsync(250);
        }
        Assert.Fail($"The page shows {rows} rows; the paging summary counts {count} items.");
        return count;
    }

    /// <summary>The grid's paging summary ("Page 1 of 2 (40 items)").</summary>
    public static ILocator PagingSummary(IPage page) => page.Locator("[data-testid='grid-grid'] .rz-pager-summary");

    /// <summary>The item count of the whole result, from the grid's paging summary ("… (40 items)").</summary>
    public static async Task<int> ResultCountAsync(IPage page)
    {
        var summary = PagingSummary(page);
        await Expect(summary).ToContainTextAsync(ItemsSummary());
        return Count(ItemsSummary().Match(await summary.InnerTextAsync()));
    }

    /// <summary>A whole number as the portal writes it in the suite's culture ("1,234", "1.234").</summary>
    public static readonly string NumberPattern = $"[0-9][0-9{Regex.Escape(SuiteLanguage.Culture.NumberFormat.NumberGroupSeparator)}]*";

    /// <summary>A count (<see cref="NumberPattern"/>), captured as "count".</summary>
    public static readonly string CountPattern = $"(?<count>{NumberPattern})";

    /// <summary>The grid's paging summary ("Page 1 of 2 (40 items)"), the item count captured.</summary>
    public static Regex ItemsSummary() => PagingSummaryPattern(CountPattern);

    /// <summary>The grid's paging summary with any page numbers and <paramref name="countPattern"/> as the item count.</summary>
    public static Regex PagingSummaryPattern(string countPattern) => new(FormatPattern("Page {0:N0} of {1:N0} ({2:N0} items)", NumberPattern, NumberPattern, countPattern));

    /// <summary>An aging period's item count ("12 items"), captured.</summary>
    public static Regex ItemsInBucket() => new(FormatPattern("{0} items", CountPattern));

    /// <summary>The count a match of <see cref="CountPattern"/> captured.</summary>
    public static int Count(Match match) => int.Parse(match.Groups["count"].Value, NumberStyles.AllowThousands, SuiteLanguage.Culture);

    /// <summary>
    /// A regex for the portal text whose English format is <paramref name="englishFormat"/>, in the suite's language: its
    /// words escaped, each placeholder {i} (or {i:format}) replaced by <paramref name="placeholders"/>[i] (itself a regex).
    /// </summary>
    public static string FormatPattern(string englishFormat, params string[] placeholders) =>
        string.Concat(Regex.Split(T(englishFormat), @"(\{[0-9]+(?::[^}]*)?\})").Select(part =>
            Regex.Match(part, @"^\{([0-9]+)(?::[^}]*)?\}$") is { Success: true } placeholder
                ? placeholders[int.Parse(placeholder.Groups[1].Value, CultureInfo.InvariantCulture)]
                : Regex.Escape(part)));

    /// <summary>An invoice's check box label ("Select invoice INV-…" in the suite's language); group 1 is the number.</summary>
    public static Regex SelectLabel()
    {
        var parts = T("Select invoice {0}").Split("{0}");
        Assert.Equal(2, parts.Length);
        return new Regex($"^{Regex.Escape(parts[0])}(INV-.+){Regex.Escape(parts[1])}$");
    }
}
