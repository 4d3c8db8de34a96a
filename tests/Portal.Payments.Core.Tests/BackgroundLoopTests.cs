using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Hosting;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The background services' timer loop outlives an adapter's timeout; only the host's stop ends it.</summary>
public sealed class BackgroundLoopTests
{
    private sealed class TimingOutWork(TimeProvider clock) : PeriodicBackgroundService(
        Microsoft.Extensions.Options.Options.Create(new PortalPaymentsOptions { RunBackgroundServices = true }), clock, NullLogger.Instance)
    {
        public int Runs;

        protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

        protected override string WorkName => "Test work";

        // What an HttpClient-based adapter throws when the ERP or gateway does not answer in time.
        protected override Task RunOnceAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Runs);
            throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.");
        }
    }

    [Fact]
    public async Task A_run_that_times_out_is_a_failed_run_and_the_loop_runs_again_on_the_next_tick()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var work = new TimingOutWork(clock);

        await work.StartAsync(CancellationToken.None);
        await Until(() => Volatile.Read(ref work.Runs) >= 1);
        for (var tick = 0; tick < 50 && Volatile.Read(ref work.Runs) < 2; tick++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }

        Assert.True(Volatile.Read(ref work.Runs) >= 2, "The loop should run again after a timed-out run.");
        Assert.False(work.ExecuteTask!.IsCompleted, "A timed-out run must not end the background service (the host would stop).");
        await work.StopAsync(CancellationToken.None);
        Assert.True(work.ExecuteTask.IsCompleted);
    }

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 250 && !condition(); i++)
        {
            await Task.Delay(20);
        }
        Assert.True(condition());
    }
}
