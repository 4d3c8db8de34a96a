using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// The packed packages installed into a fresh vendor host (see <see cref="PackedHostFixture"/>), checked over real HTTP
/// and in Chromium: what the packages hold, that portal pages work whatever the host's routing mode, that a Bootstrap
/// page beside the portal keeps its layout and prints, that the host's theme variables reach the portal, and that a
/// host page lacking Radzen's assets or a render mode says what to add.
/// </summary>
public sealed partial class PackageInstallTests(PackedHostFixture packed, ITestOutputHelper output) : IClassFixture<PackedHostFixture>
{
    private const float TimeoutMs = 30_000;

    [Fact]
    public void Every_package_carries_its_xml_docs_readme_license_and_the_Ui_its_static_assets()
    {
        foreach (var note in packed.Notes)
        {
            output.WriteLine(note);
        }
        Assert.Contains("Portal.Payments.Ui", packed.Projects);
        var nupkgs = Directory.GetFiles(packed.Feed, "*.nupkg").Select(f => Path.GetFileName(f)).Order().ToList();
        var expected = packed.Projects.Select(p => $"{p}.{packed.Version}.nupkg").Order().ToList();
        Assert.True(expected.SequenceEqual(nupkgs), $"Expected exactly {string.Join(", ", expected)} in the feed; found {string.Join(", ", nupkgs)}.\n{packed.Pack?.Describe()}");
        foreach (var project in packed.Projects)
        {
            CheckPackage(Path.Combine(packed.Feed, $"{project}.{packed.Version}.nupkg"), project, packed.Version);
        }
    }

    [Fact]
    public async Task A_fresh_host_serves_the_account_overview_the_stylesheet_and_the_api()
    {
        var host = await packed.HostAsync("global");
        using var client = host.Client();

        using (var page = await client.GetAsync("/portal"))
        {
            var html = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /portal answered {(int)page.StatusCode}.\n{html}\n{host.Log}");
            Assert.True(html.Contains("Account overview", StringComparison.Ordinal) && html.Contains("Total account balance", StringComparison.Ordinal),
                $"GET /portal did not prerender the account overview.\n--- html ---\n{CommandResult.Tail(html, 6000)}\n{host.Log}");
            // Prerendering an interactive page is not "static": no setup warning.
            Assert.DoesNotContain("portal-setup-error", html, StringComparison.Ordinal);
        }

        using (var css = await client.GetAsync("/_content/Portal.Payments.Ui/portal-payments.css"))
        {
            Assert.True(css.StatusCode == HttpStatusCode.OK,
                $"GET /_content/Portal.Payments.Ui/portal-payments.css answered {(int)css.StatusCode}: the package's static web assets are not served.\n{host.Log}");
            Assert.NotEmpty(await css.Content.ReadAsStringAsync());
        }

        using (var summary = await client.GetAsync("/portal-payments/api/summary"))
        {
            var body = await summary.Content.ReadAsStringAsync();
            Assert.True(summary.StatusCode == HttpStatusCode.OK, $"GET /portal-payments/api/summary answered {(int)summary.StatusCode}: {body}\n{host.Log}");
            using var json = JsonDocument.Parse(body);
            Assert.Equal("ACME", json.RootElement.GetProperty("accountId").GetString());
        }
    }

