using Portal.Payments.TestInfrastructure;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The sample host in Chromium: sign-in, account overview per user, mailbox, sign-out.</summary>
public sealed class PortalBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task Payer_sees_total_balance_and_five_aging_buckets_that_add_up_then_signs_out() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);

        var overview = await OpenOverviewFromNavAsync(page);

        Assert.StartsWith("Acme Manufacturing", overview.AccountLine, StringComparison.Ordinal);
        Assert.Equal(5, overview.Buckets.Count);
        Assert.Equal([T("Current"), T("{0}–{1} days", 1, 30), T("{0}–{1} days", 31, 60), T("{0}–{1} days", 61, 90), T("Over {0} days", 90)],
            overview.Buckets.Select(b => b.Label));
        Assert.All(overview.Buckets, b => Assert.Equal(overview.Total.Currency, b.Amount.Currency));
        var sum = overview.Buckets.Sum(b => b.Amount.Amount);
        Assert.True(sum == overview.Total.Amount,
            $"The aging buckets add up to {sum} but the total balance is {overview.Total}: {string.Join(", ", overview.Buckets.Select(b => $"{b.Label}={b.Amount}"))}.");
        Assert.True(overview.OpenItems > 0, $"No open items: '{overview.AccountLine}'.");

        await SignOutAsync(page);
    });

    [Fact]
    public Task Viewer_sees_the_same_overview_as_the_payer_of_the_same_account() => RunPageTest(async page =>
    {
        // Payments other tests made on this shared host may still be posting to the ERP and move the balance between the
        // two readings: read both again (up to three rounds) until a pair was taken while nothing moved.
        OverviewSnapshot payer, viewer;
        var round = 0;
        do
        {
            await SignInAsync(page, Users.Pat);
            payer = await OpenOverviewFromNavAsync(page);
            await SignOutAsync(page);

            await SignInAsync(page, Users.Val);
            viewer = await OpenOverviewFromNavAsync(page);
            if (payer.Total == viewer.Total || ++round == 3)
            {
                break;
            }
            Output.WriteLine($"The balance moved between the readings ({payer.Total} → {viewer.Total}); reading both again.");
            await SignOutAsync(page);
        }
        while (true);

        Assert.StartsWith("Acme Manufacturing", viewer.AccountLine, StringComparison.Ordinal);
        Assert.Equal(payer.Total, viewer.Total);
        Assert.Equal(payer.AccountLine, viewer.AccountLine);
        Assert.Equal(payer.Buckets, viewer.Buckets);
    });

    [Fact]
    public Task Globex_user_sees_the_globex_account_with_thousands_of_open_items() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Gus);

        var overview = await OpenOverviewFromNavAsync(page);

        Assert.StartsWith("Globex Corporation", overview.AccountLine, StringComparison.Ordinal);
        Assert.DoesNotContain("Acme", overview.AccountLine, StringComparison.Ordinal);
        Assert.True(overview.OpenItems >= 1000, $"Globex should have thousands of open items: '{overview.AccountLine}'.");
        Assert.Equal(5, overview.Buckets.Count);
        Assert.Equal(overview.Total.Amount, overview.Buckets.Sum(b => b.Amount.Amount));
    });

    [Fact]
    public Task Overview_while_signed_out_redirects_to_login() => RunPageTest(async page =>
    {
        // The signed-out sign-in page is quiet: it opens no circuit (which RequireAuthorization would refuse) and reports
        // nothing in the console.
        var problems = PageProblems.Watch(page);
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/_blazor", StringComparison.Ordinal))
            {
                problems.Add("a circuit request: " + request.Url);
            }
        };
        await page.GotoAsync("/portal");

        // The cookie challenge says ReturnUrl, the host's RedirectToLogin says returnUrl: both reach the login page.
        await Expect(page).ToHaveURLAsync(new Regex("/login\\?returnUrl=%2Fportal$", RegexOptions.IgnoreCase));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Login.Heading", "Sign in"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("total-balance")).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);
        Assert.True(problems.Seen.Count == 0, "The sign-in page reported: " + problems);
    });

    [Fact]
    public Task Mailbox_renders_for_a_signed_in_user() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);

        await page.GetByRole(AriaRole.Navigation, new() { Name = HostT("Layout.SiteNav", "Site") }).GetByRole(AriaRole.Link, new() { Name = HostT("Layout.Mailbox", "Mailbox") }).ClickAsync();

        await Expect(page).ToHaveURLAsync(Host.BaseUrl + "/mailbox");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Mailbox.Heading", "Mailbox"), Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("mailbox-empty").Or(page.GetByTestId("mailbox"))).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await AssertAccessibleAsync(page);
    });
}
