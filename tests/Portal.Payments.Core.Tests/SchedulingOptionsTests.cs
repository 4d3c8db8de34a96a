using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;
using Portal.Payments.Services.Payments;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The Scheduling options: defaults, binding from configuration, validation, and the runner's registration.</summary>
public class SchedulingOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> config)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddPortalPaymentsCore().UseSqlite("Data Source=unused.db");
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Defaults_are_a_90_day_horizon_30_second_runner_batches_of_50_and_2_minute_leases()
    {
        using var sp = Build([]);
        var s = sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Scheduling;
        Assert.Equal((90, false, TimeSpan.FromSeconds(30), 50), (s.HorizonDays, s.NoLaterThanEarliestDueDate, s.RunnerInterval, s.RunnerBatchSize));
        var c = sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Charging;
        Assert.Equal((TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)),
            (c.LeaseDuration, c.GatewayTimeout, c.StatusCheckDelay, c.MaxStatusCheckDelay));
        Assert.Contains(sp.GetServices<IHostedService>(), h => h.GetType().Name == "ScheduledPaymentBackgroundService");
        Assert.NotNull(sp.GetRequiredService<ScheduledPaymentRunner>());
    }

    [Fact]
    public void Configuration_binds_and_bad_values_say_what_to_fix()
    {
        const string S = "CustomerPortalPayments:Scheduling:";
        using (var ok = Build(new() { [S + "HorizonDays"] = "30", [S + "NoLaterThanEarliestDueDate"] = "true", [S + "RunnerInterval"] = "00:00:01" }))
        {
            var s = ok.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Scheduling;
            Assert.Equal((30, true, TimeSpan.FromSeconds(1)), (s.HorizonDays, s.NoLaterThanEarliestDueDate, s.RunnerInterval));
        }

        using var bad = Build(new() { [S + "HorizonDays"] = "0", [S + "RunnerInterval"] = "00:00:00", [S + "RunnerBatchSize"] = "0" });
        var message = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value).Message;
        Assert.Contains("Scheduling:HorizonDays must be 1 to 3660 days", message);
        Assert.Contains("Scheduling:RunnerInterval is 00:00:00; it must be more than zero", message);
        Assert.Contains("Scheduling:RunnerBatchSize must be 1 to 1000", message);
    }

    [Fact]
    public void Charging_options_bind_and_the_gateway_time_limit_must_be_shorter_than_the_lease()
    {
        const string C = "CustomerPortalPayments:Charging:";
        using (var ok = Build(new() { [C + "LeaseDuration"] = "00:01:00", [C + "GatewayTimeout"] = "00:00:20", [C + "StatusCheckDelay"] = "00:00:10" }))
        {
            var c = ok.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Charging;
            Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10)), (c.LeaseDuration, c.GatewayTimeout, c.StatusCheckDelay));
        }

        using (var slow = Build(new() { [C + "LeaseDuration"] = "00:00:30", [C + "GatewayTimeout"] = "00:00:45" }))
        {
            var message = Assert.Throws<OptionsValidationException>(() => slow.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value).Message;
            Assert.Contains("Charging:GatewayTimeout (00:00:45) must be shorter than CustomerPortalPayments:Charging:LeaseDuration (00:00:30)", message);
        }

        using var bad = Build(new()
        {
            [C + "LeaseDuration"] = "00:00:01", [C + "StatusCheckDelay"] = "00:00:00", [C + "MaxStatusCheckDelay"] = "2.00:00:00",
            [C + "StuckPaymentAge"] = "00:00:00", [C + "PostingAlertAge"] = "-00:01:00", [C + "CustomerActionTimeout"] = "00:00:10",
        });
        var errors = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value).Message;
        Assert.Contains("Charging:LeaseDuration must be at least 5 seconds", errors);
        Assert.Contains("Charging:StatusCheckDelay must be 1 second to 1 day", errors);
        Assert.Contains("Charging:MaxStatusCheckDelay must be at least", errors);
        Assert.Contains("Charging:StuckPaymentAge must be positive", errors);
        Assert.Contains("Charging:PostingAlertAge must be positive", errors);
        Assert.Contains("Charging:CustomerActionTimeout must be 1 minute to 7 days", errors);
    }
}
