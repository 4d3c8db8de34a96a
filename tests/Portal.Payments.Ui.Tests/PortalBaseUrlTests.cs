using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Payments;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>Links in emails use the URL the portal is served on unless Notifications:PortalBaseUrl is set (real Kestrel on 127.0.0.1).</summary>
public sealed class PortalBaseUrlTests
{
    private static async Task<WebApplication> StartAsync(Action<PortalPaymentsOptions>? configure = null, List<string>? warnings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (warnings is not null)
        {
            builder.Logging.AddProvider(new WarningSink(warnings));
        }
        builder.Services.AddSingleton(new TestUsers());
        builder.Services.AddCustomerPortalPayments(o =>
            {
                o.RunBackgroundServices = false;
                configure?.Invoke(o);
            })
            .UseSqlite($"Data Source={Path.Combine(Path.GetTempPath(), $"portal-baseurl-{Guid.NewGuid():N}.db")}")
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true) // the test host runs in the Production environment
            .UseDemoErp(o => o.AllowInProduction = true);
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Unset_the_email_links_use_the_address_the_portal_listens_on()
    {
        await using var app = await StartAsync();
        var served = app.Urls.Single();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", served);
        Assert.DoesNotContain(":0", served, StringComparison.Ordinal);

        var options = app.Services.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications;

        Assert.False(options.IsPortalBaseUrlSet);
        Assert.Equal(served, options.PortalBaseUrl);
        var id = Guid.NewGuid();
        Assert.Equal($"{served}/portal/payments/{id}/receipt", PaymentEmails.ReceiptLink(options.PortalBaseUrl, id));
        await app.StopAsync();
    }

    [Fact]
    public async Task In_Production_the_warning_about_an_unset_base_url_names_the_address_the_server_listens_on()
    {
        // Hosted services start before the server binds: a warning written then named no address (or a default one).
        var warnings = new List<string>();
        await using var app = await StartAsync(warnings: warnings);
        var served = app.Urls.Single();

        var warning = Assert.Single(warnings, w => w.Contains("PortalBaseUrl is not set", StringComparison.Ordinal));
        Assert.Contains($"listens on, {served},", warning, StringComparison.Ordinal);
        await app.StopAsync();
    }

    private sealed class WarningSink(List<string> warnings) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lock (warnings)
                {
                    warnings.Add(formatter(state, exception));
                }
            }
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_configured_base_url_wins_over_the_served_address()
    {
        await using var app = await StartAsync(o => o.Notifications.PortalBaseUrl = "https://portal.example.com/");
        var options = app.Services.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications;

        Assert.True(options.IsPortalBaseUrlSet);
        Assert.Equal("https://portal.example.com/portal/invoices", PaymentEmails.OpenInvoicesLink(options.PortalBaseUrl));
        await app.StopAsync();
    }
}
