using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The ERP's "pull now" endpoint over real HTTP on 127.0.0.1, in a host that asks every endpoint for a signed-in user
/// (a fallback policy) and protects the portal's API group as well: the ERP has no user, only the ingest key, which the
/// endpoint checks itself.
/// </summary>
public sealed class IngestEndpointTests : IAsyncLifetime
{
    private const string Key = "ingest-key-for-tests-0123456789";
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"portal-ingest-tests-{Guid.NewGuid():N}.db");
    private WebApplication? _app;
    private HttpClient _client = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new TestUsers());
        builder.Services.AddAuthentication(HeaderAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddCustomerPortalPayments(o =>
            {
                o.RunBackgroundServices = false;
                o.IngestApiKey = Key;
            })
            .UseSqlite($"Data Source={_dbPath}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true) // the test host runs in the Production environment
            .UseDemoErp(o => o.AllowInProduction = true);
        _app = builder.Build();
        await _app.Services.MigratePortalPaymentsAsync();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapCustomerPortalPayments().RequireAuthorization();
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

    private Task<HttpResponseMessage> SyncAsync(string account, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/portal-payments/api/erp/accounts/{account}/sync");
        if (key is not null)
        {
            request.Headers.Add("X-Portal-Ingest-Key", key);
        }
        return _client.SendAsync(request);
    }

    [Fact]
    public async Task The_erp_reaches_the_sync_endpoint_with_its_key_under_a_host_wide_sign_in_policy()
    {
        using var response = await SyncAsync("ACME", Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ACME", body.RootElement.GetProperty("accountId").GetString());
        Assert.True(body.RootElement.GetProperty("inserted").GetInt32() > 0, body.RootElement.ToString());
    }

    [Fact]
    public async Task Without_the_key_the_sync_endpoint_answers_401_and_the_rest_of_the_api_still_needs_a_user()
    {
        using var noKey = await SyncAsync("ACME", null);
        using var wrongKey = await SyncAsync("ACME", "not-the-key");
        using var summary = await _client.GetAsync("/portal-payments/api/summary");

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Contains("X-Portal-Ingest-Key", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, summary.StatusCode);   // signed out: the host's policy still applies there
    }
}
