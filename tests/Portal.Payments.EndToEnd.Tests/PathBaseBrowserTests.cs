using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The sample host served below <c>/customers</c> (<c>HostSite:PathBase</c>), as an IIS application or a proxy's sub-path would serve it.</summary>
public sealed class PathBaseHost : IAsyncLifetime
{
    /// <summary>The path the site lives under.</summary>
    public const string PathBase = "/customers";

    /// <summary>The host.</summary>
    public OwnHostSite Site { get; } = new("pathbase", new Dictionary<string, string>
    {
        ["HostSite__PathBase"] = PathBase,
        // Not configured: the sample's own address with the path base (checked through the receipt email's link).
        ["CustomerPortalPayments__Notifications__PortalBaseUrl"] = "",
    });

    /// <summary>The site's root: the host's address and the path base.</summary>
    public string Root => Site.Process.BaseUrl + PathBase;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await Site.StartWarmAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// A clerk's walk through a portal whose site lives below a path (<c>https://erp.example.com/customers/…</c>), in
/// Chromium: signing in from a portal link, every page from the navigation, paying an invoice, the receipt and its PDF
/// and remittance file, the history and both grids' CSV exports, an invoice's document, signing out. Every request the
/// browser makes stays below the path base (a root-relative link or asset would leave it), and every page is scanned.
/// </summary>
public sealed class PathBaseBrowserTests(HostSiteFixture host, PathBaseHost own, ITestOutputHelper output)
    : PortalBrowserTest(host, output), IClassFixture<PathBaseHost>
{
    private readonly List<string> _outside = [];

    /// <inheritdoc />
    protected override string BaseUrl => own.Root;

    /// <inheritdoc />
    protected override string HostOutput => own.Site.Output;

    [Fact]
    public Task Every_page_link_file_and_export_stays_below_the_path_base() => RunPageTest(async page =>
    {
        WatchRequests(page);

        // A portal link while signed out: the host's login below the path base, and back to the page after signing in.
        await page.GotoAsync(BaseUrl + "/portal/invoices");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(BaseUrl) + "/login\\?returnUrl=" + Regex.Escape(Uri.EscapeDataString(PathBaseHost.PathBase + "/portal/invoices")) + "$", RegexOptions.IgnoreCase));
        await AssertAccessibleAsync(page);
        await page.Locator($"button[data-user='{Users.Pat}']").ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/portal/invoices");
        await InvoiceGridSteps.WaitForGridAsync(page);
        await HostLayout.WaitUntilLiveAsync(page);
        await AssertAccessibleAsync(page);

        // Every entry of the portal's navigation opens its page below the path base.
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = T("Payments") });
        foreach (var (name, path, heading) in new[]
        {
            (T("Account overview"), "/portal", T("Account overview")),
            (T("Scheduled payments"), "/portal/scheduled", T("Scheduled payments")),
            (T("Make a deposit"), "/portal/deposit", T("Make a deposit")),
            (T("Payment history"), "/portal/payments", T("Payment history")),
            (T("Payment methods"), "/portal/payment-methods", T("Payment methods")),
        })
        {
            await nav.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(BaseUrl + path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page);
        }

        // Pay one invoice; the confirmation's receipt link, the receipt's files, then the history.
        await OpenInvoicesFromNavAsync(page);
        await InvoiceGridSteps.SearchAsync(page, "INV-");
        var number = Assert.Single(await InvoiceGridSteps.FirstSelectableAsync(page, 1));
        await Expect(page.GetByTestId("grid-export-csv")).ToHaveAttributeAsync("href", new Regex("^portal-payments/api/invoices/export\\.csv\\?"));
        await AssertDownloadAsync(page, page.GetByTestId("grid-export-csv"), ".csv", number);

        await page.GetByRole(AriaRole.Checkbox, new() { Name = T("Select invoice {0}", number), Exact = true }).CheckAsync();
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await Expect(panel.GetByTestId("pay-lines")).ToContainTextAsync(number);
        await PaymentFormSteps.AddCardAsync(panel);
        await Expect(panel.GetByLabel(T("Card number"), new() { Exact = true })).ToHaveCountAsync(0);
        await panel.GetByRole(AriaRole.Button, new() { Name = T("Make payment"), Exact = true }).ClickAsync();
        await Expect(panel.GetByTestId("pay-status")).ToHaveTextAsync(T("Payment succeeded."));
        await panel.GetByRole(AriaRole.Link, new() { Name = T("View receipt"), Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(BaseUrl) + "/portal/payments/[0-9a-f-]{36}/receipt$"));
        var receipt = page.GetByTestId("receipt");
        await Expect(receipt.GetByTestId("receipt-lines")).ToContainTextAsync(number);
        await AssertAccessibleAsync(page);
        var pdf = await AssertDownloadAsync(page, receipt.GetByTestId("receipt-pdf"), ".pdf", "%PDF-");
        Assert.True(pdf.Length > 1_000, $"The receipt PDF has only {pdf.Length} bytes.");
        await AssertDownloadAsync(page, receipt.GetByTestId("remittance-csv"), ".csv", number);
        var receiptUrl = page.Url;

        // The receipt's own way back (for hosts without the portal's navigation) leads to the history.
        await receipt.GetByTestId("receipt-back").ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/portal/payments");
        var receiptLinks = page.GetByTestId("history-receipt-link");
        await Expect(receiptLinks.First).ToHaveAttributeAsync("href", new Regex("^portal/payments/[0-9a-f-]{36}/receipt$"));
        var receiptNumber = (await receiptLinks.First.InnerTextAsync()).Trim();
        await AssertDownloadAsync(page, page.GetByTestId("history-export-csv"), ".csv", receiptNumber);
        await AssertAccessibleAsync(page);

        // The confirmation email links to the receipt below the path base: no PortalBaseUrl is configured for this host,
        // so the sample writes its own address with the path (the email service sees no request).
        await page.GotoAsync(BaseUrl + "/mailbox");
        var emailed = page.GetByTestId("mailbox").Locator("pre", new() { HasText = receiptUrl });
        for (var attempt = 0; attempt < 30 && await emailed.CountAsync() == 0; attempt++)
        {
            await page.WaitForTimeoutAsync(1_000);   // the outbox delivers in the background
            await page.ReloadAsync();
        }
        await Expect(emailed).ToHaveCountAsync(1);
        await AssertAccessibleAsync(page);

        // An invoice's document, opened from its preview in a tab of its own.
        await OpenInvoicesFromNavAsync(page);
        await InvoiceGridSteps.SearchAsync(page, "INV-");
        var previewed = (await InvoiceGridSteps.Numbers(page).First.InnerTextAsync()).Trim();
        await page.GetByRole(AriaRole.Button, new() { Name = T("Preview invoice {0}", previewed), Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var openInTab = dialog.GetByRole(AriaRole.Link, new() { Name = T("Open in new tab"), Exact = true });
        await Expect(openInTab).ToHaveAttributeAsync("href", new Regex("^portal-payments/api/invoices/[0-9]+/document$"));
        var document = await page.Context.RunAndWaitForPageAsync(() => openInTab.ClickAsync());
        // The tab shows a PDF: wait for its navigation to commit, not for a DOM event the PDF viewer may never fire.
        var documentUrl = new Regex("^" + Regex.Escape(BaseUrl) + "/portal-payments/api/invoices/[0-9]+/document$");
        await document.WaitForURLAsync(documentUrl, new() { WaitUntil = WaitUntilState.Commit });
        Assert.Matches(documentUrl, document.Url);
        var documentResponse = await page.Context.APIRequest.GetAsync(document.Url);
        Assert.Equal(200, documentResponse.Status);
        await document.CloseAsync();
        await page.Keyboard.PressAsync("Escape");

        // The host's error bar reloads this page, not the home page; its skip link moves the focus to the content and stays on the page.
        await Expect(page.Locator("#blazor-error-ui a.reload")).ToHaveAttributeAsync("href", "portal/invoices");
        var skip = page.GetByRole(AriaRole.Link, new() { Name = HostT("Layout.SkipToContent", "Skip to content") });
        await skip.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(BaseUrl) + "/portal/invoices(#main)?$"));
        await Expect(page.Locator("main#main")).ToBeFocusedAsync();
        await Expect(InvoiceGridSteps.Grid(page)).ToBeVisibleAsync();

        // The host's brand link goes home below the path base; signing out lands on its login.
        await page.Locator("a.host-brand").ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Home.Heading", "Welcome to the Northwind Supply customer portal"), Level = 1 })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = HostT("Layout.SignOut", "Sign out") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(BaseUrl + "/login");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = HostT("Login.Heading", "Sign in"), Level = 1 })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page);

        lock (_outside)
        {
            Assert.True(_outside.Count == 0, "Requests outside the path base: " + string.Join(", ", _outside.Distinct()));
        }
    });

    /// <summary>Records every request of the page's context to this host that is not below the path base.</summary>
    private void WatchRequests(IPage page)
    {
        var origin = own.Site.Process.BaseUrl;
        page.Context.Request += (_, request) =>
        {
            if (request.Url.StartsWith(origin, StringComparison.Ordinal)
                && !request.Url.StartsWith(BaseUrl + "/", StringComparison.Ordinal))
            {
                lock (_outside)
                {
                    _outside.Add($"{request.Url} (from {FrameUrl(request)})");
                }
            }
        };
    }

    private static string FrameUrl(IRequest request)
    {
        try
        {
            return request.Frame.Url;
        }
        catch (PlaywrightException)
        {
            return "no page";
        }
    }

    /// <summary>Clicks <paramref name="link"/>, checks the download's name and that its content starts with (or for CSV, holds) <paramref name="expected"/>.</summary>
    private async Task<byte[]> AssertDownloadAsync(IPage page, ILocator link, string extension, string expected)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
        Assert.Null(await download.FailureAsync());
        Assert.StartsWith(BaseUrl + "/portal-payments/api/", download.Url, StringComparison.Ordinal);
        Assert.EndsWith(extension, download.SuggestedFilename, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(await download.PathAsync());
        var text = Encoding.UTF8.GetString(bytes);
        Assert.True(extension == ".pdf" ? text.StartsWith(expected, StringComparison.Ordinal) : text.Contains(expected, StringComparison.Ordinal),
            $"The download {download.SuggestedFilename} from {download.Url} does not {(extension == ".pdf" ? "start with" : "contain")} '{expected}'.");
        return bytes;
    }
}
