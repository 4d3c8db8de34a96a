using Portal.Payments.Grid;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>The grid's paging summary writes its counts in the user's culture ("5,000 items", "5.000 Einträge").</summary>
public class GridPagerTests : PortalTestContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private async Task<string> SummaryAsync(string culture, int total)
    {
        await AddPortalAndMigrateAsync(invoiceCount: 0);
        Users.SignIn(PortalPermissions.Pay);
        using var _ = TestCulture.Use(culture);
        var rows = Enumerable.Range(1, 25).Select(i => $"INV-{i}").ToList();
        var cut = Render<PortalGrid<string>>(p => p
            .Add(x => x.GridKey, "pager-test")
            .Add(x => x.Label, "Invoices")
            .Add(x => x.Columns, [new PortalGridColumn<string> { Id = "number", Title = "Number", Text = r => r }])
            .Add(x => x.LoadPage, (query, _) => Task.FromResult(new GridPage<string>(rows, total))));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".rz-pager-summary")), Timeout);
        return cut.Find(".rz-pager-summary").TextContent.Trim();
    }

    [Fact]
    public async Task A_US_user_reads_the_count_with_a_comma()
    {
        Assert.Equal("Page 1 of 200 (5,000 items)", await SummaryAsync("en-US", 5000));
    }

    [Fact]
    public async Task A_German_user_reads_the_count_with_a_point()
    {
        Assert.Equal("Seite 1 von 200 (5.000 Einträge)", await SummaryAsync("de-DE", 5000));
    }
}
