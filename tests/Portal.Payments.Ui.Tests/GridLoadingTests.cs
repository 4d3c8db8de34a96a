using Portal.Payments.Grid;
using Portal.Payments.Services;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// A page that loads quickly goes straight from the old rows to the new ones (nothing renders in between, no flash of
/// the loading indicator); one that takes longer than the indicator's delay shows the indicator until its rows arrive.
/// </summary>
public class GridLoadingTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Indicator = ".rz-datatable-loading";

    [Fact]
    public async Task A_page_change_renders_the_rows_once_when_they_arrive_and_the_indicator_only_for_a_slow_load()
    {
        // Long enough that a busy test machine cannot reach it before the quick load's checks.
        var (cut, next) = await PendingGridAsync(indicatorDelay: TimeSpan.FromSeconds(3));
        void AnswerNext() => Answer(next());

        AnswerNext();
        cut.WaitForAssertion(() => Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim()), Timeout);

        // A quick load: while it runs the rows do not render again (the old rows stay, no indicator flashes); then the new rows.
        var row = cut.FindComponents<PortalGridRow<PortalGridSlot<string>>>()[0];
        var rowRenders = row.RenderCount;
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        await Task.Delay(150);
        Assert.Equal(rowRenders, row.RenderCount);
        Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim());
        Assert.Empty(cut.FindAll(Indicator));
        AnswerNext();
        cut.WaitForAssertion(() => Assert.Equal("INV-026", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll(Indicator));

        // A slow load: the indicator once the delay has passed, the rows and no indicator once they arrive.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll(Indicator)), Timeout);
        Assert.Equal("INV-026", cut.Find("td.pp-n").TextContent.Trim());
        AnswerNext();
        cut.WaitForAssertion(() => Assert.Equal("INV-051", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll(Indicator));
        Assert.Contains("Page 3 of 4", cut.Find(".rz-pager-summary").TextContent);
    }

    // A grid whose loads wait for the test to answer them (as a PostgreSQL query answers after the handler yields).
    // A pending grid whose first page (INV-001 …) was answered and is shown.
    private async Task<(IRenderedComponent<PortalGrid<string>> Cut, Func<(GridQuery Query, TaskCompletionSource<GridPage<string>> Answer)> Next)> FirstPageShownAsync()
    {
        var (cut, next) = await PendingGridAsync();
        Answer(next());
        cut.WaitForAssertion(() => Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        return (cut, next);
    }

    private async Task<(IRenderedComponent<PortalGrid<string>> Cut, Func<(GridQuery Query, TaskCompletionSource<GridPage<string>> Answer)> Next)> PendingGridAsync(TimeSpan? indicatorDelay = null)
    {
        await AddPortalAndMigrateAsync(invoiceCount: 0);
        Users.SignIn(PortalPermissions.Pay);
        var pending = new Queue<(GridQuery Query, TaskCompletionSource<GridPage<string>> Answer)>();
        var cut = Render<PortalGrid<string>>(p => p
            .Add(x => x.GridKey, "loading-test")
            .Add(x => x.Label, "Invoices")
            .Add(x => x.LoadingIndicatorDelay, indicatorDelay ?? TimeSpan.FromSeconds(30))
            .Add(x => x.Columns, [new PortalGridColumn<string> { Id = "number", Title = "Number", Text = r => r, CellCssClass = "pp-n" }])
            .Add(x => x.LoadPage, (query, _) =>
            {
                var answer = new TaskCompletionSource<GridPage<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (pending)
                {
                    pending.Enqueue((query, answer));
                }
                return answer.Task;
            }));
        (GridQuery Query, TaskCompletionSource<GridPage<string>> Answer) Next()
        {
            (GridQuery Query, TaskCompletionSource<GridPage<string>> Answer) next = (new GridQuery(), new());
            cut.WaitForAssertion(() =>
            {
                lock (pending)
                {
                    Assert.True(pending.TryDequeue(out next), "no load waiting");
                }
            }, Timeout);
            return next;
        }
        return (cut, Next);
    }

    // Answers a load with its page of a 100-item result.
    private static void Answer((GridQuery Query, TaskCompletionSource<GridPage<string>> Answer) load) => load.Answer.SetResult(Page(load.Query));

    private static GridPage<string> Page(GridQuery query, int total = 100) =>
        new([.. Enumerable.Range(query.Skip + 1, Math.Clamp(total - query.Skip, 0, 25)).Select(i => $"INV-{i:D3}")], total);

    [Fact]
    public async Task A_load_that_outlives_the_click_renders_the_pager_at_the_click_and_the_rows_once_when_they_come()
    {
        var (cut, next) = await FirstPageShownAsync();
        var row = cut.FindComponents<PortalGridRow<PortalGridSlot<string>>>()[0];
        var pager = cut.FindComponent<Radzen.Blazor.RadzenPager>();
        var (rowRenders, pagerRenders) = (row.RenderCount, pager.RenderCount);

        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var second = next();
        await Task.Delay(100);   // time for any render the click still had to do
        // The click's own renders are over (its handler returned): the pager once (its new page), the rows not at all.
        Assert.Equal((rowRenders, pagerRenders + 1), (row.RenderCount, pager.RenderCount));
        Answer(second);
        cut.WaitForAssertion(() => Assert.Equal("INV-026", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        await Task.Delay(100);
        // Then the rows render once, and the pager only with its grid (awaiting the load within the click rendered the
        // rows twice and the pager six times: at each step of the load and at the end of each component's event).
        Assert.Equal(rowRenders + 1, row.RenderCount);
        Assert.InRange(pager.RenderCount - pagerRenders, 1, 3);
    }

    [Fact]
    public async Task A_load_that_ends_after_a_newer_one_does_not_replace_its_rows()
    {
        var (cut, next) = await FirstPageShownAsync();

        // Page 2, and page 3 before page 2's rows came; page 3's rows come first, then page 2's.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var page2 = next();
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var page3 = next();
        Assert.Equal((25, 50), (page2.Query.Skip, page3.Query.Skip));
        Answer(page3);
        cut.WaitForAssertion(() => Assert.Equal("INV-051", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        Answer(page2);
        await Task.Delay(200);
        Assert.Equal("INV-051", cut.Find("td.pp-n").TextContent.Trim());
        Assert.Contains("Page 3 of 4", cut.Find(".rz-pager-summary").TextContent);

        // The same for a replaced load that fails: it says nothing.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var page4 = next();
        await cut.InvokeAsync(() => cut.Find(".rz-pager-prev").Click());
        var page3Again = next();
        Answer(page3Again);
        page4.Answer.SetException(new TimeoutException("the database did not answer"));
        await Task.Delay(200);
        Assert.Equal("INV-051", cut.Find("td.pp-n").TextContent.Trim());
        Assert.Empty(cut.FindAll(".pp-grid-error"));
    }

    [Fact]
    public async Task A_page_that_comes_back_empty_after_the_click_steps_back_to_the_last_page_and_a_failed_load_says_so()
    {
        var (cut, next) = await FirstPageShownAsync();
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var second = next();
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        Answer(second);   // replaced by the third load: ignored
        var third = next();

        // Meanwhile the result shrank to 30 items: page 3 is empty, so the grid asks for the last page (items 26 – 30).
        third.Answer.SetResult(new GridPage<string>([], 30));
        var back = next();
        Assert.Equal(25, back.Query.Skip);
        back.Answer.SetResult(Page(back.Query, total: 30));
        cut.WaitForAssertion(() => Assert.Equal("INV-026", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        Assert.Equal(5, cut.FindAll("td.pp-n").Count);

        // A load that fails after the click: the grid says so, with no rows.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-first").Click());
        next().Answer.SetException(new TimeoutException("the database did not answer"));
        cut.WaitForAssertion(() => Assert.Contains("could not", cut.Find(".pp-grid-error").TextContent, StringComparison.OrdinalIgnoreCase), Timeout);
        Assert.Empty(cut.FindAll("td.pp-n"));
    }

    // Review: a failed load said "could not be loaded" above an empty result that read as "nothing matches", offering only
    // Clear filters, which threw away the search. It offers Try again: the same page, search kept.
    [Fact]
    public async Task A_failed_load_offers_try_again_which_loads_the_same_page_with_the_search_kept()
    {
        var (cut, next) = await FirstPageShownAsync();
        cut.Find("[data-testid=grid-search]").Input("INV");
        await cut.InvokeAsync(() => cut.Find("form.pp-grid-search").Submit());
        Answer(next());
        cut.WaitForAssertion(() => Assert.Equal("INV", cut.Find("[data-testid=grid-grid]").GetAttribute("data-search")), Timeout);
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var failed = next();
        Assert.Equal((25, "INV"), (failed.Query.Skip, failed.Query.Search));
        failed.Answer.SetException(new TimeoutException("the database did not answer"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=grid-retry]")), Timeout);
        Assert.Contains("could not be loaded", cut.Find("[data-testid=grid-error]").TextContent);
        var empty = cut.Find("[data-testid=grid-no-results]");
        Assert.Equal(["Try again"], empty.QuerySelectorAll("button").Select(b => b.TextContent.Trim()));
        Assert.DoesNotContain("match", empty.TextContent, StringComparison.OrdinalIgnoreCase);

        // Fails again: still said, still offered.
        await cut.InvokeAsync(() => cut.Find("[data-testid=grid-retry]").Click());
        var again = next();
        Assert.Equal((25, "INV"), (again.Query.Skip, again.Query.Search));
        again.Answer.SetException(new TimeoutException("the database did not answer"));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=grid-retry]")), Timeout);

        // Answers: the rows of that page, and neither the error nor the button.
        await cut.InvokeAsync(() => cut.Find("[data-testid=grid-retry]").Click());
        var retried = next();
        Assert.Equal((25, "INV"), (retried.Query.Skip, retried.Query.Search));
        Answer(retried);
        cut.WaitForAssertion(() => Assert.Equal("INV-026", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=grid-error]"));
        Assert.Empty(cut.FindAll("[data-testid=grid-retry]"));
        Assert.Equal("INV", cut.Find("[data-testid=grid-search]").GetAttribute("value"));
    }

    [Fact]
    public async Task A_load_refused_after_the_click_reaches_the_error_handling_as_it_did_within_it_and_a_cancelled_one_does_not()
    {
        var (cut, next) = await FirstPageShownAsync();
        var unhandled = Renderer.UnhandledException;

        // Cancelled (the circuit going away): nothing to report, the rows stay.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        next().Answer.SetCanceled();
        await Task.Delay(200);
        Assert.False(unhandled.IsCompleted, "a cancelled load is not an error");
        Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim());

        // Refused (signed out meanwhile): the exception goes where a refusal within the click went, to the error handling.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        next().Answer.SetException(new PortalAccessDeniedException("Please sign in to use the payment portal."));
        var error = await unhandled.WaitAsync(Timeout);
        Assert.IsType<PortalAccessDeniedException>(error);
    }

    [Fact]
    public async Task A_view_applied_while_a_page_loads_shows_its_own_rows_not_the_earlier_loads()
    {
        var (cut, next) = await FirstPageShownAsync();

        // Page 2 is loading when the built-in view is applied (the saved-views bar): the rebuilt grid loads page 1.
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        var page2 = next();
        await cut.InvokeAsync(() => cut.FindComponent<SavedViewsBar>().Instance.OnApplyLayout.InvokeAsync(null));
        var rebuilt = next();
        Assert.Equal(0, rebuilt.Query.Skip);
        Answer(page2);
        await Task.Delay(200);
        Assert.NotEqual("INV-026", cut.FindAll("td.pp-n").FirstOrDefault()?.TextContent.Trim());
        Answer(rebuilt);
        cut.WaitForAssertion(() => Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim()), Timeout);
        await Task.Delay(200);
        Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim());
    }

    [Fact]
    public async Task A_page_emptied_between_the_count_and_the_read_shows_empty_under_its_own_page()
    {
        var (cut, next) = await FirstPageShownAsync();
        await cut.InvokeAsync(() => cut.Find(".rz-pager-next").Click());
        // Counted 100, then its rows went before they were read: no step back (the count still reaches this page), and
        // not the previous page's rows under the new page number.
        next().Answer.SetResult(new GridPage<string>([], 100));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("td.pp-n")), Timeout);
        Assert.Contains("Page 2 of 4", cut.Find(".rz-pager-summary").TextContent);
        Assert.Empty(cut.FindAll(Indicator));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(61_000)]
    public async Task A_loading_indicator_delay_below_zero_or_over_a_minute_is_refused_by_name(int milliseconds)
    {
        await AddPortalAndMigrateAsync(invoiceCount: 0);
        Users.SignIn(PortalPermissions.Pay);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Render<PortalGrid<string>>(p => p
            .Add(x => x.GridKey, "loading-test")
            .Add(x => x.Label, "Invoices")
            .Add(x => x.Columns, [new PortalGridColumn<string> { Id = "number", Title = "Number", Text = r => r }])
            .Add(x => x.LoadPage, (_, _) => Task.FromResult(new GridPage<string>([], 0)))
            .Add(x => x.LoadingIndicatorDelay, TimeSpan.FromMilliseconds(milliseconds))));
        Assert.Equal("LoadingIndicatorDelay", error.ParamName);
        Assert.Contains("from zero (show the indicator at once) to 60 s", error.Message, StringComparison.Ordinal);
    }
}
