using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Portal.Payments.EndToEnd.Tests.Infrastructure;

namespace Portal.Payments.EndToEnd.Tests;

/// <summary>The library's scheduled ERP sync, seen from outside: the host log and the summary's lastSyncedAt.</summary>
[Collection(HostSiteCollection.Name)]
public sealed partial class BackgroundSyncTests(HostSiteFixture host)
{
    /// <summary>The first scheduled sync runs one ErpSyncInterval (1 minute by default) after start; allow a margin.</summary>
    private static readonly TimeSpan FirstScheduledSyncWithin = TimeSpan.FromSeconds(100);

    [Fact]
    public async Task Scheduled_erp_sync_runs_without_errors_and_refreshes_the_account()
    {
        var cookies = new CookieContainer();
        using var client = host.CreateHttpClient(cookies);
        await HostHttp.SignInAsync(client, "pat");

        // Only a sync after start-up (nothing in these tests clicks Refresh: the scheduled one) moves lastSyncedAt past ReadyAt.
        var deadline = host.ReadyAt + FirstScheduledSyncWithin;
        DateTimeOffset? lastSynced = null;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var failure = SyncFailure().Match(host.Output);
            Assert.False(failure.Success,
                $"The scheduled ERP sync failed in the host (log line: '{failure.Value.Trim()}').\n--- host log around it ---\n{Around(host.Output, failure.Index)}");

            using (var summary = await HostHttp.GetSummaryAsync(client))
            {
                var value = summary.RootElement.GetProperty("lastSyncedAt");
                lastSynced = value.ValueKind == System.Text.Json.JsonValueKind.Null ? null : value.GetDateTimeOffset();
            }
            if (lastSynced > host.ReadyAt)
            {
                return;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline,
                $"No scheduled ERP sync within {FirstScheduledSyncWithin.TotalSeconds:0} s of start-up (ACME lastSyncedAt {lastSynced:O}, host ready {host.ReadyAt:O}, waited {watch.Elapsed.TotalSeconds:0} s).\n--- host log ---\n{Tail(host.Output)}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The warnings ErpSyncBackgroundService and ErpSyncService log when a sync fails.</summary>
    [GeneratedRegex("Scheduled ERP sync failed[^\\n]*|ERP sync of (account )?\\S+ failed[^\\n]*")]
    private static partial Regex SyncFailure();

    /// <summary>The log from the line before <paramref name="index"/> (the "warn: category" header) on, with the exception.</summary>
    private static string Around(string log, int index)
    {
        var lineStart = index > 0 ? log.LastIndexOf('\n', index - 1) : -1;
        var start = lineStart > 0 ? log.LastIndexOf('\n', lineStart - 1) + 1 : 0;
        return log.Substring(start, Math.Min(log.Length - start, 2500));
    }

    private static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;
}
