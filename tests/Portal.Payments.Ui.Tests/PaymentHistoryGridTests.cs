using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Data;
using AngleSharp.Dom;
using Portal.Payments.Erp;
using Portal.Payments.Grid;
using Portal.Payments.Services.History;
using Portal.Payments.Services.Payments;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;
using Portal.Payments.Users;
using Microsoft.Extensions.DependencyInjection;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Tests;

/// <summary>The payment-history page on real services and SQLite: payments are made with the sandbox gateway.</summary>
public class PaymentHistoryGridTests : PayTestContext
{
    private async Task<PaymentOutcome[]> PayTwiceAsync()
    {
        var ids = await SeedAsync(("INV-4001", 50_000, null, OpenItemType.Invoice), ("INV-4002", 12_345, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var first = await Payments.PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Guid.NewGuid().ToString("N")));
        Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await Payments.PayInvoicesAsync(new PayInvoicesRequest([ids[1]], card.Id, Guid.NewGuid().ToString("N")));
        return [first, second];
    }

    private IRenderedComponent<PaymentHistoryGrid> RenderWithRows(int expected)
    {
        var cut = Render<PaymentHistoryGrid>();
        cut.WaitForAssertion(() => Assert.Equal(expected, ReceiptLinks(cut).Count), Timeout);
        return cut;
    }

    private static IReadOnlyList<IElement> ReceiptLinks(IRenderedComponent<PaymentHistoryGrid> cut) => cut.FindAll("[data-testid=history-receipt-link]");

    private static void Search(IRenderedComponent<PaymentHistoryGrid> cut, string text)
    {
        cut.Find("input[type=search]").Input(text);
        cut.Find("form[role=search]").Submit();
    }

    [Fact]
    public async Task Lists_payments_newest_first_with_receipt_links_and_details()
    {
        await StartAsync();
        var paid = await PayTwiceAsync();

        var cut = RenderWithRows(2);

        Assert.Equal("Payment history", cut.Find("h1").TextContent.Trim());
        Assert.Equal("Search payments", cut.Find($"label[for='{cut.Find("input[type=search]").Id}']").TextContent.Trim());
        var links = ReceiptLinks(cut);
        Assert.Equal([paid[1].ReceiptNumber, paid[0].ReceiptNumber], links.Select(l => l.TextContent.Trim()));
        Assert.Equal($"portal/payments/{paid[1].PaymentId}/receipt", links[0].GetAttribute("href"));
        // The cells' texts (a phone card's column titles are CSS, not text).
        var cells = links[0].Closest("tr")!.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray();
        Assert.Contains("Invoice payment", cells);
        Assert.Contains("Visa •••• 4242", cells);
        Assert.Contains("123.45", cells);
        Assert.Contains("Paid", cells);   // the receipt's word for a succeeded payment
        Assert.Contains("Pat Payer", cells);
        Assert.Equal("history", cut.FindComponent<SavedViewsBar>().Instance.Grid);
    }

    private static string DateCell(IRenderedComponent<PaymentHistoryGrid> cut) =>
        ReceiptLinks(cut)[0].Closest("tr")!.QuerySelector("td")!.TextContent.Trim();

    private static string EnUs(int hour, int minute) =>
        new DateTime(2027, 3, 10, hour, minute, 0).ToString("g", System.Globalization.CultureInfo.GetCultureInfo("en-US"));

    [Fact]
    public async Task Times_show_in_the_zone_the_browser_reports()
    {
        await StartAsync();
        await PayTwiceAsync();
        JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js").Setup<string?>("timeZone").SetResult("Europe/Berlin");

        var cut = RenderWithRows(2);

        // Paid at 12:05 UTC: 13:05 in Berlin, without "UTC".
        cut.WaitForAssertion(() => Assert.Equal(EnUs(13, 5), DateCell(cut)), Timeout);
    }

    [Fact]
    public async Task Times_show_in_the_zone_the_host_gives_the_user_over_the_browsers()
    {
        await StartAsync();
        await PayTwiceAsync();
        Users.Current = Users.Current! with { TimeZoneId = "America/New_York" };
        JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js").Setup<string?>("timeZone").SetResult("Europe/Berlin");

        var cut = RenderWithRows(2);

        Assert.Equal(EnUs(7, 5), DateCell(cut));
        // A day filter means the day the grid shows: the grid's query (and its CSV link) carries the same zone.
        Assert.Equal("America/New_York", cut.FindComponent<PortalGrid<PaymentHistoryRow>>().Instance.CurrentQuery.TimeZone);
    }

