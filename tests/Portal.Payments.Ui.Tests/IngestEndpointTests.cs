using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Hosting;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The ERP's "pull now" endpoint over real HTTP on 127.0.0.1, in a host that asks every endpoint for a signed-in user
/// (a fallback policy) and protects the portal's API group as well: the ERP has no user, only the ingest key, which the
/// endpoint checks itself.
/// </summary>
public sealed class IngestEndpointTests : IAsyncLifetime
{
    private const string Key = "ingest-key-for-tests-0123456789-abcdef";
    // Not the host's synced account, so the pull inserts its invoices.
    private const string ErpAccount = "GLOBEX";
    private PortalHttpHost? _host;

    private HttpClient Client => _host!.Client;

    public async Task InitializeAsync() => _host = await PortalHttpHost.StartAsync(
        services: s =>
        {
            s.AddAuthentication(HeaderAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
            s.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
            s.Configure<PortalPaymentsOptions>(o => o.IngestApiKey = Key);
        },
        pipeline: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
        },
        api: group => group.RequireAuthorization());

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private Task<HttpResponseMessage> SyncAsync(string account, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/portal-payments/api/erp/accounts/{account}/sync");
        if (key is not null)
        {
            request.Headers.Add("X-Portal-Ingest-Key", key);
        }
        return Client.SendAsync(request);
    }

    [Fact]
    public async Task The_erp_reaches_the_sync_endpoint_with_its_key_under_a_host_wide_sign_in_policy()
    {
        using var response = await SyncAsync(ErpAccount, Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ErpAccount, body.RootElement.GetProperty("accountId").GetString());
        Assert.True(body.RootElement.GetProperty("inserted").GetInt32() > 0, body.RootElement.ToString());
    }

    [Fact]
    public async Task Without_the_key_the_sync_endpoint_answers_401_and_the_rest_of_the_api_still_needs_a_user()
    {
        using var noKey = await SyncAsync(ErpAccount, null);
        using var wrongKey = await SyncAsync(ErpAccount, "not-the-key");
        using var summary = await Client.GetAsync("/portal-payments/api/summary");

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Contains("X-Portal-Ingest-Key", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, summary.StatusCode);   // signed out: the host's policy still applies there
    }
}
