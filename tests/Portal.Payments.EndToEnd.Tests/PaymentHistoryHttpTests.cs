using System.Net;
using System.Text;
using Portal.Payments.EndToEnd.Tests.Infrastructure;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>Receipt PDF, remittance CSV and history export downloads over real HTTP against the sample host.</summary>
[Collection(HostSiteCollection.Name)]
public sealed class PaymentHistoryHttpTests(HostSiteFixture host)
{
    private static string PdfUrl(string id) => $"/portal-payments/api/payments/{id}/receipt.pdf";

    private static string RemittanceUrl(string id) => $"/portal-payments/api/payments/{id}/remittance.csv";

    private async Task<(HttpClient Client, string AccountId)> SignedInAsync(string userId)
    {
        var client = host.CreateHttpClient(new CookieContainer());
        await HostHttp.SignInAsync(client, userId);
        using var summary = await HostHttp.GetSummaryAsync(client);
        return (client, summary.RootElement.GetProperty("accountId").GetString()!);
    }

    private Task<(Guid Id, string Receipt)> InsertPaymentAsync(string accountId, string invoiceNumber) =>
        PaymentSeed.InsertPaymentAsync(host, accountId, invoiceNumber, "HTTP");

    [Fact]
    public async Task The_receipt_pdf_downloads_as_a_pdf_attachment()
    {
        var (client, account) = await SignedInAsync("pat");
        using var _ = client;
        var (id, receipt) = await InsertPaymentAsync(account, "INV-HTTP-1");

        using var response = await client.GetAsync(PdfUrl(id.ToString()));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.Equal("attachment", disposition?.DispositionType);
        Assert.Equal($"receipt-{receipt}.pdf", disposition?.FileName?.Trim('"') ?? disposition?.FileNameStar);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("%PDF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Remittance_and_history_csv_hold_the_payment()
    {
        var (client, account) = await SignedInAsync("pat");
        using var _ = client;
        var (id, receipt) = await InsertPaymentAsync(account, "INV-HTTP-2");

        using var remittance = await client.GetAsync(RemittanceUrl(id.ToString()));
        using var export = await client.GetAsync("/portal-payments/api/payments/export.csv?columns=ReceiptNumber,Amount");

        Assert.Equal(HttpStatusCode.OK, remittance.StatusCode);
        Assert.Equal("text/csv", remittance.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"{receipt}\",2026-03-02,\"Succeeded\",\"INV-HTTP-2\",\"Invoice\",123.45,0.00,0.00,\"\",\"\",123.45", await remittance.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var lines = (await export.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n");
        Assert.Equal("\"Receipt number\",\"Amount\"", lines[0]);
        Assert.Contains($"\"{receipt}\",123.45", lines);
    }

    [Fact]
    public async Task Another_accounts_unknown_and_malformed_ids_are_404()
    {
        var (gus, gusAccount) = await SignedInAsync("gus");
        var (pat, _) = await SignedInAsync("pat");
        using var g = gus;
        using var p = pat;
        var (gussPayment, _) = await InsertPaymentAsync(gusAccount, "INV-HTTP-3");

        foreach (var url in new[]
                 {
                     PdfUrl(gussPayment.ToString()), RemittanceUrl(gussPayment.ToString()),
                     PdfUrl(Guid.NewGuid().ToString()), PdfUrl("not-a-guid"), RemittanceUrl("12345"),
                 })
        {
            using var response = await pat.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url}: {(int)response.StatusCode}");
            Assert.NotEqual("application/pdf", response.Content.Headers.ContentType?.MediaType);
        }
        using var own = await gus.GetAsync(PdfUrl(gussPayment.ToString()));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task Signed_out_is_401()
    {
        using var client = host.CreateHttpClient();

        foreach (var url in new[] { PdfUrl(Guid.NewGuid().ToString()), PdfUrl("not-a-guid"), RemittanceUrl(Guid.NewGuid().ToString()), "/portal-payments/api/payments/export.csv" })
        {
            using var response = await client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{url}: expected 401, got {(int)response.StatusCode}");
        }
    }
}
