using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The open-invoices grid's own tools in Chromium, as a clerk uses them with the mouse: "Arrange columns" (remove one
/// column, add one), a due-date range in the column's filter menu, a two-column sort, dragging a column to another place and
/// widening one, then a saved view made the clerk's default that brings all of it back on a fresh page; and a view
/// shared with the account (its page size with it) as another user of the account sees it, renamed and deleted.
/// </summary>
/// <remarks>
/// Gus (Globex, thousands of open items) so that ranges and sorts have plenty of rows; Pat and Val (Acme) for sharing.
/// The views are deleted at the end (and on a failure), so the later tests of the shared host see the standard view.
/// </remarks>
public sealed class GridColumnsBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Columns_a_date_range_filter_a_two_column_sort_and_a_default_view_work_with_the_mouse() => RunPageTest(async page =>
    {
        var name = $"E2E columns {Guid.NewGuid().ToString("N")[..6]}";
        await SignInAsync(page, Users.Gus);
        await OpenInvoicesFromNavAsync(page);
        try
        {
            await WalkAsync(page, name);
        }
        catch
        {
            // The walk's own failure is the one to report; the view goes all the same when it can.
            await DeleteViewIfListedAsync(page, name).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
        await DeleteViewIfListedAsync(page, name);
    });

    [Fact]
    public Task A_shared_view_with_its_page_size_reaches_the_viewer_and_follows_its_renaming_and_deletion() => RunPageTest(async page =>
    {
        var name = $"E2E shared {Guid.NewGuid().ToString("N")[..6]}";
        var renamed = name.Replace("shared", "renamed", StringComparison.Ordinal);
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        try
        {
            await ShareAsync(page, name, renamed);
        }
        catch
        {
            // The walk's own failure is the one to report; Pat's view (shared with all of Acme) goes all the same.
            await DeleteViewIfListedAsync(page, renamed).ContinueWith(_ => { }, TaskScheduler.Default);
            await DeleteViewIfListedAsync(page, name).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
    });

    [Fact]
    public Task A_keyboard_user_orders_sizes_and_hides_columns_through_Arrange_columns() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var before = await HeadersAsync(page);

        var arrange = page.GetByRole(AriaRole.Button, new() { Name = T("Arrange columns"), Exact = true });
        await arrange.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = T("Arrange columns") });
        await Expect(dialog).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
        var items = dialog.GetByTestId("columns-item");
        var count = await items.CountAsync();
        var titles = (await items.Locator(".pp-columns-show").AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
        var shown = await items.Locator("input[type=checkbox]").EvaluateAllAsync<bool[]>("boxes => boxes.map(b => b.checked)");
        var visible = titles.Where((_, i) => shown[i]).ToList();
        // The dialog lists the movable columns: the shown ones in the header's order (the select column stays first).
        Assert.Equal(before.Where(titles.Contains), visible);
        var moved = visible[2];
        var movedAt = titles.IndexOf(moved);

        // Up by keyboard until it is first: the focus stays with the column (on "down" once it is first), and a status line
        // says where it went.
        var up = dialog.GetByRole(AriaRole.Button, new() { Name = T("Move {0} up", moved), Exact = true });
        await up.FocusAsync();
        for (var place = movedAt; place > 1; place--)
        {
            await page.Keyboard.PressAsync("Enter");
            await Expect(up).ToBeFocusedAsync();
            await Expect(dialog.GetByTestId("columns-status")).ToHaveTextAsync(T("{0} is now column {1} of {2}.", moved, place, count));
        }
        await page.Keyboard.PressAsync("Enter");
        await Expect(up).ToBeDisabledAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = T("Move {0} down", moved), Exact = true })).ToBeFocusedAsync();
        await Expect(dialog.GetByTestId("columns-status")).ToHaveTextAsync(T("{0} is now column {1} of {2}.", moved, 1, count));

        // A width typed in pixels; the column that was second is hidden; applied with Enter.
        await dialog.GetByLabel(T("Width of {0}", moved), new() { Exact = true }).FillAsync("240");
        var hidden = visible[1];
        await dialog.GetByRole(AriaRole.Checkbox, new() { Name = hidden, Exact = true }).UncheckAsync();
        await dialog.GetByTestId("columns-apply").FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(arrange).ToBeFocusedAsync();   // back where the user was
        await Expect(Header(page, hidden)).ToHaveCountAsync(0);
        await WaitForGridAsync(page);
        var after = await HeadersAsync(page);
        Assert.Equal([moved, .. visible.Where(t => t != moved && t != hidden)], after.Where(titles.Contains));
        Assert.Equal(before.Where(t => !titles.Contains(t)), after.Where(t => !titles.Contains(t)));   // the fixed columns as they were
        Assert.InRange(await WidthAsync(page, moved), 236, 244);
        await AssertAccessibleAsync(page);
    });

    private async Task ShareAsync(IPage page, string name, string renamed)
    {

        // 50 rows a page: the whole Acme account (fewer than 50 open items) on one page.
        var all = await ResultCountAsync(page);
        Assert.InRange(all, 26, 50);
        await page.Locator("[data-testid='grid-grid'] .rz-pager .rz-dropdown").ClickAsync();
        await page.Locator(".rz-dropdown-panel:visible li[role=option]", new() { HasText = "50" }).ClickAsync();
        await InvoiceGridSteps.ExpectWholeResultOnPageAsync(page);

        var views = page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save view…") }).ClickAsync();
        await views.GetByLabel(T("View name"), new() { Exact = true }).FillAsync(name);
        await views.GetByLabel(T("Share with everyone on this account"), new() { Exact = true }).CheckAsync();
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save"), Exact = true }).ClickAsync();
        await Expect(ViewSelect(page).Locator("option:checked")).ToHaveTextAsync(T("{0} (shared)", name));

        // Val, on the same account in another browser, finds it as Pat's and gets its page size.
        var browser = await Host.GetBrowserAsync();
        await using var other = await browser.NewContextAsync(new() { BaseURL = Host.BaseUrl, Locale = SuiteLanguage.Locale });
        other.SetDefaultTimeout(TimeoutMs);
        var val = await other.NewPageAsync();
        await SignInAsync(val, Users.Val);
        await val.GotoAsync("/portal/invoices");
        await WaitForGridAsync(val);
        var shared = T("{0} (shared by {1})", name, Users.NameOf(Users.Pat));
        await ViewSelect(val).SelectOptionAsync(new SelectOptionValue { Label = shared });
        Assert.True(await InvoiceGridSteps.ExpectWholeResultOnPageAsync(val) > 25, "Val's page still holds 25 rows.");
        await AssertAccessibleAsync(val);
        // Not Val's to change: no rename or delete for it.
        var valViews = val.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
        await Expect(valViews.GetByRole(AriaRole.Button, new() { Name = T("Rename"), Exact = true })).ToHaveCountAsync(0);
        await Expect(valViews.GetByRole(AriaRole.Button, new() { Name = T("Delete"), Exact = true })).ToHaveCountAsync(0);

        // Pat renames it: Val's next page lists the new name.
        await views.GetByRole(AriaRole.Button, new() { Name = T("Rename"), Exact = true }).ClickAsync();
        await views.GetByLabel(T("New name"), new() { Exact = true }).FillAsync(renamed);
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save name"), Exact = true }).ClickAsync();
        await Expect(ViewSelect(page).Locator("option:checked")).ToHaveTextAsync(T("{0} (shared)", renamed));
        await val.ReloadAsync();
        await WaitForGridAsync(val);
        await Expect(ViewSelect(val).Locator("option", new() { HasText = renamed })).ToHaveCountAsync(1);
        await Expect(ViewSelect(val).Locator("option", new() { HasText = name })).ToHaveCountAsync(0);

        // Pat deletes it: gone for both.
        await DeleteViewIfListedAsync(page, renamed);
        await val.ReloadAsync();
        await WaitForGridAsync(val);
        await Expect(ViewSelect(val).Locator("option", new() { HasText = renamed })).ToHaveCountAsync(0);
    }

    private async Task WalkAsync(IPage page, string name)
    {
        var all = await ResultCountAsync(page);

        // Arrange columns: PO number off, Invoice date on.
        var po = T("PO number");
        var invoiceDate = T("Invoice date");
        Assert.Contains(po, await HeadersAsync(page));
        Assert.DoesNotContain(invoiceDate, await HeadersAsync(page));
        await ChooseColumnsAsync(page, po, invoiceDate);
        await Expect(Header(page, invoiceDate)).ToBeVisibleAsync();
        await Expect(Header(page, po)).ToHaveCountAsync(0);

        // Due date between two dates read from the page: only rows in the range, fewer than before.
        var dueTexts = await ColumnTextsAsync(page, T("Due date"));
        Assert.All(dueTexts, AssertDueCellReads);
        var dueDates = dueTexts.Select(ParseDate).Distinct().Order().ToList();
        Assert.True(dueDates.Count >= 4, $"Only {dueDates.Count} distinct due dates on the first page.");
        var (from, to) = (dueDates[1], dueDates[^2]);
        await FilterBetweenAsync(page, T("Due date"), from, to);
        await Expect(Summary(page)).Not.ToContainTextAsync(CountText(all));
        var filtered = await ResultCountAsync(page);
        Assert.InRange(filtered, 1, all - 1);
        Assert.All((await ColumnTextsAsync(page, T("Due date"))).Select(ParseDate), d => Assert.InRange(d, from, to));

        // And an open balance of at least 10,000 (typed as the user writes numbers): both filters hold, fewer rows again.
        await FilterAtLeastAsync(page, T("Open balance"), 10_000m);
        await Expect(Summary(page)).Not.ToContainTextAsync(CountText(filtered));
        filtered = await ResultCountAsync(page);
        Assert.True(filtered > 0, "No invoice of 10,000 or more in the date range.");
        Assert.All((await ColumnTextsAsync(page, T("Open balance"))).Select(ParseAmount), b => Assert.True(b >= 10_000m, $"{b} under 10,000"));
        Assert.All((await ColumnTextsAsync(page, T("Due date"))).Select(ParseDate), d => Assert.InRange(d, from, to));

        // Two-column sort: due date, then open balance (ascending, then descending within a date).
        await SortByAsync(page, T("Due date"));
        await SortByAsync(page, T("Open balance"));
        await ExpectSortedAsync(page, descendingBalance: false);
        await SortByAsync(page, T("Open balance"));
        await ExpectSortedAsync(page, descendingBalance: true);

        // Drag "Open balance" onto "Due date" (it moves before it), and widen "Invoice number".
        var before = await HeadersAsync(page);
        Assert.True(before.IndexOf(T("Open balance")) > before.IndexOf(T("Due date")), string.Join(" | ", before));
        await DragHeaderAsync(page, T("Open balance"), T("Due date"));
        await UntilAsync(page, async () => await HeaderIndexAsync(page, T("Open balance")) < await HeaderIndexAsync(page, T("Due date")),
            () => "\"Open balance\" did not move before \"Due date\"");
        var narrow = await WidthAsync(page, T("Invoice number"));
        await ResizeAsync(page, T("Invoice number"), 120);
        await UntilAsync(page, async () => await WidthAsync(page, T("Invoice number")) > narrow + 60, () => $"\"Invoice number\" is still {narrow} px wide");
        var layout = await HeadersAsync(page);
        var wide = await WidthAsync(page, T("Invoice number"));
        await AssertAccessibleAsync(page);

        // Saved as my default: a fresh page opens with all of it.
        var views = page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save view…") }).ClickAsync();
        await views.GetByLabel(T("View name"), new() { Exact = true }).FillAsync(name);
        await views.GetByLabel(T("Make this my default"), new() { Exact = true }).CheckAsync();
        await views.GetByRole(AriaRole.Button, new() { Name = T("Save"), Exact = true }).ClickAsync();
        await Expect(ViewSelect(page).Locator("option:checked")).ToHaveTextAsync(new Regex(Regex.Escape(name)));

        await page.ReloadAsync();
        await WaitForGridAsync(page);
        await Expect(ViewSelect(page).Locator("option:checked")).ToHaveTextAsync(new Regex(Regex.Escape(T("{0} (my default)", name))));
        await Expect(Summary(page)).ToContainTextAsync(CountText(filtered));
        Assert.Equal(layout, await HeadersAsync(page));
        Assert.InRange(await WidthAsync(page, T("Invoice number")), wide - 2, wide + 2);
        await ExpectSortedAsync(page, descendingBalance: true);
        Assert.All((await ColumnTextsAsync(page, T("Due date"))).Select(ParseDate), d => Assert.InRange(d, from, to));

        // The standard view is one choice away: every item, the standard columns.
        await ViewSelect(page).SelectOptionAsync(new SelectOptionValue { Label = T("Standard view") });
        await Expect(Header(page, po)).ToBeVisibleAsync();
        await Expect(Header(page, invoiceDate)).ToHaveCountAsync(0);
        await Expect(Summary(page)).ToContainTextAsync(CountText(all));
    }

    private static Task WaitForGridAsync(IPage page) => InvoiceGridSteps.WaitForGridAsync(page);

    private static ILocator Grid(IPage page) => InvoiceGridSteps.Grid(page);

    private static ILocator Loading(IPage page) => InvoiceGridSteps.Loading(page);

    private static ILocator Summary(IPage page) => page.Locator("[data-testid='grid-grid'] .rz-pager-summary");

    private static ILocator ViewSelect(IPage page) =>
        page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") }).GetByLabel(T("View"), new() { Exact = true });

    /// <summary>The header cell titled <paramref name="title"/>.</summary>
    private static ILocator Header(IPage page, string title) =>
        Grid(page).Locator($"thead th:has(.rz-column-title[title='{title}'])");

    /// <summary>The titles of the header cells, in page order.</summary>
    private static Task<List<string>> HeadersAsync(IPage page) => Grid(page).Locator("thead th .rz-column-title")
        .EvaluateAllAsync<string[]>("titles => titles.map(t => t.getAttribute('title') ?? '')").ContinueWith(t => t.Result.ToList());

    private static async Task<int> HeaderIndexAsync(IPage page, string title) => (await HeadersAsync(page)).IndexOf(title);

    private static async Task<double> WidthAsync(IPage page, string title) =>
        (await Header(page, title).BoundingBoxAsync())?.Width ?? throw new Xunit.Sdk.XunitException($"No header '{title}'.");

    /// <summary>The texts of the column titled <paramref name="title"/> on the page, once the grid is not loading.</summary>
    private static async Task<List<string>> ColumnTextsAsync(IPage page, string title)
    {
        await Expect(Loading(page)).ToHaveCountAsync(0);
        var texts = await Grid(page).EvaluateAsync<string[]>(
            """
            (grid, title) => {
                const headers = [...grid.querySelectorAll('thead th')];
                const index = headers.findIndex(th => th.querySelector('.rz-column-title')?.getAttribute('title') === title);
                if (index < 0) return null;
                return [...grid.querySelectorAll('tbody tr.rz-data-row')].map(row => row.cells[index]?.textContent.trim() ?? '');
            }
            """, title);
        Assert.True(texts is { Length: > 0 }, $"No rows or no column '{title}'.");
        return [.. texts];
    }

    /// <summary>A due-date cell's date ("11/1/2026 32 days late" → 2026-11-01), in the suite's culture.</summary>
    private static DateOnly ParseDate(string cell) =>
        DateOnly.Parse(cell.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], SuiteLanguage.Culture);

    /// <summary>A due-date cell's text reads the date, a space, then how late it is ("11/1/2026 32 days late").</summary>
    private static void AssertDueCellReads(string cell) =>
        Assert.Matches(@"^\S+( \S.*)?$", cell);

    private static decimal ParseAmount(string cell) =>
        decimal.Parse(cell, NumberStyles.Number | NumberStyles.AllowLeadingSign, SuiteLanguage.Culture);

    /// <summary>Opens "Arrange columns" with the mouse, toggles the columns named <paramref name="titles"/>, applies.</summary>
    private static async Task ChooseColumnsAsync(IPage page, params string[] titles)
    {
        var arrange = page.GetByRole(AriaRole.Button, new() { Name = T("Arrange columns"), Exact = true });
        await arrange.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = T("Arrange columns") });
        await Expect(dialog).ToBeVisibleAsync();
        foreach (var title in titles)
        {
            var box = dialog.GetByRole(AriaRole.Checkbox, new() { Name = title, Exact = true });
            var was = await box.IsCheckedAsync();
            await box.ClickAsync();
            await Expect(box).ToBeCheckedAsync(new() { Checked = !was });
        }
        await dialog.GetByTestId("columns-apply").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await WaitForGridAsync(page);
    }

    /// <summary>
    /// Opens the filter menu of the column titled <paramref name="title"/>, sets "greater than or equal to" <paramref name="from"/>
    /// and "less than or equal to" <paramref name="to"/> (the menu's operator lists, by their place in the list: Radzen words
    /// them in the browser's language) and applies it.
    /// </summary>
    private async Task FilterBetweenAsync(IPage page, string title, DateOnly from, DateOnly to)
    {
        await Header(page, title).Locator(".rz-grid-filter-icon").ClickAsync();
        var menu = page.Locator(".rz-overlaypanel:visible").Last;
        await Expect(menu).ToBeVisibleAsync();
        var operators = menu.Locator(".rz-dropdown");
        // The dates are typed in the user's short date format (a calendar months away is no way to enter a range).
        var dates = menu.Locator(".rz-datepicker input");
        await PickOperatorAsync(page, operators.Nth(0), "Greater than or equals");
        await dates.Nth(0).FillAsync(from.ToString("d", SuiteLanguage.Culture));
        await dates.Nth(0).PressAsync("Tab");
        await PickOperatorAsync(page, operators.Nth(2), "Less than or equals");
        await dates.Nth(1).FillAsync(to.ToString("d", SuiteLanguage.Culture));
        await dates.Nth(1).PressAsync("Tab");
        await menu.Locator("button").Last.ClickAsync();
        await Expect(menu).ToBeHiddenAsync();
        await Expect(Loading(page)).ToHaveCountAsync(0);
    }

    /// <summary>Opens the filter menu of the number column titled <paramref name="title"/> and keeps "greater than or equal to" <paramref name="least"/>.</summary>
    private async Task FilterAtLeastAsync(IPage page, string title, decimal least)
    {
        await Header(page, title).Locator(".rz-grid-filter-icon").ClickAsync();
        var menu = page.Locator(".rz-overlaypanel:visible").Last;
        await Expect(menu).ToBeVisibleAsync();
        await PickOperatorAsync(page, menu.Locator(".rz-dropdown").Nth(0), "Greater than or equals");
        var number = menu.Locator("input:not([type=hidden]):not([readonly]):visible").First;
        await number.FillAsync(least.ToString("N0", SuiteLanguage.Culture));
        await number.PressAsync("Tab");
        // The server has read the typed number once Radzen's field names it ("… filter value 10000"): Apply after that.
        await Expect(number).ToHaveAttributeAsync("aria-label", new Regex($" {least.ToString("0", CultureInfo.InvariantCulture)}$"));
        await menu.Locator("button").Last.ClickAsync();
        await Expect(menu).ToBeHiddenAsync();
        await Expect(Loading(page)).ToHaveCountAsync(0);
    }

    /// <summary>The operator lists of a date column: Equals, Not equals, Less than, Less than or equals, Greater than, Greater than or equals, ….</summary>
    private static readonly string[] DateOperators = ["Equals", "Not equals", "Less than", "Less than or equals", "Greater than", "Greater than or equals"];

    private async Task PickOperatorAsync(IPage page, ILocator dropdown, string english)
    {
        await dropdown.ClickAsync();
        var items = page.Locator(".rz-dropdown-panel:visible li[role=option]");
        await Expect(items.First).ToBeVisibleAsync();
        var texts = await items.AllInnerTextsAsync();
        Output.WriteLine($"operators: {string.Join(" | ", texts)}");
        var index = Array.IndexOf(DateOperators, english);
        Assert.True(texts.Count > index, $"The operator list has {texts.Count} entries: {string.Join(" | ", texts)}");
        if (SuiteLanguage.IsEnglish)
        {
            Assert.Equal(english, texts[index].Trim());
        }
        await items.Nth(index).ClickAsync();
        await Expect(items.First).ToBeHiddenAsync();
    }

    private static async Task SortByAsync(IPage page, string title)
    {
        await Header(page, title).Locator(".rz-column-title").ClickAsync();
        await Expect(Loading(page)).ToHaveCountAsync(0);
        await Expect(Header(page, title)).ToHaveAttributeAsync("aria-sort", new Regex("ascending|descending"));
    }

    /// <summary>The rows on the page run by due date, then by open balance (up or down) within a date.</summary>
    private static async Task ExpectSortedAsync(IPage page, bool descendingBalance)
    {
        var order = descendingBalance ? "descending" : "ascending";
        await Expect(Header(page, T("Open balance"))).ToHaveAttributeAsync("aria-sort", order);
        var due = (await ColumnTextsAsync(page, T("Due date"))).Select(ParseDate).ToList();
        var balance = (await ColumnTextsAsync(page, T("Open balance"))).Select(ParseAmount).ToList();
        Assert.Equal(due.Count, balance.Count);
        for (var i = 1; i < due.Count; i++)
        {
            Assert.True(due[i - 1] <= due[i], $"Row {i + 1}: due {due[i]} after {due[i - 1]}.");
            if (due[i - 1] == due[i])
            {
                Assert.True(descendingBalance ? balance[i - 1] >= balance[i] : balance[i - 1] <= balance[i],
                    $"Row {i + 1} on {due[i]}: {balance[i]} after {balance[i - 1]} ({order}).");
            }
        }
    }

    /// <summary>Drags the header titled <paramref name="title"/> by its drag handle onto the header titled <paramref name="onto"/>.</summary>
    private static async Task DragHeaderAsync(IPage page, string title, string onto)
    {
        var handle = await Header(page, title).Locator(".rz-column-drag").BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException("No drag handle.");
        var target = await Header(page, onto).BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException("No target header.");
        await page.Mouse.MoveAsync(handle.X + handle.Width / 2, handle.Y + handle.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(target.X + 10, target.Y + target.Height / 2, new() { Steps = 12 });
        await page.Mouse.UpAsync();
    }

    /// <summary>Drags the resizer at the right edge of the header titled <paramref name="title"/> by <paramref name="pixels"/>.</summary>
    private static async Task ResizeAsync(IPage page, string title, int pixels)
    {
        var resizer = await Header(page, title).Locator(".rz-column-resizer").BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException("No resizer.");
        var (x, y) = (resizer.X + resizer.Width / 2, resizer.Y + resizer.Height / 2);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x + pixels, y, new() { Steps = 12 });
        await page.Mouse.UpAsync();
    }

    /// <summary>Deletes the saved view named <paramref name="name"/> when the view list has it (the test's clean-up).</summary>
    private static async Task DeleteViewIfListedAsync(IPage page, string name)
    {
        try
        {
            await page.GotoAsync("/portal/invoices");
            await WaitForGridAsync(page);
            var label = (await ViewSelect(page).Locator("option").AllInnerTextsAsync()).FirstOrDefault(o => o.Contains(name, StringComparison.Ordinal));
            if (label is null)
            {
                return;
            }
            await ViewSelect(page).SelectOptionAsync(new SelectOptionValue { Label = label.Trim() });
            var views = page.GetByRole(AriaRole.Group, new() { Name = T("Saved views") });
            await views.GetByRole(AriaRole.Button, new() { Name = T("Delete"), Exact = true }).ClickAsync();
            await views.GetByRole(AriaRole.Alertdialog).GetByRole(AriaRole.Button, new() { Name = T("Delete"), Exact = true }).ClickAsync();
            await Expect(ViewSelect(page).Locator("option", new() { HasText = name })).ToHaveCountAsync(0);
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"Could not delete the test's view '{name}': later tests may open it as Gus's default. {e.Message}");
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (a drag's effect lands after the mouse is released).</summary>
    private static async Task UntilAsync(IPage page, Func<Task<bool>> condition, Func<string> failure)
    {
        var until = DateTime.UtcNow.AddMilliseconds(TimeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new Xunit.Sdk.XunitException(failure());
            }
            await page.WaitForTimeoutAsync(100);
        }
    }

    private static Task<int> ResultCountAsync(IPage page) => InvoiceGridSteps.ResultCountAsync(page);

    private static string CountText(int count) => $"({count.ToString("N0", SuiteLanguage.Culture)} ";
}
