using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Payments.DemoErp;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Sandbox;
using Portal.Payments.Testing;
using Portal.Payments.Users;
using Xunit;

namespace Portal.Payments.Core.Tests;

public class RegistrationTests
{
    internal static ServiceProvider Build(Action<IServiceCollection> register, Dictionary<string, string?>? config = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config ?? []).Build());
        register(services);
        return services.BuildServiceProvider();
    }

    private static string ValidationMessage(Action<PortalPaymentsBuilder> configure, Dictionary<string, string?>? config = null)
    {
        using var sp = Build(s => configure(s.AddPortalPaymentsCore()), config);
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        return ex.Message;
    }

    [Theory]
    [InlineData("secret")]
    [InlineData("0123456789012345678901234567890")]   // 31
    [InlineData("                                          ")]
    public void A_weak_ingest_key_stops_the_host_and_says_how_to_make_one(string key)
    {
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), new() { ["CustomerPortalPayments:IngestApiKey"] = key });

        Assert.Contains($"CustomerPortalPayments:IngestApiKey has {key.Trim().Length} characters; it must be a random secret of at least 32", message);
        Assert.Contains("openssl rand -base64 32", message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Jz3q0m8S1x9pV4bT6wY2cK7nR5hL0aEu")]   // 32, as openssl rand -base64 24 gives
    public void An_unset_or_strong_ingest_key_passes(string? key)
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"),
            key is null ? null : new() { ["CustomerPortalPayments:IngestApiKey"] = key });

        Assert.NotNull(sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);   // no OptionsValidationException
    }

    [Fact]
    public void Missing_database_says_how_to_configure_one()
    {
        var message = ValidationMessage(_ => { });
        Assert.Contains("No database configured", message);
        Assert.Contains("UseSqlite", message);
        Assert.Contains("CustomerPortalPayments:Database:Provider", message);
    }

    [Theory]
    [InlineData(null, "UsePostgres was given no connection string")]
    [InlineData("  ", "UsePostgres was given an empty connection string")]
    public void A_missing_connection_string_from_configuration_is_explained(string? connectionString, string expected)
    {
        var builder = new ServiceCollection().AddPortalPaymentsCore();

        var error = Assert.Throws<ArgumentException>(() => builder.UsePostgres(connectionString!));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("GetConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Equal("connectionString", error.ParamName);
    }

    [Fact]
    public void Unknown_currency_is_named_in_the_error() =>
        Assert.Contains("Currency 'DOLLARS' is not an ISO 4217 code", ValidationMessage(b => b.UseSqlite("Data Source=x.db").Services.Configure<PortalPaymentsOptions>(o => o.Currency = "DOLLARS")));

    [Fact]
    public void Empty_short_pay_reason_list_is_refused() =>
        Assert.Contains("short-pay reason list is empty", ValidationMessage(b => b.UseSqlite("Data Source=x.db").Services.Configure<PortalPaymentsOptions>(o => o.ShortPayReasons = [])));

    [Fact]
    public void Duplicate_and_blank_reasons_and_bad_buckets_are_refused()
    {
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db").Services.Configure<PortalPaymentsOptions>(o =>
        {
            o.ShortPayReasons = ["Damaged", "damaged", " "];
            o.AgingBuckets = [60, 30];
        }));
        Assert.Contains("more than once", message);
        Assert.Contains("blank reason", message);
        Assert.Contains("AgingBuckets", message);
    }

    [Fact]
    public void Smtp_transport_without_host_is_refused() =>
        Assert.Contains("Smtp:Host is not set", ValidationMessage(b => b.UseSqlite("Data Source=x.db"),
            new() { ["CustomerPortalPayments:Notifications:Transport"] = "Smtp" }));

    [Theory]
    [InlineData(null, "is 'payments@portal.invalid', the placeholder it has when unset: a .invalid domain")]
    [InlineData("ar@billing.invalid", "is 'ar@billing.invalid': a .invalid domain")]
    [InlineData(" ", "is not set.")]
    [InlineData("payments", "is 'payments', which is not an email address")]
    [InlineData("Vendor AR <ar@vendor.example>", "is 'Vendor AR <ar@vendor.example>', which is not an email address")]
    [InlineData("ar at vendor.example", "is 'ar at vendor.example', which is not an email address")]
    public void Smtp_transport_without_a_real_from_address_is_refused_naming_the_setting(string? fromAddress, string expected)
    {
        var config = new Dictionary<string, string?>
        {
            ["CustomerPortalPayments:Notifications:Transport"] = "Smtp",
            ["CustomerPortalPayments:Notifications:Smtp:Host"] = "smtp.example.test",
        };
        if (fromAddress is not null)
        {
            config["CustomerPortalPayments:Notifications:Smtp:FromAddress"] = fromAddress;
        }
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), config);
        Assert.Contains("Notifications go through SMTP but CustomerPortalPayments:Notifications:Smtp:FromAddress " + expected, message, StringComparison.Ordinal);
        Assert.Contains("Set it to the address your emails come from, e.g. payments@yourcompany.com", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Smtp:Host", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ar@vendor.example")]
    [InlineData("portal@localhost")]   // a mail catcher on a developer's machine
    public void The_placeholder_from_address_is_fine_while_emails_stay_in_the_mailbox_and_a_real_one_passes_with_SMTP(string fromAddress)
    {
        using var store = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"));
        Assert.Equal("payments@portal.invalid", store.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications.Smtp.FromAddress);
        using var smtp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"), new()
        {
            ["CustomerPortalPayments:Notifications:Transport"] = "smtp",
            ["CustomerPortalPayments:Notifications:Smtp:Host"] = "smtp.example.test",
            ["CustomerPortalPayments:Notifications:Smtp:FromAddress"] = fromAddress,
        });
        Assert.Equal(fromAddress, smtp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications.Smtp.FromAddress);
    }

    [Theory]
    [InlineData("Smtp")]
    [InlineData("Store")]
    public void An_unknown_SMTP_security_value_is_refused_naming_the_accepted_ones(string transport)
    {
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), new()
        {
            ["CustomerPortalPayments:Notifications:Transport"] = transport,
            ["CustomerPortalPayments:Notifications:Smtp:Host"] = "smtp.example.test",
            ["CustomerPortalPayments:Notifications:Smtp:Security"] = "StartTLSPlease",
        });
        Assert.Contains("Notifications:Smtp:Security is 'StartTLSPlease'", message);
        Assert.Contains("StartTls, SslOnConnect, StartTlsWhenAvailable, Auto, None", message);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:10")]
    [InlineData("00:01:31")]
    [InlineData("00:05:00")]
    public void An_erp_sync_page_timeout_of_zero_or_beyond_90_seconds_is_refused_saying_why(string value)
    {
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), new() { ["CustomerPortalPayments:ErpSyncPageTimeout"] = value });
        Assert.Contains($"CustomerPortalPayments:ErpSyncPageTimeout is {TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)}; " +
                        "it must be more than zero and at most 90 seconds (e.g. 00:01:00), so the sync stops waiting for a page of open items " +
                        "before the account's 2-minute sync lease can run out.", message);
    }

    // Review (vendor embedding): NodeName was not checked. Left blank by a deployment template (NodeName= with the value not
    // filled in) every node took leases as "", so nodes could not tell their leases apart; longer than the lease columns'
    // 200 characters, every lease the node took failed on PostgreSQL ("value too long"), so it charged nothing.
    [Theory]
    [InlineData("", "is blank")]
    [InlineData("   ", "is blank")]
    [InlineData("x", null)]
    public void A_blank_or_too_long_node_name_is_refused_at_start(string value, string? expected)
    {
        var written = value == "x" ? new string('n', 201) : value;
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), new() { ["CustomerPortalPayments:NodeName"] = written });
        Assert.Contains("CustomerPortalPayments:NodeName " + (expected ?? "has 201 characters; use at most 200"), message);
        Assert.Contains("every node its own name", message);
    }

    [Theory]
    [InlineData(null, 60)]
    [InlineData("00:00:30", 30)]
    [InlineData("00:01:30", 90)]
    public void An_erp_sync_page_timeout_up_to_90_seconds_is_accepted_and_the_default_is_a_minute(string? value, int seconds)
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"), value is null ? [] : new() { ["CustomerPortalPayments:ErpSyncPageTimeout"] = value });
        Assert.Equal(TimeSpan.FromSeconds(seconds), sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.ErpSyncPageTimeout);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:10")]
    [InlineData("00:01:31")]
    [InlineData("00:02:00")]
    public void An_outbox_delivery_timeout_of_zero_or_beyond_90_seconds_is_refused_saying_why(string value)
    {
        var message = ValidationMessage(b => b.UseSqlite("Data Source=x.db"), new() { ["CustomerPortalPayments:OutboxDeliveryTimeout"] = value });
        Assert.Contains($"CustomerPortalPayments:OutboxDeliveryTimeout is {TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)}; " +
                        "it must be more than zero and at most 90 seconds (e.g. 00:01:00), so the outbox stops waiting for an ERP posting or an email " +
                        "before the message's 2-minute outbox lease can run out and another node delivers it again.", message);
    }

    [Theory]
    [InlineData(null, 60)]
    [InlineData("00:00:15", 15)]
    [InlineData("00:01:30", 90)]
    public void An_outbox_delivery_timeout_up_to_90_seconds_is_accepted_and_the_default_is_a_minute(string? value, int seconds)
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"), value is null ? [] : new() { ["CustomerPortalPayments:OutboxDeliveryTimeout"] = value });
        Assert.Equal(TimeSpan.FromSeconds(seconds), sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.OutboxDeliveryTimeout);
    }

    [Theory]
    [InlineData("starttls")]
    [InlineData("SslOnConnect")]
    [InlineData("None")]
    public void Known_SMTP_security_values_pass_in_any_case(string value)
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=x.db"), new() { ["CustomerPortalPayments:Notifications:Smtp:Security"] = value });
        Assert.Equal(value, sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Notifications.Smtp.Security);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPortalPaymentsCore(o => o.RunBackgroundServices = false).UseUserContext<FakePortalUserContext>().AddGateway<TestGateway>().AddErpAdapter<TestErp>();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("No database configured", ex.Message);
    }

    [Fact]
    public void Options_bind_from_configuration_and_the_lambda_wins()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore(o => o.Currency = "EUR").UseDemoErp().UseSandboxGateway(), new()
        {
            ["CustomerPortalPayments:Currency"] = "GBP",
            ["CustomerPortalPayments:Database:Provider"] = "Sqlite",
            ["CustomerPortalPayments:Database:ConnectionString"] = "Data Source=cfg.db",
            ["CustomerPortalPayments:ShortPayReasons:0"] = "Wrong item",
            ["CustomerPortalPayments:DemoErp:DefaultInvoiceCount"] = "123",
            ["CustomerPortalPayments:SandboxGateway:AllowInProduction"] = "true",
        });
        var o = sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value;
        Assert.Equal("EUR", o.Currency);
        Assert.Equal(DatabaseProvider.Sqlite, o.Database.Provider);
        Assert.Equal(["Wrong item"], o.EffectiveShortPayReasons);
        Assert.Equal(123, sp.GetRequiredService<IOptions<DemoErpOptions>>().Value.DefaultInvoiceCount);
        Assert.True(sp.GetRequiredService<IOptions<SandboxGatewayOptions>>().Value.AllowInProduction);
        Assert.False(sp.GetRequiredService<IOptions<DemoErpOptions>>().Value.AllowInProduction);
    }

    [Fact]
    public void Calling_registration_twice_registers_nothing_twice()
    {
        var once = new ServiceCollection();
        once.AddPortalPaymentsCore().UseSqlite("Data Source=a.db");
        var twice = new ServiceCollection();
        twice.AddPortalPaymentsCore().UseSqlite("Data Source=a.db");
        twice.AddPortalPaymentsCore();
        var onceCounts = once.GroupBy(d => d.ServiceType).ToDictionary(g => g.Key, g => g.Count());
        foreach (var group in twice.Where(d => d.ServiceType != typeof(IConfigureOptions<PortalPaymentsOptions>)).GroupBy(d => d.ServiceType))
        {
            Assert.True(onceCounts.TryGetValue(group.Key, out var expected), $"{group.Key} only registered by the second call");
            Assert.True(expected == group.Count(), $"{group.Key} registered {group.Count()} times instead of {expected}");
        }
    }

    [Fact]
    public void There_is_no_default_gateway_or_ERP_adapter_and_emails_default_to_the_mailbox_and_prorate()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseUserContext<FakePortalUserContext>());
        using var scope = sp.CreateScope();
        // Nothing stands in silently: resolving either names the builder call to add.
        var gateway = Assert.Throws<InvalidOperationException>(() => scope.ServiceProvider.GetService<IPaymentGateway>());
        Assert.Contains(".AddGateway<YourGateway>()", gateway.Message, StringComparison.Ordinal);
        var erp = Assert.Throws<InvalidOperationException>(() => scope.ServiceProvider.GetService<IErpAdapter>());
        Assert.Contains(".AddErpAdapter<", erp.Message, StringComparison.Ordinal);
        Assert.Empty(sp.GetServices<SimulatedAdapter>());
        Assert.IsType<StoredEmailSender>(scope.ServiceProvider.GetRequiredService<INotificationSender>());
        Assert.IsType<ProRateDiscountPolicy>(scope.ServiceProvider.GetRequiredService<IDiscountPolicy>());
    }

    [Fact]
    public void The_sandbox_and_the_demo_ERP_are_used_only_when_asked_for_and_announced()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseUserContext<FakePortalUserContext>().UseSandboxGateway().UseDemoErp());
        using var scope = sp.CreateScope();
        Assert.IsType<SandboxGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.IsType<DemoErpAdapter>(scope.ServiceProvider.GetRequiredService<IErpAdapter>());
        Assert.Equal([SandboxGateway.Simulation, DemoErpAdapter.Simulation], sp.GetServices<SimulatedAdapter>());
    }

    [Fact]
    public void A_real_adapter_registered_after_the_sandbox_replaces_it_and_withdraws_its_announcement()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseUserContext<FakePortalUserContext>()
            .UseSandboxGateway().UseDemoErp().AddGateway<TestGateway>());
        using var scope = sp.CreateScope();
        Assert.IsType<TestGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.Equal([DemoErpAdapter.Simulation], sp.GetServices<SimulatedAdapter>());

        using var scanned = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp().AddAdaptersFromAssemblyOf<TestGateway>(include: ScanOnly));
        Assert.Empty(scanned.GetServices<SimulatedAdapter>());
    }

    [Fact]
    public void Only_announcements_whose_adapter_is_still_in_force_count()
    {
        using var sp = Build(s =>
        {
            s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseUserContext<FakePortalUserContext>().UseSandboxGateway().UseDemoErp();
            s.AddScoped<IPaymentGateway, TestGateway>(); // the host's own registration, after the builder's
        });
        Assert.Equal([DemoErpAdapter.Simulation], sp.GetRequiredService<PortalSimulations>().InForce);

        using var replaced = Build(s =>
        {
            s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp();
            s.Replace(ServiceDescriptor.Singleton<IErpAdapter, TestErp>());
        });
        Assert.Equal([SandboxGateway.Simulation], replaced.GetRequiredService<PortalSimulations>().InForce);

        // A later factory (a decorator, a retrying wrapper around the sandbox) may still hand out the sandbox: still announced.
        using var wrapped = Build(s =>
        {
            s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp();
            s.AddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SandboxGateway>());
        });
        Assert.Equal([SandboxGateway.Simulation, DemoErpAdapter.Simulation], wrapped.GetRequiredService<PortalSimulations>().InForce);

        // Registered before the sandbox, the host's gateway is replaced by it: the sandbox is in force and announced.
        using var before = Build(s =>
        {
            s.AddScoped<IPaymentGateway, TestGateway>();
            s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp();
        });
        Assert.Equal([SandboxGateway.Simulation, DemoErpAdapter.Simulation], before.GetRequiredService<PortalSimulations>().InForce);
    }

    [Fact]
    public void Smtp_transport_selects_the_MailKit_sender()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db"), new()
        {
            ["CustomerPortalPayments:Notifications:Transport"] = "Smtp",
            ["CustomerPortalPayments:Notifications:Smtp:Host"] = "127.0.0.1",
            ["CustomerPortalPayments:Notifications:Smtp:FromAddress"] = "ar@vendor.example",
        });
        using var scope = sp.CreateScope();
        Assert.IsType<SmtpNotificationSender>(scope.ServiceProvider.GetRequiredService<INotificationSender>());
    }

    [Fact]
    public void Host_registrations_win_before_or_after()
    {
        using var before = Build(s =>
        {
            s.AddScoped<IPaymentGateway, TestGateway>();
            s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db");
        });
        using (var scope = before.CreateScope())
        {
            Assert.IsType<TestGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        }

        using var after = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").AddGateway<TestGateway>().AddErpAdapter<TestErp>().UseDiscountPolicy<ForfeitDiscountPolicy>());
        using var scope2 = after.CreateScope();
        Assert.IsType<TestGateway>(scope2.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.IsType<TestErp>(scope2.ServiceProvider.GetRequiredService<IErpAdapter>());
        Assert.IsType<ForfeitDiscountPolicy>(scope2.ServiceProvider.GetRequiredService<IDiscountPolicy>());
        Assert.Single(after.GetServices<IPaymentGateway>());
    }

    /// <summary>This assembly's one adapter per role (it holds many more: wrappers around the sandbox, fault injectors).</summary>
    internal static readonly Func<Type, bool> ScanOnly = t => t == typeof(TestGateway) || t == typeof(TestErp) || t == typeof(TestUserContext);

    [Fact]
    public void Adapters_are_found_by_assembly_scan()
    {
        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp().AddAdaptersFromAssemblyOf<TestGateway>(include: ScanOnly));
        using var scope = sp.CreateScope();
        // The scan replaces the built-in adapters with this assembly's own.
        Assert.IsType<TestGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.IsType<TestErp>(scope.ServiceProvider.GetRequiredService<IErpAdapter>());
        Assert.IsType<TestUserContext>(scope.ServiceProvider.GetRequiredService<IPortalUserContext>());
        Assert.Single(sp.GetServices<IPaymentGateway>());
        Assert.Empty(sp.GetServices<SimulatedAdapter>());
    }

    [Fact]
    public void A_scan_that_finds_two_gateways_refuses_to_guess_and_names_them()
    {
        // This assembly has dozens of gateways (wrappers around the sandbox, fault injectors): the scan used to keep
        // whichever came last.
        var services = new ServiceCollection();
        var builder = services.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp();
        var ex = Assert.Throws<InvalidOperationException>(() => builder.AddAdaptersFromAssemblyOf<TestGateway>());
        Assert.Contains("AddAdaptersFromAssemblyOf<TestGateway>()", ex.Message);
        Assert.Contains("payment gateways (", ex.Message);
        Assert.Contains(typeof(TestGateway).FullName!, ex.Message);
        Assert.Contains("ERP adapters (", ex.Message);
        Assert.Contains(".AddGateway<", ex.Message);
        Assert.Contains("include: t => t != typeof(", ex.Message);
        // Nothing was registered: the sandbox is still the gateway, and still announced.
        Assert.Single(services, d => d.ServiceType == typeof(IPaymentGateway));
        Assert.Contains(services, d => d.ImplementationInstance is SimulatedAdapter { Role: SimulatedAdapterRole.Gateway });
    }

    [Fact]
    public void A_scan_narrowed_to_two_gateways_still_refuses_and_one_gateway_with_no_erp_keeps_the_demo_erp()
    {
        var services = new ServiceCollection();
        var builder = services.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseSandboxGateway().UseDemoErp();
        var ex = Assert.Throws<InvalidOperationException>(() =>
            builder.AddAdaptersFromAssemblyOf<TestGateway>(include: t => t == typeof(TestGateway) || t == typeof(SecondTestGateway)));
        Assert.Contains($"2 payment gateways ({typeof(SecondTestGateway).FullName}, {typeof(TestGateway).FullName})", ex.Message);
        Assert.DoesNotContain("ERP adapters", ex.Message);

        using var sp = Build(s => s.AddPortalPaymentsCore().UseSqlite("Data Source=a.db").UseUserContext<TestUserContext>().UseSandboxGateway().UseDemoErp()
            .AddAdaptersFromAssemblyOf<TestGateway>(include: t => t == typeof(TestGateway)));
        using var scope = sp.CreateScope();
        Assert.IsType<TestGateway>(scope.ServiceProvider.GetRequiredService<IPaymentGateway>());
        Assert.IsType<DemoErpAdapter>(scope.ServiceProvider.GetRequiredService<IErpAdapter>());
        Assert.Equal([DemoErpAdapter.Simulation], sp.GetServices<SimulatedAdapter>());
    }

    [Fact]
    public void A_scan_refuses_an_undefined_lifetime_at_the_call()
    {
        var builder = new ServiceCollection().AddPortalPaymentsCore();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddAdaptersFromAssemblyOf<TestGateway>((ServiceLifetime)9, ScanOnly));
        Assert.Contains("ServiceLifetime.Singleton, Scoped or Transient", ex.Message);
    }
}

internal sealed class TestGateway : PaymentGatewayBase
{
    public override string Key => "test";
    public override GatewayCapabilities Capabilities => GatewayCapabilities.Cards;
    public override Type CaptureComponent => typeof(SandboxCaptureForm);
    public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}

/// <summary>A second gateway, for the scan's refusal to choose between two.</summary>
internal sealed class SecondTestGateway : PaymentGatewayBase
{
    public override string Key => "test-2";
    public override GatewayCapabilities Capabilities => GatewayCapabilities.Cards;
    public override Type CaptureComponent => typeof(SandboxCaptureForm);
    public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}

internal sealed class TestErp : IErpAdapter
{
    public Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default) => Task.FromResult(new OpenItemsPage([], "0", false));
    public Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default) => Task.FromResult<ErpDocument?>(null);
    public Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default) => Task.FromResult(ErpPostingResult.Ok(null));
    public Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default) => Task.FromResult(ErpPostingResult.Ok(null));
    public Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default) => Task.FromResult(ErpPostingResult.Ok(null));
    public Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default) => Task.FromResult(ErpPostingResult.Ok(null));
}

internal sealed class TestUserContext : IPortalUserContext
{
    public ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<PortalUser?>(null);
}
