using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The business time zone: the calendar's days, and the setting's validation.</summary>
public class PortalCalendarTests
{
    private static PortalPaymentsOptions In(string zone) => new() { BusinessTimeZone = zone };

    [Fact]
    public void Today_is_the_date_in_the_business_zone_not_in_UTC()
    {
        // 2026-03-03 07:59 UTC is still the 2nd in Los Angeles (UTC-8) and already the 3rd in Auckland (UTC+13).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 3, 7, 59, 0, TimeSpan.Zero));
        Assert.Equal(new DateOnly(2026, 3, 3), In("UTC").Today(clock));
        Assert.Equal(new DateOnly(2026, 3, 2), In("America/Los_Angeles").Today(clock));
        Assert.Equal(new DateOnly(2026, 3, 3), In("Pacific/Auckland").Today(clock));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new DateOnly(2026, 3, 3), In("America/Los_Angeles").Today(clock));
        Assert.Equal(new DateOnly(2026, 3, 2), In("America/Los_Angeles").DateAt(new DateTime(2026, 3, 3, 7, 59, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void A_day_starts_at_local_midnight_or_at_the_first_local_time_when_a_clock_change_skips_it()
    {
        Assert.Equal(new DateTime(2026, 3, 3, 8, 0, 0, DateTimeKind.Utc), In("America/Los_Angeles").StartOfDayUtc(new DateOnly(2026, 3, 3)));
        Assert.Equal(new DateTime(2026, 3, 3, 0, 0, 0, DateTimeKind.Utc), In("UTC").StartOfDayUtc(new DateOnly(2026, 3, 3)));
        // Havana moves its clocks from 00:00 to 01:00 on 2026-03-08: the day begins at 01:00 local (05:00 UTC).
        Assert.Equal(new DateTime(2026, 3, 8, 5, 0, 0, DateTimeKind.Utc), In("America/Havana").StartOfDayUtc(new DateOnly(2026, 3, 8)));
    }

    [Fact]
    public void The_setting_binds_takes_windows_ids_and_an_unknown_zone_says_what_to_write()
    {
        static ServiceProvider Build(string? zone)
        {
            var services = new ServiceCollection();
            var config = new Dictionary<string, string?>();
            if (zone is not null)
            {
                config["CustomerPortalPayments:BusinessTimeZone"] = zone;
            }
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
            services.AddPortalPaymentsCore().UseSqlite("Data Source=unused.db");
            return services.BuildServiceProvider();
        }

        using (var unset = Build(null))
        {
            Assert.Equal("UTC", unset.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.BusinessTimeZone);
        }
        using (var chicago = Build("America/Chicago"))
        {
            Assert.Equal(TimeSpan.FromHours(-6), chicago.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Zone().GetUtcOffset(new DateTime(2026, 1, 15)));
        }
        using (var windows = Build("Central Standard Time"))
        {
            Assert.Equal(TimeSpan.FromHours(-6), windows.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value.Zone().GetUtcOffset(new DateTime(2026, 1, 15)));
        }
        using var mars = Build("Mars/Olympus_Mons");
        var message = Assert.Throws<OptionsValidationException>(() => mars.GetRequiredService<IOptions<PortalPaymentsOptions>>().Value).Message;
        Assert.Contains("CustomerPortalPayments:BusinessTimeZone 'Mars/Olympus_Mons' is not a time zone this machine knows", message);
        Assert.Contains("America/Chicago", message);
    }

    // The cache read by reflection, so this test runs against any version of it.
    private static int CachedZones() =>
        ((System.Collections.ICollection)typeof(PortalCalendar).GetField("Zones", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .GetValue(null)!).Count;

    [Fact]
    public void Unknown_and_overlong_zone_ids_from_requests_are_not_kept_but_known_ones_are_found_and_kept()
    {
        // A grid query's time zone comes from the URL: every made-up id a user sends must not stay in memory.
        var before = CachedZones();
        for (var i = 0; i < 1000; i++)
        {
            Assert.Null(PortalCalendar.Find($"Nowhere/Zone_{i}_{Guid.NewGuid():N}"));
        }
        Assert.Null(PortalCalendar.Find("Europe/Berlin" + new string('x', 16_000)));
        Assert.Null(PortalCalendar.Find(new string('a', 65)));   // longer than any real id
        // Other tests may look up a few real zones meanwhile; a thousand unknown ones would show.
        Assert.InRange(CachedZones() - before, 0, 20);

        var berlin = PortalCalendar.Find("Europe/Berlin");
        Assert.NotNull(berlin);
        Assert.Same(berlin, PortalCalendar.Find(" Europe/Berlin "));
        Assert.NotNull(PortalCalendar.Find("W. Europe Standard Time"));
    }
}
