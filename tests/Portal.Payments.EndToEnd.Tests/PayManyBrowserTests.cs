using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The multi-invoice money paths of the open-invoices page in Chromium, as an accounts-payable clerk walks them: "select
/// all matching" across pages, "pay all past due", and the arithmetic of the payment preview and the receipt (discount,
/// short payment, credit memo). Every figure the page shows is compared with the page's other figures and with the host's
/// database, never with numbers written here.
/// </summary>
/// <remarks>
/// Paying dozens of invoices would change the Acme account other test classes share: each test runs a sample host of its
/// own (fresh database; Acme with 120 items so a result spans pages; postings that the demo ERP settles only after an
/// hour, so what was paid stays Pending while the test reads it).
/// </remarks>
public sealed class PayManyBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output), IAsyncLifetime
{
    private const string Account = "ACME";

    private OwnHostSite? _own;

    /// <inheritdoc />
    protected override string BaseUrl => Own.Process.BaseUrl;

    /// <inheritdoc />
    protected override string HostOutput => Own.Output;

    private OwnHostSite Own => _own ?? throw new InvalidOperationException("The test's host is not started.");

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _own = new OwnHostSite("paymany", new Dictionary<string, string>
        {
            ["CustomerPortalPayments__DemoErp__Accounts__0__AccountId"] = Account,
            ["CustomerPortalPayments__DemoErp__Accounts__0__InvoiceCount"] = "120",
            ["CustomerPortalPayments__DemoErp__SettlementDelay"] = "01:00:00",
        });
        return _own.StartWarmAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_own is not null)
        {
            await _own.DisposeAsync();
        }
    }

    [Fact]
    public Task Select_all_matching_takes_every_page_of_the_result_and_pays_it_in_one_payment() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var today = await HostTodayAsync(page);
        var selectAll = page.GetByTestId("select-all-matching");

        // The clerk ticks the first page by hand, then looks at the credit memos: those not ticked yet can all be selected.
        await page.GetByTestId("select-page").CheckAsync();
        var ticked = await RowBoxes(page).CountAsync();
        await SelectionAsync(page, ticked);
        await InvoiceGridSteps.SearchAsync(page, "CM-");
        var credits = await InvoiceGridSteps.ResultCountAsync(page);
        var unticked = await RowBoxes(page).And(page.Locator(":not(:checked)")).CountAsync();
        Assert.True(unticked > 0, $"All {credits} credit memos are among the {ticked} items ticked on the first page.");
        await Expect(selectAll).ToHaveTextAsync(new Regex(InvoiceGridSteps.FormatPattern("Select all {0} matching ({1})",
            Regex.Escape(credits.ToString("N0", SuiteLanguage.Culture)), MoneyPattern)));
        await page.GetByTestId("clear-selection").ClickAsync();
        await Expect(page.GetByTestId("selection-summary")).ToHaveTextAsync(T("Select invoices to pay, or use the buttons to select many at once."));

        // The invoices only: more than one page of them.
        await InvoiceGridSteps.SearchAsync(page, "INV-");
        var count = await InvoiceGridSteps.ResultCountAsync(page);
        var pageRows = await InvoiceGridSteps.Numbers(page).CountAsync();
        Assert.True(count > pageRows, $"{count} invoices on {pageRows} rows per page: the result should span pages.");
        var (dbCount, dbOpenMinor) = await PayableInvoicesAsync("NumberKey LIKE 'INV-%'");
        Assert.Equal(count, dbCount);   // a fresh account: every invoice is Open, so the result is what can be paid

        // The button offers the whole result: the pager's count and the database's sum of the open balances.
        await Expect(selectAll).ToHaveTextAsync(new Regex(InvoiceGridSteps.FormatPattern("Select all {0} matching ({1})", InvoiceGridSteps.CountPattern, MoneyPattern)));
        var offer = Regex.Match(await selectAll.InnerTextAsync(), InvoiceGridSteps.FormatPattern("Select all {0} matching ({1})", InvoiceGridSteps.CountPattern, MoneyPattern));
        Assert.Equal(count, InvoiceGridSteps.Count(offer));
        Assert.Equal(new MoneyText("USD", dbOpenMinor / 100m), MoneyText.Parse(offer.Groups["money"].Value));

        await selectAll.ClickAsync();
        var selected = await SelectionAsync(page, count);
        Assert.Equal(new MoneyText("USD", dbOpenMinor / 100m), selected);
        await Expect(page.GetByTestId("grid-notice")).ToHaveTextAsync(T("{0} matching invoices selected (open balance {1}).", count.ToString("N0", SuiteLanguage.Culture), selected.ToString()));
        // Every row of the page is ticked (and so is the page's own box), and the offer is gone: all of it is selected.
        await Expect(page.GetByTestId("select-page")).ToBeCheckedAsync();
        await Expect(RowBoxes(page).And(page.Locator(":not(:checked)"))).ToHaveCountAsync(0);
        await Expect(selectAll).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);

        // So is every row of the next page: the selection is the result's, not the page's.
        var firstNumbers = await InvoiceGridSteps.Numbers(page).AllInnerTextsAsync();
        await InvoiceGridSteps.Grid(page).Locator(".rz-pager-next").ClickAsync();
        await Expect(InvoiceGridSteps.Numbers(page).First).Not.ToHaveTextAsync(firstNumbers[0]);
        await Expect(InvoiceGridSteps.Loading(page)).ToHaveCountAsync(0);
        await Expect(RowBoxes(page).First).ToBeCheckedAsync();
        await Expect(RowBoxes(page).And(page.Locator(":not(:checked)"))).ToHaveCountAsync(0);
        await SelectionAsync(page, count);
        await InvoiceGridSteps.Grid(page).Locator(".rz-pager-prev").ClickAsync();
        await Expect(InvoiceGridSteps.Numbers(page).First).ToHaveTextAsync(firstNumbers[0]);

        // The payment preview: one line per invoice, figures that add up, the discounts the database offers today.
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(count);
        var lines = await PanelLinesAsync(panel);
        Assert.Equal(await OpenNumbersAsync("NumberKey LIKE 'INV-%'"), lines.Select(l => l.Number).Order(StringComparer.Ordinal).ToList());
        var totals = await PanelTotalsAsync(panel);
        Assert.Equal(selected.Amount, totals.Invoices);
        AssertInvoicesLessDiscounts(lines, totals);
        Assert.Equal(await DiscountsTodayAsync(today), totals.Discounts);
        Assert.Equal(0m, totals.Short);
        await AssertAccessibleAsync(page);

        var payment = await PayWithNewCardAsync(page, panel, totals.Total);

        // One payment of the total for every invoice; each is Pending, and the money in flight is the payment.
        Assert.Equal((long)count, await Own.ScalarAsync("SELECT COUNT(*) FROM pp_payment_allocations WHERE PaymentId = $id", payment));
        Assert.Equal(ToMinor(totals.Total), await Own.ScalarAsync("SELECT AmountMinor FROM pp_payments WHERE Id = $id", payment));
        Assert.Equal(0L, (await PayableInvoicesAsync("NumberKey LIKE 'INV-%'")).Count);
        Assert.Equal((long)count, await Own.ScalarAsync("SELECT COUNT(*) FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND Status = 1 AND NumberKey LIKE 'INV-%'", Account));
        await Expect(page.GetByTestId("grid-notice")).ToHaveTextAsync(T("Payment submitted. The paid invoices now show as Pending."));
        await ExpectPendingAsync(page.GetByTestId("grid-total-pending"), totals.Total);
        var buckets = await BucketsAsync(page);
        Assert.Equal(totals.Total, buckets.Sum(b => b.Pending));
        await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync(Enumerable.Repeat(T("Pending"), pageRows).ToArray());
        await Expect(page.GetByTestId("selection-summary")).ToHaveTextAsync(T("Select invoices to pay, or use the buttons to select many at once."));
        await Expect(selectAll).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);
    });

    [Fact]
    public Task Pay_all_past_due_pays_exactly_the_past_due_invoices_of_the_aging_periods() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var today = await HostTodayAsync(page);

        // The aging periods after "Current" are past due: what they hold is what the database holds due before today.
        var before = await BucketsAsync(page);
        var pastDue = before.Skip(1).ToList();
        var (dbPastDueCount, dbPastDueMinor) = await ScalarPairAsync(
            "SELECT COUNT(*), COALESCE(SUM(OpenMinor), 0) FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND DueDate < $today", today);
        Assert.Equal(dbPastDueCount, pastDue.Sum(b => b.Count));
        Assert.Equal(dbPastDueMinor / 100m, pastDue.Sum(b => b.Balance));

        // Their invoices, period by period (the periods also hold credits, which "pay all past due" leaves alone): the
        // "select all matching" offer of each period with the invoices searched.
        await InvoiceGridSteps.SearchAsync(page, "INV-");
        var toggles = page.GetByTestId("bucket-toggle");
        var invoicesByPeriod = new List<(int Count, decimal Total)> { (0, 0m) };
        for (var i = 1; i < before.Count; i++)
        {
            await toggles.Nth(i).ClickAsync();
            await Expect(toggles.Nth(i)).ToHaveAttributeAsync("aria-pressed", "true");
            // The press took the last result's offer away; the period's own offer comes with its count (or no rows at all).
            var offer = page.GetByTestId("select-all-matching");
            var noResults = page.GetByTestId("grid-no-results");
            await Expect(offer.Or(noResults)).ToBeVisibleAsync();
            if (await noResults.IsVisibleAsync())
            {
                invoicesByPeriod.Add((0, 0m));
            }
            else
            {
                var pattern = InvoiceGridSteps.FormatPattern("Select all {0} matching ({1})", InvoiceGridSteps.CountPattern, MoneyPattern);
                await Expect(offer).ToHaveTextAsync(new Regex(pattern));
                var match = Regex.Match(await offer.InnerTextAsync(), pattern);
                var periodCount = InvoiceGridSteps.Count(match);
                await Expect(InvoiceGridSteps.PagingSummary(page)).ToContainTextAsync(
                    InvoiceGridSteps.PagingSummaryPattern(Regex.Escape(periodCount.ToString("N0", SuiteLanguage.Culture))));
                invoicesByPeriod.Add((periodCount, MoneyText.Parse(match.Groups["money"].Value).Amount));
            }
            await toggles.Nth(i).ClickAsync();
            await Expect(toggles.Nth(i)).ToHaveAttributeAsync("aria-pressed", "false");
        }
        var pastDueInvoices = invoicesByPeriod.Sum(p => p.Count);
        var pastDueTotal = invoicesByPeriod.Sum(p => p.Total);
        Assert.True(pastDueInvoices > 1, $"{pastDueInvoices} past-due invoices: the demo account should have dozens.");
        await page.GetByRole(AriaRole.Button, new() { Name = T("Clear search"), Exact = true }).ClickAsync();
        await Expect(InvoiceGridSteps.SearchBox(page)).ToHaveValueAsync("");

        // The button selects exactly them and opens the preview.
        await page.GetByTestId("pay-past-due").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(pastDueInvoices);
        await Expect(page.GetByTestId("grid-notice")).ToHaveTextAsync(T("{0} past-due invoices selected (open balance {1}). Review the payment below.",
            pastDueInvoices.ToString("N0", SuiteLanguage.Culture), new MoneyText("USD", pastDueTotal).ToString()));
        await SelectionAsync(page, pastDueInvoices);
        var lines = await PanelLinesAsync(panel);
        Assert.Equal(await PastDueInvoiceNumbersAsync(today), lines.Select(l => l.Number).Order(StringComparer.Ordinal).ToList());
        var totals = await PanelTotalsAsync(panel);
        Assert.Equal(pastDueTotal, totals.Invoices);
        AssertInvoicesLessDiscounts(lines, totals);
        await AssertAccessibleAsync(page);

        var payment = await PayWithNewCardAsync(page, panel, totals.Total);
        Assert.Equal((long)pastDueInvoices, await Own.ScalarAsync("SELECT COUNT(*) FROM pp_payment_allocations WHERE PaymentId = $id", payment));

        // All of them Pending: each past-due period has its invoices' money in flight, the current period none; the
        // balances themselves stay until the ERP applies the payment.
        Assert.Equal(0L, (await ScalarPairAsync(
            "SELECT COUNT(*), 0 FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND DueDate < $today AND Type = 1 AND Status = 0", today)).Count);
        await ExpectPendingAsync(page.GetByTestId("grid-total-pending"), totals.Total);
        var after = await BucketsAsync(page);
        Assert.Equal(0m, after[0].Pending);
        for (var i = 1; i < after.Count; i++)
        {
            Assert.Equal(before[i].Balance, after[i].Balance);
            Assert.Equal(before[i].Count, after[i].Count);
            if (totals.Discounts == 0m)
            {
                Assert.Equal(invoicesByPeriod[i].Total, after[i].Pending);
            }
        }
        Assert.Equal(totals.Total, after.Sum(b => b.Pending));

        // Nothing past due is left to pay.
        await page.GetByTestId("pay-past-due").ClickAsync();
        await Expect(page.GetByTestId("grid-notice")).ToHaveTextAsync(T("No past-due invoice is waiting to be paid."));
        await AssertAccessibleAsync(page);
    });

    [Fact]
    public Task The_preview_and_the_receipt_net_discount_short_payment_and_credit_memo() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await OpenInvoicesFromNavAsync(page);
        var today = await HostTodayAsync(page);

        // From the database: an invoice with its early-payment discount still open today, one without a discount to pay
        // short, and the smallest credit memo.
        var discounted = await FirstNumberAsync(
            "Type = 1 AND Status = 0 AND DiscountMinor IS NOT NULL AND DiscountDate >= $today ORDER BY DueDate, Number", today);
        var plain = await FirstNumberAsync("Type = 1 AND Status = 0 AND DiscountMinor IS NULL AND OpenMinor > 5000 ORDER BY Number", today);
        var credit = await FirstNumberAsync("Type = 2 AND Status = 0 ORDER BY OpenMinor DESC, Number", today);
        Output.WriteLine($"Paying {discounted} (discount), {plain} (short) and {credit} (credit memo).");

        // Each found by a search and ticked; the grid's figures of each row.
        var rows = new Dictionary<string, GridRow>(StringComparer.Ordinal);
        foreach (var number in new[] { discounted, plain, credit })
        {
            await InvoiceGridSteps.SearchAsync(page, number);
            await Expect(InvoiceGridSteps.Numbers(page)).ToHaveTextAsync([number]);
            rows[number] = await GridRowAsync(page);
            await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true }).CheckAsync();
        }
        Assert.True(rows[discounted].Discount > 0m, $"{discounted} shows no discount today.");
        Assert.Equal(rows[discounted].Open - rows[discounted].Discount, rows[discounted].AmountToPay);
        Assert.Equal(0m, rows[plain].Discount);
        Assert.True(rows[credit].Open < 0m, $"{credit} shows {rows[credit].Open}.");
        Assert.Null(rows[credit].AmountToPay);   // a credit is applied, not paid
        await SelectionAsync(page, 3);

        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-line")).ToHaveCountAsync(3);

        // Pay the plain invoice short by 10.00 (a reason chosen): the preview is computed again.
        var full = rows[plain].AmountToPay ?? throw new Xunit.Sdk.XunitException($"{plain} shows no amount to pay.");
        var amountInput = panel.GetByLabel(T("Amount to pay for {0}", plain), new() { Exact = true });
        await amountInput.FillAsync((full - 10m).ToString("0.00", SuiteLanguage.Culture));
        await amountInput.PressAsync("Tab");
        await panel.GetByTestId("reason-select").SelectOptionAsync("Damaged");
        await Expect(panel.GetByTestId("total-short")).ToHaveTextAsync(new MoneyText("USD", -10m).ToString());

        // Each line as the grid row said; the totals add up from the lines.
        var lines = (await PanelLinesAsync(panel)).ToDictionary(l => l.Number, StringComparer.Ordinal);
        Assert.Equal(new[] { credit, discounted, plain }.Order(StringComparer.Ordinal), lines.Keys.Order(StringComparer.Ordinal));
        foreach (var number in new[] { discounted, plain })
        {
            Assert.Equal(rows[number].Open, lines[number].Open);
            Assert.Equal(rows[number].Discount, lines[number].Discount);
        }
        Assert.Equal(rows[discounted].AmountToPay, lines[discounted].AmountToPay);
        Assert.Equal(full - 10m, lines[plain].AmountToPay);
        Assert.Equal(10m, lines[plain].Short); // a magnitude, as the discount column and the receipt show it
        Assert.Equal(rows[credit].Open, lines[credit].Open);
        var totals = await PanelTotalsAsync(panel);
        Assert.Equal(lines[discounted].Open + lines[plain].Open, totals.Invoices);
        Assert.Equal(lines[discounted].Discount, totals.Discounts);
        Assert.Equal(10m, totals.Short);
        var net = totals.Invoices - totals.Discounts - totals.Short;
        Assert.Equal(Math.Min(-rows[credit].Open, net), totals.Credits);
        Assert.Equal(-totals.Credits, lines[credit].AmountToPay);
        Assert.Equal(net - totals.Credits, totals.Total);
        Assert.Equal(lines.Values.Sum(l => l.AmountToPay), totals.Total);
        await AssertAccessibleAsync(page);

        var payment = await PayWithNewCardAsync(page, panel, totals.Total);

        // The receipt: the same lines and totals.
        await panel.GetByTestId("pay-confirmation").GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/portal/payments/{payment}/receipt$", RegexOptions.IgnoreCase));
        var receipt = page.GetByTestId("receipt");
        await Expect(receipt.GetByTestId("receipt-line")).ToHaveCountAsync(3);
        Assert.Equal(totals.Invoices, await AmountAsync(receipt.GetByTestId("receipt-invoices")));
        Assert.Equal(-totals.Discounts, await AmountAsync(receipt.GetByTestId("receipt-discounts")));
        Assert.Equal(-totals.Credits, await AmountAsync(receipt.GetByTestId("receipt-credits")));
        Assert.Equal(-totals.Short, await AmountAsync(receipt.GetByTestId("receipt-short-total")));
        Assert.Equal(totals.Total, await AmountAsync(receipt.GetByTestId("receipt-amount")));
        var receiptLines = await receipt.GetByTestId("receipt-line").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [r.querySelector('th').textContent.trim(), ...[...r.querySelectorAll('td')].map(c => c.textContent.trim())])");
        foreach (var cells in receiptLines)
        {
            // Number | type | open balance | discount | short | reason | applied
            var line = lines[cells[0]];
            Assert.Equal(line.Open, MoneyText.Parse(cells[2]).Amount);
            Assert.Equal(line.Discount, OptionalAmount(cells[3]));
            Assert.Equal(line.Short, OptionalAmount(cells[4])); // the preview's figure
            Assert.Equal(line.AmountToPay, MoneyText.Parse(cells[6]).Amount);
        }
        Assert.StartsWith(TKey("ShortPayReason.Damaged", "Damaged"), receiptLines.Single(c => c[0] == plain)[5], StringComparison.Ordinal);
        await AssertAccessibleAsync(page);

        // Back on the grid all three are Pending, and the money in flight is what was charged.
        await OpenInvoicesFromNavAsync(page);
        await ExpectPendingAsync(page.GetByTestId("grid-total-pending"), totals.Total);
        foreach (var number in new[] { discounted, plain, credit })
        {
            await InvoiceGridSteps.SearchAsync(page, number);
            await Expect(InvoiceGridSteps.Statuses(page)).ToHaveTextAsync([T("Pending")]);
        }
    });

    /// <summary>An amount as the portal writes it ("USD 1,234.56"), captured as "money".</summary>
    private static readonly string MoneyPattern = @"(?<money>[A-Z]{3}\s-?[0-9][0-9.,\u00a0\u202f]*[0-9])";

    /// <summary>One line of the payment preview: every amount as a number (a short adjustment negative, as it is shown).</summary>
    private sealed record PanelLine(string Number, decimal Open, decimal Discount, decimal Short, decimal AmountToPay);

    /// <summary>The preview's totals, each as the amount it takes off (discounts, short payments and credits positive).</summary>
    private sealed record PanelTotals(decimal Invoices, decimal Discounts, decimal Short, decimal Credits, decimal Total);

    /// <summary>An aging period: its item count, balance and money pending.</summary>
    private sealed record Bucket(int Count, decimal Balance, decimal Pending);

    /// <summary>A grid row's open balance, discount today and full payment ("Amount to pay"; none for a credit).</summary>
    private sealed record GridRow(decimal Open, decimal Discount, decimal? AmountToPay);

    /// <summary>The selection summary says <paramref name="count"/> selected; returns the open balance it states.</summary>
    private static async Task<MoneyText> SelectionAsync(IPage page, int count)
    {
        var pattern = InvoiceGridSteps.FormatPattern("{0} selected", Regex.Escape(count.ToString("N0", SuiteLanguage.Culture)))
                      + @"\s*·\s*" + InvoiceGridSteps.FormatPattern("open balance {0}", MoneyPattern);
        var summary = page.GetByTestId("selection-summary");
        await Expect(summary).ToHaveTextAsync(new Regex(pattern));
        return MoneyText.Parse(Regex.Match(await summary.InnerTextAsync(), pattern).Groups["money"].Value);
    }

    /// <summary>The check boxes of the grid's rows (one per item: invoice, credit memo or unapplied cash).</summary>
    private static ILocator RowBoxes(IPage page) => InvoiceGridSteps.Grid(page).Locator("tbody input[type='checkbox']");

    /// <summary>The preview's lines: number, open balance, discount, short adjustment, amount to pay (input or text).</summary>
    private static async Task<List<PanelLine>> PanelLinesAsync(ILocator panel)
    {
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(new Regex(@"^\s*$|" + Regex.Escape(T("Amounts updated."))));
        var rows = await panel.GetByTestId("pay-line").EvaluateAllAsync<string[][]>(
            """
            rows => rows.map(r => {
                const cells = [...r.querySelectorAll('td')];
                const last = cells[cells.length - 1];
                const input = last.querySelector('input');
                return [r.querySelector('th').textContent.trim(), ...cells.map(c => c.textContent.trim()), input ? 'input:' + input.value : last.textContent.trim()];
            })
            """);
        // Number | type | due | open balance | discount | short | amount to pay (cell) | amount to pay (value)
        return rows.Select(c => new PanelLine(c[0], MoneyText.Parse(c[3]).Amount, OptionalAmount(c[4]), OptionalAmount(c[5]),
            c[^1].StartsWith("input:", StringComparison.Ordinal)
                ? decimal.Parse(c[^1]["input:".Length..], NumberStyles.Number, SuiteLanguage.Culture)
                : MoneyText.Parse(c[^1]).Amount)).ToList();
    }

    private static async Task<PanelTotals> PanelTotalsAsync(ILocator panel)
    {
        var shortTotal = panel.GetByTestId("total-short");
        return new PanelTotals(
            await AmountAsync(panel.GetByTestId("total-invoices")),
            -await AmountAsync(panel.GetByTestId("total-discounts")),
            await shortTotal.CountAsync() == 0 ? 0m : -await AmountAsync(shortTotal),
            -await AmountAsync(panel.GetByTestId("total-credits")),
            await AmountAsync(panel.GetByTestId("total")));
    }

    /// <summary>The aging periods in page order: item count, balance and pending money (zero when none shows).</summary>
    private static async Task<List<Bucket>> BucketsAsync(IPage page)
    {
        await Expect(page.GetByTestId("bucket-toggle").First).ToBeVisibleAsync();
        var list = new List<Bucket>();
        foreach (var toggle in await page.GetByTestId("bucket-toggle").AllAsync())
        {
            var label = await toggle.Locator(".pp-inv-balance-label").InnerTextAsync();
            var count = InvoiceGridSteps.Count(InvoiceGridSteps.ItemsInBucket().Match(label));
            var balance = MoneyText.Parse(await toggle.Locator(":scope > .pp-amount").InnerTextAsync()).Amount;
            var pending = toggle.GetByTestId("bucket-pending");
            list.Add(new Bucket(count, balance, await pending.CountAsync() == 0 ? 0m : PendingAmount(await pending.InnerTextAsync())));
        }
        return list;
    }

    /// <summary>Waits for "pending USD …" of <paramref name="amount"/>.</summary>
    private static Task ExpectPendingAsync(ILocator pending, decimal amount) =>
        Expect(pending).ToHaveTextAsync(T("pending {0}", new MoneyText("USD", amount).ToString()));

    private static decimal PendingAmount(string text)
    {
        var match = Regex.Match(text.Trim(), "^" + InvoiceGridSteps.FormatPattern("pending {0}", MoneyPattern) + "$");
        Assert.True(match.Success, $"'{text}' is not a pending amount.");
        return MoneyText.Parse(match.Groups["money"].Value).Amount;
    }

    /// <summary>The one row the grid shows: its open balance, discount today and amount to pay, read by column title.</summary>
    private static async Task<GridRow> GridRowAsync(IPage page)
    {
        await Expect(InvoiceGridSteps.Loading(page)).ToHaveCountAsync(0);
        var cells = await InvoiceGridSteps.Grid(page).EvaluateAsync<string[]>(
            """
            (grid, titles) => {
                const headers = [...grid.querySelectorAll('thead th')].map(th => th.querySelector('.rz-column-title')?.getAttribute('title'));
                const row = [...grid.querySelectorAll('tbody tr')].find(r => r.cells.length === headers.length);
                return titles.map(t => { const i = headers.indexOf(t); return i < 0 || !row ? null : row.cells[i].textContent.trim(); });
            }
            """,
            new[] { TKey("Invoices.OpenBalance", "Open balance"), TKey("Invoices.DiscountToday", "Discount today"), TKey("Invoices.AmountToPay", "Amount to pay") });
        Assert.True(cells.All(c => c is not null), "The grid shows no row, or lacks the open balance, discount or amount-to-pay column.");
        return new GridRow(Number(cells[0]), cells[1].Length == 0 ? 0m : Number(cells[1]), cells[2].Length == 0 ? null : Number(cells[2]));
    }

    /// <summary>A number as the portal writes amounts without currency ("1,234.56", "-12.00").</summary>
    private static decimal Number(string text) =>
        decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, SuiteLanguage.Culture);

    /// <summary>An amount cell that shows "—" for none.</summary>
    private static decimal OptionalAmount(string text) => text == "—" ? 0m : MoneyText.Parse(text).Amount;

    private static async Task<decimal> AmountAsync(ILocator locator) => MoneyText.Parse(await locator.InnerTextAsync()).Amount;

    private static long ToMinor(decimal amount) => (long)(amount * 100m);

    /// <summary>A panel of invoices only (no credits): its totals are the lines' sums, and the total is invoices less discounts.</summary>
    private static void AssertInvoicesLessDiscounts(IReadOnlyCollection<PanelLine> lines, PanelTotals totals)
    {
        Assert.Equal(lines.Sum(l => l.Open), totals.Invoices);
        Assert.Equal(lines.Sum(l => l.Discount), totals.Discounts);
        Assert.Equal(0m, totals.Credits);
        Assert.Equal(totals.Invoices - totals.Discounts, totals.Total);
        Assert.Equal(lines.Sum(l => l.AmountToPay), totals.Total);
    }

    /// <summary>
    /// Chooses a new card (4242…) in the panel, confirms, and waits for the confirmation of <paramref name="total"/>; returns
    /// the payment id (from its receipt link).
    /// </summary>
    private async Task<string> PayWithNewCardAsync(IPage page, ILocator panel, decimal total)
    {
        await PaymentFormSteps.AddCardAsync(panel);
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = T("Make payment"), Exact = true });
        await Expect(makePayment).ToBeEnabledAsync();
        // Choosing the card recomputed the preview (its fee): still the same total.
        Assert.Equal(total, await AmountAsync(panel.GetByTestId("total")));
        await makePayment.ClickAsync();

        var confirmation = panel.GetByTestId("pay-confirmation");
        await Expect(confirmation).ToBeVisibleAsync();
        await Expect(confirmation).ToContainTextAsync(new MoneyText("USD", total).ToString());
        var receiptNumber = (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
        var href = await confirmation.GetByRole(AriaRole.Link, new() { Name = T("View receipt") }).GetAttributeAsync("href") ?? "";
        var id = Regex.Match(href, "payments/([0-9a-fA-F-]{36})/receipt").Groups[1].Value;
        Assert.True(id.Length == 36, $"No payment id in the receipt link '{href}'.");
        var paymentId = id.ToUpperInvariant();
        Assert.Equal(1L, await Own.ScalarAsync("SELECT COUNT(*) FROM pp_payments WHERE Id = $id", paymentId));
        var stored = await Own.ScalarAsync("SELECT COUNT(*) FROM pp_payments WHERE Id = $id AND ReceiptNumber = '" + receiptNumber.Replace("'", "", StringComparison.Ordinal) + "'", paymentId);
        Assert.Equal(1L, stored);
        await AssertAccessibleAsync(page);
        return paymentId;
    }

    /// <summary>The host's today (its test clock).</summary>
    private static async Task<string> HostTodayAsync(IPage page)
    {
        var response = await page.APIRequest.GetAsync("/test/clock");
        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.GetProperty("utcNow").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>Count and open balance (minor units) of the account's Open items matching <paramref name="where"/>.</summary>
    private async Task<(long Count, long OpenMinor)> PayableInvoicesAsync(string where) =>
        await ScalarPairAsync($"SELECT COUNT(*), COALESCE(SUM(OpenMinor), 0) FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND Status = 0 AND {where}", "");

    /// <summary>The sum of the discounts of the account's Open invoices whose discount date is not past.</summary>
    private async Task<decimal> DiscountsTodayAsync(string today) =>
        (await ScalarPairAsync("SELECT COUNT(*), COALESCE(SUM(DiscountMinor), 0) FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND Status = 0 AND Type = 1 AND DiscountDate >= $today", today)).Second / 100m;

    private async Task<List<string>> OpenNumbersAsync(string where) =>
        (await StringsAsync($"SELECT Number FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND Status = 0 AND {where}", "")).Order(StringComparer.Ordinal).ToList();

    private async Task<List<string>> PastDueInvoiceNumbersAsync(string today) =>
        (await StringsAsync("SELECT Number FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND Status = 0 AND Type = 1 AND DueDate < $today", today)).Order(StringComparer.Ordinal).ToList();

    private async Task<string> FirstNumberAsync(string whereAndOrder, string today)
    {
        var numbers = await StringsAsync($"SELECT Number FROM pp_invoices WHERE AccountId = $id AND IsOpen = 1 AND {whereAndOrder}", today);
        Assert.True(numbers.Count > 0, $"The demo account has no open item where {whereAndOrder}.");
        return numbers[0];
    }

    private async Task<(long Count, long Second)> ScalarPairAsync(string sql, string today)
    {
        await using var connection = await Own.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", Account);
        command.Parameters.AddWithValue("$today", today);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private async Task<List<string>> StringsAsync(string sql, string today)
    {
        await using var connection = await Own.OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", Account);
        command.Parameters.AddWithValue("$today", today);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }
        return list;
    }
}
