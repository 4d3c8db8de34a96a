using System.Net;
using Portal.Payments.EndToEnd.Tests.Infrastructure;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The invoice document endpoint (preview and print) over real HTTP against the sample host.</summary>
[Collection(HostSiteCollection.Name)]
public sealed class InvoiceDocumentHttpTests(HostSiteFixture host)
{
    private static string DocumentUrl(long id) => $"/portal-payments/api/invoices/{id}/document";

    private async Task<HttpClient> SignedInAsync(string userId)
    {
        var client = host.CreateHttpClient(new CookieContainer());
        await HostHttp.SignInAsync(client, userId);
        // The summary pulls the account from the ERP on first use, so its invoices exist.
        (await HostHttp.GetSummaryAsync(client)).Dispose();
        return client;
    }

    /// <summary>An invoice id of the signed-in account: local ids are not published without the grid, so probe a spread of them.</summary>
    private static async Task<long> FindOwnInvoiceAsync(HttpClient client)
    {
        var candidates = Enumerable.Range(1, 50).Select(i => (long)i)
            .Concat(Enumerable.Range(6, 8).Select(p => 1L << p).SelectMany(p => new[] { p, p + 1, p + 37 }));
        foreach (var id in candidates)
        {
            using var response = await client.GetAsync(DocumentUrl(id));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return id;
            }
        }
        throw new Xunit.Sdk.XunitException("No invoice of the signed-in account answered among the probed ids.");
    }

    [Fact]
    public async Task The_document_is_served_inline_without_script_or_caching()
    {
        using var client = await SignedInAsync("pat");
        var id = await FindOwnInvoiceAsync(client);

        using var response = await client.GetAsync(DocumentUrl(id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.Equal("inline", disposition?.DispositionType);
        Assert.EndsWith(".html", disposition?.FileName?.Trim('"') ?? disposition?.FileNameStar);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.DoesNotContain("script-src", csp);
        // Sandboxed by the response (the preview frame has no sandbox attribute, which would blank a PDF): no scripts.
        Assert.Contains("sandbox allow-same-origin allow-modals", csp);
        Assert.DoesNotContain("allow-scripts", csp);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.True(response.Headers.CacheControl?.Private);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Another_accounts_invoice_is_404()
    {
        using var gus = await SignedInAsync("gus");
        using var pat = await SignedInAsync("pat");
        var patsInvoice = await FindOwnInvoiceAsync(pat);
        var gussInvoice = await FindOwnInvoiceAsync(gus);

        using var foreign = await pat.GetAsync(DocumentUrl(gussInvoice));
        using var unknown = await pat.GetAsync(DocumentUrl(long.MaxValue));
        using var own = await gus.GetAsync(DocumentUrl(gussInvoice));
        using var reverse = await gus.GetAsync(DocumentUrl(patsInvoice));

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, reverse.StatusCode);
        Assert.DoesNotContain("<html", await foreign.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Signed_out_is_401()
    {
        using var client = host.CreateHttpClient();

        using var response = await client.GetAsync(DocumentUrl(1));

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
            $"Expected 401, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
