using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Sync;
using Portal.Payments.Ui.Tests.Infrastructure;
using Portal.Payments.Users;
using Radzen;

namespace Portal.Payments.Ui.Tests;

public class RegistrationTests
{
    private static readonly Type[] RegisteredOnce =
    [
        typeof(DialogService), typeof(NotificationService), typeof(TooltipService), typeof(ContextMenuService),
        typeof(PortalUiState),
        typeof(PortalAccess), typeof(AccountOverviewService), typeof(ErpSyncService),
        typeof(IDbContextFactory<PaymentsDbContext>), typeof(SandboxGateway), typeof(IPaymentGateway), typeof(IErpAdapter),
        typeof(IValidateOptions<PortalPaymentsOptions>),
    ];

    [Fact]
    public void Calling_AddCustomerPortalPayments_twice_registers_Radzen_and_core_services_once()
    {
        var services = new ServiceCollection();

        services.AddCustomerPortalPayments().UseSandboxGateway().UseDemoErp();
        services.AddCustomerPortalPayments().UseSandboxGateway().UseDemoErp();

        foreach (var type in RegisteredOnce)
        {
            Assert.True(Count(services, type) == 1, $"{type.Name} is registered {Count(services, type)} times.");
        }
        var hosted = services.Where(d => d.ServiceType == typeof(IHostedService)).Where(d => d.ImplementationType?.Namespace?.StartsWith("Portal.Payments", StringComparison.Ordinal) == true).Select(d => d.ImplementationType?.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["BaseUrlWarning", "EmailOutboxBackgroundService", "ErpSyncBackgroundService", "OutboxBackgroundService", "PortalEndpointWarning", "ProductionSetupWarning", "ScheduledPaymentBackgroundService", "SimulationWarning"], hosted);
    }

    [Fact]
    public void A_user_context_can_read_the_request_without_the_host_registering_the_accessor()
    {
        // The host guide's user context takes IHttpContextAccessor; only ASP.NET Core Identity registers it otherwise.
        var services = new ServiceCollection();
        services.AddCustomerPortalPayments();

        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetService<Microsoft.AspNetCore.Http.IHttpContextAccessor>());
        Assert.Equal(1, Count(services, typeof(Microsoft.AspNetCore.Http.IHttpContextAccessor)));
    }

    [Fact]
    public void A_second_call_adds_no_descriptor_at_all()
    {
        var services = new ServiceCollection();
        services.AddCustomerPortalPayments();
        var afterOne = services.GroupBy(d => d.ServiceType).ToDictionary(g => g.Key, g => g.Count());

        services.AddCustomerPortalPayments();
        var afterTwo = services.GroupBy(d => d.ServiceType).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(afterOne.Count, afterTwo.Count);
        foreach (var (type, count) in afterTwo)
        {
            Assert.True(afterOne.GetValueOrDefault(type) == count, $"{type} went from {afterOne.GetValueOrDefault(type)} to {count} registrations.");
        }
    }

    [Fact]
    public void Radzen_added_by_the_host_first_is_not_added_again()
    {
        var services = new ServiceCollection();
        services.AddRadzenComponents();

        services.AddCustomerPortalPayments();
        services.AddCustomerPortalPayments();

        Assert.Equal(1, Count(services, typeof(DialogService)));
        Assert.Equal(1, Count(services, typeof(NotificationService)));
    }

    // Review: a host that registered Radzen's four services by hand (Radzen's older setup) never got ThemeService, and
    // every page with the host guide's <RadzenTheme> answered 500.
    [Fact]
    public void A_host_that_registered_part_of_Radzen_by_hand_gets_the_rest_once()
    {
        var services = new ServiceCollection();
        services.AddScoped<DialogService>();
        services.AddScoped<NotificationService>();
        services.AddScoped<TooltipService>();
        services.AddScoped<ContextMenuService>();

        services.AddCustomerPortalPayments();
        services.AddCustomerPortalPayments();

        foreach (var type in new[] { typeof(DialogService), typeof(NotificationService), typeof(TooltipService), typeof(ContextMenuService), typeof(ThemeService) })
        {
            Assert.True(Count(services, type) == 1, $"{type.Name} is registered {Count(services, type)} times.");
        }
    }

    [Fact]
    public void Every_options_lambda_is_applied_and_the_container_resolves_the_overview()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new TestUsers());
        services.AddCustomerPortalPayments(o => o.AgingBuckets = [15, 45])
            .UseSqlite("Data Source=" + Path.Combine(Path.GetTempPath(), $"portal-ui-reg-{Guid.NewGuid():N}.db"));
        services.AddCustomerPortalPayments(o =>
            {
                o.Currency = "EUR";
                o.RunBackgroundServices = false;
            })
            .UseUserContext<TestUserContext>()
            .UseSandboxGateway()
            .UseDemoErp();

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var options = provider.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value;
        Assert.Equal("EUR", options.Currency);
        Assert.Equal([15, 45], options.EffectiveAgingBuckets);
        Assert.False(options.RunBackgroundServices);

        using var scope = provider.CreateScope();
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<AccountOverviewService>());
        Assert.IsType<TestUserContext>(scope.ServiceProvider.GetRequiredService<IPortalUserContext>());
        Assert.IsType<SandboxGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<PortalUiState>());
    }

    private static int Count(IServiceCollection services, Type type) => services.Count(d => d.ServiceType == type);
}
