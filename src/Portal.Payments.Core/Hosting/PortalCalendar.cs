using System.Collections.Concurrent;

namespace Portal.Payments.Hosting;

/// <summary>
/// The portal's calendar: the days of <see cref="PortalPaymentsOptions.BusinessTimeZone"/>. A payment scheduled for a
/// date is charged from 00:00 of that date there, an invoice is late, a discount ends, a card expires and "today" is
/// counted by it, on every node whatever the server's own zone.
/// </summary>
public static class PortalCalendar
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);

    /// <summary>The business time zone of <paramref name="options"/> (validated at start; UTC when unset).</summary>
    public static TimeZoneInfo Zone(this PortalPaymentsOptions options) =>
        Find(options.BusinessTimeZone) ?? throw new InvalidOperationException(
            $"{PortalPaymentsOptions.SectionName}:BusinessTimeZone '{options.BusinessTimeZone}' is not a time zone this machine knows.");

    /// <summary>Today's date in the business time zone.</summary>
    public static DateOnly Today(this PortalPaymentsOptions options, TimeProvider clock) => options.DateAt(clock.GetUtcNow());

    /// <summary>The business date at <paramref name="instant"/>.</summary>
    public static DateOnly DateAt(this PortalPaymentsOptions options, DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, options.Zone()).DateTime);

    /// <summary>The business date at <paramref name="utc"/> (a UTC time as the portal stores them).</summary>
    public static DateOnly DateAt(this PortalPaymentsOptions options, DateTime utc) =>
        options.DateAt(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    /// <summary>The UTC instant <paramref name="date"/> begins in the business time zone (the first valid local time where a clock change skips midnight).</summary>
    public static DateTime StartOfDayUtc(this PortalPaymentsOptions options, DateOnly date) => StartOfDayUtc(date, options.Zone());

    /// <summary>The UTC instant <paramref name="date"/> begins in <paramref name="zone"/> (the first valid local time where a clock change skips midnight).</summary>
    internal static DateTime StartOfDayUtc(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>The zone with this IANA or Windows id, or null.</summary>
    internal static TimeZoneInfo? Find(string? id) => string.IsNullOrWhiteSpace(id) ? null : Zones.GetOrAdd(id.Trim(), static key =>
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(key);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    });
}
