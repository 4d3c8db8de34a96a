using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// Settings a host writes in another form than the portal compares, and values that pass a loose check but break later:
/// read as meant, or refused at start with what to write.
/// </summary>
public class HostSettingFormsTests
{
    private const string S = "CustomerPortalPayments:";

    private static ServiceProvider Build(Dictionary<string, string?> config)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddPortalPaymentsCore().UseSqlite("Data Source=unused.db");
        return services.BuildServiceProvider();
    }

    // Review: "usd" passed the start check (which reads codes in any case) while invoices carry "USD" and every comparison is
    // exact: nothing could be paid ("only usd items can be paid here") and every balance was zero.
    [Theory]
    [InlineData("usd")]
    [InlineData(" USD ")]
    [InlineData("Usd\n")]
    public void A_currency_in_lower_case_or_with_spaces_is_read_as_its_code(string written)
    {
        using var sp = Build(new() { [S + "Currency"] = written });
        Assert.Equal("USD", sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Currency);
    }

    [Fact]
    public void An_unknown_currency_is_still_refused_as_written()
    {
        using var sp = Build(new() { [S + "Currency"] = "usx" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        Assert.Contains("Currency 'usx' is not an ISO 4217 code", ex.Message, StringComparison.Ordinal);
    }

    // Review: the key's length was checked trimmed but compared as written, so a key read from a secret file (ending in a line
    // break) was accepted at start and every ERP call got 401.
    [Fact]
    public void The_ingest_key_from_a_secret_file_loses_its_line_break()
    {
        const string key = "0123456789abcdefghijABCDEFGHIJ+/xyz=";
        using var sp = Build(new() { [S + "IngestApiKey"] = key + "\n" });
        Assert.Equal(key, sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.IngestApiKey);
    }

    // Review: the loop intervals had no upper bound. "30" is 30 days to the configuration binder, and a timer of more than
    // 49.7 days threw at start without naming the setting.
    [Theory]
    [InlineData("ErpSyncInterval", "2.00:00:00")]
    [InlineData("OutboxPollInterval", "2")]
    [InlineData("Scheduling:RunnerInterval", "30")]
    [InlineData("Scheduling:RunnerInterval", "60.00:00:00")]
    public void A_loop_interval_too_long_is_refused_naming_the_setting_and_the_format(string setting, string written)
    {
        using var sp = Build(new() { [S + setting] = written });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        Assert.Contains($"{S}{setting} is ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a bare number is read as days", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    public void An_smtp_port_outside_the_tcp_range_is_refused(string port)
    {
        using var sp = Build(new()
        {
            [S + "Notifications:Transport"] = "Smtp", [S + "Notifications:Smtp:Host"] = "mail.example.com",
            [S + "Notifications:Smtp:FromAddress"] = "ar@example.com", [S + "Notifications:Smtp:Port"] = port,
        });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value);
        Assert.Contains($"{S}Notifications:Smtp:Port is {port}; it must be a TCP port from 1 to 65535", ex.Message, StringComparison.Ordinal);
    }
}
