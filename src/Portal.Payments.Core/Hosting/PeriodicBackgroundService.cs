using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Hosting;

/// <summary>
/// The timer loop of the portal's background services (outbox, ERP sync, the scheduled-payment runner's pass with autopay,
/// the reconciler and the single-use sweep): nothing when the host turned
/// <see cref="PortalPaymentsOptions.RunBackgroundServices"/> off; otherwise the work every <see cref="Interval"/> on the
/// injected <see cref="TimeProvider"/> (first at start when <see cref="RunAtStart"/>), and a failed run is logged, not fatal.
/// </summary>
internal abstract class PeriodicBackgroundService(IOptions<PortalPaymentsOptions> options, TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>The portal's options (current values).</summary>
    protected PortalPaymentsOptions Options => options.Value;

    /// <summary>Time between runs.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What the work is called in the log ("Outbox run").</summary>
    protected abstract string WorkName { get; }

    /// <summary>Run once at start, before the first tick. Default true.</summary>
    protected virtual bool RunAtStart => true;

    /// <summary>One run of the work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunBackgroundServices)
        {
            return;
        }
        using var timer = new PeriodicTimer(Interval, clock);
        if (RunAtStart)
        {
            await RunLoggedAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RunLoggedAsync(stoppingToken);
        }
    }

    private async Task RunLoggedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunOnceAsync(stoppingToken);
        }
        // Only the host's stop ends the loop: an adapter's timeout (HttpClient reports it as a TaskCanceledException) is a
        // failed run like any other, or one ERP or gateway outage would stop the host (BackgroundServiceExceptionBehavior.StopHost).
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "{Work} failed; it runs again in {Interval}", WorkName, Interval);
        }
    }
}
