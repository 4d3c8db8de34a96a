using AngleSharp.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

public class OpenInvoicesGridTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private async Task<IRenderedComponent<OpenInvoicesGrid>> RenderLoadedAsync(PortalPermissions permissions = PortalPermissions.Pay, int invoiceCount = 40, Func<Task>? arrange = null)
    {
        await AddPortalAndMigrateAsync(invoiceCount: invoiceCount);
        Users.SignIn(permissions);
        await Services.GetRequiredService<ErpSyncService>().SyncAccountAsync(AccountId);
        if (arrange is not null)
        {
            await arrange();
        }
        var cut = Render<OpenInvoicesGrid>();
        if (invoiceCount > 0)
        {
            cut.WaitForAssertion(() => Assert.NotEmpty(RowNumbers(cut)), Timeout);
        }
        return cut;
    }

    private static IReadOnlyList<string> RowNumbers(IRenderedComponent<OpenInvoicesGrid> cut) =>
        [.. cut.FindAll(".pp-inv-number").Select(e => e.TextContent.Trim())];

    private static IElement Button(IRenderedComponent<OpenInvoicesGrid> cut, string text) =>
        Assert.Single(cut.FindAll("button"), b => b.TextContent.Trim() == text);

    private Task<GridPage<InvoiceRow>> QueryAsync(InvoiceQuery query) => Services.GetRequiredService<InvoiceQueryService>().QueryAsync(query);

    private void Search(IRenderedComponent<OpenInvoicesGrid> cut, string text)
    {
        cut.Find("input[type=search]").Input(text);
        cut.Find("form[role=search]").Submit();
    }

    [Fact]
    public async Task Shows_heading_first_page_of_rows_and_the_total_count()
    {
        var cut = await RenderLoadedAsync();

        Assert.Equal("Open invoices", cut.Find("h1").TextContent.Trim());
        var expected = await QueryAsync(new InvoiceQuery { Take = 25 });
        Assert.Equal(expected.Items.Select(r => r.Number), RowNumbers(cut));
        Assert.Equal(40, expected.TotalCount);
        Assert.Contains("40", cut.Find(".rz-pager-summary").TextContent);
        Assert.Equal("Search invoices", cut.Find($"label[for='{cut.Find("input[type=search]").Id}']").TextContent.Trim());
        Assert.Equal(5, cut.FindAll("[data-testid=bucket-toggle]").Count);
    }

    [Fact]
    public async Task Search_box_queries_by_number_and_clear_restores_every_row()
    {
        var cut = await RenderLoadedAsync();
        var target = (await QueryAsync(new InvoiceQuery { Take = 40 })).Items[^1];

        Search(cut, target.Number.ToLowerInvariant());
        cut.WaitForAssertion(() => Assert.Equal([target.Number], RowNumbers(cut)), Timeout);

        cut.Find("button[aria-label='Clear search']").Click();
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Equal("", cut.Find("input[type=search]").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task Aging_bucket_toggle_filters_the_grid_and_a_second_click_clears_it()
    {
        var cut = await RenderLoadedAsync();
        var summary = await Services.GetRequiredService<AccountOverviewService>().GetSummaryAsync();
        var index = Enumerable.Range(0, summary.Buckets.Count).First(i => summary.Buckets[i].ItemCount is > 0 and < 25);
        var inBucket = await QueryAsync(new InvoiceQuery { AgingBucket = index, Take = 100 });
        Assert.Equal(summary.Buckets[index].ItemCount, inBucket.TotalCount);

        var toggle = cut.FindAll("[data-testid=bucket-toggle]")[index];
        Assert.Equal("false", toggle.GetAttribute("aria-pressed"));
        toggle.Click();
        cut.WaitForAssertion(() => Assert.Equal(inBucket.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);
        Assert.Equal("true", cut.FindAll("[data-testid=bucket-toggle]")[index].GetAttribute("aria-pressed"));

        cut.FindAll("[data-testid=bucket-toggle]")[index].Click();
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.All(cut.FindAll("[data-testid=bucket-toggle]"), b => Assert.Equal("false", b.GetAttribute("aria-pressed")));
    }

    [Fact]
    public async Task Pending_rows_have_a_disabled_checkbox_and_open_rows_can_be_selected_for_payment()
    {
        string pending = "";
        var cut = await RenderLoadedAsync(arrange: async () =>
        {
            await using var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
            var first = (await QueryAsync(new InvoiceQuery { Take = 1 })).Items[0];
            pending = first.Number;
            await db.Invoices.Where(i => i.Id == first.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, InvoiceStatus.Pending));
        });

        var pendingBox = cut.Find($"input[aria-label='Select invoice {pending}']");
        Assert.True(pendingBox.HasAttribute("disabled"));
        Assert.Contains("Pending", cut.FindAll("[data-testid=row-status]")[0].TextContent);

        var pay = cut.Find("[data-testid=pay-selected]");
        Assert.True(pay.HasAttribute("disabled"));
        Assert.Contains("Select one or more open invoices", cut.Find($"#{pay.GetAttribute("aria-describedby")}").TextContent);

        var open = RowNumbers(cut)[1];
        var openBox = cut.Find($"input[aria-label='Select invoice {open}']");
        Assert.False(openBox.HasAttribute("disabled"));
        openBox.Change(true);
        Assert.False(cut.Find("[data-testid=pay-selected]").HasAttribute("disabled"));
        Assert.Contains("1 selected", cut.Find($"#{pay.GetAttribute("aria-describedby")}").TextContent);
    }

    [Fact]
    public async Task View_only_users_see_no_pay_button_but_can_see_and_export_rows()
    {
        var cut = await RenderLoadedAsync(PortalPermissions.View);

        Assert.Empty(cut.FindAll("[data-testid=pay-selected]"));
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Pay selected", StringComparison.Ordinal));
        Assert.Equal(25, RowNumbers(cut).Count);
        Assert.NotNull(cut.Find("[data-testid=export-csv]").GetAttribute("href"));
    }

    [Fact]
    public async Task An_account_without_open_items_shows_the_empty_state()
    {
        var cut = await RenderLoadedAsync(invoiceCount: 0);

        cut.WaitForAssertion(() => Assert.Contains("no open invoices", cut.Find("[data-testid=grid-empty]").TextContent), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    [Fact]
    public async Task A_search_without_matches_shows_no_results_and_clear_filters_brings_rows_back()
    {
        var cut = await RenderLoadedAsync();

        Search(cut, "' OR 1=1 -- <b>x</b>");
        cut.WaitForAssertion(() => Assert.Contains("No invoices match", cut.Find("[data-testid=grid-no-results]").TextContent), Timeout);
        Assert.Empty(RowNumbers(cut));
        Assert.Empty(cut.FindAll("b"));

        Button(cut, "Clear filters").Click();
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=grid-no-results]"));
        Assert.Equal("", cut.Find("input[type=search]").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task Spreadsheet_view_shows_the_result_as_a_keyboard_grid()
    {
        var cut = await RenderLoadedAsync();

        cut.Find("[data-testid=spreadsheet-toggle]").Change(true);

        var table = cut.WaitForElement("table[role=grid]", Timeout);
        cut.WaitForAssertion(() => Assert.Equal("41", cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);
        var headers = table.QuerySelectorAll("th[role=columnheader]").Select(h => h.TextContent.Trim()).ToArray();
        Assert.Equal(["Invoice number", "PO number", "Invoice date", "Due date", "Original amount", "Open balance", "Discount available", "Discount date", "Type", "Status", "Comments"], headers);
        Assert.Equal("0", table.QuerySelector("th[data-r='0'][data-c='0']")!.GetAttribute("tabindex"));
        var first = (await QueryAsync(new InvoiceQuery { Take = 1 })).Items[0];
        cut.WaitForAssertion(() => Assert.Equal(first.Number, cut.Find("td[data-r='1'][data-c='0']").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
    }

    [Fact]
    public async Task Export_link_carries_the_current_query_and_the_visible_columns()
    {
        var cut = await RenderLoadedAsync();
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.All(RowNumbers(cut), n => Assert.StartsWith("INV", n)), Timeout);

        var href = cut.Find("[data-testid=export-csv]").GetAttribute("href")!;
        Assert.True(cut.Find("[data-testid=export-csv]").HasAttribute("download"));
        Assert.StartsWith(PortalRoutes.ApiPrefix + "/invoices/export.csv?", href);
        var parameters = href[(href.IndexOf('?') + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        var query = InvoiceQueryCodec.Decode(parameters["q"]);
        Assert.Equal("INV", query.Search);
        Assert.Null(query.AgingBucket);
        Assert.Equal(string.Join(',', InvoiceFields.DefaultColumns), parameters["columns"]);
    }

    [Fact]
    public async Task Nobody_signed_in_sees_the_access_message()
    {
        await AddPortalAndMigrateAsync();
        Users.SignOut();
        var cut = Render<OpenInvoicesGrid>();
        cut.WaitForAssertion(() => Assert.Contains("Please sign in", cut.Find("[role=alert]").TextContent), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
    }
}