    [Fact]
    public async Task Until_the_zone_is_known_times_say_UTC()
    {
        await StartAsync();
        await PayTwiceAsync();

        var cut = RenderWithRows(2);

        Assert.Equal(EnUs(12, 5) + " UTC", DateCell(cut));
    }

    [Fact]
    public async Task A_scheduled_payment_says_in_its_status_when_it_will_be_charged_and_its_row_fits_a_128_frame_render_tree()
    {
        await StartAsync();
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        var ids = await SeedAsync(("INV-4101", 20_000, null, OpenItemType.Invoice), ("INV-4102", 30_000, null, OpenItemType.Invoice));
        var card = await AddCardAsync();
        var paid = await Payments.PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Guid.NewGuid().ToString("N")));
        Clock.Advance(TimeSpan.FromMinutes(5));
        var scheduled = await Services.GetRequiredService<ScheduledPaymentService>()
            .ScheduleAsync(new SchedulePaymentRequest([ids[1]], new DateOnly(2027, 3, 15), card.Id, Guid.NewGuid().ToString("N")));

        var cut = RenderWithRows(2);

        // The Date column is when the payment was made (today for both); the scheduled one's status says when it will be
        // charged, whatever columns a saved layout shows ("Scheduled date" stays in the column chooser).
        string Status(string receipt) => ReceiptLinks(cut).Single(l => l.TextContent.Trim() == receipt).Closest("tr")!
            .QuerySelector("td.pp-status")!.TextContent.Trim();
        Assert.Equal("Scheduled 3/15/2027", Status(scheduled.ReceiptNumber));
        Assert.Equal("Paid", Status(paid.ReceiptNumber));
        Assert.DoesNotContain(cut.FindAll("th"), th => th.TextContent.Trim() == "Scheduled date");
        // The rows are the portal's own (none of Radzen's is left), each within Blazor's 64-frame buffer.
        Assert.Empty(cut.FindComponents<RadzenDataGridRow<PortalGridSlot<PaymentHistoryRow>>>());
        var frames = cut.FindComponents<PortalGridRow<PortalGridSlot<PaymentHistoryRow>>>().Select(r => RenderTreeFrames(r.ComponentId)).ToList();
        Assert.Equal(2, frames.Count);
        Assert.All(frames, count => Assert.InRange(count, 1, 64));

        // The spreadsheet view reads the same words.
        cut.Find("[data-testid=history-spreadsheet-toggle]").Change(true);
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("table[role=grid] td"), td => td.TextContent.Trim() == "Scheduled 3/15/2027"), Timeout);
    }

    [Fact]
    public async Task Search_by_invoice_number_paid_narrows_the_grid_and_a_miss_offers_to_clear()
    {
        await StartAsync();
        var paid = await PayTwiceAsync();
        var cut = RenderWithRows(2);

        Search(cut, "inv-4001");
        cut.WaitForAssertion(() => Assert.Equal([paid[0].ReceiptNumber], ReceiptLinks(cut).Select(l => l.TextContent.Trim())), Timeout);

        Search(cut, "nothing-like-this");
        cut.WaitForAssertion(() => Assert.Contains("No payments match", cut.Find("[data-testid=history-no-results]").TextContent), Timeout);
        Assert.Single(cut.FindAll("button"), b => b.TextContent.Trim() == "Clear filters").Click();
        cut.WaitForAssertion(() => Assert.Equal(2, ReceiptLinks(cut).Count), Timeout);
    }

    [Fact]
    public async Task An_account_without_payments_says_so()
    {
        await StartAsync();

        var cut = Render<PaymentHistoryGrid>();

        cut.WaitForAssertion(() => Assert.Contains("No payments have been made", cut.Find("[data-testid=history-no-results]").TextContent), Timeout);
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Trim() == "Clear filters");
    }

    [Fact]
    public async Task Nobody_signed_in_sees_the_access_message_and_no_grid()
    {
        await StartAsync();
        Users.SignOut();

        var cut = Render<PaymentHistoryGrid>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[role=alert]")), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
    }

    // Review (history): the status filter offered "Processing" twice (Radzen lists every member; a payment being charged
    // reads "Processing" too) and "Confirming" once, so a clerk could not tell the two "Processing" apart. It offers each
    // wording once; "Processing" finds both kinds of rows (the Core query's rule).
    [Theory]
    [InlineData("en-US", "Processing")]
    [InlineData("de-DE", "In Bearbeitung")]
    public async Task The_status_filter_offers_each_status_once_in_the_users_language(string culture, string processing)
    {
        using var language = TestCulture.Use(culture);
        await StartAsync();
        await PayTwiceAsync();
        var cut = RenderWithRows(2);
        var grid = cut.FindComponent<RadzenDataGrid<PortalGridSlot<PaymentHistoryRow>>>().Instance;
        var column = grid.ColumnsCollection.Single(c => c.Property == "Row." + nameof(PaymentHistoryRow.Status));
        Assert.NotNull(column.FilterValueTemplate);
        Assert.NotNull(column.SecondFilterValueTemplate);

        foreach (var (template, first) in new[] { (column.FilterValueTemplate!, true), (column.SecondFilterValueTemplate!, false) })
        {
            var choice = Render(template(column)).FindComponent<Radzen.Blazor.RadzenDropDown<object>>();
            var items = Assert.IsAssignableFrom<IEnumerable<Radzen.DropDownItem<object>>>(choice.Instance.Data).ToList();
            var texts = items.Select(i => i.Text).ToList();
            Assert.Equal(texts.Distinct().Count(), texts.Count);
            Assert.Single(texts, t => t == processing);
            // Every status a row can read is offered (the filter value is the member's number, as Radzen's own list has it).
            Assert.Equal(Enum.GetValues<PaymentStatus>().Select(s => PaymentTextOf(s)).Distinct().Order(), texts.Order());
            Assert.Equal(column.Title + (first ? grid.FilterValueAriaLabel : grid.SecondFilterValueAriaLabel), choice.Instance.InputAttributes!["aria-label"]);

            await cut.InvokeAsync(() => choice.Instance.Change.InvokeAsync(items.Single(i => i.Text == processing).Value));
            Assert.Equal((int)PaymentStatus.Processing, first ? column.GetFilterValue() : column.GetSecondFilterValue());
        }

        string PaymentTextOf(PaymentStatus status) => PaymentText.Status(Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<PortalStrings>>(), status);
    }

    // Review (German at 1280 px): the Status column's 7rem held English's words, but the bold "Fehlgeschlagen" and
    // "Zurückgebucht" need about 8.4rem and were cut to "Fehlgeschl…". The widths follow the page's language; in each the
    // eight shown columns still take the 62.5rem that fit the grid at 1280 px (the browser test measures the words).
    [Theory]
    [InlineData("en-US", 7.0)]
    [InlineData("de-DE", 8.75)]
    public async Task The_shown_columns_are_sized_to_the_users_language_and_fill_62_5rem(string culture, double status)
    {
        using var language = TestCulture.Use(culture);
        await StartAsync();
        await PayTwiceAsync();
        var cut = RenderWithRows(2);
        var columns = cut.FindComponent<RadzenDataGrid<PortalGridSlot<PaymentHistoryRow>>>().Instance.ColumnsCollection.Where(c => c.GetVisible()).ToList();
        var rem = columns.ToDictionary(c => c.Property, c => double.Parse(c.Width!.Replace("rem", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(8, rem.Count);
        Assert.Equal(62.5, rem.Values.Sum());
        Assert.Equal(status, rem["Row." + nameof(PaymentHistoryRow.Status)]);
    }

    [Fact]
    public async Task Export_link_carries_the_search_and_the_visible_columns()
    {
        await StartAsync();
        await PayTwiceAsync();
        var cut = RenderWithRows(2);
        Search(cut, "INV-4002");
        cut.WaitForAssertion(() => Assert.Single(ReceiptLinks(cut)), Timeout);

        var link = cut.Find("[data-testid=history-export-csv]");
        var href = link.GetAttribute("href")!;
        Assert.False(link.HasAttribute("download"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.StartsWith("portal-payments/api/payments/export.csv?", href); // relative to the page's <base href>
        var parameters = href[(href.IndexOf('?') + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("INV-4002", GridQueryCodec.Decode<GridQuery>(parameters["q"], "damaged").Search);
        // The built-in layout: the scheduled date and the note are in the column chooser (eight columns fit a 1280 px laptop).
        Assert.Equal([.. PaymentHistoryFields.DefaultColumns.Where(c => c != PaymentHistoryFields.ScheduledFor)], parameters["columns"].Split(','));
    }

    // Review: the host guide says the history shows the convenience fee, but no column offered it (only a hand-written
    // export link could ask for it).
    [Fact]
    public async Task The_convenience_fee_column_can_be_shown_and_goes_into_the_export()
    {
        await StartAsync(configure: ConvenienceFeeDisclosureTests.CardFee);
        await PayTwiceAsync();
        var cut = RenderWithRows(2);

        cut.Find("[data-testid=history-arrange-columns]").Click();
        var fee = cut.Find("[data-testid=columns-item][data-column='FeeValue']");
        Assert.Equal("Convenience fee", fee.QuerySelector(".pp-columns-show")!.TextContent.Trim());
        fee.QuerySelector("input[type=checkbox]")!.Change(true);
        cut.Find("[data-testid=columns-apply]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=columns-dialog]")), Timeout);
        cut.WaitForAssertion(() => Assert.Contains("Convenience fee", cut.FindAll("thead th .rz-column-title").Select(t => t.GetAttribute("title"))), Timeout);
        // 2.5% of 500.00 and of 123.45 (rounded to the cent), newest first.
        cut.WaitForAssertion(() => Assert.Equal(["3.09", "12.50"], cut.FindAll("td.pp-history-fee").Select(c => c.TextContent.Trim())), Timeout);
        var href = cut.Find("[data-testid=history-export-csv]").GetAttribute("href")!;
        Assert.Contains(PaymentHistoryFields.Fee, Uri.UnescapeDataString(href[(href.IndexOf("columns=", StringComparison.Ordinal) + 8)..]).Split(','));
    }

    [Fact]
    public async Task Spreadsheet_view_shows_the_payments_as_a_keyboard_grid()
    {
        await StartAsync();
        var paid = await PayTwiceAsync();
        var cut = RenderWithRows(2);

        cut.Find("[data-testid=history-spreadsheet-toggle]").Change(true);

        var table = cut.WaitForElement("table[role=grid]", Timeout);
        Assert.Equal("Payment history, spreadsheet view", table.GetAttribute("aria-label"));
        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);
        Assert.Equal(["Date", "Receipt number", "Kind", "Method", "Amount", "Status", "Paid by", "Invoices"],
            table.QuerySelectorAll("th[role=columnheader]").Select(h => h.TextContent.Trim()));
        cut.WaitForAssertion(() => Assert.Equal(paid[1].ReceiptNumber, cut.Find("td[data-r='1'][data-c='1']").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
    }

    [Fact]
    public async Task A_saved_view_restores_its_search()
    {
        await StartAsync();
        var paid = await PayTwiceAsync();
        var cut = RenderWithRows(2);
        Search(cut, "INV-4001");
        cut.WaitForAssertion(() => Assert.Single(ReceiptLinks(cut)), Timeout);
        var bar = cut.FindComponent<SavedViewsBar>();
        var layout = bar.Instance.GetCurrentLayout();

        await cut.InvokeAsync(() => bar.Instance.OnApplyLayout.InvokeAsync(null));
        cut.WaitForAssertion(() => Assert.Equal(2, ReceiptLinks(cut).Count), Timeout);

        await cut.InvokeAsync(() => cut.FindComponent<SavedViewsBar>().Instance.OnApplyLayout.InvokeAsync(layout));
        cut.WaitForAssertion(() => Assert.Equal([paid[0].ReceiptNumber], ReceiptLinks(cut).Select(l => l.TextContent.Trim())), Timeout);
        Assert.Equal("INV-4001", cut.Find("input[type=search]").GetAttribute("value"));
    }

    [Fact]
    public async Task The_history_page_is_routed_at_portal_payments()
    {
        await StartAsync();
        var route = typeof(Portal.Payments.Ui.Pages.PaymentHistoryPage).GetCustomAttributes(typeof(Microsoft.AspNetCore.Components.RouteAttribute), false)
            .Cast<Microsoft.AspNetCore.Components.RouteAttribute>().Single();

        Assert.Equal(PortalRoutes.History, route.Template);
        Assert.NotNull(Services.GetService<PaymentHistoryService>());
    }
}
