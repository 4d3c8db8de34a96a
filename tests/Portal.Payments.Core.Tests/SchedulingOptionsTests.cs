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
        Assert.Equal((90, false, TimeSpan.FromSeconds(30), 50, TimeSpan.FromMinutes(2)),
            (s.HorizonDays, s.NoLaterThanEarliestDueDate, s.RunnerInterval, s.RunnerBatchSize, s.LeaseDuration));
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

        using var bad = Build(new() { [S + "HorizonDays"] = "0", [S + "RunnerInterval"] = "00:00:00", [S + "RunnerBatchSize"] = "0", [S + "LeaseDuration"] = "00:00:01" });
        var message = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value).Message;
        Assert.Contains("Scheduling:HorizonDays must be 1 to 3660 days", message);
        Assert.Contains("Scheduling:RunnerInterval must be positive", message);
        Assert.Contains("Scheduling:RunnerBatchSize must be 1 to 1000", message);
        Assert.Contains("Scheduling:LeaseDuration must be at least 5 seconds", message);
    }
}
