using System.Globalization;
using Portal.Payments.Users;

namespace Portal.Payments.Ui;

/// <summary>
/// The signed-in user's time zone for one circuit (or request): <see cref="PortalUser.TimeZoneId"/> when the host supplies
/// it, else the zone the browser reports, else UTC. Times the portal shows go through <see cref="Format"/>.
/// </summary>
public sealed class UserTime(IPortalUserContext users, TimeProvider clock)
{
    private bool _fromUser;
    private bool _loaded;

    /// <summary>Raised when the zone changes (the browser reported it), so components showing times render again.</summary>
    public event Action? Changed;

    /// <summary>The zone times are shown in. Default UTC.</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>True when the zone came from the host's user context (the browser's zone is then not asked for).</summary>
    public bool FromUser => _fromUser;

    /// <summary>Reads the user's zone from the host once per scope.</summary>
    public async Task EnsureLoadedAsync(CancellationToken cancellationToken = default)
    {
        if (_loaded)
        {
            return;
        }
        _loaded = true;
        if ((await users.GetCurrentUserAsync(cancellationToken))?.TimeZoneId is { Length: > 0 } id && TryFind(id) is { } zone)
        {
            Zone = zone;
            _fromUser = true;
        }
    }

    /// <summary>Uses the zone the browser reported (an IANA id), unless the host supplied one.</summary>
    public void UseBrowserZone(string? id)
    {
        if (_fromUser || string.IsNullOrWhiteSpace(id) || TryFind(id) is not { } zone || zone.Id == Zone.Id)
        {
            return;
        }
        Zone = zone;
        Changed?.Invoke();
    }

    /// <summary>A moment as date and time in the user's zone and culture ("3/2/2026 10:15 AM"), with the zone's short name when it is UTC.</summary>
    public string Format(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone);
        var text = local.ToString("g", CultureInfo.CurrentCulture);
        return Zone == TimeZoneInfo.Utc ? text + " UTC" : text;
    }

    /// <summary>Today in the user's zone.</summary>
    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), Zone).DateTime);

    private static TimeZoneInfo? TryFind(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }
}