    [Theory]
    [InlineData("per-page")]
    [InlineData("global")]
    public async Task Portal_buttons_work_whatever_the_hosts_routing_mode(string interactivity)
    {
        var host = await packed.HostAsync(interactivity);
        await WithPageAsync(host, async page =>
        {
            await page.GotoAsync("/portal/payment-methods");
            var add = page.GetByRole(AriaRole.Button, new() { Name = "Add payment method" });
            await Assertions.Expect(add).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            // A click does something only once the page is interactive: retry until the circuit is up.
            var heading = page.GetByRole(AriaRole.Heading, new() { Name = "Add a payment method" });
            await RetryClickAsync(add, heading);
            await Assertions.Expect(page.GetByTestId("portal-setup-error")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task A_portal_component_on_a_static_host_page_says_which_render_mode_to_set()
    {
        var host = await packed.HostAsync("per-page");
        using var client = host.Client();
        var html = await client.GetStringAsync("/host/static-overview");

        Assert.Contains("data-testid=\"portal-setup-error\"", html, StringComparison.Ordinal);
        Assert.Contains("@rendermode InteractiveServer", System.Net.WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beside_Bootstrap_the_portal_stays_in_its_column_and_the_stored_method_stays_in_the_pay_with_panel()
    {
        var host = await packed.HostAsync("per-page");
        await WithPageAsync(host, async page =>
        {
            // The 12-column open-invoices grid in Bootstrap's "col" main column beside a col-3 sidebar.
            await page.GotoAsync("/portal/invoices");
            await Assertions.Expect(page.GetByTestId("grid-grid").Locator(".rz-data-grid").First).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            await Assertions.Expect(page.Locator(".pp-inv-number").First).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            var layout = await page.EvaluateAsync<double[]>("""
                () => {
                    const box = s => document.querySelector(s).getBoundingClientRect();
                    const side = box('[data-testid=host-sidebar]'), main = box('[data-testid=host-main]'), shell = box('.pp-shell');
                    return [side.top, main.top, main.left, main.right, shell.left, shell.right,
                            document.documentElement.scrollWidth, document.documentElement.clientWidth];
                }
                """);
            var (sideTop, mainTop, mainLeft, mainRight, shellLeft, shellRight, scrollWidth, clientWidth) =
                (layout[0], layout[1], layout[2], layout[3], layout[4], layout[5], layout[6], layout[7]);
            output.WriteLine($"sidebar top {sideTop}, main {mainLeft}-{mainRight} top {mainTop}, portal {shellLeft}-{shellRight}, page {scrollWidth}/{clientWidth}");
            Assert.True(Math.Abs(mainTop - sideTop) < 1, $"The main column starts at {mainTop}px, the sidebar at {sideTop}px: the portal pushed the column under the sidebar.");
            Assert.True(shellLeft >= mainLeft - 1 && shellRight <= mainRight + 1, $"The portal spans {shellLeft}-{shellRight}px, its column {mainLeft}-{mainRight}px.");
            Assert.True(scrollWidth <= clientWidth, $"The page scrolls sideways: {scrollWidth}px of content in {clientWidth}px.");

            // Bootstrap's legend rule (float, full width, large type) must not push the stored method out of "Pay with".
            await page.GotoAsync("/portal/deposit");
            var option = page.GetByTestId("picker-option").First;
            await Assertions.Expect(option).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            var picker = await page.EvaluateAsync<double[]>("""
                () => {
                    const fieldset = document.querySelector('.pp-picker'), legend = fieldset.querySelector('legend');
                    const label = fieldset.querySelector('.pp-picker-option label');
                    const f = fieldset.getBoundingClientRect(), l = legend.getBoundingClientRect(), o = label.getBoundingClientRect();
                    return [f.left, f.right, f.top, f.bottom, l.top, l.bottom, o.left, o.right, o.top, o.bottom,
                            parseFloat(getComputedStyle(legend).fontSize), parseFloat(getComputedStyle(fieldset).fontSize)];
                }
                """);
            output.WriteLine("picker " + string.Join(", ", picker));
            var (fLeft, fRight, fTop, fBottom, lTop, lBottom, oLeft, oRight, oTop, oBottom, legendSize, fieldsetSize) =
                (picker[0], picker[1], picker[2], picker[3], picker[4], picker[5], picker[6], picker[7], picker[8], picker[9], picker[10], picker[11]);
            Assert.True(lTop >= fTop - 1 && lBottom <= fBottom + 1, "The legend \"Pay with\" is outside its panel.");
            Assert.True(oTop >= lBottom - 1, $"The stored method ({oTop}px) overlaps the legend (bottom {lBottom}px).");
            Assert.True(oLeft >= fLeft - 1 && oRight <= fRight + 1 && oBottom <= fBottom + 1, $"The stored method ({oLeft}-{oRight}, to {oBottom}) leaves the panel ({fLeft}-{fRight}, to {fBottom}).");
            Assert.True(Math.Abs(legendSize - fieldsetSize) < 0.5, $"Bootstrap's legend size leaked in: {legendSize}px against {fieldsetSize}px.");
        });
    }

    [Fact]
    public async Task Printing_a_host_page_is_not_blank()
    {
        var host = await packed.HostAsync("per-page");
        await WithPageAsync(host, async page =>
        {
            await page.GotoAsync("/host");
            await page.EmulateMediaAsync(new() { Media = Media.Print });
            var hidden = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('h1, p, a')]
                    .filter(e => e.textContent.trim() && getComputedStyle(e).visibility !== 'visible' || getComputedStyle(e).display === 'none')
                    .map(e => e.outerHTML.slice(0, 80))
                """);
            Assert.True(hidden.Length == 0, "Printing the host's page hides: " + string.Join(" | ", hidden));
            await Assertions.Expect(page.GetByTestId("host-text")).ToBeVisibleAsync();
            var pdf = await page.PdfAsync();
            Assert.True(pdf.Length > 1000, $"The printed page is {pdf.Length} bytes.");
        });
    }

    [Fact]
    public async Task The_hosts_theme_variables_reach_the_portal_and_unset_ones_follow_the_Radzen_theme()
    {
        var host = await packed.HostAsync("per-page");
        await WithPageAsync(host, async page =>
        {
            await page.GotoAsync("/portal");
            var bucket = page.Locator(".pp-bucket").First;
            await Assertions.Expect(bucket).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            // host.css: --pp-surface: rgb(1, 2, 3); --pp-text: rgb(250, 240, 230); --rz-primary: rgb(9, 8, 7).
            // Auto-retrying: the interactive render may replace the prerendered elements meanwhile.
            await Assertions.Expect(bucket).ToHaveCSSAsync("background-color", "rgb(1, 2, 3)");
            await Assertions.Expect(page.Locator(".pp-shell")).ToHaveCSSAsync("color", "rgb(250, 240, 230)");
            var primary = "";
            for (var attempt = 0; attempt < 40 && primary != "rgb(9, 8, 7)"; attempt++)
            {
                primary = await page.EvaluateAsync<string>("""
                    () => {
                        const root = document.querySelector('.pp-shell');
                        const probe = document.createElement('span');
                        probe.style.color = 'var(--pp-c-primary)';
                        root.appendChild(probe);
                        const color = getComputedStyle(probe).color;
                        probe.remove();
                        return color;
                    }
                    """);
                await Task.Delay(250);
            }
            Assert.Equal("rgb(9, 8, 7)", primary);
        });
    }

    [Fact]
    public async Task Without_Radzens_script_and_theme_and_the_styles_bundle_the_portal_names_what_to_add()
    {
        var host = await packed.HostAsync("per-page", radzen: false);
        var consoleErrors = new List<string>();
        await WithPageAsync(host, async page =>
        {
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    lock (consoleErrors)
                    {
                        consoleErrors.Add(message.Text);
                    }
                }
            };
            await page.GotoAsync("/portal/invoices");
            var error = page.GetByTestId("portal-setup-error").First;
            await Assertions.Expect(error).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            await Assertions.Expect(page.GetByTestId("portal-setup-error")).ToContainTextAsync(["_content/Radzen.Blazor/Radzen.Blazor.js"], new() { Timeout = TimeoutMs });
            var text = string.Join("\n", await page.GetByTestId("portal-setup-error").AllInnerTextsAsync());
            Assert.Contains("<RadzenTheme", text, StringComparison.Ordinal);
            // Review: the missing scoped-CSS bundle (the portal's navigation as a bulleted list) went unexplained.
            Assert.Contains("YourApp.styles.css", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Could not find", text, StringComparison.Ordinal);
        });
        lock (consoleErrors)
        {
            Assert.Contains(consoleErrors, e => e.Contains("Radzen.Blazor.js", StringComparison.Ordinal));
        }
    }

    /// <summary>Clicks <paramref name="button"/> until <paramref name="appears"/> shows (the first clicks may land before the circuit starts).</summary>
    private static async Task RetryClickAsync(ILocator button, ILocator appears)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await button.ClickAsync();
            try
            {
                await Assertions.Expect(appears).ToBeVisibleAsync(new() { Timeout = 1_500 });
                return;
            }
            catch (PlaywrightException)
            {
                // Not interactive yet.
            }
        }
        await Assertions.Expect(appears).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
    }

    /// <summary>Runs <paramref name="test"/> on a fresh page (1100 × 900) of <paramref name="host"/>; on failure writes the host's output.</summary>
    private async Task WithPageAsync(RunningHost host, Func<IPage, Task> test)
    {
        var browser = await packed.BrowserAsync();
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseUrl,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1100, Height = 900 },
        });
        context.SetDefaultTimeout(TimeoutMs);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        try
        {
            await test(page);
        }
        catch
        {
            output.WriteLine(host.Log);
            throw;
        }
    }

    /// <summary>Opens a .nupkg and checks id, version, README, license and (Ui) static web assets.</summary>
    private static void CheckPackage(string nupkg, string id, string version)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var nuspecEntry = zip.Entries.SingleOrDefault(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        Assert.True(nuspecEntry is not null, $"{id}: no .nuspec at the root of the package. Entries: {string.Join(", ", entries)}");
        XDocument nuspec;
        using (var stream = nuspecEntry!.Open())
        {
            nuspec = XDocument.Load(stream);
        }
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Meta(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal(id, Meta("id"));
        Assert.Equal(version, Meta("version"));
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")), $"{id}: no description.");

        var readme = Meta("readme");
        Assert.True(readme is not null, $"{id}: the nuspec has no <readme> element.\n{nuspec}");
        Assert.True(entries.Contains(readme!.Replace('\\', '/')), $"{id}: the nuspec names readme '{readme}' but the package has no such entry. Entries: {string.Join(", ", entries)}");
        Assert.Equal("README.md", readme);

        var license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
        Assert.True(license is not null && !string.IsNullOrWhiteSpace(license.Value), $"{id}: the nuspec has no <license> (expression or file).\n{nuspec}");
        if ((string?)license!.Attribute("type") == "file")
        {
            Assert.Contains(license.Value, entries);
        }
        else
        {
            Assert.Equal("expression", (string?)license.Attribute("type"));
        }

        // XML docs beside the assembly, so IntelliSense explains the API in the vendor's editor.
        Assert.True(entries.Contains($"lib/net10.0/{id}.dll") && entries.Contains($"lib/net10.0/{id}.xml"),
            $"{id}: expected lib/net10.0/{id}.dll and lib/net10.0/{id}.xml (XML docs). Entries: {string.Join(", ", entries)}");
        using (var docs = new StreamReader(zip.GetEntry($"lib/net10.0/{id}.xml")!.Open()))
        {
            var members = XDocument.Load(docs).Descendants("member").Count();
            Assert.True(members > 5, $"{id}: the XML docs hold only {members} members.");
        }

        if (id == "Portal.Payments.Ui")
        {
            Assert.True(entries.Any(e => e.StartsWith("staticwebassets/", StringComparison.Ordinal)),
                $"Portal.Payments.Ui has no staticwebassets/ entries. Entries: {string.Join(", ", entries)}");
            Assert.Contains("staticwebassets/portal-payments.css", entries);
            // The Ui package must depend on Core of the very same version.
            var core = metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Portal.Payments.Core");
            Assert.True(core is not null, $"Portal.Payments.Ui does not depend on Portal.Payments.Core.\n{nuspec}");
            Assert.Equal(version, (string?)core!.Attribute("version"));
        }

        if (id == "Portal.Payments.Core")
        {
            // A plain library: no Razor components, so no static web assets and no sandbox inside.
            Assert.DoesNotContain(entries, e => e.StartsWith("staticwebassets/", StringComparison.Ordinal) || e.StartsWith("build/", StringComparison.Ordinal));
        }

        if (id == "Portal.Payments.Sandbox")
        {
            var core = metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Portal.Payments.Core");
            Assert.True(core is not null, $"Portal.Payments.Sandbox does not depend on Portal.Payments.Core.\n{nuspec}");
            Assert.Equal(version, (string?)core!.Attribute("version"));
            Assert.Contains("sandbox", Meta("description") ?? "", StringComparison.OrdinalIgnoreCase);
        }

        if (id == "Portal.Payments.Gateways.Stripe")
        {
            // The capture component's module is served from the package; Stripe.js itself always comes from js.stripe.com.
            Assert.Contains("staticwebassets/stripe-capture.js", entries);
            var core = metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Portal.Payments.Core");
            Assert.True(core is not null, $"Portal.Payments.Gateways.Stripe does not depend on Portal.Payments.Core.\n{nuspec}");
            Assert.Equal(version, (string?)core!.Attribute("version"));
            Assert.Contains(metadata.Descendants(), e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Stripe.net");
        }
    }

}
