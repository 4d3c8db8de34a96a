using System.Net;
using System.Text.Json;
using Portal.Payments.EndToEnd.Tests.Infrastructure;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The portal's HTTP endpoints over real HTTP against the running sample host (no browser).</summary>
[Collection(HostSiteCollection.Name)]
public sealed class PortalHttpTests(HostSiteFixture host)
{
    [Fact]
    public async Task The_login_page_names_a_favicon_the_host_serves()
    {
        using var client = host.CreateHttpClient();

        var login = await client.GetStringAsync("/login");
        using var icon = await client.GetAsync("/favicon.svg");

        Assert.Contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"favicon.svg\"", login, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Summary_without_a_cookie_is_401()
    {
        using var client = host.CreateHttpClient();

        using var response = await client.GetAsync("/portal-payments/api/summary");

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
            $"Expected 401, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Summary_after_signing_in_as_pat_is_the_acme_account()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "pat");

        using var summary = await HostHttp.GetSummaryAsync(client);

        var root = summary.RootElement;
        Assert.Equal("ACME", root.GetProperty("accountId").GetString());
        Assert.Equal("Acme Manufacturing", root.GetProperty("accountName").GetString());
        var buckets = root.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(5, buckets.Count);
        Assert.Equal(Amount(root.GetProperty("totalBalance")), buckets.Sum(b => Amount(b.GetProperty("balance"))));
        Assert.Equal(root.GetProperty("openItemCount").GetInt32(), buckets.Sum(b => b.GetProperty("itemCount").GetInt32()));
        // Pulled from the demo ERP on the first visit, and that pull went through.
        Assert.Equal(JsonValueKind.String, root.GetProperty("lastSyncedAt").ValueKind);
        Assert.False(root.GetProperty("lastSyncFailed").GetBoolean());
    }

    [Fact]
    public async Task The_summarys_balances_are_kept_by_no_cache()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "val");

        using var response = await client.GetAsync("/portal-payments/api/summary");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.True(response.Headers.CacheControl?.Private, $"Cache-Control: {response.Headers.CacheControl}");
    }

    [Fact]
    public async Task Summary_after_signing_in_as_gus_is_the_globex_account()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "gus");

        using var summary = await HostHttp.GetSummaryAsync(client);

        Assert.Equal("GLOBEX", summary.RootElement.GetProperty("accountId").GetString());
        Assert.True(summary.RootElement.GetProperty("openItemCount").GetInt32() >= 1000, summary.RootElement.GetRawText());
    }

    [Fact]
    public async Task Login_post_without_the_antiforgery_token_is_rejected()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        using (await client.GetAsync("/login"))
        {
        }

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userId"] = "pat",
            ["returnUrl"] = "/",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "hostsite.auth");
    }

    [Theory]
    [InlineData("/\\evil.example", "/")]
    [InlineData("//evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/\t/evil.example", "/")]
    [InlineData("/portal/invoices", "/portal/invoices")]
    public async Task Login_goes_back_only_to_a_path_of_this_site(string returnUrl, string expected)
    {
        using var client = host.CreateHttpClient(new CookieContainer());

        Assert.Equal(expected, await SignInRedirectAsync(client, "pat", returnUrl));
    }

    /// <summary>Posts the sign-in form (with its antiforgery token) for <paramref name="userId"/>; where the answer redirects to.</summary>
    private static async Task<string?> SignInRedirectAsync(HttpClient client, string userId, string returnUrl)
    {
        using var loginPage = await client.GetAsync("/login");
        var token = HostHttp.FindHiddenInput(await loginPage.Content.ReadAsStringAsync(), "__RequestVerificationToken")!;
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userId"] = userId,
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = token,
        }));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Expected a redirect, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location?.OriginalString;
    }

    [Theory]
    [InlineData("/portal/invoices?page=2", "/login?error=unknown&returnUrl=%2Fportal%2Finvoices%3Fpage%3D2")]
    [InlineData("//evil.example", "/login?error=unknown")]
    public async Task An_unknown_user_goes_back_to_the_sign_in_still_on_the_way_to_a_path_of_this_site(string returnUrl, string expected)
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);

        Assert.Equal(expected, await SignInRedirectAsync(client, "nobody", returnUrl));
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "hostsite.auth");
        // The sign-in page says why and keeps the way back in its forms.
        var page = await client.GetStringAsync(expected);
        Assert.Contains("That user does not exist.", page);
        Assert.Equal(returnUrl.StartsWith("/portal", StringComparison.Ordinal) ? returnUrl : "", HostHttp.FindHiddenInput(page, "returnUrl") ?? "");
    }

    [Theory]
    [InlineData("en-US", "The sign-out form has expired. Reload the page and sign out again.")]
    [InlineData("de-DE", "Das Abmeldeformular ist abgelaufen. Laden Sie die Seite neu und melden Sie sich noch einmal ab.")]
    public async Task A_sign_out_refused_for_want_of_its_token_says_why_in_the_users_language(string language, string expected)
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "pat");
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);

        using var refused = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(expected, problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Logout_needs_the_antiforgery_token_so_another_site_cannot_sign_the_user_out()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "pat");

        // A cross-site form post: the cookies go along, the token cannot.
        using (var forged = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        // Still signed in: the summary answers 200.
        (await HostHttp.GetSummaryAsync(client)).Dispose();

        // The layout's own Sign out form carries the token.
        var home = await client.GetStringAsync("/");
        var token = HostHttp.FindHiddenInput(home, "__RequestVerificationToken")
            ?? throw new Xunit.Sdk.XunitException("The signed-in layout has no Sign out form with a token:\n" + home);
        using var signOut = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/login", signOut.Headers.Location?.OriginalString);
        using var after = await client.GetAsync("/portal-payments/api/summary");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Erp_sync_without_a_configured_ingest_key_is_404()
    {
        using var client = host.CreateHttpClient();

        using var response = await client.PostAsync("/portal-payments/api/erp/accounts/ACME/sync", content: null);

        Assert.True(response.StatusCode == HttpStatusCode.NotFound,
            $"Expected 404 (no CustomerPortalPayments:IngestApiKey configured), got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public void Host_log_reports_the_seeded_demo_accounts()
    {
        var log = host.Output;

        Assert.Contains("Demo account ACME:", log, StringComparison.Ordinal);
        Assert.Contains("Demo account GLOBEX:", log, StringComparison.Ordinal);
    }

    /// <summary>A Money value: {"amount":12.34,"currency":"USD"}.</summary>
    private static decimal Amount(JsonElement money) => money.GetProperty("amount").GetDecimal();
}
