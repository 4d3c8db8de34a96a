namespace HostSite.Testing;

/// <summary>
/// TEST ONLY. The system clock plus an offset that end-to-end tests move forward through
/// <c>POST /test/clock/advance?days=N</c>, so scheduled payments fall due without waiting.
/// Registered and mapped only when configuration <c>HostSite:TestClock</c> is true.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far the clock is ahead of the system clock.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>Maps GET /test/clock and POST /test/clock/advance?days=N (anonymous: test hosts only).</summary>
    public static void Map(IEndpointRouteBuilder app, TestClock clock)
    {
        app.MapGet("/test/clock", () => Results.Ok(new { utcNow = clock.GetUtcNow(), offset = clock.Offset.ToString() }));
        app.MapPost("/test/clock/advance", (int days) =>
        {
            if (days is < 1 or > 366)
            {
                return Results.BadRequest(new { error = "days must be 1 to 366" });
            }
            clock.Advance(TimeSpan.FromDays(days));
            return Results.Ok(new { utcNow = clock.GetUtcNow(), offset = clock.Offset.ToString() });
        });
    }
}
