using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>Adapters are registered with the lifetime the host chooses; scoped is the default.</summary>
public class AdapterLifetimeTests
{
    private static ServiceProvider Build(Action<PortalPaymentsBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        configure(services.AddPortalPaymentsCore().UseSqlite("Data Source=a.db"));
        // Scope validation as in Development: a singleton that captured a scoped adapter would throw here.
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private static (T First, T Second) FromTwoCircuits<T>(ServiceProvider sp) where T : notnull
    {
        using var one = sp.CreateScope();
        using var two = sp.CreateScope();
        return (one.ServiceProvider.GetRequiredService<T>(), two.ServiceProvider.GetRequiredService<T>());
    }

    [Fact]
    public void A_singleton_gateway_is_one_instance_for_every_circuit()
    {
        using var sp = Build(b => b.AddGateway<TestGateway>(ServiceLifetime.Singleton));
        var (first, second) = FromTwoCircuits<IPaymentGateway>(sp);
        Assert.IsType<TestGateway>(first);
        Assert.Same(first, second);
        Assert.Same(first, sp.GetRequiredService<TestGateway>());
    }

    [Fact]
    public void A_singleton_erp_adapter_is_one_instance_for_every_circuit()
    {
        using var sp = Build(b => b.AddErpAdapter<TestErp>(ServiceLifetime.Singleton));
        var (first, second) = FromTwoCircuits<IErpAdapter>(sp);
        Assert.IsType<TestErp>(first);
        Assert.Same(first, second);
    }

    [Fact]
    public void Adapters_are_scoped_by_default_one_per_circuit_and_the_same_within_it()
    {
        using var sp = Build(b => b.AddGateway<TestGateway>().AddErpAdapter<TestErp>());
        var (gateway1, gateway2) = FromTwoCircuits<IPaymentGateway>(sp);
        Assert.NotSame(gateway1, gateway2);
        var (erp1, erp2) = FromTwoCircuits<IErpAdapter>(sp);
        Assert.NotSame(erp1, erp2);
        using var scope = sp.CreateScope();
        Assert.Same(scope.ServiceProvider.GetRequiredService<IPaymentGateway>(), scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        // A scoped adapter cannot be taken from the root provider (it would outlive its circuit).
        Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IPaymentGateway>());
    }

    [Fact]
    public void The_hosts_own_registration_of_the_adapter_keeps_its_lifetime()
    {
        using var sp = Build(b =>
        {
            b.Services.AddSingleton<TestGateway>();
            b.AddGateway<TestGateway>();
        });
        var (first, second) = FromTwoCircuits<IPaymentGateway>(sp);
        Assert.Same(first, second);
    }

    [Fact]
    public void Assembly_scan_takes_the_adapter_lifetime()
    {
        using var sp = Build(b => b.UseSandboxGateway().UseDemoErp().AddAdaptersFromAssemblyOf<TestGateway>(adapterLifetime: ServiceLifetime.Singleton, include: RegistrationTests.ScanOnly));
        var (first, second) = FromTwoCircuits<IPaymentGateway>(sp);
        Assert.Same(first, second);
        var (erp1, erp2) = FromTwoCircuits<IErpAdapter>(sp);
        Assert.Same(erp1, erp2);
    }

    [Fact]
    public void An_undefined_lifetime_is_refused_at_the_call()
    {
        var services = new ServiceCollection();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddPortalPaymentsCore().AddGateway<TestGateway>((ServiceLifetime)7));
        Assert.Contains("ServiceLifetime.Singleton, Scoped or Transient", ex.Message);
    }
}
