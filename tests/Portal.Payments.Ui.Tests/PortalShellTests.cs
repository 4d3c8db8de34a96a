using Microsoft.AspNetCore.Components;
using Portal.Payments.Ui.Components;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

public class PortalShellTests : ShellTestContext
{
    /// <summary>How long to wait for a render that follows async work: bUnit's own default (one second) is short on a loaded machine.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static readonly RenderFragment Content = b =>
    {
        b.OpenElement(0, "p");
        b.AddAttribute(1, "data-testid", "child");
        b.AddContent(2, "Invoice list");
        b.CloseElement();
    };

    [Fact]
    public void A_host_page_without_Radzens_script_or_theme_is_told_which_tags_to_add()
    {
        JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js")
            .Setup<string[]?>("check", _ => true).SetResult(["radzen-script", "radzen-theme"]);

        var cut = Render<PortalShell>(p => p.AddChildContent(Content));

        cut.WaitForAssertion(() =>
        {
            var error = cut.Find("[data-testid=portal-setup-error]").TextContent;
            Assert.Contains("<script src=\"_content/Radzen.Blazor/Radzen.Blazor.js\"></script>", error);
            Assert.Contains("<RadzenTheme Theme=\"material\" />", error);
        }, Timeout);
        // The same words go to the browser console.
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "report");
    }

    // Review: a host page without its YourApp.styles.css bundle showed the portal's navigation as a bulleted list, unexplained.
    [Fact]
    public void A_host_page_without_the_scoped_styles_bundle_is_told_which_link_to_add()
    {
        JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js")
            .Setup<string[]?>("check", _ => true).SetResult(["component-styles"]);

        var cut = Render<PortalShell>(p => p.AddChildContent(Content));

        cut.WaitForAssertion(() => Assert.Contains("<link rel=\"stylesheet\" href=\"@Assets[\"YourApp.styles.css\"]\" />",
            cut.Find("[data-testid=portal-setup-error]").TextContent), Timeout);
        Assert.DoesNotContain("component-styles", cut.Find("[data-testid=portal-setup-error]").TextContent);
    }

    [Fact]
    public void A_host_that_does_not_serve_the_portals_static_files_is_told_how_to_serve_them()
    {
        // As in Production from build output without UseStaticWebAssets: the browser cannot fetch _content/Portal.Payments.Ui/….
        JSInterop.AddInvocationHandler(new FailingImport());

        var cut = Render<PortalShell>(p => p.AddChildContent(Content));

        cut.WaitForAssertion(() =>
        {
            var error = cut.Find("[data-testid=portal-setup-error]").TextContent;
            Assert.Contains("_content/Portal.Payments.Ui/ are not served", error);
            Assert.Contains("UseStaticWebAssets()", error);
        }, Timeout);
        Assert.Equal("Invoice list", cut.Find("[data-testid=child]").TextContent);
    }

    [Fact]
    public void A_complete_page_shows_no_setup_message()
    {
        JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js")
            .Setup<string[]?>("check", _ => true).SetResult([]);

        var cut = Render<PortalShell>(p => p.AddChildContent(Content));

        Assert.Empty(cut.FindAll("[data-testid=portal-setup-error]"));
        Assert.Equal("Invoice list", cut.Find("[data-testid=child]").TextContent);
    }

    [Fact]
    public void Rendered_as_static_html_with_no_interactive_mode_to_come_the_shell_says_which_render_mode_to_set()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        // A request is being rendered (HttpContext cascades) and no render mode is assigned.
        var cut = Render<PortalShell>(p => p
            .AddCascadingValue(new Microsoft.AspNetCore.Http.DefaultHttpContext())
            .AddChildContent(Content));

        Assert.Contains("@rendermode InteractiveServer", cut.Find("[data-testid=portal-setup-error]").TextContent);
    }

    [Fact]
    public void A_missing_Radzen_function_in_the_content_names_the_script_instead_of_killing_the_page()
    {
        var cut = Render<PortalShell>(p => p.AddChildContent<ThrowsLikeMissingRadzen>());

        var error = cut.Find("[data-testid=portal-setup-error]").TextContent;
        Assert.Contains("_content/Radzen.Blazor/Radzen.Blazor.js", error);
        Assert.DoesNotContain("Could not find", error);
    }

    /// <summary>A browser that cannot fetch the portal's module (the site does not serve _content/…).</summary>
    private sealed class FailingImport : JSRuntimeInvocationHandlerBase<Microsoft.JSInterop.IJSObjectReference>
    {
        public FailingImport() : base(i => i.Identifier == "import", isCatchAllHandler: false) =>
            SetExceptionBase(new Microsoft.JSInterop.JSException("Failed to fetch dynamically imported module: ./_content/Portal.Payments.Ui/js/portal-setup.js"));
    }

    /// <summary>Fails after rendering the way a Radzen component does when Radzen.Blazor.js is not on the page.</summary>
    private sealed class ThrowsLikeMissingRadzen : ComponentBase
    {
        protected override void OnAfterRender(bool firstRender) =>
            throw new Microsoft.JSInterop.JSException("Could not find 'Radzen.preventArrows' ('Radzen' was undefined).");
    }

    [Fact]
    public void Shows_child_content_when_neither_loading_nor_failed()
    {
        var cut = Render<PortalShell>(p => p.AddChildContent(Content));

        Assert.Equal("Invoice list", cut.Find("[data-testid=child]").TextContent);
        Assert.Empty(cut.FindAll("[role=status]"));
        Assert.Empty(cut.FindAll("[role=alert]"));
    }

    [Fact]
    public void Loading_shows_a_status_region_and_no_child_content()
    {
        var cut = Render<PortalShell>(p => p
            .Add(x => x.Loading, true)
            .AddChildContent(Content));

        var status = cut.Find("[role=status]");
        Assert.Contains("Loading\u2026", status.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=child]"));
        Assert.DoesNotContain("Invoice list", cut.Markup);
    }

    // Radzen 13 drops a lowercase aria-label on RadzenProgressBarCircular; the shell must use AriaLabel
    // so the role="progressbar" element has an accessible name (axe: aria-progressbar-name).
    [Fact]
    public void Loading_spinner_has_an_accessible_name()
    {
        var cut = Render<PortalShell>(p => p.Add(x => x.Loading, true));

        var progress = cut.Find("[role=progressbar]");
        Assert.Equal("Loading", progress.GetAttribute("aria-label"));
    }

    [Fact]
    public void Error_shows_an_alert_with_the_text_and_hides_child_content()
    {
        var cut = Render<PortalShell>(p => p
            .Add(x => x.Error, "The balances could not be loaded right now.")
            .AddChildContent(Content));

        var alert = Assert.Single(cut.FindAll("[role=alert]"));
        Assert.Contains("The balances could not be loaded right now.", alert.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=child]"));
        Assert.Empty(cut.FindAll("[role=status]"));
    }

    [Fact]
    public void Error_wins_over_loading()
    {
        var cut = Render<PortalShell>(p => p
            .Add(x => x.Loading, true)
            .Add(x => x.Error, "You do not have access to this customer account.")
            .AddChildContent(Content));

        Assert.Contains("You do not have access to this customer account.", cut.Find("[role=alert]").TextContent);
        Assert.Empty(cut.FindAll("[role=status]"));
        Assert.Empty(cut.FindAll("[data-testid=child]"));
    }

    [Fact]
    public void Title_renders_as_the_h1_that_names_the_region()
    {
        var cut = Render<PortalShell>(p => p.Add(x => x.Title, "Payment history"));

        var h1 = Assert.Single(cut.FindAll("h1"));
        Assert.Equal("Payment history", h1.TextContent.Trim());
        var section = cut.Find("section");
        Assert.False(string.IsNullOrEmpty(h1.Id));
        Assert.Equal(h1.Id, section.GetAttribute("aria-labelledby"));
    }

    [Fact]
    public void Title_defaults_to_Payments()
    {
        var cut = Render<PortalShell>();

        Assert.Equal("Payments", cut.Find("h1").TextContent.Trim());
    }

    [Fact]
    public void Actions_render_in_the_header()
    {
        var cut = Render<PortalShell>(p => p
            .Add(x => x.Title, "Payments")
            .Add(x => x.Actions, b =>
            {
                b.OpenElement(0, "button");
                b.AddAttribute(1, "type", "button");
                b.AddContent(2, "Export");
                b.CloseElement();
            }));

        var button = cut.Find("header button");
        Assert.Equal("Export", button.TextContent);
    }

    [Fact]
    public void Actions_still_render_while_loading()
    {
        var cut = Render<PortalShell>(p => p
            .Add(x => x.Loading, true)
            .Add(x => x.Actions, b => b.AddMarkupContent(0, "<button type=\"button\">Export</button>")));

        Assert.Equal("Export", cut.Find("header button").TextContent);
        Assert.NotNull(cut.Find("[role=status]"));
    }
}
