using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Layout by element boxes in real Chromium: on a 1440 × 900 desktop the open-invoices grid fits the window with 20 and
/// more rows above the fold and whole column titles; at 1280 nothing overflows; on a 390 px phone no page scrolls sideways
/// and every action (pay, schedule, export, row actions, payment-method edit and delete) is inside the window and on top; the
/// pay panel's amounts and amount-to-pay boxes are in sight without scrolling its lines sideways, at 1280 and on a phone; on a
/// phone a grid's "nothing matches" message wraps inside the window.
/// </summary>
public sealed class LayoutBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    private const string Rows = "[data-testid=grid-grid] tr.rz-data-row";

    [Fact]
    public Task On_a_1440_desktop_the_grid_shows_20_rows_above_the_fold_whole_titles_and_the_status_column() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Gus);
        await OpenInvoicesAsync(page);

        Assert.Equal(0, await SidewaysOverflowAsync(page));
        // Where the vertical space goes (in the output when this fails).
        Output.WriteLine(await page.EvaluateAsync<string>("""
            () => ['.pp-sandbox-banner', '.pp-shell-title', '.pp-inv-balances', '.pp-grid-toolbar', '.pp-selection', '.rz-data-grid', '.rz-data-grid thead',
                   '.rz-data-grid tr.rz-data-row'].map(sel => {
                const e = document.querySelector(sel);
                if (!e) return sel + ': none';
                const r = e.getBoundingClientRect();
                return `${sel}: top ${Math.round(r.top)} height ${Math.round(r.height)}`;
            }).join('\n') + '\nfirst row cells: ' + [...document.querySelectorAll('.rz-data-grid tr.rz-data-row:first-child > td')].map(td =>
                `${Math.round(td.getBoundingClientRect().height)}`).join(' ') + '\nheaders: ' + [...document.querySelectorAll('.rz-data-grid thead th')].map(th =>
                Math.round(th.getBoundingClientRect().width) + '[' + [...th.querySelectorAll('*')].filter(e => e.getBoundingClientRect().width > 0)
                    .map(e => (e.className || e.tagName).toString().split(' ')[0] + ':' + Math.round(e.getBoundingClientRect().width)).join(',') + ']').join(' ')
            """));
        var aboveFold = await page.EvaluateAsync<int>(
            "sel => [...document.querySelectorAll(sel)].filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length", Rows);
        Assert.True(aboveFold >= 20, $"{aboveFold} rows of the open invoices are above the fold at 1440 × 900 (at least 20 expected).");

        // Every column title is whole (none cut to "Ope…") and every column, Status included, is inside the window.
        var headers = await page.EvaluateAsync<HeaderBox[]>("""
            () => [...document.querySelectorAll('[data-testid=grid-grid] th .rz-column-title-content')].map(t => {
                const cell = t.closest('th').getBoundingClientRect();
                return { title: t.textContent.trim(), cut: t.scrollWidth > t.clientWidth + 1, right: cell.right };
            })
            """);
        Assert.Contains(headers, h => h.Title == T("Status"));
        Assert.All(headers, h => Assert.False(h.Cut, $"The column title \"{h.Title}\" is cut off."));
        Assert.All(headers, h => Assert.True(h.Right <= 1440.5, $"The column \"{h.Title}\" ends at {h.Right:0} px, outside the 1440 px window."));
        // Toolbar buttons and the overdue labels are whole too.
        var clipped = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.pp-grid-toolbar button, .pp-grid-toolbar a, .pp-selection button, [data-testid=grid-grid] tbody td')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())
            """);
        Assert.True(clipped.Length == 0, "Cut off: " + string.Join(" | ", clipped));
        // On the desktop the column headers name the cells: no card titles.
        Assert.All(await CellTitlesAsync(page), t => Assert.Equal("none", t.Content));
        // A late due date is red and says "…d late" (drawn from data-short); the amount a row would pay is muted.
        var colours = await page.EvaluateAsync<string[]>("""
            () => {
                const grid = document.querySelector('[data-testid=grid-grid]');
                const resolve = value => {
                    const probe = document.createElement('span');
                    probe.style.color = value;
                    grid.appendChild(probe);
                    const colour = getComputedStyle(probe).color;
                    probe.remove();
                    return colour;
                };
                const due = grid.querySelector('td .pp-inv-late');
                const full = grid.querySelector('td .pp-inv-full-payment');
                const late = due.querySelector(':scope > span');
                return [getComputedStyle(due).color, resolve('var(--pp-c-danger)'), getComputedStyle(full).color, resolve('var(--pp-c-muted)'),
                        getComputedStyle(late, '::before').content, late.dataset.short];
            }
            """);
        Assert.Equal(colours[1], colours[0]);
        Assert.Equal(colours[3], colours[2]);
        Assert.Contains(colours[5], colours[4]);
        await AssertAccessibleAsync(page);
        await SaveDocsScreenshotAsync(page, "open-invoices-1440.png");

        // The selection's actions menu opens over the rows, whole and on top: each action is what a click on it hits.
        var select = OpenInvoiceBox(page);
        await select.CheckAsync();
        await page.GetByTestId("invoice-actions").ClickAsync();
        var actions = page.GetByTestId("invoice-actions-list");
        await AssertReachableAsync(actions.GetByTestId("schedule-selected"), T("Schedule payment"));
        await Expect(actions.GetByTestId("cancel-scheduled")).ToBeDisabledAsync();
        await Expect(actions.GetByTestId("cancel-scheduled-hint")).ToHaveTextAsync(T("Tick an invoice marked Scheduled first."));
        await AssertAccessibleAsync(page);
        await page.Mouse.MoveAsync(0, 0);
        await SaveDocsScreenshotAsync(page, "open-invoices-actions-1440.png");
        // A click beside the list closes it.
        await page.Mouse.ClickAsync(1400, 880);
        await Expect(actions).ToHaveCountAsync(0);
        // From the keyboard: the list opens with the focus on its first action, and Tab past the last one (the disabled
        // cancel action takes no focus) closes it.
        await page.GetByTestId("invoice-actions").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(actions.GetByTestId("schedule-selected")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(actions).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("invoice-actions")).ToHaveAttributeAsync("aria-expanded", "false");
    }, SuiteLanguage.Locale, nameof(On_a_1440_desktop_the_grid_shows_20_rows_above_the_fold_whole_titles_and_the_status_column), 1440, 900);

    [Fact]
    public Task At_1280_no_portal_page_overflows_the_window() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenOverviewFromNavAsync(page);
        await page.Mouse.MoveAsync(0, 0);
        await SaveDocsScreenshotAsync(page, "account-overview.png");
        await AssertPagesFitAsync(page, "/portal", "/portal/invoices", "/portal/payments", "/portal/scheduled", "/portal/payment-methods", "/portal/deposit", "/portal/autopay");
    }, SuiteLanguage.Locale, nameof(At_1280_no_portal_page_overflows_the_window), 1280, 800);

    [Fact]
    public Task At_1280_the_pay_panel_shows_every_amount_to_pay_and_the_selection_bar_every_button() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesAsync(page);
        foreach (var number in await InvoiceGridSteps.FirstSelectableAsync(page, 3))
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true }).CheckAsync();
        }
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("amount-input")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("selection-locked")).ToBeVisibleAsync();

        // The amount-to-pay boxes are in the panel, not beyond its lines' sideways scroll (the 20-character boxes were).
        await AssertPayLinesFitAsync(page);
        // With a payment open the selection bar says it is locked; its buttons still lie inside the grid, none cut off.
        var outside = await page.EvaluateAsync<string[]>("""
            () => {
                const grid = document.querySelector('[data-testid=grid-grid]').getBoundingClientRect();
                return [...document.querySelectorAll('[data-testid=selection-bar] button')]
                    .filter(b => b.getBoundingClientRect().right > grid.right + 0.5 || b.scrollWidth > b.clientWidth + 1)
                    .map(b => `${b.textContent.trim()} (right ${Math.round(b.getBoundingClientRect().right)} of ${Math.round(grid.right)})`);
            }
            """);
        Assert.True(outside.Length == 0, "Cut off at the grid's edge: " + string.Join(" | ", outside));
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, nameof(At_1280_the_pay_panel_shows_every_amount_to_pay_and_the_selection_bar_every_button), 1280, 800);

    [Fact]
    public Task On_a_390_phone_nothing_scrolls_sideways_and_every_invoice_action_is_reachable() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesAsync(page);
        Assert.Equal(0, await SidewaysOverflowAsync(page));

        await AssertReachableAsync(page.GetByTestId("grid-search"), "The search box");
        await AssertReachableAsync(page.GetByTestId("grid-export-csv"), T("Export CSV"));
        var firstRow = page.Locator(Rows).First;
        // Each card names its cells: the n-th cell shows the n-th column's title (the select box's cell none).
        var titles = await CellTitlesAsync(page);
        Assert.Contains(titles, t => t.Column == T("Status"));
        Assert.All(titles, t => Assert.Equal(t.Column.Length == 0 ? "none" : $"\"{t.Column}\"", t.Content));
        await AssertReachableAsync(firstRow.Locator("button" + LabelSelector("Preview invoice {0}")), "The row's Preview button");
        await AssertReachableAsync(firstRow.Locator("button" + LabelSelector("Comments ({0}) on invoice {1}")), "The row's Comments button");

        var select = OpenInvoiceBox(page);
        await AssertReachableAsync(select, "The row's checkbox");
        await select.CheckAsync();
        // One invoice selected, not the page: each phone card has its own box only.
        await Expect(page.GetByTestId("selection-summary")).ToContainTextAsync(T("{0} selected", 1));
        await Expect(page.Locator($"{Rows} input[aria-label={CssString(T("Select all on this page"))}]:visible")).ToHaveCountAsync(0);
        await AssertReachableAsync(page.GetByTestId("pay-selected"), T("Pay selected"));
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await SaveDocsScreenshotAsync(page, "open-invoices-phone.png");
        // The actions menu opens inside the window and its actions can be tapped.
        await AssertReachableAsync(page.GetByTestId("invoice-actions"), T("Actions"));
        await page.GetByTestId("invoice-actions").ClickAsync();
        await AssertReachableAsync(page.GetByTestId("invoice-actions-list").GetByTestId("schedule-selected"), T("Schedule payment"));
        Assert.Equal(0, await SidewaysOverflowAsync(page));
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByTestId("invoice-actions-list")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("invoice-actions")).ToBeFocusedAsync();

        // The pay panel opens inside the window too.
        await page.GetByTestId("pay-selected").ClickAsync();
        await Expect(page.GetByTestId("pay-panel")).ToBeVisibleAsync();
        Assert.Equal(0, await SidewaysOverflowAsync(page));
        // Its line is a card: the amounts and the amount-to-pay box in the window, each titled by its column.
        await AssertPayLinesFitAsync(page);
        var line = page.GetByTestId("pay-line").First;
        await AssertReachableAsync(line.GetByTestId("amount-input"), "The amount-to-pay box");
        await Expect(line.Locator($"td[data-label={CssString(T("Amount to pay"))}]")).ToHaveCountAsync(1);
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, nameof(On_a_390_phone_nothing_scrolls_sideways_and_every_invoice_action_is_reachable), 390, 844);

    [Fact]
    public Task On_a_390_phone_payment_methods_can_be_edited_and_deleted_and_no_page_scrolls_sideways() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Gus);
        await page.GotoAsync("/portal/payment-methods");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment methods"), Level = 1 })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        // Add a card on the phone: the form fits the window.
        var nickname = "Phone card " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByRole(AriaRole.Button, new() { Name = T("Add payment method"), Exact = true }).ClickAsync();
        await page.GetByLabel(T("Nickname (optional)"), new() { Exact = true }).FillAsync(nickname);
        await page.GetByLabel(T("Card number"), new() { Exact = true }).FillAsync("4242 4242 4242 4242");
        await page.GetByLabel(T("Expiry month"), new() { Exact = true }).FillAsync("10");
        await page.GetByLabel(T("Expiry year"), new() { Exact = true }).FillAsync((DateTime.UtcNow.Year + 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel(T("Security code"), new() { Exact = true }).FillAsync("737");
        await page.GetByLabel(T("Name on card"), new() { Exact = true }).FillAsync("Gus Globex");
        await page.GetByLabel(T("Billing postal code"), new() { Exact = true }).FillAsync("94107");
        Assert.Equal(0, await SidewaysOverflowAsync(page));
        await AssertReachableAsync(page.GetByRole(AriaRole.Button, new() { Name = T("Continue"), Exact = true }), T("Continue"));
        await page.GetByRole(AriaRole.Button, new() { Name = T("Continue"), Exact = true }).ClickAsync();
        var row = page.GetByTestId("method-row").Filter(new() { HasText = nickname });
        await Expect(row).ToHaveCountAsync(1);

        Assert.Equal(0, await SidewaysOverflowAsync(page));
        await AssertReachableAsync(row.Locator("button" + LabelSelector("Edit {0}")), T("Edit"));
        var delete = row.Locator("button" + LabelSelector("Delete {0}"));
        await AssertReachableAsync(delete, T("Delete"));
        await AssertAccessibleAsync(page);

        // Delete it again: the confirmation's button is reachable too.
        await delete.ClickAsync();
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = T("Delete"), Exact = true });
        await AssertReachableAsync(confirm, "The confirmation's Delete");
        await confirm.ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        await AssertPagesFitAsync(page, "/portal", "/portal/payments", "/portal/scheduled", "/portal/deposit", "/portal/autopay");
    }, SuiteLanguage.Locale, nameof(On_a_390_phone_payment_methods_can_be_edited_and_deleted_and_no_page_scrolls_sideways), 390, 844);

    [Fact]
    public Task On_a_390_phone_a_search_that_finds_nothing_says_so_inside_the_window() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        const string nothing = "zqxw-none";

        // Open invoices: the grid's rows are cards, but its "nothing matches" message stayed on one line, cut off at the
        // grid's edge ("Keine Rechnungen entsprechen Ihrer Suche und den Fil"; a new account's "No payments have been made
        // through the portal fo…" in English too).
        await OpenInvoicesAsync(page);
        await InvoiceGridSteps.SearchAsync(page, nothing);
        await AssertNoResultsFitAsync(page, "grid-no-results", T("No invoices match your search and filters."));
        await AssertAccessibleAsync(page);

        // Payment history: the same.
        await page.GotoAsync("/portal/payments");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment history"), Level = 1 })).ToBeVisibleAsync();
        await WaitUntilLiveAsync(page);
        var search = page.GetByTestId("history-search");
        await search.FillAsync(nothing);
        await search.PressAsync("Enter");
        await AssertNoResultsFitAsync(page, "history-no-results", T("No payments match your search and filters."));
        Assert.Equal(0, await SidewaysOverflowAsync(page));
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, nameof(On_a_390_phone_a_search_that_finds_nothing_says_so_inside_the_window), 390, 844);

    [Theory]
    [InlineData(390, 844)]
    [InlineData(768, 1024)]
    [InlineData(1280, 800)]
    [InlineData(1920, 1080)]
    public Task Payment_history_fits_the_window_its_search_placeholder_and_every_status_whole_and_on_a_desktop_every_column_in_sight(int width, int height) => RunPageTest(async page =>
    {
        // A payment of the account, so the grid has a row whatever ran before.
        var invoice = $"INV-HLAY-{Guid.NewGuid().ToString("N")[..6].ToUpperInvariant()}";
        var (_, receipt) = await PaymentSeed.InsertPaymentAsync(Host, "ACME", invoice, "HLAY");
        await SignInAsync(page, Users.Pat);
        await page.GotoAsync("/portal/payments");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Payment history"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("history-receipt-link").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Equal(0, await SidewaysOverflowAsync(page));

        // The placeholder says what can be searched, whole: at 390 px "Receipt number, invoice number paid or note" ended
        // at the box's edge ("…paid or n"), in German earlier still.
        await AssertPlaceholderWholeAsync(page.GetByTestId("history-search"));

        if (width > 768)
        {
            // That payment alone (other tests' payments may say anything).
            var search = page.GetByTestId("history-search");
            await search.FillAsync(invoice);
            await search.PressAsync("Enter");
            await Expect(page.GetByTestId("history-receipt-link")).ToHaveTextAsync([receipt]);
            // A desktop table: at 1280 px its nine default columns were 1,264 px wide in a 1,005 px frame, the grid scrolled
            // sideways and "Invoices" was cut to "Invoi…" (at 1920 too); the date lost its "UTC" and "Invoice payment" its end.
            // Every default column is in the frame, its title and its values whole.
            var problems = await page.EvaluateAsync<string[]>("""
                () => {
                    const grid = document.querySelector('[data-testid=history-grid]');
                    const frame = grid.querySelector('.rz-data-grid-data'), edge = frame.getBoundingClientRect().right;
                    const out = [];
                    if (frame.scrollWidth > frame.clientWidth + 1) out.push(`the grid is ${frame.scrollWidth} px wide in a ${frame.clientWidth} px frame`);
                    const heads = [...grid.querySelectorAll('thead th')];
                    heads.forEach(th => {
                        const t = th.querySelector('.rz-column-title-content');
                        if (!t) return;
                        const title = t.textContent.trim(), right = th.getBoundingClientRect().right;
                        if (right > edge + 0.5) out.push(`the column "${title}" ends at ${Math.round(right)} px, the frame at ${Math.round(edge)}`);
                        if (t.scrollWidth > t.clientWidth + 1) out.push(`the title "${title}" is cut off (${t.scrollWidth} px in ${t.clientWidth})`);
                    });
                    for (const row of grid.querySelectorAll('tbody tr.rz-data-row'))
                        for (const td of row.children)
                            if (td.scrollWidth > td.clientWidth + 1) out.push(`the cell "${td.textContent.trim()}" is cut off`);
                    return out;
                }
                """);
            Assert.True(problems.Length == 0, $"At {width} px: " + string.Join("; ", problems.Distinct()));
            await Expect(page.Locator("[data-testid=history-grid] thead th .rz-column-title-content")).ToHaveTextAsync(
                [.. new[] { ("Date", "Date"), ("Receipt", "Receipt number"), ("Kind", "Kind"), ("Method", "Method"), ("Amount", "Amount"),
                    ("Status", "Status"), ("PaidBy", "Paid by"), ("Invoices", "Invoices") }.Select(c => TKey("History." + c.Item1, c.Item2))]);
        }

        // Every status a row can show, whole in the Status cell: in German at 1280 px the bold "Fehlgeschlagen" and
        // "Zurückgebucht" were cut to "Fehlgeschl…" in its 7rem, sized for English.
        await AssertEveryHistoryStatusWholeAsync(page, width);
        Assert.Equal(0, await SidewaysOverflowAsync(page));
        await AssertAccessibleAsync(page);
    }, SuiteLanguage.Locale, $"{nameof(Payment_history_fits_the_window_its_search_placeholder_and_every_status_whole_and_on_a_desktop_every_column_in_sight)}_{width}", width, height);

    /// <summary>
    /// Fails unless every status a payment history row can show (worded and coloured as the grid shows it, a scheduled one
    /// with its date) fits a row's Status cell whole, without widening the grid or the page: each is put in turn into the
    /// first row's own status text, the cell is measured, and the row's own status is put back.
    /// </summary>
    private async Task AssertEveryHistoryStatusWholeAsync(IPage page, int width)
    {
        var lastDay = new DateOnly(2026, 12, 31).ToString("d", SuiteLanguage.Culture);
        // The status's class is pp-status-{status} (PaymentHistoryGrid.StatusClasses); a payment being charged reads "Processing".
        var statuses = new[]
        {
            ("scheduled", TKey("Status.ScheduledFor", "Scheduled {0}", lastDay)), ("scheduled", TKey("PaymentStatus.Scheduled", "Scheduled")),
            ("processing", TKey("PaymentStatus.Processing", "Processing")), ("charging", TKey("PaymentStatus.Processing", "Processing")),
            ("succeeded", TKey("PaymentStatus.Paid", "Paid")), ("failed", TKey("PaymentStatus.Failed", "Failed")),
            ("returned", TKey("PaymentStatus.Returned", "Returned")), ("cancelled", TKey("PaymentStatus.Cancelled", "Cancelled")),
            ("unconfirmed", TKey("PaymentStatus.Confirming", "Confirming")), ("refunded", TKey("PaymentStatus.Refunded", "Refunded")),
            ("requiresaction", TKey("PaymentStatus.ActionRequired", "Action required")),
        }.Select(s => new[] { "pp-status-" + s.Item1, s.Item2 }).ToArray();
        var problems = await page.EvaluateAsync<string[]>("""
            statuses => {
                const grid = document.querySelector('[data-testid=history-grid]');
                const frame = grid.querySelector('.rz-data-grid-data');
                const cell = grid.querySelector('tbody tr.rz-data-row > td.pp-status');
                const text = cell.querySelector('span[class^=pp-status-]');
                const own = [text.className, text.textContent];
                const out = [];
                for (const [css, words] of statuses) {
                    text.className = css;
                    text.textContent = words;
                    if (cell.scrollWidth > cell.clientWidth) out.push(`"${words}" needs ${cell.scrollWidth} px, the Status cell has ${cell.clientWidth}: it is cut off`);
                    if (frame.scrollWidth > frame.clientWidth + 1) out.push(`with "${words}" the grid is ${frame.scrollWidth} px wide in a ${frame.clientWidth} px frame`);
                    if (document.documentElement.scrollWidth > document.documentElement.clientWidth) out.push(`with "${words}" the page scrolls sideways`);
                }
                [text.className, text.textContent] = own;
                return out;
            }
            """, statuses);
        Assert.True(problems.Length == 0, $"At {width} px: " + string.Join("; ", problems));
    }

    /// <summary>
    /// Fails unless the search box's placeholder fits its text area in the box's own font (the browser cuts a placeholder
    /// off at the box's edge without an ellipsis, so the page's boxes cannot tell).
    /// </summary>
    private static async Task AssertPlaceholderWholeAsync(ILocator input)
    {
        var box = await input.EvaluateAsync<PlaceholderBox>("""
            input => {
                const style = getComputedStyle(input);
                const context = document.createElement('canvas').getContext('2d');
                context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                return { text: input.placeholder, needed: context.measureText(input.placeholder).width, room };
            }
            """);
        Assert.True(box.Text.Length > 0, "The search box has no placeholder.");
        Assert.True(box.Needed <= box.Room + 0.5, $"The placeholder \"{box.Text}\" needs {box.Needed:0} px, the box has {box.Room:0} px: it is cut off.");
    }

    private sealed class PlaceholderBox
    {
        public string Text { get; set; } = "";
        public double Needed { get; set; }
        public double Room { get; set; }
    }

    /// <summary>
    /// Fails unless the grid's empty message <paramref name="testId"/> says <paramref name="text"/> inside the window, wrapped
    /// rather than cut off by the grid's frame, and its Clear filters button can be tapped.
    /// </summary>
    private static async Task AssertNoResultsFitAsync(IPage page, string testId, string text)
    {
        var empty = page.GetByTestId(testId);
        await Expect(empty.Locator("p")).ToHaveTextAsync(text);
        var problem = await empty.Locator("p").EvaluateAsync<string>("""
            p => {
                const r = p.getBoundingClientRect(), frame = p.closest('.rz-data-grid-data') ?? document.documentElement;
                const edge = Math.min(window.innerWidth, frame.getBoundingClientRect().right);
                if (r.right > edge + 0.5) return `ends at ${Math.round(r.right)} px, past the edge at ${Math.round(edge)} px`;
                if (p.scrollWidth > p.clientWidth + 1) return `is ${p.scrollWidth} px wide in a ${p.clientWidth} px line`;
                return '';
            }
            """);
        Assert.True(problem.Length == 0, $"The message '{text}' {problem}.");
        await AssertReachableAsync(empty.GetByRole(AriaRole.Button, new() { Name = T("Clear filters"), Exact = true }), T("Clear filters"));
    }

    /// <summary>
    /// Fails when the pay panel's lines scroll sideways in their frame (an amount or amount-to-pay box beyond the panel's
    /// edge, out of sight until scrolled to) or a total sticks out of the panel.
    /// </summary>
    private static async Task AssertPayLinesFitAsync(IPage page)
    {
        var problems = await page.EvaluateAsync<string[]>("""
            () => {
                const panel = document.querySelector('[data-testid=pay-panel]');
                const frame = panel.querySelector('[data-testid=pay-lines]').parentElement;
                const edge = panel.getBoundingClientRect().right;
                const out = [];
                if (frame.scrollWidth > frame.clientWidth + 1) out.push(`the lines are ${frame.scrollWidth} px wide in a ${frame.clientWidth} px frame`);
                for (const e of panel.querySelectorAll('[data-testid=amount-input], [data-testid=pay-totals] dd'))
                    if (e.getBoundingClientRect().right > edge + 0.5) out.push(`${e.value ?? e.textContent.trim()} ends at ${Math.round(e.getBoundingClientRect().right)} px, the panel at ${Math.round(edge)}`);
                return out;
            }
            """);
        Assert.True(problems.Length == 0, "The pay panel does not fit: " + string.Join("; ", problems));
    }

    /// <summary>Opens each page, fails when it is wider than the window, and scans it.</summary>
    private async Task AssertPagesFitAsync(IPage page, params string[] paths)
    {
        foreach (var path in paths)
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.True(await SidewaysOverflowAsync(page) == 0, $"{path} scrolls sideways in a {page.ViewportSize!.Width} px window.");
            await AssertAccessibleAsync(page);
        }
    }

    private async Task OpenInvoicesAsync(IPage page)
    {
        await page.GotoAsync("/portal/invoices");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = T("Open invoices"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator(Rows).First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    /// <summary>
    /// With PORTAL_DOCS_SCREENSHOTS set to a folder (not in CI), saves what the window shows there: the pictures in docs/images
    /// come from these tests ("name.png" in English, "name.de.png" when the suite runs in German).
    /// </summary>
    private static async Task SaveDocsScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("PORTAL_DOCS_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            var file = SuiteLanguage.IsEnglish ? name : Path.ChangeExtension(name, SuiteLanguage.Culture.TwoLetterISOLanguageName + ".png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, file) });
        }
    }

    /// <summary>
    /// How many CSS pixels the page is wider than the window (0 when nothing scrolls sideways); the widest elements that
    /// stick out are written to the output.
    /// </summary>
    private async Task<int> SidewaysOverflowAsync(IPage page)
    {
        var overflow = await page.EvaluateAsync<int>("() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)");
        if (overflow > 0)
        {
            Output.WriteLine("Sticking out: " + await page.EvaluateAsync<string>("""
                () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                        && !(e.parentElement && e.parentElement.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
                    .slice(0, 6).map(e => {
                        const d = x => `${x.tagName.toLowerCase()}.${[...x.classList].join('.')} (right ${Math.round(x.getBoundingClientRect().right)}, ${getComputedStyle(x).display}, overflow-x ${getComputedStyle(x).overflowX})`;
                        return d(e) + (e.parentElement ? ' in ' + d(e.parentElement) : '');
                    }).join('; ') + ` [scrollWidth ${document.documentElement.scrollWidth}, clientWidth ${document.documentElement.clientWidth}]`
                """));
        }
        return overflow;
    }

    /// <summary>Scrolls the element into view and fails unless it has a size, lies inside the window and is what a tap on its centre hits.</summary>
    private static async Task AssertReachableAsync(ILocator locator, string what)
    {
        await Expect(locator).ToBeVisibleAsync();
        var problem = await locator.EvaluateAsync<string>("""
            el => {
                el.scrollIntoView({ block: 'center', inline: 'nearest' });
                const r = el.getBoundingClientRect();
                if (r.width < 1 || r.height < 1) return 'has no size';
                if (r.left < -0.5 || r.right > window.innerWidth + 0.5)
                    return `is outside the window (${Math.round(r.left)}–${Math.round(r.right)} px of ${window.innerWidth})`;
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                if (!hit || !(hit === el || el.contains(hit) || hit.contains(el) && hit.tagName === 'LABEL'))
                    return 'is covered by ' + (hit ? hit.outerHTML.slice(0, 160) : 'nothing');
                return '';
            }
            """);
        Assert.True(problem.Length == 0, $"{what} {problem}.");
    }

    /// <summary>
    /// An attribute selector for an aria-label made from the portal format <paramref name="englishFormat"/> in the suite's
    /// language: starts with its text before the first placeholder, ends with its text after the last ("Edit {0}" →
    /// [aria-label^='Edit '], "{0} bearbeiten" → [aria-label$=' bearbeiten']).
    /// </summary>
    /// <summary>
    /// The tick box of the first Open invoice on the page. Other tests on the shared host schedule invoices of this account:
    /// a Scheduled one ticked offers "Cancel scheduled payment" in place of "Pay selected", and a credit memo alone pays
    /// nothing, so the first box that can be ticked is not always one to pay.
    /// </summary>
    private static ILocator OpenInvoiceBox(IPage page)
    {
        var open = page.Locator("td.pp-inv-status", new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(T("Open"))}\\s*$") });
        return page.Locator(Rows).Filter(new() { Has = open })
            .Locator($"td.pp-col-select input{LabelSelector("Select invoice {0}")}[aria-label*='INV-']:not([disabled])").First;
    }

    private static string LabelSelector(string englishFormat)
    {
        var format = T(englishFormat);
        var (prefix, suffix) = (format[..format.IndexOf('{', StringComparison.Ordinal)], format[(format.LastIndexOf('}') + 1)..]);
        Assert.True(prefix.Length + suffix.Length > 0, $"\"{format}\" has no text around its placeholders.");
        return (prefix.Length > 0 ? $"[aria-label^={CssString(prefix)}]" : "") + (suffix.Length > 0 ? $"[aria-label$={CssString(suffix)}]" : "");
    }

    /// <summary>A CSS string literal of <paramref name="text"/>.</summary>
    private static string CssString(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private sealed class HeaderBox
    {
        public string Title { get; set; } = "";
        public bool Cut { get; set; }
        public double Right { get; set; }
    }

    /// <summary>The first row's cells: the column title in the header above each, and the title its card shows (CSS content of ::before).</summary>
    private static async Task<CellTitle[]> CellTitlesAsync(IPage page) => await page.EvaluateAsync<CellTitle[]>("""
        sel => {
            const heads = [...document.querySelectorAll('[data-testid=grid-grid] thead th')].map(th => th.querySelector('.rz-column-title-content')?.textContent.trim() ?? '');
            return [...document.querySelector(sel).querySelectorAll(':scope > td')].map((td, i) => ({ column: heads[i] ?? '', content: getComputedStyle(td, '::before').content }));
        }
        """, Rows);

    private sealed class CellTitle
    {
        public string Column { get; set; } = "";
        public string Content { get; set; } = "";
    }
}
