using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Details a clerk sees on a desktop, by element boxes in real Chromium at 1280 and 1920 px: the date picker's calendar
/// icon is whole in its button (schedule panel, scheduled payment's change form); the open invoices' column titles stay
/// whole with a column sorted (and with several), and the grid of a viewer does not scroll sideways at 1280; a payment
/// method row's bottom border runs the table's whole width.
/// </summary>
public sealed class DesktopDetailsBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    private const string Rows = "[data-testid=grid-grid] tr.rz-data-row";

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(1920, 1080)]
    public Task The_date_pickers_calendar_icon_is_whole_in_the_schedule_panel_and_the_change_form(int width, int height) => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        var today = DateOnly.FromDateTime((await HostNowAsync(page)).UtcDateTime);
        await OpenInvoicesAsync(page);
        await OpenInvoiceBox(page).CheckAsync();
        await InvoiceGridSteps.ChooseActionAsync(page, T("Schedule payment"));
        var panel = page.GetByTestId("schedule-panel");
        var dateBox = panel.GetByLabel(T("Payment date"), new() { Exact = true });
        await Expect(dateBox).ToBeVisibleAsync();
        // The icon was 18 px wide behind the portal's button padding in a 29 px button that hides what overflows it: its
        // right 4.6 px were cut off.
        await AssertCalendarIconWholeAsync(panel, "the schedule panel");

        // Scheduled: the payment's "Change date or method" form has the same date box.
        var date = today.AddDays(3).ToString("d", SuiteLanguage.Culture);
        await dateBox.FillAsync(date);
        await dateBox.PressAsync("Tab");
        await Expect(dateBox).ToHaveValueAsync(date);
        await PaymentFormSteps.AddCardAsync(panel);
        var confirm = panel.GetByRole(AriaRole.Button, new() { Name = T("Confirm scheduled payment"), Exact = true });
        await Expect(confirm).ToBeEnabledAsync();
        await confirm.ClickAsync();
        await Expect(panel.GetByTestId("schedule-confirmation")).ToBeVisibleAsync();
        var reference = (await panel.GetByTestId("schedule-reference").InnerTextAsync()).Trim();
        await page.GotoAsync("/portal/scheduled");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Scheduled payments"), Level = 1 })).ToBeVisibleAsync();
        await WaitUntilLiveAsync(page);
        var payment = page.GetByTestId("scheduled-payment").Filter(new() { Has = page.GetByTestId("scheduled-reference").GetByText(reference, new() { Exact = true }) });
        await payment.GetByTestId("scheduled-change").ClickAsync();
        var form = payment.GetByTestId("scheduled-change-form");
        await Expect(form.GetByLabel(T("Payment date"), new() { Exact = true })).ToBeVisibleAsync();
        await AssertCalendarIconWholeAsync(form, "the change form");
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, $"{nameof(The_date_pickers_calendar_icon_is_whole_in_the_schedule_panel_and_the_change_form)}_{width}", width, height);

    [Theory]
    [InlineData(Users.Pat, 1280, 800)]
    [InlineData(Users.Pat, 1920, 1080)]
    [InlineData(Users.Val, 1280, 800)]
    [InlineData(Users.Val, 1920, 1080)]
    public Task Open_invoices_column_titles_stay_whole_when_sorted(string user, int width, int height) => RunPageTest(async page =>
    {
        await SignInAsync(page, user);
        await OpenInvoicesAsync(page);
        Assert.Empty(await TitleProblemsAsync(page));

        // Sorted by one column, then by more (a click on another title adds it): the arrow and the sort order take no room
        // of any title. Sorted by "Open balance" at 1280 px, arrow and order pill left "Open …" of its title.
        var sortable = page.Locator("[data-testid=grid-grid] thead th.rz-sortable-column");
        var count = await sortable.CountAsync();
        Assert.True(count >= 5, $"{count} sortable columns shown.");
        for (var i = 0; i < count; i++)
        {
            var th = sortable.Nth(i);
            await th.Locator(".rz-column-title-content").ClickAsync();
            await Expect(th).ToHaveAttributeAsync("aria-sort", "ascending");
            await Expect(InvoiceGridSteps.Loading(page)).ToHaveCountAsync(0);
            // The pointer away: a title under it shows its arrow (and filter button) by design.
            await page.Mouse.MoveAsync(0, 0);
            var problems = await TitleProblemsAsync(page);
            Assert.True(problems.Length == 0, $"At {width} px sorted by {i + 1} column(s): " + string.Join("; ", problems));
        }
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, $"{nameof(Open_invoices_column_titles_stay_whole_when_sorted)}_{user}_{width}", width, height);

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(1920, 1080)]
    public Task A_payment_method_rows_bottom_border_spans_the_table(int width, int height) => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Gus);
        await page.GotoAsync("/portal/payment-methods");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment methods"), Level = 1 })).ToBeVisibleAsync();
        await WaitUntilLiveAsync(page);
        var nickname = "Border card " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByRole(AriaRole.Button, new() { Name = T("Add payment method"), Exact = true }).ClickAsync();
        await page.GetByLabel(T("Nickname (optional)"), new() { Exact = true }).FillAsync(nickname);
        await page.GetByLabel(T("Card number"), new() { Exact = true }).FillAsync(PaymentFormSteps.GoodCard);
        await page.GetByLabel(T("Expiry month"), new() { Exact = true }).FillAsync("10");
        await page.GetByLabel(T("Expiry year"), new() { Exact = true }).FillAsync((DateTime.UtcNow.Year + 2).ToString(CultureInfo.InvariantCulture));
        await page.GetByLabel(T("Security code"), new() { Exact = true }).FillAsync("737");
        await page.GetByLabel(T("Name on card"), new() { Exact = true }).FillAsync("Gus Globex");
        await page.GetByLabel(T("Billing postal code"), new() { Exact = true }).FillAsync("94107");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Continue"), Exact = true }).ClickAsync();
        var row = page.GetByTestId("method-row").Filter(new() { HasText = nickname });
        await Expect(row).ToHaveCountAsync(1);

        // Every row, the header's too, is drawn by table cells from the table's left edge to its right, each with its
        // bottom border. The actions cell was an inline-flex box (no cell), 36 px short of the edge at 1280 px.
        var problems = await page.GetByTestId("methods").EvaluateAsync<string[]>("""
            table => {
                const edge = table.getBoundingClientRect(), out = [];
                for (const tr of table.querySelectorAll('tr')) {
                    const cells = [...tr.children];
                    const name = tr.querySelector('th, td')?.textContent.trim().slice(0, 30);
                    for (const c of cells) {
                        const s = getComputedStyle(c);
                        if (s.display !== 'table-cell') out.push(`a cell of "${name}" is ${s.display}, not a table cell`);
                        if (parseFloat(s.borderBottomWidth) < 1) out.push(`a cell of "${name}" has no bottom border`);
                    }
                    const left = Math.min(...cells.map(c => c.getBoundingClientRect().left));
                    const right = Math.max(...cells.map(c => c.getBoundingClientRect().right));
                    if (left > edge.left + 0.5 || right < edge.right - 0.5)
                        out.push(`the row "${name}" is drawn from ${Math.round(left)} to ${Math.round(right)} px, the table from ${Math.round(edge.left)} to ${Math.round(edge.right)}`);
                }
                return out;
            }
            """);
        Assert.True(problems.Length == 0, $"At {width} px: " + string.Join("; ", problems));
        await AssertAccessibleAsync(page);

        // Removed again (the account's methods stay as other tests expect them).
        await row.Locator("button").Filter(new() { HasText = T("Delete") }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = T("Delete"), Exact = true }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
    }, SuiteLanguage.Locale, $"{nameof(A_payment_method_rows_bottom_border_spans_the_table)}_{width}", width, height);

    /// <summary>
    /// Fails unless the calendar icon of the date box in <paramref name="scope"/> lies whole inside its button's inner box
    /// (Radzen's button hides what overflows it) and the button inside the date box.
    /// </summary>
    private static async Task AssertCalendarIconWholeAsync(ILocator scope, string where)
    {
        var problem = await scope.Locator(".rz-datepicker").EvaluateAsync<string>("""
            picker => {
                const input = picker.querySelector('input').getBoundingClientRect();
                const button = picker.querySelector('.rz-datepicker-trigger'), icon = button.querySelector('.rzi');
                const b = button.getBoundingClientRect(), i = icon.getBoundingClientRect();
                const inner = { left: b.left + button.clientLeft, top: b.top + button.clientTop };
                inner.right = inner.left + button.clientWidth;
                inner.bottom = inner.top + button.clientHeight;
                const f = x => x.toFixed(1);
                if (i.width < 1 || i.height < 1) return 'the icon has no size';
                if (i.left < inner.left - 0.5 || i.right > inner.right + 0.5 || i.top < inner.top - 0.5 || i.bottom > inner.bottom + 0.5)
                    return `the icon (${f(i.left)}–${f(i.right)} × ${f(i.top)}–${f(i.bottom)}) is cut off by its button (${f(inner.left)}–${f(inner.right)} × ${f(inner.top)}–${f(inner.bottom)})`;
                if (b.left < input.left - 0.5 || b.right > input.right + 0.5 || b.top < input.top - 0.5 || b.bottom > input.bottom + 0.5)
                    return `the button (${f(b.left)}–${f(b.right)} × ${f(b.top)}–${f(b.bottom)}) sticks out of the date box (${f(input.left)}–${f(input.right)} × ${f(input.top)}–${f(input.bottom)})`;
                return '';
            }
            """);
        Assert.True(problem.Length == 0, $"In {where}: {problem}.");
    }

    /// <summary>
    /// Every open-invoices column title that is cut off (its text wider than its room), and the grid when it is wider than
    /// its frame for a user who has no pay columns (the grid of a payer, with the tick boxes and amounts to pay, scrolls
    /// at 1280 px by design).
    /// </summary>
    private static async Task<string[]> TitleProblemsAsync(IPage page) => await page.EvaluateAsync<string[]>("""
        () => {
            const grid = document.querySelector('[data-testid=grid-grid]'), out = [];
            const frame = grid.querySelector('.rz-data-grid-data');
            const payer = grid.querySelector('td.pp-col-select') !== null;
            if (!payer && frame.scrollWidth > frame.clientWidth + 1) out.push(`the grid is ${frame.scrollWidth} px wide in a ${frame.clientWidth} px frame`);
            for (const t of grid.querySelectorAll('thead th .rz-column-title-content')) {
                const title = t.textContent.trim();
                if (title && t.scrollWidth > t.clientWidth + 1) out.push(`"${title}" is cut off (${t.scrollWidth} px in ${t.clientWidth})`);
            }
            return out;
        }
        """);

    private async Task OpenInvoicesAsync(IPage page)
    {
        await page.GotoAsync("/portal/invoices");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Open invoices"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator(Rows).First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await WaitUntilLiveAsync(page);
        await AssertAccessibleAsync(page);
    }

    /// <summary>The tick box of the first Open invoice on the page (a Scheduled one ticked offers no scheduling).</summary>
    private static ILocator OpenInvoiceBox(IPage page)
    {
        var open = page.Locator("td.pp-inv-status", new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(T("Open"))}\\s*$") });
        return page.Locator(Rows).Filter(new() { Has = open }).Locator("td.pp-col-select input[aria-label*='INV-']:not([disabled])").First;
    }

    private async Task<DateTimeOffset> HostNowAsync(IPage page)
    {
        var response = await page.APIRequest.GetAsync($"{Host.BaseUrl}/test/clock");
        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.GetProperty("utcNow").GetDateTimeOffset();
    }
}
