using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// The receipt PDF downloaded over real HTTP from a host with request localization: in the language and culture the browser
/// asks for, the payment time in the user's time zone.
/// </summary>
public sealed class ReceiptPdfEndpointTests : IAsyncLifetime
{
    /// <summary>When the payment is made: 2 March 2026, 09:15 UTC.</summary>
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 15, 0, TimeSpan.Zero);

    private PortalHttpHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await PortalHttpHost.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
                // As a host does it (the sample host too): the browser's languages pick the culture of each request.
                string[] cultures = ["en-US", "de-DE"];
                services.AddRequestLocalization(o => o.SetDefaultCulture(cultures[0]).AddSupportedCultures(cultures).AddSupportedUICultures(cultures));
            },
            app => app.UseRequestLocalization());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>
    /// Pays the account's first two invoices with a new card (the sandbox's card <paramref name="number"/>), the first one
    /// short by a dollar for <paramref name="shortReason"/> when given, and returns the receipt.
    /// </summary>
    private async Task<PaymentReceipt> PayAsync(string number = "4242424242424242", string? shortReason = null)
    {
        using var scope = _host.Services.CreateScope();
        var services = scope.ServiceProvider;
        await using var db = await services.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var ids = await db.Invoices.Where(i => i.AccountId == PortalTestContext.AccountId && i.Type == OpenItemType.Invoice && i.OpenMinor > 0)
            .OrderBy(i => i.Id).Select(i => i.Id).Take(2).ToListAsync();
        var capture = services.GetRequiredService<SandboxGateway>()
            .CaptureCard(new SandboxCardInput(number, 12, 2030, "123", "Jane Doe", "94107"));
        Assert.True(capture.Succeeded, capture.Message);
        var card = await services.GetRequiredService<PaymentMethodService>().AddCardAsync(new AddCardRequest(
            new CapturedPaymentMethod(capture.Method!.Token, PaymentMethodType.Card), null, Guid.NewGuid().ToString("N")));
        var payments = services.GetRequiredService<PaymentService>();
        IReadOnlyList<PayLine>? lines = null;
        if (shortReason is not null)
        {
            var preview = await payments.PreviewAsync(ids);
            lines = [new PayLine(ids[0]) { Amount = preview.Lines.Single(l => l.InvoiceId == ids[0]).AmountToPay - Money.Create(1m, "USD"), Reason = shortReason }];
        }
        var paid = await payments.PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Guid.NewGuid().ToString("N")) { Lines = lines });
        return await payments.GetReceiptAsync(paid.PaymentId);
    }

    /// <summary>The words of the receipt PDF downloaded with <c>Accept-Language: <paramref name="language"/></c>.</summary>
    private async Task<string> DownloadAsync(Guid paymentId, string language)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{PortalRoutes.ApiPrefix}/payments/{paymentId}/receipt.pdf");
        request.Headers.AcceptLanguage.ParseAdd(language);
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        // Set once, by the API group's filter (the handler no longer sets it itself).
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        return PdfText.Words(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Downloaded_in_German_the_receipt_reads_German_with_German_amounts_and_the_users_time()
    {
        _host.Users.SignIn(PortalPermissions.Pay);
        _host.Users.Current = _host.Users.Current! with { TimeZoneId = "Europe/Berlin" };
        var receipt = await PayAsync();

        var text = await DownloadAsync(receipt.PaymentId, "de-DE");

        var number = receipt.ReceiptNumber;
        foreach (var expected in new[]
                 {
                     $"Zahlungsbeleg {number}", "Zahler Acme Industrial Supply (ACME)", "Bezahlt von Pat Payer",
                     // 09:15 UTC is 10:15 in Berlin (winter time).
                     "Datum 02.03.2026 10:15 UTC+01:00", $"Belegnummer {number}", "Art Rechnungszahlung", "Zahlungsmethode Visa", "Status Bezahlt",
                     "Rechnungsaufstellung (Beträge in USD)", "Rechnung Offener Saldo Skonto Kürzung Kürzungsgrund Verrechnet",
                     "Rechnungen USD", "Skonto USD", "Kürzungen USD", "Verrechnete Gutschriften USD",
                     $"Gezahlter Betrag {receipt.Amount.ToString(CultureInfo.GetCultureInfo("de-DE"))}", $"Zahlungsbeleg {number} – Seite 1",
                 })
        {
            Assert.Contains(expected, text);
        }
        Assert.Matches(@"Gezahlter Betrag USD \d{1,3}(\.\d{3})*,\d{2}\b", text);
        foreach (var english in new[] { "Receipt", "Paid", "Date", "Kind", "Invoice", "Open balance", "Discount", "Short", "Applied", "Amount", "Credits", "page" })
        {
            Assert.DoesNotContain(english, text, StringComparison.Ordinal);
        }
        // No key instead of a text, and every German label fits its place (a label too long is cut with "...").
        Assert.DoesNotContain("ReceiptPdf.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("...", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_declined_payments_receipt_says_why_in_the_readers_language()
    {
        _host.Users.SignIn(PortalPermissions.Pay);
        var receipt = await PayAsync("4000000000000002");   // the sandbox's declined card
        Assert.Equal((PaymentStatus.Failed, "Declined"), (receipt.Status, receipt.FailureCode));

        var german = await DownloadAsync(receipt.PaymentId, "de-DE");
        var english = await DownloadAsync(receipt.PaymentId, "en-US");

        Assert.Contains("Nicht belastet Die Karte wurde von der ausgebenden Bank abgelehnt.", german);
        Assert.DoesNotContain("declined", german, StringComparison.Ordinal);
        Assert.Contains("Not charged The card was declined by the issuer.", english);
    }

    [Fact]
    public async Task A_built_in_short_pay_reason_reads_in_the_readers_language()
    {
        _host.Users.SignIn(PortalPermissions.Pay);
        var receipt = await PayAsync(shortReason: "Damaged");
        Assert.Equal("Damaged", receipt.Lines[0].ShortReason);

        Assert.Contains(" Beschädigt ", await DownloadAsync(receipt.PaymentId, "de-DE"));
        var english = await DownloadAsync(receipt.PaymentId, "en-US");
        Assert.Contains(" Damaged ", english);
        Assert.DoesNotContain("Beschädigt", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Downloaded_in_English_the_receipt_reads_as_before_with_the_time_in_UTC()
    {
        _host.Users.SignIn(PortalPermissions.Pay);
        var receipt = await PayAsync();

        var text = await DownloadAsync(receipt.PaymentId, "en-US");

        var number = receipt.ReceiptNumber;
        foreach (var expected in new[]
                 {
                     $"Receipt {number}", "Payer Acme Industrial Supply (ACME)", "Paid by Pat Payer", "Date Mar 2, 2026 09:15 UTC",
                     $"Receipt number {number}", "Kind Invoice payment", "Method Visa", "Status Paid", "Invoice breakdown (amounts in USD)",
                     "Invoice Open balance Discount Short paid Short-pay reason Applied", "Invoices USD", "Credits applied USD",
                     $"Amount paid {receipt.Amount}", $"Receipt {number} - page 1",
                 })
        {
            Assert.Contains(expected, text);
        }
        Assert.DoesNotContain("Zahlungsbeleg", text, StringComparison.Ordinal);
    }
}
