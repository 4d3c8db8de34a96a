using Portal.Payments.Grid;
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
        await AddPortalAndMigrateAsync(invoiceCount: 0);
        Users.SignIn(PortalPermissions.Pay);
        // Each load waits for the test to answer it, as a PostgreSQL query answers after the handler yields.
        var pending = new Queue<(GridQuery Query, TaskCompletionSource<GridPage<string>> Answer)>();
        var cut = Render<PortalGrid<string>>(p => p
            .Add(x => x.GridKey, "loading-test")
            .Add(x => x.Label, "Invoices")
            // Long enough that a busy test machine cannot reach it before the quick load's checks.
            .Add(x => x.LoadingIndicatorDelay, TimeSpan.FromSeconds(3))
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

        void AnswerNext()
        {
            (GridQuery Query, TaskCompletionSource<GridPage<string>> Answer) next = (new GridQuery(), new());
            cut.WaitForAssertion(() =>
            {
                lock (pending)
                {
                    Assert.True(pending.TryDequeue(out next), "no load waiting");
                }
            }, Timeout);
            var rows = Enumerable.Range(next.Query.Skip + 1, 25).Select(i => $"INV-{i:D3}").ToList();
            next.Answer.SetResult(new GridPage<string>(rows, 100));
        }

        AnswerNext();
        cut.WaitForAssertion(() => Assert.Equal("INV-001", cut.Find("td.pp-n").TextContent.Trim()), Timeout);

        // A quick load: while it runs the rows do not render again (the old rows stay, no indicator flashes); then the new rows.
        var row = cut.FindComponents<Radzen.Blazor.RadzenDataGridRow<PortalGridSlot<string>>>()[0];
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
