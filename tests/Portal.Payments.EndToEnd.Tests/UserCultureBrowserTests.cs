using System.Globalization;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// Amounts are read in the user's culture: a German browser (Accept-Language de-DE) types German amounts on the deposit
/// page of the sample host (request localization), and ambiguous text is refused with a German example.
/// </summary>
public sealed class UserCultureBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    [Fact]
    public Task A_German_payer_types_a_German_amount_and_an_ambiguous_one_is_refused() => RunPageTest(async page =>
    {
        await SignInAsync(page, Users.Pat);
        await page.GotoAsync("/portal/deposit");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = In("de", "Make a deposit"), Level = 1 })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
        // With no method yet the page is prerendered with the add form open: what is typed before the circuit takes over
        // never reaches the server (a first test on a cold host got "enter the expiry month" with the month typed).
        await HostLayout.WaitUntilLiveAsync(page);

        // A method: a new sandbox card (its capture form speaks German).
        await page.GetByRole(AriaRole.Radio, new() { Name = In("de", "Add a payment method"), Exact = true }).CheckAsync();
        await page.GetByLabel(In("de", "Card number"), new() { Exact = true }).FillAsync("4242 4242 4242 4242");
        await page.GetByLabel(In("de", "Expiry month"), new() { Exact = true }).FillAsync("10");
        await page.GetByLabel(In("de", "Expiry year"), new() { Exact = true }).FillAsync((DateTime.UtcNow.Year + 2).ToString(CultureInfo.InvariantCulture));
        await page.GetByLabel(In("de", "Security code"), new() { Exact = true }).FillAsync("321");
        await page.GetByLabel(In("de", "Name on card"), new() { Exact = true }).FillAsync("Pat Payer");
        await page.GetByLabel(In("de", "Billing postal code"), new() { Exact = true }).FillAsync("94107");
        await page.GetByRole(AriaRole.Button, new() { Name = In("de", "Continue"), Exact = true }).ClickAsync();
        var review = page.GetByRole(AriaRole.Button, new() { Name = In("de", "Review deposit"), Exact = true });
        await Expect(review).ToBeEnabledAsync();

        // "1,0,0" would be 100 to decimal.TryParse: refused, with an example in German notation.
        await page.GetByLabel(In("de", "Amount"), new() { Exact = true }).FillAsync("1,0,0");
        await review.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "1.234,50" })).ToBeVisibleAsync();

        // German grouping and decimal comma: one thousand two hundred thirty-four euros… dollars, fifty.
        await page.GetByLabel(In("de", "Amount"), new() { Exact = true }).FillAsync("1.234,50");
        await review.ClickAsync();
        await Expect(page.GetByTestId("deposit-review").GetByTestId("review-amount")).ToContainTextAsync("1.234,50");
        await AssertAccessibleAsync(page);
    }, locale: "de-DE", testName: nameof(A_German_payer_types_a_German_amount_and_an_ambiguous_one_is_refused));
}
