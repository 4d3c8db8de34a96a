using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Ui.Components;

namespace Portal.Payments.Ui.Tests;

public class PortalNavTests : BunitContext
{
    [Fact]
    public void Renders_a_Payments_navigation_landmark_with_a_link_to_the_overview()
    {
        var cut = Render<PortalNav>();

        var nav = Assert.Single(cut.FindAll("nav"));
        Assert.Equal("Payments", nav.GetAttribute("aria-label"));
        var link = Assert.Single(nav.QuerySelectorAll("a"));
        Assert.Equal("portal", link.GetAttribute("href"));
        Assert.Equal("Account overview", link.TextContent.Trim());
    }

    [Fact]
    public void Custom_AriaLabel_names_the_landmark()
    {
        var cut = Render<PortalNav>(p => p.Add(x => x.AriaLabel, "Customer payments"));

        var nav = cut.Find("nav");
        Assert.Equal("Customer payments", nav.GetAttribute("aria-label"));
        Assert.Equal("Account overview", nav.QuerySelector("a[href='portal']")!.TextContent.Trim());
    }

    [Fact]
    public void The_overview_link_is_marked_current_on_the_overview_page()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("portal");

        var cut = Render<PortalNav>();

        var link = cut.Find("a[href='portal']");
        Assert.Contains("active", link.ClassList);
    }
}
