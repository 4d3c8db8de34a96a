using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>Plain-HTTP steps against the sample host: the login form (with antiforgery) and the summary API.</summary>
internal static partial class HostHttp
{
    /// <summary>GET /login for the antiforgery cookie and form token, then POST /account/login like the login form does.</summary>
    /// <remarks>The client must keep cookies (a CookieContainer) and must not follow redirects.</remarks>
    public static async Task SignInAsync(HttpClient client, string userId)
    {
        using var loginPage = await client.GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, loginPage.StatusCode);
        var html = await loginPage.Content.ReadAsStringAsync();
        var token = FindHiddenInput(html, "__RequestVerificationToken")
            ?? throw new Xunit.Sdk.XunitException($"No __RequestVerificationToken input on /login:\n{html}");

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userId"] = userId,
            ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = token,
        }));

        Assert.True(response.StatusCode == HttpStatusCode.Redirect,
            $"Signing in as {userId} answered {(int)response.StatusCode}, not a redirect: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    /// <summary>GET /portal-payments/api/summary, which must answer 200 with JSON.</summary>
    public static async Task<JsonDocument> GetSummaryAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/portal-payments/api/summary");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 from the summary, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body);
    }

    /// <summary>The value of the first hidden input named <paramref name="name"/> (attributes in any order).</summary>
    public static string? FindHiddenInput(string html, string name)
    {
        foreach (Match input in InputTag().Matches(html))
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match attribute in AttributePattern().Matches(input.Value))
            {
                attributes.TryAdd(attribute.Groups["name"].Value.ToLowerInvariant(), WebUtility.HtmlDecode(attribute.Groups["value"].Value));
            }
            if (attributes.TryGetValue("name", out var n) && n == name && attributes.TryGetValue("value", out var value))
            {
                return value;
            }
        }
        return null;
    }

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex("(?<name>[a-zA-Z_:][-a-zA-Z0-9_:.]*)\\s*=\\s*\"(?<value>[^\"]*)\"")]
    private static partial Regex AttributePattern();
}
