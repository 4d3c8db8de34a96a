using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Ui.Components;
using Radzen;
using Portal.Payments.Ui.Tests.Infrastructure;

namespace Portal.Payments.Ui.Tests;

/// <summary>
/// A host's mistakes the portal catches at start or on its pages: text overrides that would fail when shown, and a
/// forgotten <c>app.MapCustomerPortalPayments()</c>.
/// </summary>
public class HostMistakeTests
{
    private static string TextRefusal(Dictionary<string, string?> texts)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(texts.ToDictionary(t => "CustomerPortalPayments:Texts:" + t.Key, t => t.Value)).Build());
        services.AddCustomerPortalPayments();
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PortalTextOptions>>().Value).Message;
    }

    [Fact]
    public void A_text_override_with_a_placeholder_the_built_in_text_lacks_is_refused_naming_the_key_and_the_placeholders()
    {
        var message = TextRefusal(new() { ["de:Email.Subject.Failed"] = "Nicht bezahlt: {0} ({2})" });
        Assert.Contains("CustomerPortalPayments:Texts:de:Email.Subject.Failed uses {2}, but the built-in text has only {0}, {1}: nothing fills it", message, StringComparison.Ordinal);
        Assert.Contains("(the built-in text: \"Payment failed: {0} ({1})\")", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_placeholder_in_a_text_that_has_none_is_refused()
    {
        var message = TextRefusal(new() { ["*:Invoices.PaySelected"] = "Pay {0} now" });
        Assert.Contains("CustomerPortalPayments:Texts:*:Invoices.PaySelected uses {0}, but the built-in text has no placeholders", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Nicht bezahlt: {0 ({1})", "has a '{' at position 16 that starts no placeholder such as {0}")]
    [InlineData("Nicht bezahlt: {0} ({1}})", "has a '}' at position 24 that closes no placeholder")]
    [InlineData("Nicht bezahlt: {amount} ({1})", "has a '{' at position 16 that starts no placeholder such as {0}")]
    [InlineData("Nicht bezahlt: {0,x} ({1})", "is not a valid text with placeholders")]
    public void A_malformed_brace_in_a_text_with_placeholders_is_refused_saying_where(string text, string expected)
    {
        var message = TextRefusal(new() { ["de:Email.Subject.Failed"] = text });
        Assert.Contains($"CustomerPortalPayments:Texts:de:Email.Subject.Failed {expected}: write {{{{ or }}}} for a brace that shows", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_is_refused_and_one_differing_only_in_case_names_the_key_meant()
    {
        var message = TextRefusal(new() { ["*:Invoices.PaySelectd"] = "Pay", ["de:invoices.payselected"] = "Zahlen" });
        Assert.Contains("CustomerPortalPayments:Texts:*:Invoices.PaySelectd is not a text of the portal, so it would never show", message, StringComparison.Ordinal);
        Assert.Contains("CustomerPortalPayments:Texts:de:invoices.payselected is not a text of the portal: keys are case-sensitive, did you mean Invoices.PaySelected?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Good_overrides_pass_also_for_the_host_s_own_codes_reasons_and_adapters()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CustomerPortalPayments:Texts:de:Email.Subject.Failed"] = "Nicht bezahlt ({1}): {0:N2}",
            ["CustomerPortalPayments:Texts:*:Invoices.PaySelected"] = "Pay {now}",                 // no placeholders: shown as written
            ["CustomerPortalPayments:Texts:de:Balances.Over"] = "Über {{{0}}} Tage",
            ["CustomerPortalPayments:Texts:de:Failure.acme_velocity_limit"] = "Zu viele Zahlungen",
            ["CustomerPortalPayments:Texts:de:ShortPayReason.Wrong quantity"] = "Falsche Menge",
            ["CustomerPortalPayments:Texts:*:SandboxBanner.AcmeTestGateway"] = "Acme test gateway: nothing is charged.",
            ["CustomerPortalPayments:Texts:de:Email.DateFormat"] = "d. MMMM yyyy",
        }).Build());
        services.AddCustomerPortalPayments();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(7, provider.GetRequiredService<IOptions<PortalTextOptions>>().Value.Overrides.Sum(o => o.Value.Count));
    }

    [Fact]
    public async Task A_bad_text_override_stops_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("CustomerPortalPayments:Texts:de:Email.Subject.Failed", "Nicht bezahlt: {3}")]);
        builder.Services.AddSingleton(new TestUsers());
        builder.Services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false)
            .UseSqlite("Data Source=unused.db").UseUserContext<TestUserContext>().UseSandboxGateway().UseDemoErp();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("CustomerPortalPayments:Texts:de:Email.Subject.Failed uses {3}", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A slim host with the portal on a throwaway SQLite file (<paramref name="db"/>), its errors logged to <paramref name="log"/>.</summary>
    private static WebApplicationBuilder PortalHost(ErrorLog log, out string db)
    {
        db = Path.Combine(Path.GetTempPath(), $"pp-host-{Guid.NewGuid():N}.db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(log);
        builder.Services.AddSingleton(new TestUsers());
        builder.Services.AddCustomerPortalPayments(o => o.RunBackgroundServices = false)
            .UseSqlite($"Data Source={db};Pooling=False").UseUserContext<TestUserContext>()
            .UseSandboxGateway(o => o.AllowInProduction = true).UseDemoErp(o => o.AllowInProduction = true);
        return builder;
    }

    /// <summary>Starts and stops <paramref name="app"/> (the start checks run once it has started), then deletes its database.</summary>
    private static async Task StartAndStopAsync(WebApplication app, string db)
    {
        try
        {
            await app.StartAsync();
            await app.StopAsync();
        }
        finally
        {
            File.Delete(db);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_that_forgets_MapCustomerPortalPayments_logs_an_error_naming_the_call_once_started(bool map)
    {
        var log = new ErrorLog();
        var builder = PortalHost(log, out var db);
        await using var app = builder.Build();
        app.MapGet("/", () => "host home");
        if (map)
        {
            app.MapCustomerPortalPayments();
        }
        await StartAndStopAsync(app, db);

        var check = app.Services.GetRequiredService<PortalEndpointCheck>();
        Assert.Equal(map, check.IsMapped());
        if (map)
        {
            Assert.DoesNotContain(log.Errors, e => e.Contains("MapCustomerPortalPayments", StringComparison.Ordinal));
        }
        else
        {
            var error = Assert.Single(log.Errors, e => e.Contains("MapCustomerPortalPayments", StringComparison.Ordinal));
            Assert.StartsWith("app.MapCustomerPortalPayments() is not called, so the portal's endpoints are missing: receipt PDFs", error, StringComparison.Ordinal);
            Assert.Contains("all answer 404", error, StringComparison.Ordinal);
        }
    }

    // Review: MapRazorComponents<App>() without .AddAdditionalAssemblies(the portal's) answered 404 on /portal with nothing logged.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_that_maps_its_pages_without_the_portals_logs_an_error_naming_AddAdditionalAssemblies(bool portalPages)
    {
        var log = new ErrorLog();
        var builder = PortalHost(log, out var db);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        await using var app = builder.Build();
        app.UseAntiforgery();
        var pages = app.MapRazorComponents<HostRoot>().AddInteractiveServerRenderMode();
        if (portalPages)
        {
            pages.AddAdditionalAssemblies(typeof(PortalRoutes).Assembly);
        }
        app.MapCustomerPortalPayments();
        await StartAndStopAsync(app, db);

        Assert.Equal(!portalPages, app.Services.GetRequiredService<PortalEndpointCheck>().PagesMissing());
        var errors = log.Errors.Where(e => e.Contains("AddAdditionalAssemblies", StringComparison.Ordinal)).ToList();
        if (portalPages)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.StartsWith("The portal's pages are not mapped", Assert.Single(errors), StringComparison.Ordinal);
        }
    }

    // Review (vendor embedding): MapRazorComponents<App>().AddAdditionalAssemblies(the portal's) without
    // .AddInteractiveServerRenderMode() started with nothing logged, and then every portal page failed on its
    // @rendermode InteractiveServer.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_that_maps_the_portals_pages_without_interactive_server_rendering_logs_an_error_naming_the_call(bool interactive)
    {
        var log = new ErrorLog();
        var builder = PortalHost(log, out var db);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        await using var app = builder.Build();
        app.UseAntiforgery();
        var pages = app.MapRazorComponents<HostRoot>().AddAdditionalAssemblies(typeof(PortalRoutes).Assembly);
        if (interactive)
        {
            pages.AddInteractiveServerRenderMode();
        }
        app.MapCustomerPortalPayments();
        await StartAndStopAsync(app, db);

        Assert.Equal(!interactive, app.Services.GetRequiredService<PortalEndpointCheck>().InteractiveServerMissing());
        var errors = log.Errors.Where(e => e.Contains("AddInteractiveServerRenderMode", StringComparison.Ordinal)).ToList();
        if (interactive)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.StartsWith("The portal's pages are mapped without interactive server rendering", Assert.Single(errors), StringComparison.Ordinal);
        }
        Assert.DoesNotContain(log.Errors, e => e.Contains("AddAdditionalAssemblies", StringComparison.Ordinal));
    }

    /// <summary>A host's own root component with a page of its own (the host's home).</summary>
    [Microsoft.AspNetCore.Components.Route("/host-mistake-home")]
    public sealed class HostRoot : Microsoft.AspNetCore.Components.ComponentBase;

    /// <summary>Every portal page says so too, where the other setup messages go.</summary>
    public class OnThePage : Bunit.BunitContext
    {
        public OnThePage()
        {
            // As ShellTestContext, with the routing of a host that mapped no portal endpoint (services first: the renderer info reads them).
            Services.AddSingleton<EndpointDataSource>(new DefaultEndpointDataSource());
            Services.AddSingleton<PortalEndpointCheck>();
            JSInterop.Mode = Bunit.JSRuntimeMode.Loose;
            Services.AddRadzenComponents();
            Services.AddPortalStrings();
            SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        }

        [Fact]
        public void A_portal_page_of_a_host_without_the_portal_s_endpoints_names_the_missing_call()
        {
            JSInterop.SetupModule("./_content/Portal.Payments.Ui/js/portal-setup.js").Setup<string[]?>("check", _ => true).SetResult([]);

            var cut = Render<PortalShell>(p => p.AddChildContent("Invoice list"));

            Assert.Contains("app.MapCustomerPortalPayments() is not called", cut.Find("[data-testid=portal-setup-error]").TextContent, StringComparison.Ordinal);
        }
    }

    private sealed class ErrorLog : ILoggerProvider
    {
        private readonly List<string> _errors = [];

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error)
                {
                    lock (log._errors)
                    {
                        log._errors.Add(formatter(state, exception));
                    }
                }
            }
        }
    }
}
