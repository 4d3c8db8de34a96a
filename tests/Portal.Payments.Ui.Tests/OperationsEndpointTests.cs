using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Outbox;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The operators' endpoints and the health check over real HTTP on 127.0.0.1: behind the host's own policy, they list
/// stuck payments and undelivered ERP postings and replay them; /health reports the money path.
/// </summary>
public sealed class OperationsEndpointTests : IAsyncLifetime
{
    private const string Ops = "/portal-payments/ops";
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"portal-ops-tests-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private WebApplication? _app;
    private HttpClient _client = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new TestUsers());
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddAuthentication(HeaderAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("PortalOperators", p => p.RequireRole("portal-operator")));
        builder.Services.AddAntiforgery();   // as a Blazor host has it (the test's token endpoint below uses it)
        builder.Services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false)
            .UseSqlite($"Data Source={_dbPath}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true) // the test host runs in the Production environment
            .UseDemoErp(o => o.AllowInProduction = true);
        _app = builder.Build();
        await _app.Services.MigratePortalPaymentsAsync();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapHealthChecks("/health");
        _app.MapCustomerPortalPaymentsOperations("PortalOperators");
        // What an operator's admin page does: its token for the signed-in operator (and the antiforgery cookie).
        _app.MapGet("/test/antiforgery", (HttpContext http, IAntiforgery antiforgery) => antiforgery.GetAndStoreTokens(http).RequestToken);
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
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

    private HttpRequestMessage Request(HttpMethod method, string url, string? user, string? role = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (user is not null)
        {
            request.Headers.Add(HeaderAuthentication.UserHeader, user);
        }
        if (role is not null)
        {
            request.Headers.Add(HeaderAuthentication.RoleHeader, role);
        }
        return request;
    }

    private async Task<HttpResponseMessage> AsOperatorAsync(HttpMethod method, string url) =>
        await _client.SendAsync(Request(method, url, "olive@ops", "portal-operator"));

    [Fact]
    public async Task Only_the_hosts_policy_lets_anyone_in()
    {
        using var anonymous = await _client.SendAsync(Request(HttpMethod.Get, Ops + "/report", null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var clerk = await _client.SendAsync(Request(HttpMethod.Get, Ops + "/outbox/undelivered", "pat@acme"));
        Assert.Equal(HttpStatusCode.Forbidden, clerk.StatusCode);
        using var replay = await _client.SendAsync(Request(HttpMethod.Post, Ops + "/outbox/replay", "pat@acme"));
        Assert.Equal(HttpStatusCode.Forbidden, replay.StatusCode);
        using var report = await AsOperatorAsync(HttpMethod.Get, Ops + "/report");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
    }

    [Fact]
    public async Task An_undelivered_erp_posting_is_listed_replayed_and_reported_by_the_health_check()
    {
        var messageId = await EnqueueFailingPostingAsync(age: TimeSpan.FromHours(2));

        using var health = await _client.GetAsync("/health");
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());

        using var listed = await AsOperatorAsync(HttpMethod.Get, Ops + "/outbox/undelivered");
        var rows = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement;
        var row = Assert.Single(rows.EnumerateArray(), r => r.GetProperty("id").GetGuid() == messageId);
        Assert.Equal((true, 7, "ERP is down"), (row.GetProperty("isMoney").GetBoolean(), row.GetProperty("attempts").GetInt32(), row.GetProperty("lastError").GetString()));

        using var replayed = await AsOperatorAsync(HttpMethod.Post, $"{Ops}/outbox/{messageId}/replay");
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await MessageAsync(messageId)).NextAttemptAt);
        using var unknown = await AsOperatorAsync(HttpMethod.Post, $"{Ops}/outbox/{Guid.NewGuid()}/replay");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_stuck_payment_is_listed_and_its_check_brought_forward()
    {
        var paymentId = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(1));

        using var stuck = await AsOperatorAsync(HttpMethod.Get, Ops + "/payments/stuck");
        var rows = JsonDocument.Parse(await stuck.Content.ReadAsStringAsync()).RootElement;
        var row = Assert.Single(rows.EnumerateArray(), r => r.GetProperty("paymentId").GetGuid() == paymentId);
        Assert.Equal("Unconfirmed", row.GetProperty("status").GetString());

        using var health = await _client.GetAsync("/health");
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());

        using var recheck = await AsOperatorAsync(HttpMethod.Post, $"{Ops}/payments/{paymentId}/recheck");
        Assert.Equal(HttpStatusCode.Accepted, recheck.StatusCode);
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await db.Payments.AsNoTracking().SingleAsync(p => p.Id == paymentId)).NextCheckAt);
        using var nothing = await AsOperatorAsync(HttpMethod.Post, $"{Ops}/payments/{Guid.NewGuid()}/recheck");
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);
    }

    // Review: a payment the portal cannot finish (a gateway without lookups, or one the host no longer runs) had no way
    // to end: the operator could only ask the gateway again, which could not answer.
    [Fact]
    public async Task An_operator_records_how_a_stuck_payment_ended_at_the_processor()
    {
        var charged = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(3));
        var notCharged = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(3));

        async Task<HttpResponseMessage> ResolveAsync(Guid id, string json)
        {
            var request = Request(HttpMethod.Post, $"{Ops}/payments/{id}/resolve", "olive@ops", "portal-operator");
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            return await _client.SendAsync(request);
        }

        using (var clerk = await _client.SendAsync(Request(HttpMethod.Post, $"{Ops}/payments/{charged}/resolve", "pat@acme")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, clerk.StatusCode);
        }
        using (var noNote = await ResolveAsync(charged, """{"finding":"Charged"}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
            var detail = JsonDocument.Parse(await noNote.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            Assert.Contains("\"note\": what you found", detail, StringComparison.Ordinal);
        }
        using (var badFinding = await ResolveAsync(charged, """{"finding":"Maybe","note":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badFinding.StatusCode);
        }
        using (var ok = await ResolveAsync(charged, """{"finding":"Charged","note":"Found in the old processor's dashboard","reference":"ch_old_123"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var ok = await ResolveAsync(notCharged, """{"finding":"NotCharged","note":"No charge at the processor under its key"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var again = await ResolveAsync(charged, """{"finding":"NotCharged","note":"changed my mind"}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
        using (var unknown = await ResolveAsync(Guid.NewGuid(), """{"finding":"Charged","note":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        await using var db = await Factory.CreateDbContextAsync();
        var succeeded = await db.Payments.AsNoTracking().SingleAsync(p => p.Id == charged);
        Assert.Equal((PaymentStatus.Succeeded, "ch_old_123"), (succeeded.Status, succeeded.GatewayReference));
        Assert.True(await db.Outbox.AnyAsync(m => m.Kind == OutboxKind.ErpDeposit && m.CompletedAt == null && m.PayloadJson.Contains(charged.ToString())));
        var failed = await db.Payments.AsNoTracking().SingleAsync(p => p.Id == notCharged);
        Assert.Equal((PaymentStatus.Failed, Portal.Payments.Services.Payments.PaymentOperations.NotChargedMessage), (failed.Status, failed.FailureReason));
        using var stuck = await AsOperatorAsync(HttpMethod.Get, Ops + "/payments/stuck");
        Assert.DoesNotContain(charged.ToString(), await stuck.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    // Review (security): the operators' lists name every account's payments, amounts and failed postings, but were sent with
    // no Cache-Control, so an operator's shared browser (or a proxy) could keep them after sign-out; nor with nosniff.
    [Theory]
    [InlineData("/report")]
    [InlineData("/payments/stuck")]
    [InlineData("/outbox/undelivered")]
    public async Task The_operators_lists_are_kept_by_no_cache_and_never_sniffed(string path)
    {
        await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(1));

        using var response = await AsOperatorAsync(HttpMethod.Get, Ops + path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.True(response.Headers.CacheControl?.Private, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    // Review (security): the resolve read any body up to the server's limit (30 MB by default) into memory before looking
    // at it, and then answered a huge note with the usual "Send JSON …" 400 as if the shape were wrong.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_resolve_body_far_larger_than_a_finding_is_refused_as_too_large_and_changes_nothing(bool withLength)
    {
        var payment = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(3));
        var json = System.Text.Encoding.UTF8.GetBytes($$"""{"finding":"Charged","note":"{{new string('x', 200_000)}}"}""");
        var request = Request(HttpMethod.Post, $"{Ops}/payments/{payment}/resolve", "olive@ops", "portal-operator");
        // Without a length the body comes chunked, and is counted as it is read.
        request.Content = withLength ? new ByteArrayContent(json) : new StreamContent(new UnseekableStream(json));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("64 KB", detail, StringComparison.Ordinal);
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(PaymentStatus.Unconfirmed, (await db.Payments.AsNoTracking().SingleAsync(p => p.Id == payment)).Status);
    }

    /// <summary>A body of unknown length (sent chunked).</summary>
    private sealed class UnseekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }

    // Review (webhooks/operators): a resolve whose finding was misspelt ("Paid"), or whose JSON did not parse, was refused by
    // the framework's binding with an empty 400 (in Production): the operator was not told what to send, as for a missing note.
    [Theory]
    [InlineData("""{"finding":"Paid","note":"Found at the processor"}""")]
    [InlineData("""{"finding":"Charged","note":"Found at the processor",}""")]
    [InlineData("finding=Charged&note=Found")]
    public async Task A_resolve_with_a_finding_it_does_not_know_or_unreadable_json_says_what_to_send_and_changes_nothing(string json)
    {
        var payment = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(3));
        var request = Request(HttpMethod.Post, $"{Ops}/payments/{payment}/resolve", "olive@ops", "portal-operator");
        request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(body), "The 400 says nothing.");
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
        Assert.Contains("\"finding\": \"Charged\" or \"NotCharged\"", detail, StringComparison.Ordinal);
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(PaymentStatus.Unconfirmed, (await db.Payments.AsNoTracking().SingleAsync(p => p.Id == payment)).Status);
    }

    // Review (vendor embedding): behind a host whose sign-in names users by other claim types (OpenID Connect with the inbound
    // claim mapping off: "sub", no name claim), every operator was recorded as "operator", so nobody could tell who
    // declared a payment charged.
    [Fact]
    public async Task An_operator_signed_in_without_a_name_claim_is_recorded_by_the_subject_claim()
    {
        var paymentId = await InsertUnconfirmedPaymentAsync(startedAgo: TimeSpan.FromHours(3));
        var request = new HttpRequestMessage(HttpMethod.Post, $"{Ops}/payments/{paymentId}/resolve")
        {
            Content = new StringContent("""{"finding":"Charged","note":"In the processor's dashboard"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(HeaderAuthentication.SubjectHeader, "00u1a2b3c4OKTA");
        request.Headers.Add(HeaderAuthentication.RoleHeader, "portal-operator");

        using var resolved = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        await using var db = await Factory.CreateDbContextAsync();
        var audit = await db.AuditEvents.AsNoTracking().SingleAsync(e => e.SubjectId == paymentId.ToString() && e.Action == "payment.succeeded");
        Assert.Equal("operator:00u1a2b3c4OKTA", audit.UserId);
    }

    [Fact]
    public async Task A_post_with_the_browsers_credentials_needs_the_antiforgery_token_and_a_bearer_script_does_not()
    {
        var messageId = await EnqueueFailingPostingAsync(age: TimeSpan.FromHours(2));
        var waiting = (await MessageAsync(messageId)).NextAttemptAt;
        HttpRequestMessage AsOperator(string url)
        {
            var request = Request(HttpMethod.Post, url, "olive@ops", "portal-operator");
            return request;
        }

        // Another site's form (or fetch) posting from the operator's signed-in browser: the cookie goes along, no token can.
        foreach (var url in new[] { $"{Ops}/outbox/{messageId}/replay", $"{Ops}/outbox/replay", $"{Ops}/payments/{Guid.NewGuid()}/recheck" })
        {
            using var withCookie = AsOperator(url);
            withCookie.Headers.Add("Cookie", "host.auth=the-operators-session");
            withCookie.Content = new FormUrlEncodedContent([]);
            using var forged = await _client.SendAsync(withCookie);
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Contains("antiforgery token", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // HTTP authentication the browser remembers is sent the same way.
            using var withBasic = AsOperator(url);
            withBasic.Headers.Authorization = new AuthenticationHeaderValue("Basic", "b2xpdmU6c2VjcmV0");
            using var forgedBasic = await _client.SendAsync(withBasic);
            Assert.Equal(HttpStatusCode.BadRequest, forgedBasic.StatusCode);
        }
        Assert.Equal(waiting, (await MessageAsync(messageId)).NextAttemptAt);   // nothing replayed
        using (var resolve = AsOperator($"{Ops}/payments/{Guid.NewGuid()}/resolve"))
        {
            resolve.Headers.Add("Cookie", "host.auth=the-operators-session");
            resolve.Content = new StringContent("""{"finding":"Charged","note":"forged"}""", System.Text.Encoding.UTF8, "application/json");
            using var forged = await _client.SendAsync(resolve);
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Contains("antiforgery token", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A wrong token is no token.
        using (var wrong = AsOperator($"{Ops}/outbox/{messageId}/replay"))
        {
            wrong.Headers.Add("Cookie", "host.auth=the-operators-session");
            wrong.Headers.Add("RequestVerificationToken", "made-up");
            using var refused = await _client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        // The operator's own page: the token from IAntiforgery in the header, with its cookie.
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = _client.BaseAddress };
        string token;
        using (var tokenRequest = Request(HttpMethod.Get, "/test/antiforgery", "olive@ops", "portal-operator"))
        using (var tokenResponse = await browser.SendAsync(tokenRequest))
        {
            token = await tokenResponse.Content.ReadAsStringAsync();
        }
        using (var own = AsOperator($"{Ops}/outbox/{messageId}/replay"))
        {
            own.Headers.Add("RequestVerificationToken", token);
            using var replayed = await browser.SendAsync(own);
            Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        }
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await MessageAsync(messageId)).NextAttemptAt);

        // A script with a bearer token (here beside the test's own authentication header) and no cookie: as before.
        using var script = AsOperator($"{Ops}/outbox/replay");
        script.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "an-operator-access-token");
        using var scripted = await _client.SendAsync(script);
        Assert.Equal(HttpStatusCode.OK, scripted.StatusCode);
    }

    private IDbContextFactory<PaymentsDbContext> Factory => _app!.Services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();

    private async Task<Guid> EnqueueFailingPostingAsync(TimeSpan age)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        await using var db = await Factory.CreateDbContextAsync();
        OutboxWriter.EnqueuePayment(db, new ErpPaymentPosting
        {
            PaymentId = Guid.NewGuid(), AccountId = "OPS-" + Guid.NewGuid().ToString("N")[..6], ReceiptNumber = "R-OPS-1", Amount = Money.Create(10m, "USD"),
            PaidAt = _clock.GetUtcNow(), MethodDescription = "Visa •••• 4242", Allocations = [],
        }, now - age);
        await db.SaveChangesAsync();
        var message = await db.Outbox.OrderByDescending(m => m.CreatedAt).FirstAsync(m => m.Kind == OutboxKind.ErpPayment && m.CompletedAt == null);
        await db.Outbox.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Attempts, 7).SetProperty(m => m.LastError, "ERP is down").SetProperty(m => m.NextAttemptAt, now.AddMinutes(40)));
        return message.Id;
    }

    private async Task<OutboxMessageRecord> MessageAsync(Guid id)
    {
        await using var db = await Factory.CreateDbContextAsync();
        return await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == id);
    }

    private async Task<Guid> InsertUnconfirmedPaymentAsync(TimeSpan startedAgo)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var id = Guid.NewGuid();
        await using var db = await Factory.CreateDbContextAsync();
        db.Payments.Add(new PaymentRecord
        {
            Id = id, AccountId = "OPS", Kind = PaymentKind.Deposit, Currency = "USD", AmountMinor = 5_000, MethodDescription = "Visa •••• 4242",
            IdempotencyKey = Guid.NewGuid().ToString("N"), GatewayKey = "sandbox", ReceiptNumber = "R-OPS-" + id.ToString("N")[..6], CreatedByUserId = "u",
            CreatedByName = "Pat", CreatedByEmail = "pat@example.test", CreatedAt = now - startedAgo, ChargeStartedAt = now - startedAgo,
            NextCheckAt = now.AddMinutes(30), StatusChangedAt = now - startedAgo,
        });
        await db.SaveChangesAsync();
        // Unconfirmed, as the lifecycle leaves an unanswered charge (set directly: the test seeds a state, it does not move one).
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE pp_payments SET Status = {(int)PaymentStatus.Unconfirmed} WHERE Id = {id}");
        return id;
    }
}
