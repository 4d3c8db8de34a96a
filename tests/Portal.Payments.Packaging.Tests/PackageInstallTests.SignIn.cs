using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Packaging.Tests;

/// <summary>
/// The packed packages behind the vendor's own sign-in, set up as the host guide says: a cookie, a static anonymous
/// sign-in page and every page under <c>RequireAuthorization()</c>, the portal told who is signed in by the vendor's
/// <c>IPortalUserContext</c> (the request's user, or the circuit's).
/// </summary>
public sealed partial class PackageInstallTests
{
    private static readonly Dictionary<string, string> CookieSignIn = new() { ["PackTest__Auth"] = "cookie" };

    [Theory]
    [InlineData("global")]
    [InlineData("per-page")]
    public async Task Behind_the_vendors_cookie_sign_in_a_portal_link_signs_in_first_then_the_portal_works_for_that_user(string interactivity)
    {
        var host = await packed.HostAsync(interactivity, settings: CookieSignIn);

        // Signed out: the API refuses, a portal page is not rendered.
        using (var client = host.Client())
        {
            using var summary = await client.GetAsync("/portal-payments/api/summary");
            Assert.True(summary.StatusCode == HttpStatusCode.Unauthorized,
                $"Signed out, GET /portal-payments/api/summary answered {(int)summary.StatusCode}.\n{host.Log}");
        }

        await WithPageAsync(host, async page =>
        {
            var problems = PageProblems.Watch(page);

            // A portal link sends a signed-out clerk to the vendor's sign-in page, which stays a quiet static page
            // (no circuit it is not allowed to open, no error).
            await page.GotoAsync("/portal/invoices");
            await Assertions.Expect(page.GetByTestId("host-sign-in")).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            Assert.Contains("/account/login", page.Url, StringComparison.Ordinal);
            await page.WaitForTimeoutAsync(1_000);
            Assert.True(problems.Seen.Count == 0, "The sign-in page reported: " + problems);

            // Signed in, back where the link pointed: the grid shows the account's invoices and answers clicks.
            await page.GetByLabel("Your name").FillAsync("Casey Clerk");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            try
            {
                await page.WaitForURLAsync("**/portal/invoices", new() { Timeout = TimeoutMs });
            }
            catch (TimeoutException)
            {
                output.WriteLine($"After signing in: {page.Url}\n{await page.ContentAsync()}");
                throw;
            }
            var rows = page.Locator("[data-testid='grid-grid'] tr.rz-data-row");
            await Assertions.Expect(rows.First).ToBeVisibleAsync(new() { Timeout = TimeoutMs });
            var box = page.Locator("[data-testid='grid-grid'] td.pp-col-select input:not([disabled])").First;
            var selected = page.GetByTestId("selection-summary");
            // A tick counts only once the page is interactive: tick again until the selection says so.
            for (var attempt = 0; attempt < 20; attempt++)
            {
                await box.SetCheckedAsync(false);
                await box.SetCheckedAsync(true);
                await page.WaitForTimeoutAsync(500);
                if ((await selected.TextContentAsync())?.Contains("1 selected", StringComparison.Ordinal) == true)
                {
                    break;
                }
            }
            await Assertions.Expect(selected).ToContainTextAsync("1 selected");
            await page.GetByTestId("pay-selected").ClickAsync();
            await Assertions.Expect(page.GetByTestId("pay-panel")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("portal-setup-error")).ToHaveCountAsync(0);

            // The API answers the browser's signed-in requests for the user's account.
            var summary = await page.APIRequest.GetAsync("/portal-payments/api/summary");
            Assert.True(summary.Status == 200, $"Signed in, GET /portal-payments/api/summary answered {summary.Status}.");
            using var json = JsonDocument.Parse(await summary.TextAsync());
            Assert.Equal("ACME", json.RootElement.GetProperty("accountId").GetString());
            Assert.True(problems.Seen.Count == 0, "The portal reported: " + problems);
        });
    }
}
