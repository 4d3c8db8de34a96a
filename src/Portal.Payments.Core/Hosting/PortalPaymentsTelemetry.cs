using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Portal.Payments.Hosting;

/// <summary>
/// The portal's metrics and traces, for any OpenTelemetry exporter (or <c>dotnet-counters</c>): add the meter and the
/// activity source named <see cref="Name"/>.
/// <list type="table">
/// <item><term><c>portal_payments.payments</c></term><description>counter of payments reaching a state (tags <c>status</c>, <c>kind</c>)</description></item>
/// <item><term><c>portal_payments.charge.duration</c></term><description>histogram of gateway charge calls in ms (tag <c>outcome</c>)</description></item>
/// <item><term><c>portal_payments.runner.lag</c></term><description>histogram of seconds between a scheduled payment's date and its charge</description></item>
/// <item><term><c>portal_payments.outbox.delivery.duration</c></term><description>histogram of deliveries in ms (tags <c>kind</c>, <c>result</c>)</description></item>
/// <item><term><c>portal_payments.outbox.backlog</c></term><description>gauge of undelivered messages, as of the last outbox run</description></item>
/// <item><term><c>portal_payments.outbox.oldest_age</c></term><description>gauge of the oldest undelivered message's age in seconds</description></item>
/// <item><term><c>portal_payments.grid.query.duration</c></term><description>histogram of grid queries in ms (tag <c>grid</c>)</description></item>
/// </list>
/// Activities: <c>payment.charge</c>, <c>payment.lookup</c>, <c>erp.post</c>, <c>email.send</c>, <c>erp.sync</c>.
/// </summary>
public static class PortalPaymentsTelemetry
{
    /// <summary>The meter and activity source name: <c>Portal.Payments</c>.</summary>
    public const string Name = "Portal.Payments";

    private static readonly Meter Meter = new(Name, typeof(PortalPaymentsTelemetry).Assembly.GetName().Version?.ToString());
    private static long _backlog;
    private static double _oldestAgeSeconds;

    /// <summary>The activity source for traces.</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(PortalPaymentsTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Payments = Meter.CreateCounter<long>("portal_payments.payments", "{payment}", "Payments reaching a state");

    internal static readonly Histogram<double> ChargeDuration = Meter.CreateHistogram<double>("portal_payments.charge.duration", "ms", "Gateway charge calls");

    internal static readonly Histogram<double> RunnerLag = Meter.CreateHistogram<double>("portal_payments.runner.lag", "s", "Time from a scheduled payment's date to its charge");

    internal static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("portal_payments.outbox.delivery.duration", "ms", "Outbox deliveries");

    internal static readonly Histogram<double> GridQueryDuration = Meter.CreateHistogram<double>("portal_payments.grid.query.duration", "ms", "Grid queries");

    static PortalPaymentsTelemetry()
    {
        Meter.CreateObservableGauge("portal_payments.outbox.backlog", () => Interlocked.Read(ref _backlog), "{message}", "Undelivered outbox messages (last outbox run)");
        Meter.CreateObservableGauge("portal_payments.outbox.oldest_age", () => Volatile.Read(ref _oldestAgeSeconds), "s", "Age of the oldest undelivered outbox message (last outbox run)");
    }

    internal static void RecordBacklog(long count, TimeSpan? oldest)
    {
        Interlocked.Exchange(ref _backlog, count);
        Volatile.Write(ref _oldestAgeSeconds, oldest?.TotalSeconds ?? 0);
    }
}
