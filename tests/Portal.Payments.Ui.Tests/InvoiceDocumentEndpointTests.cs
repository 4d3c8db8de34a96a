using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Data;
using Portal.Payments.DemoErp;
using Portal.Payments.Erp;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The invoice document endpoint when the ERP is slow or down, over real HTTP on 127.0.0.1: a 503 problem at
/// <c>ErpRequestTimeout</c>, never a long wait followed by a 500.
/// </summary>
/// <remarks>
/// The time limit runs on the portal's clock, here a <see cref="FakeTimeProvider"/> the tests move: a limit on the real
/// clock short enough for a quick test (it was 500 ms) also cut off a working ERP on a loaded machine now and then, and
/// a long one made the hanging-ERP tests slow.
/// </remarks>
public sealed class InvoiceDocumentEndpointTests : IAsyncLifetime
{
    /// <summary>The longest limit the options allow: a request that waited for it on the real clock would outlast the client's 60 s.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(2);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"portal-document-tests-{Guid.NewGuid():N}.db");
    private readonly TestUsers _users = new();
    private readonly ErpTrouble _trouble = new();
    private readonly InjectedDbFault _dbFault = new("SELECT", "pp_invoices");
    private WebApplication? _app;
    private HttpClient _client = new();
    private long _invoiceId;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_users);
        builder.Services.AddSingleton(_trouble);
        // The core registers TimeProvider.System with TryAdd: this one, added first, wins.
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddCustomerPortalPayments(o =>
            {
                o.RunBackgroundServices = false;
                o.ErpRequestTimeout = RequestTimeout;
                o.IngestApiKey = IngestKey;
                o.Database.Interceptors.Add(_dbFault);
            })
            .UseSqlite($"Data Source={_dbPath}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true) // the test host runs in the Production environment
            .UseDemoErp(o => o.AllowInProduction = true)
            .ConfigureDemoErp(o => o.Accounts.Add(new DemoErpAccountOptions { AccountId = "ACME", InvoiceCount = 5 }))
            .AddErpAdapter<TroubledErp>();
        _app = builder.Build();
        await _app.Services.MigratePortalPaymentsAsync();
        _app.MapCustomerPortalPayments();
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };

        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ErpSyncService>().SyncAccountAsync("ACME");
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        _invoiceId = await db.Invoices.Where(i => i.AccountId == "ACME").Select(i => i.Id).FirstAsync();
        _users.SignIn(PortalPermissions.View);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" })
        {
            File.Delete(path);
        }
    }

    private const string IngestKey = "ingest-key-for-tests-0123456789-abcdef";

    private string Url => $"{PortalRoutes.ApiPrefix}/invoices/{_invoiceId}/document";

    [Fact]
    public async Task A_working_ERP_serves_the_document()
    {
        using var response = await _client.GetAsync(Url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_html_document_is_sandboxed_and_script_free_by_its_headers_and_a_pdf_is_left_to_the_browsers_viewer()
    {
        // The preview frame carries no sandbox attribute (it would keep Chromium's PDF viewer out): the response sandboxes.
        using var html = await _client.GetAsync(Url);
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var csp = Assert.Single(html.Headers.GetValues("Content-Security-Policy"));
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("default-src 'none'", directives);
        Assert.DoesNotContain(directives, d => d.StartsWith("script-src", StringComparison.Ordinal));
        var sandbox = Assert.Single(directives, d => d.StartsWith("sandbox", StringComparison.Ordinal)).Split(' ');
        Assert.Equal(["sandbox", "allow-same-origin", "allow-modals"], sandbox);
        Assert.Equal("nosniff", Assert.Single(html.Headers.GetValues("X-Content-Type-Options")));

        _trouble.Current = ErpTrouble.Kind.Pdf;
        using var pdf = await _client.GetAsync(Url);
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        Assert.False(pdf.Headers.Contains("Content-Security-Policy"), "a PDF gets no policy: a sandbox or plugin ban blanks Chromium's viewer");
        Assert.Equal("nosniff", Assert.Single(pdf.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(pdf.Headers.CacheControl?.NoStore);
        Assert.Equal("inline", pdf.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Theory]
    [InlineData(ErpTrouble.Kind.HangsIgnoringCancellation)]
    [InlineData(ErpTrouble.Kind.HangsUntilCancelled)]
    public async Task An_ERP_that_does_not_answer_gets_503_problem_json_at_ErpRequestTimeout_on_the_portals_clock(ErpTrouble.Kind trouble)
    {
        _trouble.Current = trouble;

        var answer = _client.GetAsync(Url);
        await _trouble.Asked.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the limit's timer runs from here
        _clock.Advance(RequestTimeout - TimeSpan.FromMilliseconds(1));
        await Task.WhenAny(answer, Task.Delay(100));
        Assert.False(answer.IsCompleted, "The ERP was given up on before ErpRequestTimeout.");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        // The client gives up after 60 s: an endpoint waiting the two minutes on the real clock fails here.
        using var response = await answer;

        await AssertUnavailableAsync(response, "in time");
    }

    [Fact]
    public async Task A_failing_ERP_answers_503_problem_json()
    {
        _trouble.Current = ErpTrouble.Kind.Throws;

        using var response = await _client.GetAsync(Url);

        await AssertUnavailableAsync(response, "just now");
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string expected)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(expected, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(response.Content.Headers.ContentDisposition);
    }

    // Review: the preview frame (and "Open in new tab") showed the problem JSON as text, and the preview's Print printed it.
    [Theory]
    [InlineData(ErpTrouble.Kind.Missing, HttpStatusCode.NotFound, "The ERP has no document for invoice ")]
    [InlineData(ErpTrouble.Kind.Throws, HttpStatusCode.ServiceUnavailable, "could not send the document of invoice ")]
    public async Task A_browser_frame_gets_a_page_saying_why_and_an_api_client_the_problem(ErpTrouble.Kind trouble, HttpStatusCode status, string expected)
    {
        _trouble.Current = trouble;
        using var frame = new HttpRequestMessage(HttpMethod.Get, Url);
        frame.Headers.Add("Sec-Fetch-Dest", "iframe");
        frame.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var page = await _client.SendAsync(frame);

        Assert.Equal(status, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\"status\"", html, StringComparison.Ordinal);
        var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal(status == HttpStatusCode.ServiceUnavailable, page.Headers.RetryAfter is not null);

        using var api = new HttpRequestMessage(HttpMethod.Get, Url);
        api.Headers.Accept.ParseAdd("application/json");
        using var problem = await _client.SendAsync(api);
        Assert.Equal(status, problem.StatusCode);
        Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);
    }

    // Review: a database failure while the invoice was looked up answered a bare 500: the preview frame showed the browser's
    // error page (and Print printed it), an API client a 500.
    [Fact]
    public async Task A_database_failure_answers_503_with_a_page_saying_so_to_a_frame_and_a_problem_to_an_api_client()
    {
        _dbFault.Armed = true;
        using var frame = new HttpRequestMessage(HttpMethod.Get, Url);
        frame.Headers.Add("Sec-Fetch-Dest", "iframe");
        frame.Headers.Accept.ParseAdd("text/html");

        using var page = await _client.SendAsync(frame);

        Assert.True(_dbFault.Failed > 0);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("could not be loaded right now", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(page.Headers.RetryAfter);

        using var api = new HttpRequestMessage(HttpMethod.Get, Url);
        api.Headers.Accept.ParseAdd("application/json");
        using var problem = await _client.SendAsync(api);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.StatusCode);
        Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);
        _dbFault.Armed = false;
        _trouble.Current = ErpTrouble.Kind.Pdf;
        using var after = await _client.GetAsync(Url);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    // Review: an ERP that could not be reached made the ERP's own "pull now" call and a first summary answer 500.
    [Fact]
    public async Task A_failing_pull_answers_503_to_the_erps_sync_call_and_to_a_first_summary_and_a_later_one_works()
    {
        _trouble.Current = ErpTrouble.Kind.PullFails;
        using var pull = new HttpRequestMessage(HttpMethod.Post, $"{PortalRoutes.ApiPrefix}/erp/accounts/ACME/sync");
        pull.Headers.Add("X-Portal-Ingest-Key", IngestKey);

        using var synced = await _client.SendAsync(pull);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, synced.StatusCode);
        Assert.Equal("application/problem+json", synced.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(60), synced.Headers.RetryAfter?.Delta);
        Assert.DoesNotContain("erp.example.test", await synced.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        _users.SignIn(PortalPermissions.View, "GLOBEX", "Globex");   // never synced: the summary pulls first
        using var summary = await _client.GetAsync($"{PortalRoutes.ApiPrefix}/summary");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, summary.StatusCode);
        using var problem = JsonDocument.Parse(await summary.Content.ReadAsStringAsync());
        Assert.Contains("could not be loaded from the ERP", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        _trouble.Current = ErpTrouble.Kind.None;
        using var later = await _client.GetAsync($"{PortalRoutes.ApiPrefix}/summary");
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }
}

/// <summary>What goes wrong with the ERP's documents in the current test.</summary>
public sealed class ErpTrouble
{
    /// <summary>Kinds of trouble.</summary>
    public enum Kind
    {
        /// <summary>Works.</summary>
        None,
        /// <summary>Waits 30 s whatever the token says.</summary>
        HangsIgnoringCancellation,
        /// <summary>Waits until the token is cancelled.</summary>
        HangsUntilCancelled,
        /// <summary>Fails like an unreachable ERP.</summary>
        Throws,
        /// <summary>Answers a PDF.</summary>
        Pdf,
        /// <summary>Has no document for the item (a credit memo, unapplied cash).</summary>
        Missing,
        /// <summary>Its open-items pull fails like an unreachable ERP.</summary>
        PullFails,
    }

    /// <summary>The trouble now.</summary>
    public Kind Current { get; set; }

    /// <summary>Set once a hanging document request has reached the ERP.</summary>
    public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The demo ERP, except that its documents are slow or fail as <see cref="ErpTrouble"/> says.</summary>
public sealed class TroubledErp(DemoErpAdapter inner, ErpTrouble trouble) : IErpAdapter
{
    /// <inheritdoc />
    public async Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default)
    {
        switch (trouble.Current)
        {
            case ErpTrouble.Kind.HangsIgnoringCancellation:
                trouble.Asked.TrySetResult();
                await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
                break;
            case ErpTrouble.Kind.HangsUntilCancelled:
                trouble.Asked.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                break;
            case ErpTrouble.Kind.Throws:
                throw new HttpRequestException("Connection refused (erp.example.test:443)");
            case ErpTrouble.Kind.Pdf:
                return new ErpDocument("application/pdf", "INV-1.pdf", "%PDF-1.4\n%%EOF\n"u8.ToArray());
            case ErpTrouble.Kind.Missing:
                return null;
        }
        return await inner.GetDocumentAsync(accountId, itemExternalId, cancellationToken);
    }

    /// <inheritdoc />
    public Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default) =>
        trouble.Current == ErpTrouble.Kind.PullFails
            ? throw new HttpRequestException("Connection refused (erp.example.test:443)")
            : inner.PullOpenItemsAsync(accountId, cursor, maxItems, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default) => inner.PostPaymentAsync(posting, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default) => inner.PostDepositAsync(posting, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default) => inner.PostCommentAsync(posting, cancellationToken);

    /// <inheritdoc />
    public Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default) => inner.ReversePaymentAsync(reversal, cancellationToken);
}
