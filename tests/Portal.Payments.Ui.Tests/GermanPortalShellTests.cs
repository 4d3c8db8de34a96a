using Microsoft.AspNetCore.Components;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>The portal shell and its error boundary for a German user.</summary>
public class GermanPortalShellTests : ShellTestContext
{
    [Fact]
    public void The_default_title_is_German()
    {
        using var german = TestCulture.Use("de-DE");

        var cut = Render<PortalShell>();

        Assert.Equal("Zahlungen", cut.Find("h1").TextContent.Trim());
    }

    [Fact]
    public void Loading_is_announced_in_German()
    {
        using var german = TestCulture.Use("de-DE");

        var cut = Render<PortalShell>(p => p.Add(x => x.Loading, true));

        Assert.Equal("Wird geladen …", cut.Find("[role=status]").TextContent.Trim());
        Assert.Equal("Wird geladen", cut.Find("[role=progressbar]").GetAttribute("aria-label"));
        Assert.DoesNotContain("Loading", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_part_of_the_page_asks_for_a_reload_in_German()
    {
        using var german = TestCulture.Use("de-DE");

        var cut = Render<PortalShell>(p => p.AddChildContent<Fails>());

        var error = cut.Find("[data-testid=portal-setup-error]").TextContent.Trim();
        Assert.Equal("Dieser Teil der Seite konnte nicht angezeigt werden. Laden Sie die Seite neu; tritt der Fehler erneut auf, wenden Sie sich an uns.", error);
        Assert.DoesNotContain("Something went wrong", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_part_of_the_page_asks_for_a_reload_in_English_by_default()
    {
        var cut = Render<PortalShell>(p => p.AddChildContent<Fails>());

        Assert.Equal("Something went wrong showing this part of the page. Reload the page; if it happens again, contact us.",
            cut.Find("[data-testid=portal-setup-error]").TextContent.Trim());
    }

    /// <summary>Content that fails while rendering, for a reason that is not the page's setup.</summary>
    private sealed class Fails : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("Boom.");
    }
}
