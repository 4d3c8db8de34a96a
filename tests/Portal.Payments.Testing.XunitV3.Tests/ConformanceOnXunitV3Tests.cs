using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;

namespace Portal.Payments.Testing.XunitV3.Tests;

/// <summary>The built-in services on a throwaway SQLite file, for the suites below.</summary>
public sealed class BuiltInAdapters : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"portal-xunitv3-{Guid.NewGuid():N}.db");
    private ServiceProvider? _services;

    /// <summary>The clock the sandbox gateway settles by.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The services (sandbox gateway, demo ERP).</summary>
    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddPortalPaymentsCore(o => o.RunBackgroundServices = false).UseSqlite($"Data Source={_path}").UseUserContext<FakePortalUserContext>()
            .UseSandboxGateway().UseDemoErp();
        _services = services.BuildServiceProvider();
        await _services.MigratePortalPaymentsAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}

/// <summary>The gateway conformance suite, from the xUnit v3 package, run on the sandbox gateway by xUnit v3.</summary>
public sealed class SandboxGatewayOnXunitV3(BuiltInAdapters adapters) : PaymentGatewayConformanceTests, IClassFixture<BuiltInAdapters>
{
    /// <inheritdoc />
    protected override IPaymentGateway Gateway => adapters.Services.GetRequiredService<SandboxGateway>();

    /// <inheritdoc />
    protected override async Task<(string Token, string FullNumber)> CreateMethodAsync(ConformanceMethod behaviour)
    {
        var number = behaviour switch
        {
            ConformanceMethod.Declines => "4000000000000002",
            ConformanceMethod.ProcessingThenSucceeds => "4000000000000077",
            _ => "4242424242424242",
        };
        var gateway = adapters.Services.GetRequiredService<SandboxGateway>();
        var captured = gateway.CaptureCard(new SandboxCardInput(number, 12, DateTime.UtcNow.Year + 3, "123", "Conformance", null));
        var stored = await gateway.StoreMethodAsync(new StoreMethodRequest("CONFORMANCE", captured.Method!.Token, Guid.NewGuid().ToString("N")));
        return (stored.Method!.Token, number);
    }

    /// <inheritdoc />
    protected override Task<CapturedPaymentMethod> CaptureAsync(ConformanceMethod behaviour)
    {
        var captured = adapters.Services.GetRequiredService<SandboxGateway>()
            .CaptureCard(new SandboxCardInput("4242424242424242", 12, DateTime.UtcNow.Year + 3, "123", "Conformance", null));
        return Task.FromResult(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card));
    }

    /// <inheritdoc />
    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        adapters.Clock.Advance(by);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task<int?> CountChargesAsync(ChargeRequest request) =>
        await adapters.Services.GetRequiredService<SandboxGateway>().CountChargesForPaymentAsync(request.PaymentId);
}

/// <summary>The suites' [Fact]s are xUnit v3's own attribute, so a v3 runner discovers them.</summary>
public sealed class SuitesAreXunitV3
{
    [Fact]
    public void The_suites_test_methods_carry_xunit_v3_facts()
    {
        foreach (var suite in new[] { typeof(PaymentGatewayConformanceTests), typeof(ErpAdapterConformanceTests) })
        {
            var facts = suite.GetMethods().Where(m => m.GetCustomAttribute<FactAttribute>() is not null).ToList();
            Assert.True(facts.Count >= 5, $"{suite.Name} has {facts.Count} xUnit v3 facts.");
            Assert.Equal("xunit.v3.core", typeof(FactAttribute).Assembly.GetName().Name);
            Assert.Equal("Portal.Payments.Testing.XunitV3", suite.Assembly.GetName().Name);
        }
    }
}
