using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Hosting;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

public class PortalNavTests : BunitContext
{
    public PortalNavTests() => Services.AddOptions().AddPortalStrings();

    [Fact]
    public void Renders_a_Payments_navigation_landmark_with_links_to_the_overview_open_invoices_scheduled_payments_payment_history_and_payment_methods()
    {
        var cut = Render<PortalNav>();

        var nav = Assert.Single(cut.FindAll("nav"));
        Assert.Equal("Payments", nav.GetAttribute("aria-label"));
        Assert.Equal(
            [("portal", "Account overview"), ("portal/invoices", "Open invoices"), ("portal/scheduled", "Scheduled payments"), ("portal/deposit", "Make a deposit"), ("portal/autopay", "Autopay"), ("portal/payments", "Payment history"), ("portal/payment-methods", "Payment methods")],
            nav.QuerySelectorAll("a").Select(a => (a.GetAttribute("href"), a.TextContent.Trim())).ToArray());
    }

    [Fact]
    public void A_German_user_gets_the_navigation_in_German()
    {
        using var german = TestCulture.Use("de-DE");

        var nav = Render<PortalNav>().Find("nav");

        Assert.Equal("Zahlungen", nav.GetAttribute("aria-label"));
        Assert.Equal(["Kontoübersicht", "Offene Rechnungen", "Geplante Zahlungen", "Anzahlung leisten", "Automatische Zahlung", "Zahlungsverlauf", "Zahlungsmethoden"],
            nav.QuerySelectorAll("a").Select(a => a.TextContent.Trim()).ToArray());
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

    [Fact]
    public void Only_the_payment_methods_link_is_marked_current_on_the_payment_methods_page()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("portal/payment-methods");

        var cut = Render<PortalNav>();

        Assert.Contains("active", cut.Find("a[href='portal/payment-methods']").ClassList);
        Assert.DoesNotContain("active", cut.Find("a[href='portal']").ClassList);
    }

    [Fact]
    public void No_deposit_link_when_the_host_turned_deposits_off()
    {
        Services.Configure<PortalPaymentsOptions>(o => o.Deposits.Enabled = false);

        var cut = Render<PortalNav>();

        Assert.Empty(cut.FindAll("a[href='portal/deposit']"));
        Assert.Equal(["portal", "portal/invoices", "portal/scheduled", "portal/autopay", "portal/payments", "portal/payment-methods"], cut.FindAll("a").Select(a => a.GetAttribute("href") ?? "").ToArray());
    }

    [Fact]
    public void No_autopay_link_when_the_host_turned_autopay_off()
    {
        Services.Configure<PortalPaymentsOptions>(o => o.Autopay.Enabled = false);

        var cut = Render<PortalNav>();

        Assert.Empty(cut.FindAll("a[href='portal/autopay']"));
        Assert.Equal(["portal", "portal/invoices", "portal/scheduled", "portal/deposit", "portal/payments", "portal/payment-methods"], cut.FindAll("a").Select(a => a.GetAttribute("href") ?? "").ToArray());
    }

    [Theory]
    [InlineData(Portal.Payments.Users.PortalPermissions.View, false)]
    [InlineData(Portal.Payments.Users.PortalPermissions.Pay, true)]
    public void A_view_only_user_gets_no_deposit_link(Portal.Payments.Users.PortalPermissions permissions, bool linked)
    {
        var users = new TestUsers();
        users.SignIn(permissions);
        Services.AddSingleton<Portal.Payments.Users.IPortalUserContext>(new TestUserContext(users));

        var cut = Render<PortalNav>();

        Assert.Equal(linked, cut.FindAll("a[href='portal/deposit']").Count == 1);
        Assert.Single(cut.FindAll("a[href='portal/invoices']"));
    }
}
