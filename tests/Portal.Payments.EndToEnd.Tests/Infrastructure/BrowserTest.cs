using System.Runtime.CompilerServices;
using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Base of the browser tests: a fresh browser context per test, a screenshot and the page's log (<see cref="PageLog"/>)
/// when a test fails, and an axe-core scan of every page the test visits (a serious or critical violation fails the test).
/// </summary>
[Collection(HostSiteCollection.Name)]
public abstract class BrowserTest(HostSiteFixture host, ITestOutputHelper output)
{
    /// <summary>Axe impacts that fail a test.</summary>
    private static readonly HashSet<string> FailingImpacts = new(StringComparer.OrdinalIgnoreCase) { "serious", "critical" };

    /// <summary>Axe computes node details for violations only (passes are counted, not detailed): faster scans.</summary>
    private static readonly AxeRunOptions ScanOptions = new() { ResultTypes = [ResultType.Violations] };

    // Sandboxed frames without scripts (an ERP document shown in a preview) cannot host axe: scanning into them hangs.
    private static readonly AxeRunOptions ScanOptionsWithoutFrames = new() { ResultTypes = [ResultType.Violations], Iframes = false };

    /// <summary>A page title with some text (every portal page sets one).</summary>
    private static readonly System.Text.RegularExpressions.Regex AnyTitle = new(@"\S");

    /// <summary>Timeout of actions and auto-waiting assertions (Blazor Server on a 2-core machine).</summary>
    public const float TimeoutMs = 20_000;

    private readonly object _pagesLock = new();
    private readonly List<string> _visited = [];
    private readonly HashSet<string> _scanned = new(StringComparer.Ordinal);

    static BrowserTest() => Assertions.SetDefaultExpectTimeout(TimeoutMs);

    /// <summary>The shared host (its browser serves every test).</summary>
    protected HostSiteFixture Host { get; } = host;

    /// <summary>
    /// Root URL of the host the pages are opened on: the shared host's, unless a test class runs on a host of its own
    /// (<see cref="OwnHostSite"/>) and says so here.
    /// </summary>
    protected virtual string BaseUrl => Host.BaseUrl;

    /// <summary>What that host wrote to its console so far (written out when a test fails).</summary>
    protected virtual string HostOutput => Host.Output;

    /// <summary>The xunit output of the running test.</summary>
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>
    /// Runs <paramref name="test"/> on a new page in a new browser context. On failure saves
    /// <c>screenshots/&lt;Class&gt;.&lt;test&gt;.png</c> under the test binaries and rethrows. Afterwards
    /// checks that every page the test navigated to had an accessibility scan.
    /// </summary>
    protected Task RunPageTest(Func<IPage, Task> test, [CallerMemberName] string testName = "") => RunPageTest(test, SuiteLanguage.Locale, testName);

    /// <summary>As <see cref="RunPageTest(Func{IPage, Task}, string)"/>, with a browser whose language is <paramref name="locale"/>.</summary>
    protected Task RunPageTest(Func<IPage, Task> test, string locale, string testName) => RunPageTest(test, locale, testName, 1280, 900);

