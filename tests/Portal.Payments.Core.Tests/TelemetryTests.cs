using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Outbox;
using Portal.Payments.Services.Invoices;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>Runs alone: the meter is process-wide, so no other test may emit while these count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Telemetry";
}

/// <summary>
/// The portal's meter and activity source (<see cref="PortalPaymentsTelemetry.Name"/>) report what an operator needs:
/// payments by outcome, charge latency, outbox deliveries and backlog, grid query time, and traces around charges,
/// postings and syncs — seen here through the same listeners an OpenTelemetry exporter uses.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(SqliteDatabase database) : IClassFixture<SqliteDatabase>, IDisposable
{
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly MeterListener _meters = new();
    private ActivityListener? _traces;

    [Fact]
    public async Task A_payment_reports_its_outcome_charge_latency_delivery_backlog_and_traces()
    {
        Listen();
        await using var h = Harness(database, out var account);
        await h.Get<Sync.ErpSyncService>().SyncAccountAsync(account);
        var page = await h.Get<InvoiceQueryService>().QueryAsync(new InvoiceQuery { Take = 5 });
        var card = await CardAsync(h);
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([page.Items.First(r => r.OpenBalance.Amount > 0).Id], card.Id, Key()));
        Assert.Equal(PaymentStatus.Succeeded, outcome.Status);
        await h.Get<OutboxProcessor>().RunDueAsync();
        _meters.RecordObservableInstruments();

        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.payments" && (string?)m.Tags["status"] == "Succeeded" && (string?)m.Tags["kind"] == "InvoicePayment");
        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.charge.duration" && (string?)m.Tags["outcome"] == "Succeeded" && m.Value >= 0);
        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.outbox.delivery.duration" && (string?)m.Tags["kind"] == "ErpPayment" && (string?)m.Tags["result"] == "delivered");
        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.outbox.delivery.duration" && (string?)m.Tags["kind"] == "Email");
        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.grid.query.duration" && (string?)m.Tags["grid"] == "invoices");
        Assert.Contains(_measurements, m => m.Instrument == "portal_payments.outbox.backlog");

        var charge = Assert.Single(_activities, a => a.OperationName == "payment.charge" && Equals(a.GetTagItem("portal.payment_id"), outcome.PaymentId));
        Assert.Equal("Succeeded", charge.GetTagItem("portal.outcome"));
        Assert.Equal(outcome.ReceiptNumber, charge.GetTagItem("portal.receipt_number"));
        Assert.Contains(_activities, a => a.OperationName == "erp.post");
        Assert.Contains(_activities, a => a.OperationName == "erp.sync" && (string?)a.GetTagItem("portal.account_id") == account);
    }

    [Fact]
    public async Task A_scheduled_charge_reports_how_late_it_ran()
    {
        Listen();
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-T10", 5_000));
        var card = await CardAsync(h);
        await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(1), card.Id, Key()));
        h.Clock.Advance(TimeSpan.FromDays(1));          // 09:00 on the payment date

        await h.Get<ScheduledPaymentRunner>().RunDueAsync();

        var lag = Assert.Single(_measurements, m => m.Instrument == "portal_payments.runner.lag");
        Assert.Equal(9 * 3600, lag.Value, 1);
    }

    private void Listen()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PortalPaymentsTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();
        _traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PortalPaymentsTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => _activities.Enqueue(activity),
        };
        ActivitySource.AddActivityListener(_traces);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }
        _measurements.Enqueue((instrument.Name, value, copy));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _traces?.Dispose();
    }
}
