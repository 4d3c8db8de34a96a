using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Pdf;
using Portal.Payments.Services.Payments;
using UglyToad.PdfPig;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The host's merchant name and logo on the PDF receipt and in payment emails, and the checks on them at start.</summary>
public sealed class MerchantBrandingTests : IDisposable
{
    /// <summary>An 8 × 4 red PNG.</summary>
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAECAIAAAA8r+mnAAAAEUlEQVR4nGM4o6SEFTFQTwIAuf4iAWrHAc4AAAAASUVORK5CYII=");

    private readonly string _logo = Path.Combine(Path.GetTempPath(), $"portal-logo-{Guid.NewGuid():N}.png");

    public MerchantBrandingTests() => File.WriteAllBytes(_logo, Png);

    public void Dispose() => File.Delete(_logo);

    private static PaymentReceipt Receipt() => new()
    {
        PaymentId = Guid.NewGuid(),
        ReceiptNumber = "R-260302-ABCDEF",
        Kind = PaymentKind.Deposit,
        Status = PaymentStatus.Succeeded,
        AccountId = "ACME",
        AccountName = "Acme Manufacturing",
        PaidBy = "Pat Payer",
        CreatedAt = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
        MethodDescription = "Visa •••• 4242",
        Amount = Money.Create(250m, "USD"),
        DiscountTotal = Money.Zero("USD"),
        ShortTotal = Money.Zero("USD"),
        CreditsApplied = Money.Zero("USD"),
        Lines = [],
    };

    private static PaymentRecord Payment() => new()
    {
        Id = Guid.NewGuid(),
        AccountId = "ACME",
        Kind = PaymentKind.Deposit,
        Currency = "USD",
        AmountMinor = 25_000,
        ReceiptNumber = "R-260302-ABCDEF",
        CreatedByName = "Pat Payer",
        CreatedByEmail = "pat@acme.example",
    };

    [Fact]
    public void The_pdf_receipt_is_headed_by_the_merchants_logo_and_name()
    {
        var bytes = ReceiptPdfRenderer.Render(Receipt(), new MerchantOptions { Name = "Northwind Supply", LogoFile = _logo });

        using var pdf = PdfDocument.Open(bytes);
        var page = pdf.GetPage(1);
        Assert.StartsWith("Northwind Supply", string.Join(" ", page.GetWords().Select(w => w.Text)), StringComparison.Ordinal);
        var image = Assert.Single(page.GetImages());
        Assert.True(image.BoundingBox.Top > page.GetWords().First(w => w.Text == "Northwind").BoundingBox.Top, "The logo should stand above the name.");
        Assert.Equal("Northwind Supply", pdf.Information.Author);
    }

    [Fact]
    public void Without_merchant_options_the_pdf_has_no_logo_or_merchant_line()
    {
        using var pdf = PdfDocument.Open(ReceiptPdfRenderer.Render(Receipt()));
        var page = pdf.GetPage(1);
        Assert.Empty(page.GetImages());
        Assert.StartsWith("Receipt R-260302-ABCDEF", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Payment_emails_are_signed_with_the_merchants_name_and_show_its_logo_in_html()
    {
        var merchant = new MerchantOptions { Name = "Northwind <Supply>", LogoUrl = "/images/logo.png" };

        var email = PaymentEmails.Confirmation(EmailTexts.Default, Payment(), PaymentStatus.Succeeded, "Acme Manufacturing", "https://portal.example.com/", merchant);

        Assert.EndsWith("Northwind <Supply>" + Environment.NewLine, email.TextBody, StringComparison.Ordinal);
        Assert.Contains("We received your deposit", email.TextBody, StringComparison.Ordinal);
        Assert.NotNull(email.HtmlBody);
        Assert.Contains("<img src=\"https://portal.example.com/images/logo.png\" alt=\"Northwind &lt;Supply&gt;\"", email.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Northwind &lt;Supply&gt;", email.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<Supply>", email.HtmlBody, StringComparison.Ordinal);

        var unbranded = PaymentEmails.Confirmation(EmailTexts.Default, Payment(), PaymentStatus.Succeeded, "Acme Manufacturing", "https://portal.example.com/");
        Assert.Null(unbranded.HtmlBody);
        Assert.DoesNotContain("Northwind", unbranded.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LogoFile", "/nowhere/logo.png", "does not exist")]
    [InlineData("LogoUrl", "javascript:alert(1)", "LogoUrl is 'javascript:alert(1)'")]
    [InlineData("LogoUrl", "//evil.example/logo.png", "LogoUrl is")]
    public void A_bad_logo_setting_stops_the_host_at_start_naming_it(string setting, string value, string expected)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"CustomerPortalPayments:Merchant:{setting}"] = value,
        }).Build());
        services.AddPortalPaymentsCore().UseSqlite("Data Source=x.db");
        using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        Assert.Contains($"CustomerPortalPayments:Merchant:{setting}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_logo_file_is_found_in_the_hosts_content_root_as_under_dotnet_run()
    {
        // dotnet run: the content root is the project folder; wwwroot is not copied next to the dll.
        var contentRoot = Directory.CreateTempSubdirectory("portal-content-root-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(contentRoot, "wwwroot", "images"));
            File.WriteAllBytes(Path.Combine(contentRoot, "wwwroot", "images", "northwind-logo.png"), Png);
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { ContentRootPath = contentRoot });
            builder.Services.AddPortalPaymentsCore(o => o.Merchant.LogoFile = "wwwroot/images/northwind-logo.png").UseSqlite("Data Source=x.db");
            using var host = builder.Build();

            var merchant = host.Services.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Merchant;

            Assert.Equal(Path.Combine(contentRoot, "wwwroot", "images", "northwind-logo.png"), merchant.LogoFilePath);
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_refused_as_logo()
    {
        File.WriteAllText(_logo, "not an image");
        var services = new ServiceCollection();
        services.AddPortalPaymentsCore(o => o.Merchant.LogoFile = _logo).UseSqlite("Data Source=x.db");
        using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        Assert.Contains("is not a PNG or JPEG image", ex.Message, StringComparison.Ordinal);
    }
}
