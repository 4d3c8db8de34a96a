using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;
using Portal.Payments.Outbox;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// Events a gateway pushes (webhooks) go through the one lifecycle: each event id once, in any order, an older status
/// never undoing a newer one; unknown charges are reported as such; stored methods follow updates and detaches.
/// </summary>
public abstract class GatewayEventSinkTests(TestDatabase database)
{
    private static int _sequence;

    private static string EventId() => "evt_" + Interlocked.Increment(ref _sequence) + "_" + Guid.NewGuid().ToString("N")[..8];

    private static ChargeStatusEvent Charge(PaymentRecord p, ChargeStatus status, string? message = null) =>
        new(EventId(), DateTimeOffset.UtcNow) { IdempotencyKey = p.IdempotencyKey, Reference = p.GatewayReference, Status = status, Message = message,
            ErrorCode = status is ChargeStatus.Returned ? GatewayErrorCode.Returned : status is ChargeStatus.Declined ? GatewayErrorCode.Declined : GatewayErrorCode.None };

    [Fact]
    public async Task An_ach_payment_goes_processing_succeeded_returned_through_events_and_is_reversed_in_the_erp_once()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E10", 45_000));
        var bank = await BankAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Processing, payment.Status);
        var sink = h.Get<IGatewayEventSink>();

        var processing = Charge(payment, ChargeStatus.Processing);
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, processing));
        var succeeded = Charge(payment, ChargeStatus.Succeeded);
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, succeeded));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, succeeded));
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(await PaymentsAsync(h, account)).Status);

        var returned = Charge(payment, ChargeStatus.Returned, "R01: insufficient funds");
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, returned));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, returned));
        // A late "succeeded" (another delivery order) does not bring it back.
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));

        var done = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Returned, "R01: insufficient funds", PaymentFailureCodes.Returned), (done.Status, done.FailureReason, done.FailureCode));
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpPayment));
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
        Assert.Equal((InvoiceStatus.Open, (Guid?)null), (await InvoiceRowsAsync(h, ids)).Select(i => (i.Status, i.ActivePaymentId)).Single());
        Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
    }

    [Fact]
    public async Task Events_arriving_out_of_order_end_in_the_newest_state()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E20", 12_000));
        var bank = await BankAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        var sink = h.Get<IGatewayEventSink>();

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Returned, "R01")));
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Processing)));
        Assert.Equal(PaymentStatus.Returned, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
    }

    [Fact]
    public async Task A_succeeded_event_finishes_an_unconfirmed_payment_and_the_reconciler_then_has_nothing_to_do()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E30", 9_900));
        var card = await CardAsync(h, "4000000000000119");   // the answer is lost
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        Assert.Equal(PaymentStatus.Unconfirmed, outcome.Status);
        var payment = Assert.Single(await PaymentsAsync(h, account));

        Assert.Equal(GatewayEventOutcome.Applied, await h.Get<IGatewayEventSink>().ReportAsync(SandboxGateway.GatewayKey,
            new ChargeStatusEvent(EventId(), DateTimeOffset.UtcNow) { PaymentId = payment.Id, Reference = "sbx_ch_pushed", Status = ChargeStatus.Succeeded }));

        var done = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Succeeded, "sbx_ch_pushed", (DateTime?)null), (done.Status, done.GatewayReference, done.NextCheckAt));
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await h.Get<PaymentReconciler>().ReconcileAsync());
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpPayment));
        Assert.Equal(1, await ChargeCountAsync(h, account));
    }

    // Review (money path): a charge event saying money was taken for a payment the portal had failed (its invoices open to
    // be paid again) was only "Ignored" and logged as information: nobody learned of the money taken.
    [Fact]
    public async Task Money_taken_for_a_failed_payment_is_a_conflict_logged_and_reported_by_the_health_check_for_seven_days()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E35", 6_600));
        var declined = await CardAsync(h, "4000000000000002");
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, declined.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Failed, payment.Status);
        var sink = h.Get<IGatewayEventSink>();
        async Task<HealthReportEntry> HealthAsync() => (await h.Get<HealthCheckService>().CheckHealthAsync()).Entries[PaymentsHealthCheck.Name];
        var before = (int)(await HealthAsync()).Data["conflictingGatewayEvents"];

        var taken = Charge(payment, ChargeStatus.Succeeded);
        Assert.Equal(GatewayEventOutcome.Conflict, await sink.ReportAsync(SandboxGateway.GatewayKey, taken));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, taken));
        // A late "processing" (it comes before a failure, in any order) or decline of the failed payment is no conflict.
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Processing)));
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Declined)));

        Assert.Equal(PaymentStatus.Failed, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(InvoiceStatus.Open, (await InvoiceRowsAsync(h, ids)).Single().Status);
        var health = await HealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal(before + 1, (int)health.Data["conflictingGatewayEvents"]);
        Assert.Contains("said money was taken for a payment recorded as failed or cancelled", health.Description);
        Assert.Equal(before + 1, (await h.Get<PaymentOperations>().GetReportAsync()).ConflictingGatewayEvents);

        h.Clock.Advance(PaymentOperations.ConflictWindow + TimeSpan.FromMinutes(1));
        Assert.Equal(0, (int)(await HealthAsync()).Data["conflictingGatewayEvents"]);
    }

    // Review (webhooks): a charge whose answer was lost (Unconfirmed) and that the merchant refunded at the processor is
    // recorded when charge.refunded (or the reconciler's lookup) says so; the payment_intent.succeeded Stripe delivers
    // after it (events come in any order) was a Conflict: an error telling the operator to refund the charge or record the
    // payment in the ERP (money already given back), and the health check Degraded for 7 days.
    // Review (money): it was recorded Failed, "voided at the payment processor; nothing was charged", though the money was
    // taken and went back: the history, the receipt and the payer's email said nothing was charged.
    [Fact]
    public async Task A_refund_of_a_charge_whose_answer_was_lost_is_recorded_refunded_and_a_late_succeeded_is_old_news()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E36", 7_700));
        var card = await CardAsync(h, "4000000000000119");   // the answer is lost
        Assert.Equal(PaymentStatus.Unconfirmed, (await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()))).Status);
        var payment = Assert.Single(await PaymentsAsync(h, account));
        var sink = h.Get<IGatewayEventSink>();
        var conflictsBefore = (await h.Get<PaymentOperations>().GetReportAsync()).ConflictingGatewayEvents;

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey,
            Charge(payment, ChargeStatus.Reversed, "The payment was refunded in full.") with { Refunded = true }));
        var refunded = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Refunded, PaymentFailureCodes.Refunded, "The payment was refunded in full."),
            (refunded.Status, refunded.FailureCode, refunded.FailureReason));

        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));

        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(conflictsBefore, (await h.Get<PaymentOperations>().GetReportAsync()).ConflictingGatewayEvents);
        // Never posted (its outcome was not known), so nothing to reverse either.
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpPayment));
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
        Assert.Equal((InvoiceStatus.Open, (Guid?)null), (await InvoiceRowsAsync(h, ids)).Select(i => (i.Status, i.ActivePaymentId)).Single());
        var email = Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        Assert.Contains("refund", email.Subject, StringComparison.OrdinalIgnoreCase);
    }

    // A charge the gateway cancelled before anything moved stays what it was: voided, nothing charged.
    [Fact]
    public async Task A_cancelled_charge_whose_answer_was_lost_is_recorded_voided_with_nothing_charged()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E37", 7_800));
        var card = await CardAsync(h, "4000000000000119");   // the answer is lost
        Assert.Equal(PaymentStatus.Unconfirmed, (await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()))).Status);
        var payment = Assert.Single(await PaymentsAsync(h, account));

        Assert.Equal(GatewayEventOutcome.Applied, await h.Get<IGatewayEventSink>().ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Reversed)));

        var voided = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Failed, PaymentFailureCodes.Voided), (voided.Status, voided.FailureCode));
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
    }

    // Review (money): a bank debit refunded at the processor before its "succeeded" reached the portal (events in any
    // order) was recorded Failed as voided with nothing charged; its ERP posting had gone out when the debit was accepted.
    [Fact]
    public async Task A_refund_of_a_debit_still_settling_is_recorded_refunded_and_its_posting_reversed_once()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E38", 12_500));
        var bank = await BankAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Processing, payment.Status);
        var sink = h.Get<IGatewayEventSink>();

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Reversed) with { Refunded = true }));
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));

        var refunded = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Refunded, PaymentFailureCodes.Refunded), (refunded.Status, refunded.FailureCode));
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpPayment));
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
    }

    /// <summary>The sandbox, whose status lookups say every charge was refunded in full.</summary>
    private sealed class RefundedAtTheGateway(SandboxGateway inner) : SandboxPassThrough(inner)
    {
        public override async Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default)
        {
            var found = await Inner.GetChargeStatusAsync(lookup, cancellationToken);
            return found with { Status = ChargeStatus.Reversed, ErrorCode = GatewayErrorCode.None, Refunded = true, Message = "The payment was refunded in full." };
        }
    }

    // Review (money): the reconciler's lookup of a payment whose answer was lost, refunded at the processor meanwhile,
    // recorded it Failed as voided with nothing charged.
    [Fact]
    public async Task The_reconciler_records_a_refund_it_finds_for_a_payment_whose_answer_was_lost_as_refunded()
    {
        await using var h = Harness(database, out var account, configure: b => b.Services.Replace(
            ServiceDescriptor.Scoped<IPaymentGateway>(sp => new RefundedAtTheGateway(sp.GetRequiredService<SandboxGateway>()))));
        var ids = await InvoicesAsync(h, account, new Item("INV-E39", 5_500));
        var card = await CardAsync(h, "4000000000000119");   // the answer is lost
        Assert.Equal(PaymentStatus.Unconfirmed, (await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()))).Status);

        h.Clock.Advance(TimeSpan.FromHours(1));
        await h.Get<PaymentReconciler>().ReconcileAsync();

        var refunded = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Refunded, PaymentFailureCodes.Refunded), (refunded.Status, refunded.FailureCode));
        Assert.Equal(1, await ChargeCountAsync(h, account));
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
    }

    [Fact]
    public async Task An_event_for_a_charge_of_another_system_is_unknown_and_recorded_once()
    {
        await using var h = Harness(database, out _);
        var sink = h.Get<IGatewayEventSink>();
        var foreign = new ChargeStatusEvent(EventId(), DateTimeOffset.UtcNow) { Reference = "ch_not_ours", IdempotencyKey = Key(), Status = ChargeStatus.Succeeded };
        Assert.Equal(GatewayEventOutcome.Unknown, await sink.ReportAsync(SandboxGateway.GatewayKey, foreign));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, foreign));
        // The same event id from another gateway is another event.
        Assert.Equal(GatewayEventOutcome.Unknown, await sink.ReportAsync("other-gateway", foreign));
    }

    [Fact]
    public async Task Method_updates_and_detaches_reach_the_stored_methods()
    {
        await using var h = Harness(database, out var account);
        var card = await CardAsync(h);
        var other = await CardAsync(h, "5555555555554444");
        string token;
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            token = (await db.PaymentMethods.SingleAsync(m => m.Id == card.Id)).Token;
        }
        var sink = h.Get<IGatewayEventSink>();

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey,
            new MethodUpdatedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token, ExpiryMonth = 9, ExpiryYear = 2031 }));
        var updated = await h.Get<PaymentMethodService>().GetAsync(card.Id);
        Assert.Equal((9, 2031), (updated.ExpiryMonth, updated.ExpiryYear));

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, new MethodDetachedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token }));
        var left = await h.Get<PaymentMethodService>().ListAsync();
        Assert.Equal([other.Id], left.Select(m => m.Id));
        Assert.Equal(GatewayEventOutcome.Unknown, await sink.ReportAsync(SandboxGateway.GatewayKey, new MethodDetachedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token }));
        Assert.True((await h.Get<PaymentMethodService>().GetAsync(other.Id)).IsDefault, "the remaining method became the default");
    }

    private static ChargeDisputedEvent Dispute(PaymentRecord p, DisputeStage stage, long? amountMinor = null) =>
        new(EventId(), DateTimeOffset.UtcNow)
        {
            Reference = p.GatewayReference!, Amount = Money.FromMinorUnits(amountMinor ?? p.AmountMinor, p.Currency), Reason = "fraudulent", Stage = stage,
        };

    // Review: a lost card dispute left the payment Succeeded and its invoices paid in the ERP, the money gone.
    [Fact]
    public async Task A_card_dispute_lost_in_full_returns_the_payment_and_reverses_it_in_the_erp_once()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E60", 31_000));
        var card = await CardAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Succeeded, payment.Status);
        var sink = h.Get<IGatewayEventSink>();

        // Opened: recorded, nothing changes (the dispute may be won).
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(payment, DisputeStage.Opened)));
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));

        var lost = Dispute(payment, DisputeStage.Lost);
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, lost));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, lost));
        // Another delivery of the outcome under another event id changes nothing more.
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(payment, DisputeStage.Lost)));
        // A late "succeeded" does not bring it back.
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));

        var done = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Returned, PaymentFailureCodes.Returned), (done.Status, done.FailureCode));
        Assert.Contains("disputed it (fraudulent)", done.FailureReason, StringComparison.Ordinal);
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
        Assert.Equal((InvoiceStatus.Open, (Guid?)null), (await InvoiceRowsAsync(h, ids)).Select(i => (i.Status, i.ActivePaymentId)).Single());
        Assert.Single(await EmailsAsync(h, account), e => e.Kind == NotificationKind.PaymentFailed);
        var actions = await AuditActionsAsync(h, account, payment.Id);
        Assert.Equal(1, actions.Count(a => a == "payment.disputed"));
        Assert.Equal(2, actions.Count(a => a == "payment.dispute-lost"));
    }

    [Fact]
    public async Task A_won_dispute_or_one_lost_for_part_of_the_charge_leaves_the_payment_paid_and_is_audited()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E61", 20_000), new Item("INV-E62", 8_000));
        var card = await CardAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key()));
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[1]], card.Id, Key()));
        var payments = await PaymentsAsync(h, account);
        var won = payments.Single(p => p.AmountMinor >= 20_000);
        var partly = payments.Single(p => p.Id != won.Id);
        var sink = h.Get<IGatewayEventSink>();

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(won, DisputeStage.Won)));
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(partly, DisputeStage.Lost, partly.AmountMinor - 100)));
        // The same amount in another currency is not the charge either.
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey,
            Dispute(partly, DisputeStage.Lost) with { Amount = Money.FromMinorUnits(partly.AmountMinor, partly.Currency == "EUR" ? "USD" : "EUR") }));

        Assert.All(await PaymentsAsync(h, account), p => Assert.Equal(PaymentStatus.Succeeded, p.Status));
        Assert.Equal(0, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
        Assert.All(await InvoiceRowsAsync(h, ids), i => Assert.NotEqual(InvoiceStatus.Open, i.Status));
        Assert.Equal(["payment.dispute-won"], (await AuditActionsAsync(h, account, won.Id)).Where(a => a.StartsWith("payment.dispute", StringComparison.Ordinal)));
        Assert.Equal(["payment.dispute-lost", "payment.dispute-lost"], (await AuditActionsAsync(h, account, partly.Id)).Where(a => a.StartsWith("payment.dispute", StringComparison.Ordinal)));
    }

    // Review (operations): a lost dispute on a refunded payment (the payer paid back twice) was only a log line, "Ignored":
    // the health check stayed Healthy and nothing an operator watches said money needed recovering.
    [Fact]
    public async Task A_dispute_lost_on_a_refunded_payment_changes_nothing_here_and_is_a_conflict_the_health_check_reports()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E63", 15_000));
        var card = await CardAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        var sink = h.Get<IGatewayEventSink>();
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Reversed)));
        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        var before = await ConflictsInHealthAsync(h);

        Assert.Equal(GatewayEventOutcome.Conflict, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(payment, DisputeStage.Lost)));
        // Lost for part of the charge is the same: on top of a full refund, the payer got more back than was paid.
        Assert.Equal(GatewayEventOutcome.Conflict, await sink.ReportAsync(SandboxGateway.GatewayKey, Dispute(payment, DisputeStage.Lost, payment.AmountMinor - 100)));

        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));   // the refund's, no second one
        Assert.Contains("payment.dispute-lost", await AuditActionsAsync(h, account, payment.Id));
        var health = (await h.Get<HealthCheckService>().CheckHealthAsync()).Entries[PaymentsHealthCheck.Name];
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal(before + 2, (int)health.Data["conflictingGatewayEvents"]);
        Assert.Contains("one it had refunded already: paid back twice", health.Description);
    }

    private static async Task<int> ConflictsInHealthAsync(PortalHarness h) =>
        (int)(await h.Get<HealthCheckService>().CheckHealthAsync()).Entries[PaymentsHealthCheck.Name].Data["conflictingGatewayEvents"];

    // Review: an ACH debit returned by the bank (or a bank dispute) after the portal had refunded it was ignored without a
    // word, where the same for a card (a lost dispute) is logged for an operator: the money went back twice. Then
    // (operations) it was logged but "Ignored": the health check stayed Healthy.
    [Fact]
    public async Task A_bank_return_of_a_refunded_payment_changes_nothing_here_and_is_a_conflict_the_health_check_reports()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E64", 15_000));
        var bank = await BankAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        var sink = h.Get<IGatewayEventSink>();
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Succeeded)));
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Reversed)));
        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        var before = await ConflictsInHealthAsync(h);

        Assert.Equal(GatewayEventOutcome.Conflict, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Returned, "R10: not authorized")));

        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));   // the refund's, no second one
        Assert.Contains("payment.returned-after-refund", await AuditActionsAsync(h, account, payment.Id));
        Assert.Equal(before + 1, await ConflictsInHealthAsync(h));
        Assert.Equal(before + 1, (await h.Get<PaymentOperations>().GetReportAsync()).ConflictingGatewayEvents);
    }

    // Review: an operator's "Charged" with the processor's charge id (Stripe's ch_…) replaced the stored PaymentIntent id
    // (pi_…) that every later gateway event names: a dispute or return of the payment then found nothing.
    [Fact]
    public async Task An_operator_resolving_a_payment_keeps_its_gateway_reference_so_later_events_still_find_it()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E66", 21_000));
        var bank = await BankAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal(PaymentStatus.Processing, payment.Status);
        var stored = payment.GatewayReference;
        Assert.NotNull(stored);

        Assert.Equal(ResolveResult.Resolved, await h.Get<PaymentOperations>().ResolvePaymentAsync(payment.Id, OperatorFinding.Charged, " ch_1 ",
            "Settled at the processor", "olive"));

        var resolved = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Succeeded, stored), (resolved.Status, resolved.GatewayReference));
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var subject = payment.Id.ToString();
            var audit = await db.AuditEvents.SingleAsync(a => a.AccountId == account && a.SubjectId == subject && a.Action == "payment.succeeded");
            Assert.Contains("ch_1", audit.DetailJson);
            Assert.Contains("Settled at the processor", audit.DetailJson);
        }

        // A dispute lost for the whole charge, named by the gateway's reference only (as Stripe's are), still finds it.
        Assert.Equal(GatewayEventOutcome.Applied, await h.Get<IGatewayEventSink>().ReportAsync(SandboxGateway.GatewayKey, Dispute(resolved, DisputeStage.Lost)));
        Assert.Equal(PaymentStatus.Returned, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Equal(1, await OutboxCountAsync(h, account, OutboxKind.ErpReversal));
    }

    // Review: a refund that failed after the payment was recorded refunded (final: invoices open again, the ERP reversal
    // sent) was never heard of: the money stayed with the merchant and nobody was told.
    [Fact]
    public async Task A_refund_that_fails_after_the_payment_was_refunded_is_a_conflict_audited_and_reported_by_the_health_check()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-E65", 8_800));
        var card = await CardAsync(h);
        await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        var payment = Assert.Single(await PaymentsAsync(h, account));
        var sink = h.Get<IGatewayEventSink>();
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, Charge(payment, ChargeStatus.Reversed)));
        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        async Task<HealthReportEntry> HealthAsync() => (await h.Get<HealthCheckService>().CheckHealthAsync()).Entries[PaymentsHealthCheck.Name];
        var before = (int)(await HealthAsync()).Data["conflictingGatewayEvents"];

        var failed = new RefundFailedEvent(EventId(), DateTimeOffset.UtcNow)
        {
            Reference = payment.GatewayReference!, RefundReference = "re_1", Amount = Money.FromMinorUnits(payment.AmountMinor, payment.Currency), Reason = "expired or canceled card",
        };
        Assert.Equal(GatewayEventOutcome.Conflict, await sink.ReportAsync(SandboxGateway.GatewayKey, failed));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, failed));
        Assert.Equal(GatewayEventOutcome.Unknown, await sink.ReportAsync(SandboxGateway.GatewayKey, failed with { EventId = EventId(), Reference = "pi_not_ours" }));

        Assert.Equal(PaymentStatus.Refunded, Assert.Single(await PaymentsAsync(h, account)).Status);
        Assert.Contains("payment.refund-failed", await AuditActionsAsync(h, account, payment.Id));
        var health = await HealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal(before + 1, (int)health.Data["conflictingGatewayEvents"]);
        Assert.Contains("a refund failed", health.Description);
    }

    /// <summary>A bank account stored while the gateway still verifies it (micro-deposits), and its token.</summary>
    private static async Task<(PaymentMethodView Method, string Token)> PendingBankAsync(PortalHarness h)
    {
        var bank = await BankAsync(h);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        await db.PaymentMethods.Where(m => m.Id == bank.Id).ExecuteUpdateAsync(x => x.SetProperty(m => m.VerificationPending, true));
        return (await h.Get<PaymentMethodService>().GetAsync(bank.Id), (await db.PaymentMethods.SingleAsync(m => m.Id == bank.Id)).Token);
    }

    private static async Task<List<string>> AuditActionsAsync(PortalHarness h, string account, Guid subjectId)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var subject = subjectId.ToString();
        return await db.AuditEvents.Where(a => a.AccountId == account && a.SubjectId == subject).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync();
    }

    // Review: "verification pending" was a label for good: nothing cleared it, and the method was offered for payments.
    [Fact]
    public async Task A_method_pending_verification_cannot_pay_until_the_gateway_reports_it_verified_which_is_audited()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-V10", 12_000));
        var (bank, token) = await PendingBankAsync(h);
        Assert.Equal(PaymentMethodStatus.VerificationPending, bank.Status);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key())));
        Assert.Equal(("method", "MethodVerificationPending"), (refused.Field, refused.Error?.Code));
        Assert.Contains("still being verified", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await PaymentsAsync(h, account));
        Assert.Equal(0, await ChargeCountAsync(h, account));

        var sink = h.Get<IGatewayEventSink>();
        var verified = new MethodUpdatedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token, VerificationPending = false };
        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey, verified));
        Assert.Equal(GatewayEventOutcome.Duplicate, await sink.ReportAsync(SandboxGateway.GatewayKey, verified));
        // Said again under another event id: nothing left to change.
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey, verified with { EventId = EventId() }));
        Assert.Equal(PaymentMethodStatus.Active, (await h.Get<PaymentMethodService>().GetAsync(bank.Id)).Status);
        Assert.Equal(1, (await AuditActionsAsync(h, account, bank.Id)).Count(a => a == "payment-method.verified"));

        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, Key()));
        Assert.Equal(PaymentStatus.Processing, outcome.Status);
    }

    [Fact]
    public async Task A_failed_verification_removes_the_pending_method_revokes_its_authorization_and_is_audited()
    {
        await using var h = Harness(database, out var account);
        var card = await CardAsync(h);
        var (bank, token) = await PendingBankAsync(h);
        var sink = h.Get<IGatewayEventSink>();

        // A failure reported for a verified method changes nothing.
        string cardToken;
        await using (var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            cardToken = (await db.PaymentMethods.SingleAsync(m => m.Id == card.Id)).Token;
        }
        Assert.Equal(GatewayEventOutcome.Ignored, await sink.ReportAsync(SandboxGateway.GatewayKey,
            new MethodUpdatedEvent(EventId(), DateTimeOffset.UtcNow) { Token = cardToken, VerificationFailed = true }));

        Assert.Equal(GatewayEventOutcome.Applied, await sink.ReportAsync(SandboxGateway.GatewayKey,
            new MethodUpdatedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token, VerificationFailed = true, VerificationFailure = "The test deposits were not confirmed in time." }));

        Assert.Equal([card.Id], (await h.Get<PaymentMethodService>().ListAsync()).Select(m => m.Id));
        Assert.NotNull(Assert.Single(await h.Get<PaymentMethodService>().GetAchAuthorizationsAsync(bank.Id)).RevokedAt);
        Assert.Contains("payment-method.verification-failed", await AuditActionsAsync(h, account, bank.Id));
        // A late "verified" for the removed method finds nothing.
        Assert.Equal(GatewayEventOutcome.Unknown, await sink.ReportAsync(SandboxGateway.GatewayKey,
            new MethodUpdatedEvent(EventId(), DateTimeOffset.UtcNow) { Token = token, VerificationPending = false }));
    }
}

