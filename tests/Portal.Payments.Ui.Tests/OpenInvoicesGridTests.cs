using System.Reflection;
using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Grid;
using Portal.Payments.Hosting;
using Portal.Payments.Services;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;
using Radzen;
using Radzen.Blazor;

namespace Portal.Payments.Ui.Tests;

public class OpenInvoicesGridTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private async Task<IRenderedComponent<OpenInvoicesGrid>> RenderLoadedAsync(PortalPermissions permissions = PortalPermissions.Pay, int invoiceCount = 40, Func<Task>? arrange = null,
        Action<PortalPaymentsOptions>? configure = null)
    {
        await AddPortalAndMigrateAsync(configure, invoiceCount);
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

    private static string SelectAllMatching(IRenderedComponent<OpenInvoicesGrid> cut) => cut.Find("[data-testid=select-all-matching]").TextContent.Trim();

    // Radzen's sort: the div inside the header cell.
    private static Task SortByDueDateAsync(IRenderedComponent<OpenInvoicesGrid> cut) => cut.InvokeAsync(() =>
        cut.FindAll("th[role=columnheader]").First(h => h.TextContent.Trim().StartsWith("Due date", StringComparison.Ordinal)).QuerySelector("div")!.Click());

    // The grid over a database whose reads of one search a SearchGate can hold or fail, with the payable counts of the
    // whole account and of the search "INV", once the account's count labels "select all matching".
    private async Task<(SearchGate Gate, IRenderedComponent<OpenInvoicesGrid> Cut, PayableCount All, PayableCount Searched)> GatedAsync()
    {
        var gate = new SearchGate();
        var cut = await RenderLoadedAsync(configure: o => o.Database.Interceptors.Add(gate));
        var service = Services.GetRequiredService<InvoiceQueryService>();
        var all = await service.CountPayableAsync(new InvoiceQuery());
        var searched = await service.CountPayableAsync(new InvoiceQuery { Search = "INV" });
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {all.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        return (gate, cut, all, searched);
    }

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

    [Theory]
    [InlineData("en-US", "Filter this column")]
    [InlineData("de-DE", "Diese Spalte filtern")]
    public async Task Every_column_filter_button_says_what_it_does_in_the_users_language(string culture, string expected)
    {
        using var _ = TestCulture.Use(culture);
        var cut = await RenderLoadedAsync();

        var buttons = cut.FindAll("[data-testid=grid-grid] thead .rz-grid-filter-icon");
        Assert.True(buttons.Count >= 5, $"{buttons.Count} filter buttons");
        Assert.All(buttons, b => Assert.Equal(expected, b.GetAttribute("aria-label")));
    }

    // Review: the rule that one or two characters match only the start was said to screen readers alone, so a sighted clerk
    // who searched "17" for INV-…17 saw no invoice and no reason.
    [Fact]
    public async Task A_search_of_one_or_two_characters_shows_that_it_matches_the_start_only()
    {
        var cut = await RenderLoadedAsync();
        var hint = () => cut.Find("[data-testid=grid-search-hint]");
        Assert.Equal("pp-visually-hidden", hint().GetAttribute("class"));
        Assert.Contains(hint().Id, cut.Find("input[type=search]").GetAttribute("aria-describedby")!.Split(' '));

        Search(cut, "17");
        cut.WaitForAssertion(() => Assert.Equal("pp-grid-search-hint", hint().GetAttribute("class")), Timeout);
        Assert.Equal("Three characters or more match anywhere in a field; one or two match the start.", hint().TextContent.Trim());

        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.Equal("pp-visually-hidden", hint().GetAttribute("class")), Timeout);
    }

    [Fact]
    public async Task Search_box_queries_by_number_and_clear_restores_every_row()
    {
        var cut = await RenderLoadedAsync();
        var target = (await QueryAsync(new InvoiceQuery { Take = 40 })).Items[^1];

        Search(cut, target.Number.ToLowerInvariant());
        cut.WaitForAssertion(() => Assert.Equal([target.Number], RowNumbers(cut)), Timeout);

        await cut.InvokeAsync(() => cut.Find("button[aria-label='Clear search']").Click());
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Equal("", cut.Find("input[type=search]").GetAttribute("value") ?? "");
    }

    // Review (accessibility): "Clear search" removes itself with the text, "Clear filters" goes with the empty result,
    // "Clear selection" goes with the selection and "Select all … matching" once taken; the focus on each fell to the top
    // of the page. Now it goes to the search box, the grid, or on to paying what was selected.
    [Fact]
    public async Task A_button_that_removes_itself_hands_the_focus_on_instead_of_dropping_it_to_the_page()
    {
        var dialogJs = JSInterop.SetupModule(Infrastructure.PanelFocusChecks.DialogModule);
        var cut = await RenderLoadedAsync();
        // The search box's reference, as the grid holds it (bUnit's markup leaves the capture id out here).
        string SearchRef() => typeof(PortalGrid<InvoiceRow>).GetField("_searchInput", BindingFlags.NonPublic | BindingFlags.Instance)
            ?.GetValue(cut.FindComponent<PortalGrid<InvoiceRow>>().Instance) is ElementReference input ? input.Id ?? "" : "";
        string[] Focused() => [.. JSInterop.Invocations.Where(i => i.Identifier == "Blazor._internal.domWrapper.focus")
            .Select(i => ((ElementReference)i.Arguments[0]!).Id)];
        string[] FocusedFirst() => [.. dialogJs.Invocations.Where(i => i.Identifier == "focusFirst").Select(i => (string)i.Arguments[0]!)];

        Search(cut, "no such invoice");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=grid-no-results]")), Timeout);
        await cut.InvokeAsync(() => cut.Find("button[aria-label='Clear search']").Click());
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Empty(cut.FindAll("button[aria-label='Clear search']"));
        var search = SearchRef();
        Assert.NotEqual("", search);
        Assert.Equal([search], Focused());

        Search(cut, "no such invoice");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=grid-no-results]")), Timeout);
        await cut.InvokeAsync(() => Button(cut, "Clear filters").Click());
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Equal([search, search], Focused());

        cut.WaitForElement("[data-testid=select-all-matching]", Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=select-all-matching]")), Timeout);
        cut.WaitForAssertion(() => Assert.Equal(["[data-testid=pay-selected]"], FocusedFirst()), Timeout);
        Assert.Single(cut.FindAll("[data-testid=pay-selected]"));

        await cut.InvokeAsync(() => cut.Find("[data-testid=clear-selection]").Click());
        Assert.Empty(cut.FindAll("[data-testid=clear-selection]"));
        cut.WaitForAssertion(() => Assert.Equal(["[data-testid=pay-selected]", "[data-testid=grid-grid] [role=grid]"], FocusedFirst()), Timeout);
        Assert.Single(cut.FindAll("[data-testid=grid-grid] [role=grid]"));
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
        await cut.InvokeAsync(() => cut.FindAll("[data-testid=bucket-toggle]")[index].Click());
        cut.WaitForAssertion(() => Assert.Equal(inBucket.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);
        Assert.Equal("true", cut.FindAll("[data-testid=bucket-toggle]")[index].GetAttribute("aria-pressed"));
        // "Select all matching" offers the period's payable items, with their count and total from the server.
        var matching = await Services.GetRequiredService<InvoiceQueryService>().CountPayableAsync(new InvoiceQuery { AgingBucket = index });
        Assert.InRange(matching.MatchingCount, 1, inBucket.TotalCount);
        cut.WaitForAssertion(() => Assert.Equal(
            $"Select all {matching.MatchingCount} matching ({matching.MatchingTotal.ToString(System.Globalization.CultureInfo.GetCultureInfo("en-US"))})",
            SelectAllMatching(cut)), Timeout);

        await cut.InvokeAsync(() => cut.FindAll("[data-testid=bucket-toggle]")[index].Click());
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
        Assert.Contains("Pending", cut.FindAll("td.pp-inv-status")[0].TextContent);

        // Nothing selected: no Pay button yet, the selection bar says how to select.
        Assert.Empty(cut.FindAll("[data-testid=pay-selected]"));
        cut.WaitForAssertion(() => Assert.Contains("Select invoices to pay", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);

        var open = RowNumbers(cut)[1];
        var openBox = cut.Find($"input[aria-label='Select invoice {open}']");
        Assert.False(openBox.HasAttribute("disabled"));
        openBox.Change(true);
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=pay-selected]").HasAttribute("disabled")), Timeout);
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
    }

    [Fact]
    public async Task View_only_users_see_no_pay_button_but_can_see_and_export_rows()
    {
        var cut = await RenderLoadedAsync(PortalPermissions.View);

        Assert.Empty(cut.FindAll("[data-testid=pay-selected]"));
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Pay selected", StringComparison.Ordinal));
        Assert.Equal(25, RowNumbers(cut).Count);
        Assert.NotNull(cut.Find("[data-testid=grid-export-csv]").GetAttribute("href"));
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

        await cut.InvokeAsync(() => Button(cut, "Clear filters").Click());
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=grid-no-results]"));
        Assert.Equal("", cut.Find("input[type=search]").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task Spreadsheet_view_shows_the_result_as_a_keyboard_grid()
    {
        var cut = await RenderLoadedAsync();

        cut.Find("[data-testid=grid-spreadsheet-toggle]").Change(true);

        var table = cut.WaitForElement("table[role=grid]", Timeout);
        cut.WaitForAssertion(() => Assert.Equal("41", cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);
        var headers = table.QuerySelectorAll("th[role=columnheader]").Select(h => h.TextContent.Trim()).ToArray();
        // The built-in layout's columns (the others are in the column chooser).
        Assert.Equal(["Invoice number", "PO number", "Due date", "Open balance", "Discount today", "Status"], headers);
        Assert.Equal("0", table.QuerySelector("th[data-r='0'][data-c='0']")!.GetAttribute("tabindex"));
        var first = (await QueryAsync(new InvoiceQuery { Take = 1 })).Items[0];
        cut.WaitForAssertion(() => Assert.Equal(first.Number, cut.Find("td[data-r='1'][data-c='0']").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll(".rz-data-grid"));
    }

    // Review: the spreadsheet view kept showing every period's rows after a period was clicked (announced as "Showing …"),
    // since the period is not part of the query it compares; rows it loaded later by scrolling did use it.
    [Fact]
    public async Task Spreadsheet_view_follows_the_aging_period()
    {
        var cut = await RenderLoadedAsync();
        var summary = await Services.GetRequiredService<AccountOverviewService>().GetSummaryAsync();
        var index = Enumerable.Range(0, summary.Buckets.Count).First(i => summary.Buckets[i].ItemCount is > 0 and < 25);
        var inBucket = await QueryAsync(new InvoiceQuery { AgingBucket = index, Take = 100 });
        cut.Find("[data-testid=grid-spreadsheet-toggle]").Change(true);
        cut.WaitForAssertion(() => Assert.Equal("41", cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);

        await cut.InvokeAsync(() => cut.FindAll("[data-testid=bucket-toggle]")[index].Click());

        cut.WaitForAssertion(() => Assert.Equal((inBucket.TotalCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);
        cut.WaitForAssertion(() => Assert.Equal(inBucket.Items[0].Number, cut.Find("td[data-r='1'][data-c='0']").TextContent.Trim()), Timeout);

        await cut.InvokeAsync(() => cut.FindAll("[data-testid=bucket-toggle]")[index].Click());
        cut.WaitForAssertion(() => Assert.Equal("41", cut.Find("table[role=grid]").GetAttribute("aria-rowcount")), Timeout);
    }

    [Fact]
    public async Task Export_link_carries_the_current_query_and_the_visible_columns()
    {
        var cut = await RenderLoadedAsync();
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.All(RowNumbers(cut), n => Assert.StartsWith("INV", n)), Timeout);

        var href = cut.Find("[data-testid=grid-export-csv]").GetAttribute("href")!;
        // A new tab, not the download attribute: a file (an attachment) is saved and the tab closes, a refusal shows why.
        Assert.False(cut.Find("[data-testid=grid-export-csv]").HasAttribute("download"));
        Assert.Equal("_blank", cut.Find("[data-testid=grid-export-csv]").GetAttribute("target"));
        Assert.StartsWith("portal-payments/api/invoices/export.csv?", href); // relative to the page's <base href>
        var parameters = href[(href.IndexOf('?') + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        var query = InvoiceQueryCodec.Decode(parameters["q"]);
        Assert.Equal("INV", query.Search);
        Assert.Null(query.AgingBucket);
        Assert.Equal(string.Join(',', [InvoiceFields.Number, InvoiceFields.PoNumber, InvoiceFields.DueDate, InvoiceFields.OpenBalance, InvoiceFields.Discount, InvoiceFields.Status]),
            parameters["columns"]);
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

    [Fact]
    public async Task A_page_change_updates_the_rows_in_place_instead_of_replacing_every_row_component()
    {
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        IReadOnlyList<object> RowComponents() => [.. cut.FindComponents<PortalGridRow<PortalGridSlot<InvoiceRow>>>().Select(r => (object)r.Instance)];
        var firstPage = RowNumbers(cut);
        var before = RowComponents();
        var secondPage = await QueryAsync(new InvoiceQuery { Skip = 25, Take = 25 });

        await cut.InvokeAsync(() => grid.GoToPage(1));
        cut.WaitForAssertion(() => Assert.Equal(secondPage.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);

        // Page 2 has 15 rows: the first 15 row components of page 1 show them, the other 10 are gone.
        var after = RowComponents();
        Assert.Equal(15, after.Count);
        Assert.All(after.Zip(before), pair => Assert.Same(pair.Second, pair.First));
        Assert.Empty(firstPage.Intersect(RowNumbers(cut)));
    }

    // The open balance from 1,000 up to 9,000 as Radzen's two-condition filter, joined by logical operator.
    private static Task FilterBetweenAsync(IRenderedComponent<OpenInvoicesGrid> cut, Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>> grid,
        Radzen.Blazor.RadzenDataGridColumn<PortalGridSlot<InvoiceRow>> column, LogicalFilterOperator logical) =>
        cut.InvokeAsync(async () =>
        {
            column.SetFilterOperator(FilterOperator.GreaterThanOrEquals);
            column.SetFilterValue(1000m, true);
            column.SetSecondFilterOperator(FilterOperator.LessThan);
            column.SetFilterValue(9000m, false);
            column.SetLogicalFilterOperator(logical);
            await grid.Reload();
        });

    [Fact]
    public async Task A_range_filter_set_on_the_radzen_column_runs_as_a_database_query_and_or_is_refused_with_a_message()
    {
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        var column = grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount");
        var expected = await QueryAsync(new InvoiceQuery
        {
            Filters = [new GridFilter(InvoiceFields.OpenBalance, GridFilterOperator.GreaterThanOrEqual, "1000"), new GridFilter(InvoiceFields.OpenBalance, GridFilterOperator.LessThan, "9000")],
            Take = 25,
        });
        Assert.InRange(expected.TotalCount, 1, 39);

        await FilterBetweenAsync(cut, grid, column, LogicalFilterOperator.And);
        cut.WaitForAssertion(() => Assert.Equal(expected.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);

        await cut.InvokeAsync(async () =>
        {
            column.SetLogicalFilterOperator(LogicalFilterOperator.Or);
            await grid.Reload();
        });
        cut.WaitForAssertion(() => Assert.Contains("\"Or\" is not supported", cut.Find("[data-testid=grid-error]").TextContent), Timeout);
        Assert.Equal("alert", cut.Find("[data-testid=grid-error]").GetAttribute("role"));
        Assert.Empty(RowNumbers(cut));
    }

    [Fact]
    public async Task Column_filters_offer_only_conditions_the_database_query_runs_and_name_enum_choices_in_the_users_language()
    {
        using var german = TestCulture.Use("de-DE");
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;

        var text = grid.ColumnsCollection.Single(c => c.Property == "Row." + nameof(InvoiceRow.Number)).GetFilterOperators().ToList();
        var amount = grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount").GetFilterOperators().ToList();

        Assert.Contains(FilterOperator.Contains, text);
        Assert.Contains(FilterOperator.StartsWith, text);
        Assert.DoesNotContain(FilterOperator.EndsWith, text);
        Assert.DoesNotContain(FilterOperator.DoesNotContain, text);
        Assert.Contains(FilterOperator.GreaterThanOrEquals, amount);
        Assert.All(text.Concat(amount), op => Assert.Contains(op, PortalDataGridColumn<PortalGridSlot<InvoiceRow>>.Supported));
        Assert.Equal("Gutschrift", grid.EnumTranslationFunc!(Portal.Payments.Erp.OpenItemType.CreditMemo));
        Assert.Equal("Ausstehend", grid.EnumTranslationFunc!(InvoiceStatus.Pending));

        // "Or" is refused in the user's language.
        var column = grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount");
        await FilterBetweenAsync(cut, grid, column, LogicalFilterOperator.Or);
        cut.WaitForAssertion(() => Assert.EndsWith("Verknüpfen Sie die beiden Bedingungen mit „Und“ („Oder“ wird nicht unterstützt).", cut.Find("[data-testid=grid-error]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task A_refused_column_filter_names_the_column_and_the_example_amount_in_the_users_language()
    {
        using var german = TestCulture.Use("de-DE");
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        var amount = grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount");
        var po = grid.ColumnsCollection.Single(c => c.Property == "Row." + nameof(InvoiceRow.PoNumber));

        // "12,345" typed in German: three decimals for a two-decimal currency. The example is German too: "1234.55" would
        // read as 123.455 there.
        await cut.InvokeAsync(async () =>
        {
            amount.SetFilterOperator(FilterOperator.GreaterThan);
            amount.SetFilterValue(12.345m, true);
            await grid.Reload();
        });
        cut.WaitForAssertion(() => Assert.Equal("Offener Saldo: Geben Sie einen Betrag wie 1234,55 ein (höchstens 2 Nachkommastellen).",
            cut.Find("[data-testid=grid-error]").TextContent.Trim()), Timeout);

        // Only spaces in a text filter.
        await cut.InvokeAsync(async () =>
        {
            amount.ClearFilters();
            po.SetFilterOperator(FilterOperator.Contains);
            po.SetFilterValue("   ", true);
            await grid.Reload();
        });
        cut.WaitForAssertion(() => Assert.Equal("Geben Sie einen Text ein, um nach Bestellnr. zu filtern.",
            cut.Find("[data-testid=grid-error]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task A_range_whose_start_is_after_its_end_says_so_instead_of_showing_nothing_matches()
    {
        using var german = TestCulture.Use("de-DE");
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        var due = grid.ColumnsCollection.Single(c => c.Property == "Row." + nameof(InvoiceRow.DueDate));
        var amount = grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount");

        // Due from 31 March to 1 March.
        await cut.InvokeAsync(async () =>
        {
            due.SetFilterOperator(FilterOperator.GreaterThanOrEquals);
            due.SetFilterValue(new DateTime(2026, 3, 31), true);
            due.SetSecondFilterOperator(FilterOperator.LessThanOrEquals);
            due.SetFilterValue(new DateTime(2026, 3, 1), false);
            due.SetLogicalFilterOperator(LogicalFilterOperator.And);
            await grid.Reload();
        });
        cut.WaitForAssertion(() => Assert.Equal(
            $"Fällig am: Der Bereich beginnt nach seinem Ende ({PortalFormat.Date(new DateOnly(2026, 3, 31))} bis {PortalFormat.Date(new DateOnly(2026, 3, 1))}); tauschen Sie Anfang und Ende.",
            cut.Find("[data-testid=grid-error]").TextContent.Trim()), Timeout);
        Assert.Empty(RowNumbers(cut));

        // An amount range written the other way round (at most 100, at least 9000).
        await cut.InvokeAsync(async () =>
        {
            due.ClearFilters();
            amount.SetFilterOperator(FilterOperator.LessThan);
            amount.SetFilterValue(100m, true);
            amount.SetSecondFilterOperator(FilterOperator.GreaterThanOrEquals);
            amount.SetFilterValue(9000.5m, false);
            amount.SetLogicalFilterOperator(LogicalFilterOperator.And);
            await grid.Reload();
        });
        cut.WaitForAssertion(() => Assert.Equal("Offener Saldo: Der Bereich beginnt nach seinem Ende (9000,5 bis 100); tauschen Sie Anfang und Ende.",
            cut.Find("[data-testid=grid-error]").TextContent.Trim()), Timeout);

        // The right way round it filters.
        await cut.InvokeAsync(async () =>
        {
            amount.ClearFilters();
            await FilterBetweenAsync(cut, grid, amount, LogicalFilterOperator.And);
        });
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=grid-error]")), Timeout);
        Assert.NotEmpty(RowNumbers(cut));
    }

    // Readthrough (performance): the hidden-filter notice's titles were built again on every render of the grid (the
    // visible fields from the layout, then a distinct, filtered and titled list), a cost on every click; built once per
    // change of the filters, the layout or the columns, like the phone cards' titles.
    [Fact]
    public async Task The_hidden_filter_notice_is_not_built_again_on_every_render_and_follows_the_layout()
    {
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        var shell = cut.FindComponent<PortalGrid<InvoiceRow>>();
        var all = shell.Instance.TotalCount;
        await FilterBetweenAsync(cut, grid, grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount"), LogicalFilterOperator.And);
        cut.WaitForAssertion(() => Assert.InRange(shell.Instance.TotalCount, 1, all - 1), Timeout);
        cut.Find("[data-testid=grid-arrange-columns]").Click();
        cut.Find("[data-column='OpenBalance.Amount'] input[type=checkbox]").Change(false);
        cut.Find("[data-testid=columns-apply]").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=grid-hidden-filters]")), Timeout);
        var titles = typeof(PortalGrid<InvoiceRow>).GetProperty("HiddenFilterTitles", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;

        var before = titles.GetValue(shell.Instance);
        shell.Render();
        var after = titles.GetValue(shell.Instance);

        Assert.Equal(["Open balance"], Assert.IsAssignableFrom<IEnumerable<string>>(after));
        Assert.Same(before, after);
        // Shown again, the column's header says it: the notice goes.
        cut.Find("[data-testid=grid-arrange-columns]").Click();
        cut.Find("[data-column='OpenBalance.Amount'] input[type=checkbox]").Change(true);
        cut.Find("[data-testid=columns-apply]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=grid-hidden-filters]")), Timeout);
    }

    [Fact]
    public async Task A_filter_on_a_column_then_hidden_is_said_above_the_rows_and_can_be_cleared()
    {
        var cut = await RenderLoadedAsync();
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        var shell = cut.FindComponent<PortalGrid<InvoiceRow>>().Instance;
        var all = shell.TotalCount;
        await FilterBetweenAsync(cut, grid, grid.ColumnsCollection.Single(c => c.Property == "Row.OpenBalance.Amount"), LogicalFilterOperator.And);
        cut.WaitForAssertion(() => Assert.InRange(shell.TotalCount, 1, all - 1), Timeout);
        var filtered = RowNumbers(cut);
        // Shown, the column's own header says it is filtered.
        Assert.Empty(cut.FindAll("[data-testid=grid-hidden-filters]"));

        cut.Find("[data-testid=grid-arrange-columns]").Click();
        cut.Find("[data-column='OpenBalance.Amount'] input[type=checkbox]").Change(false);
        cut.Find("[data-testid=columns-apply]").Click();
        cut.WaitForAssertion(() => Assert.DoesNotContain("Open balance", Headers(cut)), Timeout);

        // The rows stay filtered (and so does the export), and the page says by what.
        cut.WaitForAssertion(() => Assert.Equal(filtered, RowNumbers(cut)), Timeout);
        Assert.Equal(2, shell.CurrentQuery.Filters.Count);
        var notice = cut.Find("[data-testid=grid-hidden-filters]");
        Assert.StartsWith("Also filtered by hidden columns: Open balance.", notice.TextContent.Trim());

        await cut.InvokeAsync(() => notice.QuerySelector("button")!.Click());
        cut.WaitForAssertion(() => Assert.Equal(all, shell.TotalCount), Timeout);
        Assert.Empty(shell.CurrentQuery.Filters);
        Assert.Empty(cut.FindAll("[data-testid=grid-hidden-filters]"));
    }

    [Fact]
    public async Task Saved_view_layout_carries_search_and_period_and_null_restores_the_built_in_layout()
    {
        var cut = await RenderLoadedAsync();
        var summary = await Services.GetRequiredService<AccountOverviewService>().GetSummaryAsync();
        var index = Enumerable.Range(0, summary.Buckets.Count).First(i => summary.Buckets[i].ItemCount > 0);
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.All(RowNumbers(cut), n => Assert.StartsWith("INV", n)), Timeout);
        // Find and click in one dispatcher turn: the search box's debounce may re-render in between otherwise.
        await cut.InvokeAsync(() => cut.FindAll("[data-testid=bucket-toggle]")[index].Click());
        var expected = await QueryAsync(new InvoiceQuery { Search = "INV", AgingBucket = index, Take = 25 });
        cut.WaitForAssertion(() => Assert.Equal(expected.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);

        var bar = cut.FindComponent<SavedViewsBar>();
        Assert.Equal("invoices", bar.Instance.Grid);
        var layout = bar.Instance.GetCurrentLayout();
        using (var json = System.Text.Json.JsonDocument.Parse(layout))
        {
            Assert.Equal("INV", json.RootElement.GetProperty("search").GetString());
            Assert.Equal(index, json.RootElement.GetProperty("agingBucket").GetInt32());
        }

        await cut.InvokeAsync(() => bar.Instance.OnApplyLayout.InvokeAsync(null));
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        Assert.Equal("", cut.Find("input[type=search]").GetAttribute("value") ?? "");
        Assert.All(cut.FindAll("[data-testid=bucket-toggle]"), b => Assert.Equal("false", b.GetAttribute("aria-pressed")));

        await cut.InvokeAsync(() => cut.FindComponent<SavedViewsBar>().Instance.OnApplyLayout.InvokeAsync(layout));
        cut.WaitForAssertion(() => Assert.Equal(expected.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);
        Assert.Equal("INV", cut.Find("input[type=search]").GetAttribute("value"));
        Assert.Equal("true", cut.FindAll("[data-testid=bucket-toggle]")[index].GetAttribute("aria-pressed"));
    }

    [Theory]
    [InlineData(PortalPermissions.Pay, PortalPermissions.View, true)]
    [InlineData(PortalPermissions.View, PortalPermissions.Pay, true)]
    [InlineData(PortalPermissions.Pay, PortalPermissions.View, false)]
    [InlineData(PortalPermissions.Pay, PortalPermissions.Pay, false)]
    public async Task A_view_with_another_page_size_saved_by_a_user_with_other_columns_comes_up_sorted_with_its_rows_and_own_columns(
        PortalPermissions savedBy, PortalPermissions appliedBy, bool sorted)
    {
        // A payer's grid has the select and amount-to-pay columns, a viewer's has neither: a view shared by one is
        // applied by the other with the columns of the grid in front of them. Its page size differs from the grid's:
        // applying it used to hand the old grid the new page size first, which reloaded and stored its own unsorted
        // layout over the view's (in the browser, no rows at all).
        // Unsorted, the page size is all the view changes: Radzen builds such a grid without loading it.
        var saver = await RenderLoadedAsync(savedBy);
        await SortByDueDateAsync(saver);
        saver.WaitForAssertion(() => Assert.Contains("ascending", saver.FindAll("th[aria-sort]").Select(h => h.GetAttribute("aria-sort"))), Timeout);
        var layout = saver.FindComponent<SavedViewsBar>().Instance.GetCurrentLayout();
        Assert.Contains("\"pageSize\"", layout, StringComparison.OrdinalIgnoreCase);
        // With the saver's page size of 50 (the Acme test account's 40 items on one page).
        var node = System.Text.Json.Nodes.JsonNode.Parse(layout)!;
        node["grid"]!["pageSize"] = 50;
        if (!sorted)
        {
            foreach (var column in node["grid"]!["columns"]!.AsArray())
            {
                column!["sortOrder"] = null;
                column["sortIndex"] = null;
            }
        }
        layout = node.ToJsonString();
        saver.Dispose();

        Users.SignIn(appliedBy);
        var cut = Render<OpenInvoicesGrid>();
        cut.WaitForAssertion(() => Assert.Equal(25, RowNumbers(cut).Count), Timeout);
        var builtIn = Headers(cut);
        await cut.InvokeAsync(() => cut.FindComponent<SavedViewsBar>().Instance.OnApplyLayout.InvokeAsync(layout));

        var expected = await QueryAsync(new InvoiceQuery { Sorts = sorted ? [new GridSort(InvoiceFields.DueDate, Descending: false)] : [], Take = 50 });
        Assert.Equal(40, expected.Items.Count);
        cut.WaitForAssertion(() => Assert.Equal(expected.Items.Select(r => r.Number), RowNumbers(cut)), Timeout);
        Assert.Equal(builtIn, Headers(cut));
        var cells = cut.FindAll("[data-testid=grid-grid] tbody tr.rz-data-row")[0].QuerySelectorAll("td").Length;
        Assert.Equal(builtIn.Count, cells);
    }

    [Fact]
    public async Task Arrange_columns_shows_orders_and_sizes_them_without_a_mouse_and_keeps_the_sort()
    {
        var cut = await RenderLoadedAsync();
        await SortByDueDateAsync(cut);
        var sorted = RowNumbers(cut);
        var builtIn = Headers(cut);
        Assert.Equal("Invoice number", builtIn[1]);   // after the select column, which does not move

        cut.Find("[data-testid=grid-arrange-columns]").Click();
        var dialog = cut.Find("[data-testid=columns-dialog]");
        Assert.Equal("dialog", dialog.GetAttribute("role"));
        string[] Items() => [.. cut.FindAll("[data-testid=columns-item]").Select(i => i.GetAttribute("data-column")!)];
        var items = Items();
        Assert.DoesNotContain("select", items);   // only the movable columns
        Assert.True(Assert.Single(cut.FindAll("button"), b => b.GetAttribute("aria-label") == $"Move {builtIn[1]} up").HasAttribute("disabled"));

        // The second column one up (to the first place), the status says where it went.
        var second = items[1];
        var secondTitle = cut.Find($"[data-column='{second}'] .pp-columns-show").TextContent.Trim();
        Assert.Single(cut.FindAll("button"), b => b.GetAttribute("aria-label") == $"Move {secondTitle} up").Click();
        Assert.Equal([second, items[0], .. items[2..]], Items());
        Assert.Equal($"{secondTitle} is now column 1 of {items.Length}.", cut.Find("[data-testid=columns-status]").TextContent.Trim());

        // A width that is not a number of pixels is refused at its field, and nothing applies until it is corrected.
        var width = cut.Find($"[data-column='{second}'] [data-testid=column-width]");
        width.Change("wide");
        Assert.Equal($"Enter the width of {secondTitle} in pixels, from 40 to 1000, or leave it empty for the standard width.",
            cut.Find($"[data-column='{second}'] .pp-field-error").TextContent.Trim());
        // The dialog's main action looks like one (its class was a name the style sheet does not have).
        Assert.Equal(["pp-button", "pp-primary"], cut.Find("[data-testid=columns-apply]").ClassList.ToArray());
        cut.Find("[data-testid=columns-apply]").Click();
        Assert.Equal("Correct the widths marked above; nothing was changed yet.", cut.Find("[data-testid=columns-error]").TextContent.Trim());
        Assert.Equal(builtIn, Headers(cut));
        cut.Find($"[data-column='{second}'] [data-testid=column-width]").Change("180");
        // With every column hidden there is nothing to show: refused, nothing changed.
        var shown = cut.FindAll("[data-testid=columns-item] input[type=checkbox]").Select((box, i) => (box, i)).Where(x => x.box.HasAttribute("checked")).Select(x => x.i).ToList();
        foreach (var i in shown)
        {
            cut.FindAll("[data-testid=columns-item] input[type=checkbox]")[i].Change(false);
        }
        cut.Find("[data-testid=columns-apply]").Click();
        Assert.Equal("Show at least one column.", cut.Find("[data-testid=columns-error]").TextContent.Trim());
        Assert.Equal(builtIn, Headers(cut));
        foreach (var i in shown)
        {
            cut.FindAll("[data-testid=columns-item] input[type=checkbox]")[i].Change(true);
        }
        // Hide the last one shown (the list also holds the columns the built-in layout leaves out).
        var last = cut.FindAll("[data-testid=columns-item]").Last(i => i.QuerySelector("input[type=checkbox]")!.HasAttribute("checked"));
        var lastTitle = last.QuerySelector(".pp-columns-show")!.TextContent.Trim();
        last.QuerySelector("input[type=checkbox]")!.Change(false);
        cut.Find("[data-testid=columns-apply]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=columns-dialog]")), Timeout);
        cut.WaitForAssertion(() => Assert.Equal(secondTitle, Headers(cut)[1]), Timeout);
        var headers = Headers(cut);
        Assert.Equal([builtIn[0], secondTitle, builtIn[1]], headers[..3]);
        Assert.DoesNotContain(lastTitle, headers);
        Assert.Equal(builtIn.Count - 1, headers.Count);
        // Radzen sizes a column by its <col>, in view order (the select column first).
        var col = cut.FindAll("[data-testid=grid-grid] colgroup col")[1];
        Assert.Contains("width:180px", (col.GetAttribute("style") ?? "").Replace(" ", ""));
        cut.WaitForAssertion(() => Assert.Equal(sorted, RowNumbers(cut)), Timeout);   // the sort stays

        // Opened again, the dialog starts from the grid as it is now.
        cut.Find("[data-testid=grid-arrange-columns]").Click();
        Assert.Equal(second, Items()[0]);
        Assert.Equal("180", cut.Find($"[data-column='{second}'] [data-testid=column-width]").GetAttribute("value"));
        Assert.False(cut.Find($"[data-column='{last.GetAttribute("data-column")}'] input[type=checkbox]").HasAttribute("checked"));
    }

    private static List<string> Headers(IRenderedComponent<OpenInvoicesGrid> cut) =>
        [.. cut.FindAll("[data-testid=grid-grid] thead th .rz-column-title").Select(t => t.GetAttribute("title") ?? "")];

    [Fact]
    public async Task A_row_rendered_again_keeps_its_event_handlers_and_a_new_page_gets_its_own()
    {
        // Radzen renders the rows again when a page change's event ends; a row whose handlers were new closures each time
        // sent three new handler ids per row for nothing. The ids are in bUnit's markup as blazor:on… attributes.
        var cut = await RenderLoadedAsync();
        (string? Box, string? Preview, string? Comments) HandlerIds(string number) =>
            (cut.Find($"input[aria-label='Select invoice {number}']").GetAttribute("blazor:onchange"),
             cut.Find($"button[aria-label='Preview invoice {number}']").GetAttribute("blazor:onclick"),
             cut.Find($"button[aria-label^='Comments (0) on invoice {number}']").GetAttribute("blazor:onclick"));
        var numbers = RowNumbers(cut);
        var first = HandlerIds(numbers[0]);
        Assert.All(new[] { first.Box, first.Preview, first.Comments }, id => Assert.False(string.IsNullOrEmpty(id)));
        var renders = cut.FindComponents<PortalGridRow<PortalGridSlot<InvoiceRow>>>()[0].RenderCount;

        // Ticking the second row renders every row again (the selection changed): the first row's handlers stay.
        cut.Find($"input[aria-label='Select invoice {numbers[1]}']").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.True(cut.FindComponents<PortalGridRow<PortalGridSlot<InvoiceRow>>>()[0].RenderCount > renders);
        Assert.Equal(first, HandlerIds(numbers[0]));

        // They still act on their own row.
        cut.Find($"input[aria-label='Select invoice {numbers[0]}']").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("2 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.True(cut.Find($"input[aria-label='Select invoice {numbers[0]}']").HasAttribute("checked"));

        // The next page's rows are other invoices in the same row components: new handlers, acting on the new rows.
        var grid = cut.FindComponent<Radzen.Blazor.RadzenDataGrid<PortalGridSlot<InvoiceRow>>>().Instance;
        await cut.InvokeAsync(() => grid.GoToPage(1));
        cut.WaitForAssertion(() => Assert.DoesNotContain(numbers[0], RowNumbers(cut)), Timeout);
        var next = RowNumbers(cut)[0];
        var nextIds = HandlerIds(next);
        Assert.NotEqual(first.Preview, nextIds.Preview);
        await cut.InvokeAsync(() => cut.Find($"button[aria-label='Preview invoice {next}']").Click());
        Assert.Equal(next, cut.FindComponent<InvoicePreviewDialog>().Instance.InvoiceNumber);
    }

    [Fact]
    public async Task Preview_and_comments_open_their_panels_for_the_row_and_close_on_request()
    {
        var cut = await RenderLoadedAsync();
        var number = RowNumbers(cut)[0];

        await cut.InvokeAsync(() => cut.Find($"button[aria-label='Preview invoice {number}']").Click());
        var preview = cut.FindComponent<InvoicePreviewDialog>();
        Assert.Equal(number, preview.Instance.InvoiceNumber);
        await cut.InvokeAsync(() => preview.Instance.OnClosed.InvokeAsync());
        Assert.Empty(cut.FindComponents<InvoicePreviewDialog>());

        var dialogJs = JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/dialog.js");
        await cut.InvokeAsync(() => cut.Find($"button[aria-label^='Comments (0) on invoice {number}']").Click());
        var comments = cut.FindComponent<InvoiceCommentsPanel>();
        Assert.Equal(number, comments.Instance.InvoiceNumber);
        // A side panel over the grid (not thousands of pixels below it), named, modal, with focus moved into it.
        var drawer = cut.Find("[data-testid=comments-drawer]");
        Assert.Equal(("dialog", "true"), (drawer.GetAttribute("role"), drawer.GetAttribute("aria-modal")));
        Assert.Equal($"Comments on {number}", cut.Find($"#{drawer.GetAttribute("aria-labelledby")}").TextContent.Trim());
        cut.WaitForAssertion(() => dialogJs.VerifyInvoke("open"), Timeout);
        await cut.InvokeAsync(() => comments.Instance.OnCommentCountChanged.InvokeAsync(3));
        Assert.Equal("3", cut.Find($"button[aria-label^='Comments (3) on invoice {number}']").GetAttribute("data-count"));
        await cut.InvokeAsync(() => cut.Find("[data-testid=comments-drawer-close]").Click());
        Assert.Empty(cut.FindComponents<InvoiceCommentsPanel>());
        dialogJs.VerifyInvoke("close");   // focus goes back to the button that opened it
    }

    [Fact]
    public async Task The_header_box_selects_every_selectable_row_of_the_page_and_clears_them_again()
    {
        var cut = await RenderLoadedAsync();
        var page = cut.FindAll("td.pp-col-select input[aria-label^='Select invoice']").Where(b => !b.HasAttribute("disabled")).ToList();
        Assert.NotEmpty(page);

        cut.Find("[data-testid=select-page]").Change(true);

        cut.WaitForAssertion(() => Assert.Contains($"{page.Count} selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.All(cut.FindAll("td.pp-col-select input[aria-label^='Select invoice']").Where(b => !b.HasAttribute("disabled")), b => Assert.True(b.HasAttribute("checked")));
        Assert.True(cut.Find("[data-testid=select-page]").HasAttribute("checked"));

        cut.Find("[data-testid=select-page]").Change(false);
        cut.WaitForAssertion(() => Assert.Contains("Select invoices to pay", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=pay-selected]"));
    }

    [Fact]
    public async Task Select_all_matching_selects_every_payable_item_across_pages_with_the_servers_count_and_total()
    {
        var cut = await RenderLoadedAsync();
        var expected = await Services.GetRequiredService<InvoiceQueryService>().SelectPayableAsync(new InvoiceQuery());
        Assert.True(expected.MatchingCount > RowNumbers(cut).Count, "the account should have more payable items than one page shows");

        cut.WaitForAssertion(() => Assert.Equal(
            $"Select all {expected.MatchingCount} matching ({expected.MatchingTotal.ToString(System.Globalization.CultureInfo.GetCultureInfo("en-US"))})",
            SelectAllMatching(cut)), Timeout);
        cut.WaitForElement("[data-testid=select-all-matching]", Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());

        cut.WaitForAssertion(() => Assert.Contains($"{expected.MatchingCount} selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=select-all-matching]"));   // everything matching is selected
        cut.WaitForElement("[data-testid=pay-selected]", Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-selected]").Click());
        Assert.Equal(expected.InvoiceIds.Order(), cut.FindComponent<PayInvoicesPanel>().Instance.InvoiceIds.Order());
    }

    [Fact]
    public async Task More_matching_items_than_one_payment_takes_offers_the_first_of_them_and_selects_exactly_those()
    {
        var cut = await RenderLoadedAsync(invoiceCount: 700);
        var service = Services.GetRequiredService<InvoiceQueryService>();
        var count = await service.CountPayableAsync(new InvoiceQuery());
        Assert.True(count.Truncated, $"the account should have more than {InvoiceQueryService.MaxSelection} payable items (has {count.MatchingCount})");

        cut.WaitForAssertion(() => Assert.Equal(
            $"Select the first {InvoiceQueryService.MaxSelection} of {count.MatchingCount} matching",
            SelectAllMatching(cut)), Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());

        cut.WaitForAssertion(() => Assert.Contains($"{InvoiceQueryService.MaxSelection} selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        cut.WaitForElement("[data-testid=pay-selected]", Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-selected]").Click());
        var expected = await service.SelectPayableAsync(new InvoiceQuery());
        Assert.Equal(expected.InvoiceIds.Order(), cut.FindComponent<PayInvoicesPanel>().Instance.InvoiceIds.Order());
    }

    [Fact]
    public async Task Ticking_stops_at_the_most_one_payment_takes_and_says_so_when_it_happens()
    {
        const int Max = InvoiceQueryService.MaxSelection;
        var cut = await RenderLoadedAsync(invoiceCount: 700);
        var count = await Services.GetRequiredService<InvoiceQueryService>().CountPayableAsync(new InvoiceQuery());
        Assert.True(count.MatchingCount > Max + 25, $"the account should have well over {Max} payable items (has {count.MatchingCount})");
        List<IElement> Boxes() => [.. cut.FindAll("td.pp-col-select input[aria-label^='Select invoice']")];
        string Summary() => cut.Find("[data-testid=selection-summary]").TextContent;

        // The first 500 by due date (select all matching), then three of them unticked on the first page by due date.
        await SortByDueDateAsync(cut);
        cut.WaitForAssertion(() => Assert.Contains("ascending", cut.FindAll("th[aria-sort]").Select(h => h.GetAttribute("aria-sort"))), Timeout);
        cut.WaitForAssertion(() => Assert.StartsWith($"Select the first {Max} of {count.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());
        cut.WaitForAssertion(() => Assert.Contains($"{Max} selected", Summary()), Timeout);
        for (var i = 0; i < 3; i++)
        {
            var ticked = Boxes().First(b => b.HasAttribute("checked"));
            ticked.Change(false);
        }
        cut.WaitForAssertion(() => Assert.Contains($"{Max - 3} selected", Summary()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=selection-full]"));

        // The latest due dates (none of them selected): their boxes can be ticked while there is room.
        var firstPage = RowNumbers(cut);
        await SortByDueDateAsync(cut);
        cut.WaitForAssertion(() => Assert.NotEqual(firstPage, RowNumbers(cut)), Timeout);
        var open = Boxes().Where(b => !b.HasAttribute("disabled") && !b.HasAttribute("checked")).ToList();
        Assert.True(open.Count > 3, $"the page should show more than 3 unselected payable items (shows {open.Count})");

        // The page's box takes three, and says at once why not the others.
        cut.Find("[data-testid=select-page]").Change(true);

        cut.WaitForAssertion(() => Assert.Contains($"{Max} selected", Summary()), Timeout);
        Assert.Equal($"3 invoices on this page selected: one payment can include at most {Max} invoices, so the other {open.Count - 3} were not. Pay or schedule these, then select the rest.",
            cut.Find("[data-testid=grid-notice]").TextContent.Trim());
        Assert.Contains("One payment can include at most 500 invoices", cut.Find("[data-testid=selection-full]").TextContent);
        Assert.False(cut.Find("[data-testid=select-page]").HasAttribute("checked"));
        // The rest cannot be ticked now; the ticked ones can still be unticked.
        Assert.Equal(3, Boxes().Count(b => b.HasAttribute("checked")));
        Assert.All(Boxes().Where(b => !b.HasAttribute("checked")), b => Assert.True(b.HasAttribute("disabled")));
        Assert.All(Boxes().Where(b => b.HasAttribute("checked")), b => Assert.False(b.HasAttribute("disabled")));
        // A tick that left the browser before its box was drawn disabled is refused, and the box is drawn ticked once (as the
        // browser shows it) and then unticked, so the browser's box follows.
        var late = Boxes().First(b => !b.HasAttribute("checked"));
        var lateName = late.GetAttribute("aria-label");
        var drawn = new List<bool>();
        cut.OnMarkupUpdated += (_, _) => drawn.Add(cut.Find($"input[aria-label='{lateName}']").HasAttribute("checked"));
        late.Change(true);
        cut.WaitForAssertion(() => Assert.Equal([true, false], drawn.SkipWhile(d => !d).Take(2)), Timeout);
        Assert.Equal($"One payment can include at most {Max} invoices: pay or schedule these, then select the rest.", cut.Find("[data-testid=grid-notice]").TextContent.Trim());
        Assert.Contains($"{Max} selected", Summary());

        // What Pay takes is what the server accepts.
        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-selected]").Click());
        Assert.Equal(Max, cut.FindComponent<PayInvoicesPanel>().Instance.InvoiceIds.Count);
    }

    [Fact]
    public async Task Going_back_to_the_first_page_of_the_same_result_does_not_count_the_matching_items_again_but_a_new_search_does()
    {
        var cut = await RenderLoadedAsync();
        var service = Services.GetRequiredService<InvoiceQueryService>();
        var before = await service.SelectPayableAsync(new InvoiceQuery());
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {before.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        var firstPage = RowNumbers(cut);

        // Behind the grid's back (the count is not the grid's to watch): one payable item stops being payable.
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            await db.Invoices.Where(i => i.Id == before.InvoiceIds[0]).ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, InvoiceStatus.Pending));
        }
        Assert.Equal(before.MatchingCount - 1, (await service.SelectPayableAsync(new InvoiceQuery())).MatchingCount);

        // Page 2 and back: the same result, so the count is not taken again (three queries over the whole result saved).
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.NotEqual(firstPage, RowNumbers(cut)), Timeout);
        await cut.InvokeAsync(() => cut.Find(".rz-pager-prev").Click());
        cut.WaitForAssertion(() => Assert.Equal(firstPage, RowNumbers(cut)), Timeout);
        await Task.Delay(TimeSpan.FromSeconds(1));   // time for a count, were one started, to land
        Assert.StartsWith($"Select all {before.MatchingCount} matching", SelectAllMatching(cut));

        // Another result (a search): counted again, from the data as it is now.
        var searched = await service.SelectPayableAsync(new InvoiceQuery { Search = "INV" });
        Assert.NotEqual(before.MatchingCount, searched.MatchingCount);
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {searched.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
    }

    [Fact]
    public async Task A_search_that_a_newer_one_overtook_does_not_label_select_all_matching_with_its_count()
    {
        var (gate, cut, _, newer) = await GatedAsync();
        var target = RowNumbers(cut)[0];
        Assert.NotEqual(1, newer.MatchingCount);

        // A search for one invoice waits at the database; a newer search overtakes it and shows its rows and count.
        gate.Hold(target);
        Search(cut, target);
        await gate.Reached.WaitAsync(Timeout);
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {newer.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        var rows = RowNumbers(cut);

        // The overtaken search comes back last: neither its rows nor its count ("1 matching") replace the newer ones.
        gate.Release();
        await gate.Passed.WaitAsync(Timeout);
        await Task.Delay(TimeSpan.FromSeconds(1));   // time for a count, were one started, to land
        Assert.StartsWith($"Select all {newer.MatchingCount} matching", SelectAllMatching(cut));
        Assert.Equal(rows, RowNumbers(cut));
        Assert.NotEqual([target], rows);
    }

    [Fact]
    public async Task A_new_result_offers_select_all_matching_only_once_its_own_count_lands()
    {
        var (gate, cut, all, searched) = await GatedAsync();
        Assert.NotEqual(all.MatchingCount, searched.MatchingCount);

        // The search's rows come; its count waits at the database: the whole account's count no longer labels them.
        gate.Hold("INV", SearchGate.IsPayableCount);
        Search(cut, "INV");
        await gate.Reached.WaitAsync(Timeout);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=select-all-matching]")), Timeout);

        gate.Release();
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {searched.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
    }

    [Fact]
    public async Task A_count_that_fails_offers_nothing_and_the_next_load_of_the_same_result_counts_again()
    {
        var (gate, cut, _, searched) = await GatedAsync();

        gate.FailOnce("INV", SearchGate.IsPayableCount);
        Search(cut, "INV");
        cut.WaitForAssertion(() => Assert.Equal(1, gate.Failed), Timeout);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=select-all-matching]")), Timeout);

        // Another load of the same result (a sort) counts it again.
        await SortByDueDateAsync(cut);
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {searched.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        Assert.Equal(1, gate.Failed);
    }

    [Fact]
    public async Task Select_all_matching_is_offered_for_a_result_with_unselected_items_however_many_other_items_are_selected()
    {
        var cut = await RenderLoadedAsync();
        var firstPage = RowNumbers(cut);
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.NotEqual(firstPage, RowNumbers(cut)), Timeout);
        var elsewhere = RowNumbers(cut)[0];
        await cut.InvokeAsync(() => cut.Find(".rz-pager-prev").Click());
        cut.WaitForAssertion(() => Assert.Equal(firstPage, RowNumbers(cut)), Timeout);

        // The first page ticked by hand: more items selected than the next result holds, none of them in it.
        cut.Find("[data-testid=select-page]").Change(true);
        cut.WaitForAssertion(() => Assert.Contains($"{firstPage.Count} selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Search(cut, elsewhere);
        cut.WaitForAssertion(() => Assert.Equal([elsewhere], RowNumbers(cut)), Timeout);

        // Its one item is not selected: the offer stands (it did not, while the page's count of selected items was larger).
        cut.WaitForAssertion(() => Assert.StartsWith("Select all 1 matching", SelectAllMatching(cut)), Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=select-all-matching]"));

        // Unticked again, the result has an unselected item: offered again.
        cut.Find($"input[aria-label='Select invoice {elsewhere}']").Change(false);
        cut.WaitForAssertion(() => Assert.StartsWith("Select all 1 matching", SelectAllMatching(cut)), Timeout);
    }

    [Fact]
    public async Task Select_all_matching_follows_the_search()
    {
        var cut = await RenderLoadedAsync();
        var number = RowNumbers(cut)[0];
        Search(cut, number);
        cut.WaitForAssertion(() => Assert.Equal([number], RowNumbers(cut)), Timeout);

        cut.WaitForAssertion(() => Assert.StartsWith("Select all 1 matching", SelectAllMatching(cut)), Timeout);
        cut.WaitForElement("[data-testid=select-all-matching]", Timeout);
        await cut.InvokeAsync(() => cut.Find("[data-testid=select-all-matching]").Click());
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
    }

    [Fact]
    public async Task Pay_all_past_due_selects_the_past_due_invoices_on_the_server_and_opens_the_payment()
    {
        var cut = await RenderLoadedAsync();
        var pastDue = await Services.GetRequiredService<InvoiceQueryService>().SelectPastDueAsync();
        Assert.NotEmpty(pastDue.Items);   // the demo ledger spreads items over five months

        cut.WaitForElement("[data-testid=pay-past-due]", Timeout);

        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-past-due]").Click());

        var panel = cut.FindComponent<PayInvoicesPanel>();
        Assert.Equal(pastDue.InvoiceIds.Order(), panel.Instance.InvoiceIds.Order());
        Assert.Contains($"{pastDue.Items.Count} past-due invoices selected", cut.Find("[data-testid=grid-notice]").TextContent);
    }

    [Fact]
    public async Task View_only_users_get_no_checkboxes_and_no_selection_actions()
    {
        var cut = await RenderLoadedAsync(PortalPermissions.View);

        Assert.Empty(cut.FindAll(".pp-col-select input"));
        Assert.Empty(cut.FindAll("[data-testid=selection-bar]"));
        Assert.Empty(cut.FindAll("[data-testid=pay-past-due]"));
        Assert.Empty(cut.FindAll("[data-testid=grid-amount-input]"));
    }

    [Fact]
    public async Task Pay_selected_hosts_the_pay_panel_with_the_selection_kept_across_pages()
    {
        var cut = await RenderLoadedAsync();
        var first = (await QueryAsync(new InvoiceQuery { Take = 25 })).Items.First(r => r.CanSelect);
        var later = (await QueryAsync(new InvoiceQuery { Skip = 25, Take = 25 })).Items.First(r => r.CanSelect);
        cut.Find($"input[aria-label='Select invoice {first.Number}']").Change(true);
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.Contains(later.Number, RowNumbers(cut)), Timeout);
        cut.Find($"input[aria-label='Select invoice {later.Number}']").Change(true);

        cut.WaitForElement("[data-testid=pay-selected]", Timeout);

        await cut.InvokeAsync(() => cut.Find("[data-testid=pay-selected]").Click());
        var panel = cut.FindComponent<PayInvoicesPanel>();
        Assert.Equal(new[] { first.Id, later.Id }.Order(), panel.Instance.InvoiceIds.Order());

        await cut.InvokeAsync(() => panel.Instance.OnPaid.InvokeAsync(null!));
        cut.WaitForAssertion(() => Assert.Contains("Select invoices to pay", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        Assert.Contains("Payment submitted", cut.Find("p[role=status]").TextContent);
        // The data changed, so "select all matching" is counted again, on the page shown (page 2).
        var matching = await Services.GetRequiredService<InvoiceQueryService>().CountPayableAsync(new InvoiceQuery());
        cut.WaitForAssertion(() => Assert.StartsWith($"Select all {matching.MatchingCount} matching", SelectAllMatching(cut)), Timeout);
        Assert.Contains(later.Number, RowNumbers(cut));
        await cut.InvokeAsync(() => cut.FindComponent<PayInvoicesPanel>().Instance.OnClosed.InvokeAsync());
        Assert.Empty(cut.FindComponents<PayInvoicesPanel>());
    }

    [Fact]
    public async Task A_payment_the_panel_reports_as_not_made_keeps_the_selection_and_says_the_invoices_are_open_again()
    {
        var cut = await RenderLoadedAsync();
        var first = (await QueryAsync(new InvoiceQuery { Take = 25 })).Items.First(r => r.CanSelect);
        cut.Find($"input[aria-label='Select invoice {first.Number}']").Change(true);
        await cut.InvokeAsync(() => cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click());
        var panel = cut.FindComponent<PayInvoicesPanel>();

        // A refused bank confirmation (or a lost answer that turned out declined or returned): nothing was charged.
        await cut.InvokeAsync(() => panel.Instance.OnPaid.InvokeAsync(new Services.Payments.PaymentOutcome
        {
            PaymentId = Guid.NewGuid(), ReceiptNumber = "R-1", Status = PaymentStatus.Failed, Amount = first.OpenBalance,
        }));

        cut.WaitForAssertion(() => Assert.Equal("The payment was not made. Its invoices are open again.", cut.Find("p[role=status]").TextContent.Trim()), Timeout);
        Assert.DoesNotContain("Payment submitted", cut.Markup);
        Assert.True(cut.Find($"input[aria-label='Select invoice {first.Number}']").HasAttribute("checked"));
        Assert.DoesNotContain("Select invoices to pay", cut.Find("[data-testid=selection-summary]").TextContent);
        // One whose answer was lost: sent, not confirmed yet.
        await cut.InvokeAsync(() => panel.Instance.OnPaid.InvokeAsync(new Services.Payments.PaymentOutcome
        {
            PaymentId = Guid.NewGuid(), ReceiptNumber = "R-3", Status = PaymentStatus.Unconfirmed, Amount = first.OpenBalance,
        }));
        cut.WaitForAssertion(() => Assert.Equal("Payment sent; its outcome is not confirmed yet. The invoices show as Pending until it is.",
            cut.Find("p[role=status]").TextContent.Trim()), Timeout);
    }

    // Review: after a payment went through, a failed read of the balances threw out of the grid's handler: the pay panel
    // added "may have gone through" to its receipt, and after a bank confirmation the whole page was replaced.
    [Fact]
    public async Task A_payment_that_went_through_is_told_as_done_when_the_balances_cannot_be_read_afterwards()
    {
        var lost = new InjectedDbFault("SELECT", "pp_invoices");
        var cut = await RenderLoadedAsync(configure: o => o.Database.Interceptors.Add(lost));
        var first = (await QueryAsync(new InvoiceQuery { Take = 25 })).Items.First(r => r.CanSelect);
        cut.Find($"input[aria-label='Select invoice {first.Number}']").Change(true);
        await cut.InvokeAsync(() => cut.WaitForElement("[data-testid=pay-selected]", Timeout).Click());
        var panel = cut.FindComponent<PayInvoicesPanel>();
        lost.Armed = true;

        await cut.InvokeAsync(() => panel.Instance.OnPaid.InvokeAsync(new Services.Payments.PaymentOutcome
        {
            PaymentId = Guid.NewGuid(), ReceiptNumber = "R-2", Status = PaymentStatus.Succeeded, Amount = first.OpenBalance,
        }));

        Assert.True(lost.Failed > 0);
        cut.WaitForAssertion(() => Assert.Contains("Payment submitted", cut.Find("p[role=status]").TextContent), Timeout);
        lost.Armed = false;
    }

    [Fact]
    public async Task Radzens_check_after_each_load_counts_the_page_from_the_list_without_compiling_a_query()
    {
        var cut = await RenderLoadedAsync();
        ListQuery<PortalGridSlot<InvoiceRow>> Data() =>
            Assert.IsType<ListQuery<PortalGridSlot<InvoiceRow>>>(cut.FindComponent<PortalDataGrid<PortalGridSlot<InvoiceRow>>>().Instance.Data);
        var pages = new List<ListQuery<PortalGridSlot<InvoiceRow>>> { Data() };
        var first = RowNumbers(cut);
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.NotEqual(first, RowNumbers(cut)), Timeout);
        pages.Add(Data());
        var second = RowNumbers(cut);
        await SortByDueDateAsync(cut);
        cut.WaitForAssertion(() => Assert.NotEqual(second, RowNumbers(cut)), Timeout);
        pages.Add(Data());

        // After each load Radzen counts the rows it holds (its empty-page check): over a plain list that is an
        // EnumerableQuery, which compiles an expression into a new method for every count.
        Assert.Equal(3, pages.Distinct().Count());
        Assert.All(pages[..^1], page => Assert.True(page.Answered > 0, "Radzen's count after the next load"));
        Assert.All(pages, page => Assert.False(page.UsedFallback));
        Assert.Equal(RowNumbers(cut).Count, pages[^1].Count);
    }

    [Fact]
    public async Task The_radzen_grids_own_render_tree_fits_512_frames_and_the_selection_bar_renders_in_its_own()
    {
        var cut = await RenderLoadedAsync();
        // Radzen renders the whole table (column declarations, header, the rows' components, pager) in the tree of the
        // cascading value around it; the circuit keeps that tree twice at the power of two above its largest size.
        int GridFrames() => RenderTreeFrames(cut.FindComponent<CascadingValue<RadzenDataGrid<PortalGridSlot<InvoiceRow>>>>().ComponentId);
        // No Radzen column chooser ("Arrange columns" shows and hides columns): it keeps a drop-down item component per
        // column, rendered while closed, in every open grid.
        Assert.Empty(cut.FindAll(".rz-column-picker"));
        Assert.Single(cut.FindAll("[data-testid=grid-arrange-columns]"));
        var sizes = new List<int> { GridFrames() };
        var numbers = RowNumbers(cut);

        cut.Find($"input[aria-label='Select invoice {numbers[0]}']").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Find("[data-testid=selection-summary]").TextContent), Timeout);
        sizes.Add(GridFrames());
        // The selection bar (whose buttons come and go with the selection) is a component of its own in Radzen's header.
        Assert.Contains("1 selected", cut.FindComponent<GridHeaderContent>().Markup);
        // The ticked row keeps its row class beside the highlight (a phone shows it as a card like the others); the
        // others have only the row class.
        Assert.Equal(["pp-row-selected", "rz-data-row"], [.. cut.Find($"input[aria-label='Select invoice {numbers[0]}']").Closest("tr")!.ClassList.Order(StringComparer.Ordinal)]);
        Assert.Equal(["rz-data-row"], [.. cut.Find($"input[aria-label='Select invoice {numbers[1]}']").Closest("tr")!.ClassList]);

        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.NotEqual(numbers, RowNumbers(cut)), Timeout);
        sizes.Add(GridFrames());
        Search(cut, "no-such-invoice");
        cut.WaitForElement("[data-testid=grid-no-results]", Timeout);
        sizes.Add(GridFrames());

        Assert.All(sizes, count => Assert.InRange(count, 1, 512));
    }

    /// <summary>The frames of a component's current render tree (the renderer's method for it is protected).</summary>

    [Fact]
    public async Task Cells_carry_their_state_on_the_cell_and_a_row_fits_a_128_frame_render_tree()
    {
        var cut = await RenderLoadedAsync();
        var rows = (await QueryAsync(new InvoiceQuery { Take = 25 })).Items;
        Assert.Contains(rows, r => r.DaysPastDue > 0);
        Assert.Contains(rows, r => r.DaysPastDue <= 0);
        // The worst case of an unselected row: late, with comments.
        var late = rows.First(r => r.DaysPastDue > 0);
        await cut.InvokeAsync(() => cut.Find($"button[aria-label^='Comments (0) on invoice {late.Number}']").Click());
        await cut.InvokeAsync(() => cut.FindComponent<InvoiceCommentsPanel>().Instance.OnCommentCountChanged.InvokeAsync(12));
        await cut.InvokeAsync(() => cut.Find("[data-testid=comments-drawer-close]").Click());

        var trs = cut.FindAll("[data-testid=grid-grid] tbody tr.rz-data-row");
        Assert.Equal(rows.Select(r => r.Number), trs.Select(tr => tr.QuerySelector("td.pp-inv-number")!.TextContent.Trim()));
        foreach (var (row, tr) in rows.Zip(trs, (r, t) => (r, t)))
        {
            var lateDays = tr.QuerySelector(".pp-inv-late > span");
            if (row.DaysPastDue > 0)
            {
                // Red, "12d late" on screen (drawn from data-short), "12 days late" for screen readers.
                Assert.Equal($"{row.DaysPastDue}d late", lateDays!.GetAttribute("data-short"));
                Assert.Equal($" {row.DaysPastDue} days late", lateDays.TextContent);
                // Read as a whole, the date and the days are two words apart, not "11/1/202612 days late".
                Assert.EndsWith($"/{row.DueDate.Year} {row.DaysPastDue} days late", tr.QuerySelector(".pp-inv-late")!.TextContent, StringComparison.Ordinal);
            }
            else
            {
                Assert.Null(tr.QuerySelector(".pp-inv-late"));
            }
            // "Open" is plain text; the other statuses carry their colour's class.
            var status = Assert.Single(tr.QuerySelectorAll("td.pp-inv-status"));
            Assert.Equal(row.Status == InvoiceStatus.Open ? 0 : 1, status.QuerySelectorAll($".pp-inv-status-{row.Status.ToString().ToLowerInvariant()}").Length);
            Assert.Equal(row.FullPaymentToday is not null, tr.QuerySelector(".pp-muted.pp-inv-full-payment") is not null);
            var comments = tr.QuerySelector("button[aria-label^='Comments (']")!;
            Assert.Equal(row.Id == late.Id ? "12" : null, comments.GetAttribute("data-count"));
        }

        // The rows are the portal's own, none of Radzen's is left, and a row's render tree fits Blazor's 64-frame buffer
        // (it keeps two per component for the circuit's life; a row over 64 frames holds two of 128). The late row with
        // comments is the largest an unselected row gets.
        Assert.Empty(cut.FindComponents<RadzenDataGridRow<PortalGridSlot<InvoiceRow>>>());
        var frames = cut.FindComponents<PortalGridRow<PortalGridSlot<InvoiceRow>>>().Select(r => RenderTreeFrames(r.ComponentId)).ToList();
        Assert.Equal(25, frames.Count);
        Assert.All(frames, count => Assert.InRange(count, 1, 64));
    }
}

/// <summary>The shared grid shell's mapping between Radzen's DataGrid and the Core query, with the open invoices' columns.</summary>
public class InvoiceGridMappingTests
{
    private static readonly GridColumnMap Map = new(
    [
        new(nameof(InvoiceRow.Number), InvoiceFields.Number, "Invoice number"),
        new(nameof(InvoiceRow.PoNumber), InvoiceFields.PoNumber, "PO number"),
        new(nameof(InvoiceRow.DocumentDate), InvoiceFields.DocumentDate, "Invoice date", Visible: false),
        new(nameof(InvoiceRow.DueDate), InvoiceFields.DueDate, "Due date"),
        new("Original.Amount", InvoiceFields.Original, "Original amount", Visible: false),
        new("OpenBalance.Amount", InvoiceFields.OpenBalance, "Open balance"),
        new(nameof(InvoiceRow.Status), InvoiceFields.Status, "Status", typeof(InvoiceStatus)),
    ]);

    private static LoadDataArgs Args(params FilterDescriptor[] filters) => new() { Skip = 50, Top = 25, Filters = filters, Sorts = [] };

    [Fact]
    public void Filters_and_sorts_map_to_the_core_query_with_invariant_values()
    {
        var args = Args(
            new FilterDescriptor { Property = "Row.DueDate", FilterValue = new DateOnly(2026, 1, 5), FilterOperator = FilterOperator.GreaterThanOrEquals, SecondFilterValue = new DateTime(2026, 2, 1, 13, 0, 0), SecondFilterOperator = FilterOperator.LessThan, LogicalFilterOperator = LogicalFilterOperator.And },
            new FilterDescriptor { Property = "Row.OpenBalance.Amount", FilterValue = 1234.5m, FilterOperator = FilterOperator.GreaterThan },
            new FilterDescriptor { Property = "Row.Status", FilterValue = InvoiceStatus.Pending, FilterOperator = FilterOperator.Equals },
            new FilterDescriptor { Property = "PoNumber", FilterOperator = FilterOperator.IsEmpty },
            new FilterDescriptor { Property = "Number", FilterValue = null, FilterOperator = FilterOperator.Contains });
        // The grid binds the row's slot ("Row.DueDate"); the bare names are what layouts saved before that carry.
        args.Sorts = [new SortDescriptor { Property = "Row.DueDate", SortOrder = SortOrder.Descending }, new SortDescriptor { Property = "Number", SortOrder = SortOrder.Ascending }];

        Assert.Equal(
        [
            new GridFilter(InvoiceFields.DueDate, GridFilterOperator.GreaterThanOrEqual, "2026-01-05"),
            new GridFilter(InvoiceFields.DueDate, GridFilterOperator.LessThan, "2026-02-01"),
            new GridFilter(InvoiceFields.OpenBalance, GridFilterOperator.GreaterThan, "1234.5"),
            new GridFilter(InvoiceFields.Status, GridFilterOperator.Equals, "Pending"),
            new GridFilter(InvoiceFields.PoNumber, GridFilterOperator.IsEmpty, null),
        ], Map.Filters(args));
        Assert.Equal([new GridSort(InvoiceFields.DueDate, true), new GridSort(InvoiceFields.Number, false)], Map.Sorts(args));
    }

    [Fact]
    public void Enum_filter_values_restored_as_numbers_become_names()
    {
        var args = Args(new FilterDescriptor { Property = "Status", FilterValue = (int)InvoiceStatus.Scheduled, FilterOperator = FilterOperator.Equals });
        Assert.Equal([new GridFilter(InvoiceFields.Status, GridFilterOperator.Equals, "Scheduled")], Map.Filters(args));
    }

    [Fact]
    public void Or_inside_one_column_and_unsupported_operators_are_refused_not_guessed()
    {
        var or = Assert.Throws<PortalValidationException>(() => Map.Filters(Args(new FilterDescriptor
        {
            Property = "Original.Amount", FilterValue = 10m, FilterOperator = FilterOperator.LessThan,
            SecondFilterValue = 100m, SecondFilterOperator = FilterOperator.GreaterThan, LogicalFilterOperator = LogicalFilterOperator.Or,
        })));
        Assert.Contains("Or", or.Message);
        var ends = Assert.Throws<PortalValidationException>(() => Map.Filters(Args(new FilterDescriptor
        {
            Property = "Number", FilterValue = "01", FilterOperator = FilterOperator.EndsWith,
        })));
        Assert.Equal(InvoiceFields.Number, ends.Field);
        Assert.Throws<PortalValidationException>(() => Map.Filters(Args(new FilterDescriptor { Property = "Nope", FilterValue = "x", FilterOperator = FilterOperator.Equals })));
    }

    [Fact]
    public void Visible_fields_follow_the_settings_order_and_visibility()
    {
        Assert.Equal([InvoiceFields.Number, InvoiceFields.PoNumber, InvoiceFields.DueDate, InvoiceFields.OpenBalance, InvoiceFields.Status], Map.VisibleFields(null));
        var settings = new DataGridSettings
        {
            Columns =
            [
                new DataGridColumnSettings { UniqueID = "select", Visible = true, OrderIndex = 0 },
                new DataGridColumnSettings { Property = "Number", Visible = true, OrderIndex = 3 },
                new DataGridColumnSettings { Property = "Row.DueDate", Visible = true, OrderIndex = 1 },
                new DataGridColumnSettings { Property = "Row.OpenBalance.Amount", Visible = true, OrderIndex = 2 },
                new DataGridColumnSettings { Property = "PoNumber", Visible = false, OrderIndex = 4 },
            ],
        };
        Assert.Equal([InvoiceFields.DueDate, InvoiceFields.OpenBalance, InvoiceFields.Number], Map.VisibleFields(settings));
        Assert.Equal("Open balance", Map.Title(InvoiceFields.OpenBalance));
    }

    [Fact]
    public void Layout_json_round_trips_with_the_pages_own_parts_and_junk_is_ignored()
    {
        var layout = new PortalGridLayout
        {
            Grid = new DataGridSettings { PageSize = 50 },
            Search = "PO-1",
            Extra = new() { ["agingBucket"] = System.Text.Json.JsonSerializer.SerializeToElement(3) },
        };
        var back = GridColumnMap.Deserialize<PortalGridLayout>(GridColumnMap.Serialize(layout));
        Assert.Equal(50, back!.Grid!.PageSize);
        Assert.Equal("PO-1", back.Search);
        Assert.Equal(3, back.Extra!["agingBucket"].GetInt32());
        Assert.Null(GridColumnMap.Deserialize<PortalGridLayout>("not json"));
        Assert.Null(GridColumnMap.Deserialize<PortalGridLayout>(null));
    }
}