    /// <summary>As <see cref="RunPageTest(Func{IPage, Task}, string, string)"/>, in a window of <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    protected async Task RunPageTest(Func<IPage, Task> test, string locale, string testName, int width, int height)
    {
        var browser = await Host.GetBrowserAsync();
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            Locale = locale,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(TimeoutMs);
        context.SetDefaultNavigationTimeout(TimeoutMs);
        var page = await context.NewPageAsync();
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame && PathOf(frame.Url) is { } path)
            {
                lock (_pagesLock)
                {
                    _visited.Add(path);
                }
            }
        };
        var log = PageLog.Watch(page);

        try
        {
            await test(page);
            AssertEveryVisitedPageWasScanned();
        }
        catch (Exception)
        {
            await SaveScreenshotAsync(page, testName);
            await log.WriteAsync(page, Output.WriteLine);
            throw;
        }
    }

    /// <summary>
    /// Runs axe-core on the page as it is now and fails on any serious or critical violation, listing
    /// rule, impact and target selectors. Lesser findings are written to the test output.
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="includeFrames">False to leave out iframes (a sandboxed, script-less document frame cannot be scanned).</param>
    protected async Task AssertAccessibleAsync(IPage page, bool includeFrames = true)
    {
        var path = PathOf(page.Url) ?? page.Url;
        // When the circuit starts, the interactive HeadOutlet replaces the prerendered <title> a moment before the page
        // renders its PageTitle again: wait for a title (every page sets one) so the scan sees the settled page.
        await Microsoft.Playwright.Assertions.Expect(page).ToHaveTitleAsync(AnyTitle);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        AxeResult result = await page.RunAxe(includeFrames ? ScanOptions : ScanOptionsWithoutFrames);
        if (result.Violations is [{ Id: "document-title" }])
        {
            // The swap can also land while axe runs (the prerendered title removed, the interactive one not yet added):
            // only then, wait for the title again and scan once more. A page without a title still fails.
            Output.WriteLine($"[axe] {path}: no <title> during the scan (the head was being swapped); scanning again");
            await Microsoft.Playwright.Assertions.Expect(page).ToHaveTitleAsync(AnyTitle);
            result = await page.RunAxe(includeFrames ? ScanOptions : ScanOptionsWithoutFrames);
        }
        Output.WriteLine($"[axe] {path}: {result.Violations?.Length ?? 0} violation(s), {result.Passes?.Length ?? 0} rules passed, scanned in {watch.ElapsedMilliseconds} ms");
        lock (_pagesLock)
        {
            _scanned.Add(path);
        }

        var failing = (result.Violations ?? []).Where(v => v.Impact is not null && FailingImpacts.Contains(v.Impact)).ToList();
        foreach (var minor in (result.Violations ?? []).Except(failing))
        {
            Output.WriteLine($"[axe {minor.Impact}] {path}: {minor.Id} {minor.Help} ({Targets(minor)})");
        }
        if (failing.Count == 0)
        {
            return;
        }

        var message = new StringBuilder($"axe-core found {failing.Count} serious or critical accessibility violation(s) on {path}:");
        foreach (var violation in failing)
        {
            message.AppendLine().Append($"- rule '{violation.Id}' (impact {violation.Impact}): {violation.Help} [{violation.HelpUrl}]");
            foreach (var node in violation.Nodes ?? [])
            {
                message.AppendLine().Append($"    target: {node.Target} html: {Shorten(node.Html)}");
            }
        }
        Assert.Fail(message.ToString());
    }

    private void AssertEveryVisitedPageWasScanned()
    {
        List<string> missing;
        lock (_pagesLock)
        {
            missing = _visited.Distinct().Where(p => !_scanned.Contains(p)).ToList();
        }
        Assert.True(missing.Count == 0,
            $"The test visited {string.Join(", ", missing)} without an accessibility scan; call AssertAccessibleAsync(page) on every page visited.");
    }

    private async Task SaveScreenshotAsync(IPage page, string testName)
    {
        try
        {
            var folder = Path.Combine(RepoPaths.TestBinDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, $"{GetType().Name}.{testName}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Timeout = 10_000 });
            Output.WriteLine($"Screenshot of the failed test: {file} (page {page.Url})");
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException or IOException)
        {
            Output.WriteLine($"Could not save a screenshot: {ex.Message}");
        }
        Output.WriteLine("--- last host output ---");
        var log = HostOutput;
        Output.WriteLine(log.Length > 8000 ? log[^8000..] : log);
    }

    /// <summary>The path of an http(s) URL (no query), or null for about:blank and the like.</summary>
    private static string? PathOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme.StartsWith("http", StringComparison.Ordinal) ? uri.AbsolutePath : null;

    private static string Targets(AxeResultItem item) => string.Join("; ", (item.Nodes ?? []).Select(n => n.Target?.ToString()));

    private static string Shorten(string? html) => html is null ? "" : html.Length > 200 ? html[..200] + "…" : html;
}