public sealed class GatewayEventSinkTests_Sqlite(SqliteDatabase db) : GatewayEventSinkTests(db), IClassFixture<SqliteDatabase>;

public sealed class GatewayEventSinkTests_Postgres(PostgresDatabase database) : GatewayEventSinkTests(database), IClassFixture<PostgresDatabase>
{
    // Review: when the payment moved between the sink's read and its conditional update (the charge call's own answer,
    // the reconciler, another event; on PostgreSQL, where writers do not wait for the sink's transaction), the failed move
    // threw before the sink's "look again", and the webhook was answered 500. SQLite's writers take turns, so only here.
    [Fact]
    public async Task An_event_whose_payment_moved_meanwhile_is_looked_at_again_not_answered_with_an_error()
    {
        var pause = new CommandFault(CommandFault.IsStatusChange, pause: true);
        await using var b = PaymentSeed.Harness(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause));
        var ids = await PaymentSeed.InvoicesAsync(b, account, new PaymentSeed.Item("INV-E90", 20_000));
        var bank = await PaymentSeed.BankAsync(b);
        await b.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, bank.Id, PaymentSeed.Key()));
        var payment = Assert.Single(await PaymentSeed.PaymentsAsync(b, account));
        Assert.Equal(PaymentStatus.Processing, payment.Status);
        ChargeStatusEvent Event(ChargeStatus status, string? message = null) => new("evt_race_" + Guid.NewGuid().ToString("N")[..12], DateTimeOffset.UtcNow)
        {
            IdempotencyKey = payment.IdempotencyKey, Reference = payment.GatewayReference, Status = status, Message = message,
            ErrorCode = status == ChargeStatus.Returned ? GatewayErrorCode.Returned : GatewayErrorCode.None,
        };

        pause.Arm();
        var succeeded = Event(ChargeStatus.Succeeded);
        var onA = Task.Run(() => a.Get<IGatewayEventSink>().ReportAsync(SandboxGateway.GatewayKey, succeeded));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));   // A read the payment as Processing and is about to move it
        Assert.Equal(GatewayEventOutcome.Applied, await b.Get<IGatewayEventSink>().ReportAsync(SandboxGateway.GatewayKey, Event(ChargeStatus.Returned, "R01")));
        pause.Release();

        Assert.Equal(GatewayEventOutcome.Ignored, await onA.WaitAsync(TimeSpan.FromSeconds(30)));   // looked again: returned stays
        var stored = Assert.Single(await PaymentSeed.PaymentsAsync(b, account));
        Assert.Equal(PaymentStatus.Returned, stored.Status);
        await using var db = await b.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var recorded = await db.GatewayEvents.AsNoTracking().SingleAsync(e => e.EventId == succeeded.EventId);
        Assert.Equal((GatewayEventOutcome.Ignored, (Guid?)payment.Id), (recorded.Outcome, recorded.PaymentId));
    }
}
