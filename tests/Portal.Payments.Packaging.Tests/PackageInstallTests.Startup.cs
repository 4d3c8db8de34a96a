using System.Net;
using Microsoft.Playwright;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// Production safety of the packed packages, in the vendor's host: a missing gateway, ERP adapter or user context stops
/// the host at start naming the builder call; the sandbox gateway and the demo ERP (Portal.Payments.Sandbox) refuse the
/// Production environment unless allowed, warn in the log whenever they run, and put a banner on the portal's pages.
/// </summary>
public sealed partial class PackageInstallTests
{
    private const string AllowSandbox = "CustomerPortalPayments__SandboxGateway__AllowInProduction";
    private const string AllowDemoErp = "CustomerPortalPayments__DemoErp__AllowInProduction";

    [Theory]
    [InlineData("no-gateway", "No payment gateway is registered", ".AddGateway<YourGateway>()", ".UseSandboxGateway()")]
    [InlineData("no-erp", "No ERP adapter is registered", ".AddErpAdapter<YourErpAdapter>()", ".UseDemoErp()")]
    [InlineData("no-user-context", "No user context is registered", ".UseUserContext<YourPortalUserContext>()", "IPortalUserContext")]
    public async Task A_host_missing_a_required_call_stops_at_start_naming_it(string setup, string problem, string call, string alternative)
    {
        foreach (var environment in new[] { "Development", "Production" })
        {
            var run = await packed.RunUntilExitAsync(environment, new Dictionary<string, string>
            {
                ["PackTest__Setup"] = setup,
                [AllowSandbox] = "true",
                [AllowDemoErp] = "true",
            });
            output.WriteLine($"{setup} in {environment}: exit {run.ExitCode} after {run.Elapsed.TotalSeconds:0.0} s");
            Assert.True(run.ExitCode is not (0 or -1), $"The host without '{setup}' did not stop by itself with an error in {environment}.\n{run.Describe()}");
            Assert.Contains(problem, run.Output, StringComparison.Ordinal);
            Assert.Contains(call, run.Output, StringComparison.Ordinal);
            Assert.Contains(alternative, run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening on", run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task In_Production_the_sandbox_gateway_and_the_demo_ERP_refuse_to_start_unless_each_is_allowed()
    {
        var neither = await packed.RunUntilExitAsync("Production", new Dictionary<string, string>());
        Assert.True(neither.ExitCode is not (0 or -1), $"The sandbox started in Production without AllowInProduction.\n{neither.Describe()}");
        Assert.Contains("The sandbox gateway (.UseSandboxGateway()) is registered in the Production environment", neither.Output, StringComparison.Ordinal);
        Assert.Contains("CustomerPortalPayments:SandboxGateway:AllowInProduction", neither.Output, StringComparison.Ordinal);
        Assert.Contains("The demo ERP (.UseDemoErp()) is registered in the Production environment", neither.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", neither.Output, StringComparison.Ordinal);

        var sandboxOnly = await packed.RunUntilExitAsync("Production", new Dictionary<string, string> { [AllowSandbox] = "true" });
        Assert.True(sandboxOnly.ExitCode is not (0 or -1), $"The demo ERP started in Production without AllowInProduction.\n{sandboxOnly.Describe()}");
        Assert.Contains("The demo ERP (.UseDemoErp()) is registered in the Production environment", sandboxOnly.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("The sandbox gateway (.UseSandboxGateway()) is registered", sandboxOnly.Output, StringComparison.Ordinal);

        // Both allowed (a public demo site): it serves, warns in its log and shows the banner.
        var host = await packed.HostAsync("per-page", environment: "Production", settings: new Dictionary<string, string> { [AllowSandbox] = "true", [AllowDemoErp] = "true" });
        using var client = host.Client();
        using var page = await client.GetAsync("/portal");
        var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync());
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /portal answered {(int)page.StatusCode}.\n{host.Log}");
        Assert.Contains("Sandbox: no real money moves.", html, StringComparison.Ordinal);
        Assert.Contains("runs with the sandbox gateway, which only simulates", host.Log, StringComparison.Ordinal);
        Assert.Contains("runs with the demo ERP, which only simulates", host.Log, StringComparison.Ordinal);

        // Started from build output (bin/, as `dotnet run` does) outside Development: ASP.NET Core reads the packages' static
        // files from the build's manifest only in Development, so without the portal's help app.MapStaticAssets() answered
        // 500 for each and no portal page became interactive. The portal serves them and says in the log to publish.
        foreach (var file in new[] { "_content/Portal.Payments.Ui/portal-payments.css", "_framework/blazor.web.js", "_content/Radzen.Blazor/Radzen.Blazor.js", "host.css" })
        {
            using var served = await client.GetAsync("/" + file);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"GET /{file} answered {(int)served.StatusCode} in Production from build output.\n{host.Log}");
        }
        Assert.Contains("The site runs from build output in the Production environment", host.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_the_sandbox_runs_every_portal_page_shows_the_banner()
    {
        var host = await packed.HostAsync("per-page");
        Assert.Contains("warn: Portal.Payments.Hosting.SimulationWarning", host.Log, StringComparison.Ordinal);

        using (var client = host.Client())
        {
            foreach (var path in new[] { "/portal", "/portal/invoices", "/portal/payment-methods", "/portal/payments", "/portal/deposit" })
            {
                var html = WebUtility.HtmlDecode(await client.GetStringAsync(path));
                Assert.True(html.Contains("data-testid=\"sandbox-banner\"", StringComparison.Ordinal) && html.Contains("Sandbox: no real money moves.", StringComparison.Ordinal),
                    $"GET {path} has no sandbox banner.\n{CommandResult.Tail(html, 4000)}");
                Assert.Contains("invented by the demo ERP", html, StringComparison.Ordinal);
            }
        }

        await WithPageAsync(host, async page =>
        {
            await page.GotoAsync("/portal/invoices");
            var banner = page.GetByRole(AriaRole.Note).Filter(new() { HasText = "Sandbox: no real money moves." });
            await Assertions.Expect(banner).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            // Above the page's heading, inside the host's column, in the theme's warning colour.
            var tops = await page.EvaluateAsync<double[]>("""
                () => [document.querySelector('[data-testid=sandbox-banner]').getBoundingClientRect().top,
                       document.querySelector('.pp-shell-title').getBoundingClientRect().top]
                """);
            var (bannerTop, headingTop) = (tops[0], tops[1]);
            Assert.True(bannerTop < headingTop, $"The banner ({bannerTop}px) is not above the heading ({headingTop}px).");
            await Assertions.Expect(page.Locator(".pp-sandbox-banner-title")).ToHaveCSSAsync("color", "rgb(138, 75, 0)");
        });
    }
}
