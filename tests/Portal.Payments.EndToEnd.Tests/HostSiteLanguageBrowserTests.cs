using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>
/// The sample host's own texts (its layout, home, sign-in and mailbox pages, not the portal's) follow the browser's
/// language like the portal's do: German for a German browser, English as before for an English one. The words are
/// written out here, not read from the host's resources, so a text left English (or a German resource that says the
/// English) fails. Each test names its browser language, so both run in the English and in the German suite.
/// </summary>
public sealed class HostSiteLanguageBrowserTests(HostSiteFixture host, ITestOutputHelper output) : PortalBrowserTest(host, output)
{
    /// <summary>What the host shows in one language.</summary>
    private sealed record HostWords(
        string Lang, string SignInTitle, string SignIn, string NoPasswords, string SignInAsPat, string PatHint,
        string HomeTitle, string Welcome, string Brand, string SkipLink, string SignedInAsPat, string SignOut, string SiteNav,
        string Home, string Mailbox, string PaymentsHeading, string HomeIntro, string[] HomeLinks, string ErrorBar, string Reload,
        string MailboxTitle, string MailboxIntro);

    private static readonly HostWords German = new(
        "de", "Anmelden · Northwind Supply", "Anmelden", "Diese Demo hat keine Passwörter: Wählen Sie einen Demo-Benutzer.",
        "Anmelden als Pat Payer", "Sachbearbeitung Kreditorenbuchhaltung bei Acme (darf zahlen) · pat@acme.test",
        "Startseite · Northwind Supply", "Willkommen im Kundenportal von Northwind Supply", "Northwind Supply · Kundenportal",
        "Zum Inhalt springen", "Angemeldet als Pat Payer", "Abmelden", "Website", "Startseite", "Postfach", "Zahlungen",
        "Ihre offenen Posten und Zahlungen finden Sie unter Zahlungen.", ["Kontoübersicht", "Zahlungsmethoden", "Postfach"],
        "Ein unerwarteter Fehler ist aufgetreten.", "Neu laden",
        "Postfach · Northwind Supply", "E-Mails, die das Zahlungsportal zu Ihrem Konto gesendet hat (Demo-Versand: gespeichert, nicht zugestellt).");

    private static readonly HostWords English = new(
        "en", "Sign in · Northwind Supply", "Sign in", "This demo has no passwords: pick a demo user.",
        "Sign in as Pat Payer", "Accounts payable clerk at Acme (can pay) · pat@acme.test",
        "Home · Northwind Supply", "Welcome to the Northwind Supply customer portal", "Northwind Supply · Customer Portal",
        "Skip to content", "Signed in as Pat Payer", "Sign out", "Site", "Home", "Mailbox", "Payments",
        "Your accounts-receivable statements and payments live under Payments.", ["Account overview", "Payment methods", "Mailbox"],
        "An unhandled error has occurred.", "Reload",
        "Mailbox · Northwind Supply", "Emails the payment portal sent about your account (demo transport: stored, not delivered).");

    [Fact]
    public Task A_German_browser_signs_in_and_sees_the_sites_header_navigation_and_home_in_German() =>
        RunPageTest(page => SignInAndReadTheSiteAsync(page, German, English), "de-DE", nameof(A_German_browser_signs_in_and_sees_the_sites_header_navigation_and_home_in_German));

    [Fact]
    public Task An_English_browser_still_sees_the_site_in_English() =>
        RunPageTest(page => SignInAndReadTheSiteAsync(page, English, German), "en-US", nameof(An_English_browser_still_sees_the_site_in_English));

    private async Task SignInAndReadTheSiteAsync(IPage page, HostWords words, HostWords other)
    {
        // The sign-in page: the demo users and what they do, in the page's language.
        await page.GotoAsync("/login");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", words.Lang);
        await Expect(page).ToHaveTitleAsync(words.SignInTitle);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = words.SignIn, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText(words.NoPasswords, new() { Exact = true })).ToBeVisibleAsync();
        var pat = page.Locator("button[data-user='pat']");
        await Expect(pat.Locator(".host-login-name")).ToHaveTextAsync(words.SignInAsPat);
        await Expect(pat.Locator(".host-login-role")).ToHaveTextAsync(words.PatHint);
        await AssertAccessibleAsync(page);
        await pat.ClickAsync();

        // Home: the header, the site navigation, the heading over the portal's navigation and the page itself.
        await Expect(page).ToHaveURLAsync(BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = words.Welcome, Level = 1 })).ToBeVisibleAsync();
        await WaitUntilLiveAsync(page);
        await Expect(page).ToHaveTitleAsync(words.HomeTitle);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", words.Lang);
        var header = page.Locator("header");
        await Expect(header.Locator("a.host-brand")).ToHaveTextAsync(words.Brand);
        await Expect(header).ToContainTextAsync(words.SignedInAsPat);
        await Expect(header.GetByRole(AriaRole.Button, new() { Name = words.SignOut, Exact = true })).ToBeVisibleAsync();
        await Expect(header).Not.ToContainTextAsync(other.SignedInAsPat);
        await Expect(page.Locator("a.host-skip")).ToHaveTextAsync(words.SkipLink);
        var site = page.GetByRole(AriaRole.Navigation, new() { Name = words.SiteNav, Exact = true });
        await Expect(site.GetByRole(AriaRole.Link)).ToHaveTextAsync([words.Home, words.Mailbox]);
        await Expect(page.Locator("h2.host-nav-heading")).ToHaveTextAsync(words.PaymentsHeading);
        var main = page.Locator("main");
        await Expect(main.Locator("p").First).ToHaveTextAsync(words.HomeIntro);
        await Expect(main.GetByRole(AriaRole.Link)).ToHaveTextAsync(words.HomeLinks);
        // The bar Blazor shows when the page fails (hidden until then).
        await Expect(page.Locator("#blazor-error-ui")).ToContainTextAsync(words.ErrorBar);
        await Expect(page.Locator("#blazor-error-ui a.reload")).ToHaveTextAsync(words.Reload);
        await AssertAccessibleAsync(page);

        // The mailbox, from the site navigation.
        await site.GetByRole(AriaRole.Link, new() { Name = words.Mailbox, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/mailbox");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = words.Mailbox, Level = 1 })).ToBeVisibleAsync();
        await Expect(page).ToHaveTitleAsync(words.MailboxTitle);
        await Expect(page.GetByText(words.MailboxIntro, new() { Exact = true })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        // Signing out lands on the sign-in page, still in the same language.
        await page.GetByRole(AriaRole.Button, new() { Name = words.SignOut, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = words.SignIn, Level = 1 })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
    }
}
