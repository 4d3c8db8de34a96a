using System.Collections.Concurrent;

namespace Portal.Payments.Hosting;

/// <summary>
/// The portal's calendar: the days of <see cref="PortalPaymentsOptions.BusinessTimeZone"/>. A payment scheduled for a
/// date is charged from 00:00 of that date there, an invoice is late, a discount ends, a card expires and "today" is
/// counted by it, on every node whatever the server's own zone.
/// </summary>
public static class PortalCalendar
{
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

    /// <summary>Longest time zone id looked up; a longer one (no IANA or Windows id comes near it) is unknown.</summary>
    internal const int MaxZoneIdLength = 64;

    // Most ids the cache keeps: every IANA and Windows id of a machine fits many times over. Beyond it a zone is still
    // found, only not kept.
    private const int MaxCachedZones = 2048;

    // Zones found, by the id asked for. Only hits are kept: the id may come from a request (a grid's time zone), and
    // every unknown id a caller makes up must not stay in memory.
    private static readonly ConcurrentDictionary<string, TimeZoneInfo> Zones = new(StringComparer.Ordinal);

    /// <summary>How many zone ids the cache holds (for tests).</summary>
    internal static int CachedZoneCount => Zones.Count;

    /// <summary>
    /// The zone with this IANA or Windows id, or null: also for an id longer than <see cref="MaxZoneIdLength"/>
    /// characters. Unknown ids are not cached.
    /// </summary>
    internal static TimeZoneInfo? Find(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }
        var key = id.Trim();
        if (key.Length > MaxZoneIdLength)
        {
            return null;
        }
        if (Zones.TryGetValue(key, out var cached))
        {
            return cached;
        }
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(key);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
        if (Zones.Count < MaxCachedZones)
        {
            Zones.TryAdd(key, zone);
        }
        return zone;
    }
}
