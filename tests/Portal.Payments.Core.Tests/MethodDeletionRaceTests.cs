using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Autopay;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// A payer deletes a method while someone on the account pays, schedules or turns autopay on with it. The deletion's
/// checks (no autopay, no scheduled or unresolved payment) and its removal at the gateway must not let a payment be
/// stored with the method in between: before, a schedule made while the gateway removed the method was kept, and failed
/// on its date against a token that no longer existed.
/// </summary>
public abstract class MethodDeletionRaceTests(TestDatabase database)
{
    /// <summary>The sandbox, except that removing a method in <see cref="Held"/> waits until the test lets it answer.</summary>
    private sealed class HeldRemovalGateway(SandboxGateway inner, Removals removals) : SandboxPassThrough(inner)
    {
        public override async Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default)
        {
            if (!removals.Held.Contains(token))
            {
                return await Inner.RemoveMethodAsync(token, cancellationToken);
            }
            (Interlocked.Increment(ref removals.Count) == 1 ? removals.Asked : removals.AskedAgain).TrySetResult();
            return await removals.Answer.Task ?? await Inner.RemoveMethodAsync(token, cancellationToken);
        }
    }

    /// <summary>Which removals wait, and the answer they then give (null: the sandbox's own).</summary>
    private sealed class Removals
    {
        public HashSet<string> Held { get; } = [];
        public int Count;
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource AskedAgain { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<GatewayOperationResult?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private PortalHarness HeldHarness(Removals removals, out string account) => Harness(database, out account, configure: b => b.Services.Replace(
        ServiceDescriptor.Scoped<IPaymentGateway>(sp => new HeldRemovalGateway(sp.GetRequiredService<SandboxGateway>(), removals))));

    private static async Task RefusedAsBeingDeletedAsync(Func<Task> attempt)
    {
        var ex = await Assert.ThrowsAsync<PortalValidationException>(attempt);
        Assert.Equal(("method", "MethodBeingDeleted"), (ex.Field, ex.Error?.Code));
    }

    [Fact]
    public async Task While_the_gateway_removes_a_method_it_cannot_pay_schedule_take_over_a_scheduled_payment_or_start_autopay_and_the_deletion_then_ends()
    {
        var removals = new Removals();
        await using var h = HeldHarness(removals, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D1", 12_000), new Item("INV-D2", 5_000));
        var card = await CardAsync(h);
        var other = await CardAsync(h, "5555555555554444");
        var scheduling = h.Get<ScheduledPaymentService>();
        var elsewhere = await scheduling.ScheduleAsync(new SchedulePaymentRequest([ids[1]], Today.AddDays(4), other.Id, Key()));
        removals.Held.Add((await MethodRowAsync(h, card.Id)).Token);
        var methods = h.Get<PaymentMethodService>();

        var delete = methods.DeleteAsync(card.Id);
        await removals.Asked.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await RefusedAsBeingDeletedAsync(() => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key())));
        await RefusedAsBeingDeletedAsync(() => scheduling.ScheduleAsync(new SchedulePaymentRequest([ids[0]], Today.AddDays(3), card.Id, Key())));
        await RefusedAsBeingDeletedAsync(() => scheduling.ChangeAsync(elsewhere.PaymentId, Today.AddDays(4), card.Id));
        await RefusedAsBeingDeletedAsync(() => h.Get<AutopayService>().EnrollAsync(new AutopayTerms(card.Id, AutopayRule.DueDate)));
        var second = methods.DeleteAsync(card.Id);   // a double click (or a try after no answer) takes the hold over
        await removals.AskedAgain.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await RefusedAsBeingDeletedAsync(() => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key())));
        Assert.Equal(0, await ChargeCountAsync(h, account));

        removals.Answer.SetResult(null);
        await delete.WaitAsync(TimeSpan.FromSeconds(30));
        await second.WaitAsync(TimeSpan.FromSeconds(30));

        var row = await MethodRowAsync(h, card.Id);
        Assert.NotNull(row.DeletedAt);
        Assert.Null(row.RemovingUntil);
        var payments = await PaymentsAsync(h, account);
        var kept = Assert.Single(payments);   // only the payment scheduled with the other card, unchanged
        Assert.Equal((elsewhere.PaymentId, (Guid?)other.Id, PaymentStatus.Scheduled), (kept.Id, kept.PaymentMethodId, kept.Status));
        Assert.Null((await h.Get<AutopayService>().GetAsync()).Enrollment);
        Assert.Equal(0, await ChargeCountAsync(h, account));
    }

    [Fact]
    public async Task A_removal_the_gateway_refuses_lets_the_method_go_and_it_pays_and_deletes_as_before()
    {
        var removals = new Removals();
        await using var h = HeldHarness(removals, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D3", 8_000));
        var card = await CardAsync(h);
        removals.Held.Add((await MethodRowAsync(h, card.Id)).Token);
        removals.Answer.SetResult(GatewayOperationResult.Fail(GatewayErrorCode.InvalidRequest, "This payment method cannot be removed."));
        var methods = h.Get<PaymentMethodService>();

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => methods.DeleteAsync(card.Id));

        Assert.Equal("method", refused.Field);
        var row = await MethodRowAsync(h, card.Id);
        Assert.Null(row.DeletedAt);
        Assert.Null(row.RemovingUntil);
        var scheduled = await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), card.Id, Key()));
        Assert.Equal((Guid?)card.Id, Assert.Single(await PaymentsAsync(h, account)).PaymentMethodId);
        await h.Get<ScheduledPaymentService>().CancelAsync([scheduled.PaymentId]);
        removals.Held.Clear();
        await methods.DeleteAsync(card.Id);
        Assert.NotNull((await MethodRowAsync(h, card.Id)).DeletedAt);
    }

    [Fact]
    public async Task A_removal_whose_answer_does_not_say_keeps_the_method_held_until_the_next_try_or_until_the_hold_runs_out()
    {
        var removals = new Removals();
        await using var h = HeldHarness(removals, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D5", 6_000));
        var card = await CardAsync(h);
        var other = await CardAsync(h, "5555555555554444");
        removals.Held.Add((await MethodRowAsync(h, card.Id)).Token);
        removals.Held.Add((await MethodRowAsync(h, other.Id)).Token);
        removals.Answer.SetResult(GatewayOperationResult.Fail(GatewayErrorCode.Unavailable, "The payment service did not answer."));
        var methods = h.Get<PaymentMethodService>();
        var scheduling = h.Get<ScheduledPaymentService>();

        // Told as a gateway that does not answer (worded in the payer's language), as a removal that threw is.
        Assert.Equal("GatewayNotAnswering", (await Assert.ThrowsAsync<PortalValidationException>(() => methods.DeleteAsync(card.Id))).Error?.Code);
        await Assert.ThrowsAsync<PortalValidationException>(() => methods.DeleteAsync(other.Id));

        // Either may be gone at the gateway: nothing pays with them meanwhile.
        await RefusedAsBeingDeletedAsync(() => scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), card.Id, Key())));
        await RefusedAsBeingDeletedAsync(() => scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), other.Id, Key())));
        // The next try takes the hold over and, with the gateway answering, deletes the card.
        removals.Held.Remove((await MethodRowAsync(h, card.Id)).Token);
        await methods.DeleteAsync(card.Id);
        Assert.NotNull((await MethodRowAsync(h, card.Id)).DeletedAt);
        // Without a next try the hold runs out (twice Charging:GatewayTimeout and a minute) and the other card pays again.
        h.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        await scheduling.ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), other.Id, Key()));
        Assert.Equal((Guid?)other.Id, Assert.Single(await PaymentsAsync(h, account)).PaymentMethodId);
    }

    /// <summary>
    /// PostgreSQL: a schedule being stored with the method (its transaction open, here held up on an invoice row another
    /// transaction has locked) when the deletion checks. The deletion waits for it and then sees it, so it is refused,
    /// naming the scheduled payment; before, the deletion's checks ran past the uncommitted schedule and removed the method.
    /// </summary>
    protected async Task A_deletion_waits_for_a_schedule_being_stored_with_the_method_and_is_refused_naming_it()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-D4", 9_900));
        var card = await CardAsync(h);
        await using var blocker = new NpgsqlConnection(database.ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM pp_invoices WHERE \"Id\" = {ids[0]} FOR UPDATE", blocker, hold))
        {
            await lockRow.ExecuteScalarAsync();
        }

        var schedule = h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), card.Id, Key()));
        await WaitingOnLocksAsync(1);   // the schedule: its payment and the method's hold written, its invoice hold waiting
        var delete = h.Get<PaymentMethodService>().DeleteAsync(card.Id);
        await WaitingOnLocksAsync(2);   // the deletion waits for the schedule's hold of the method
        Assert.False(delete.IsCompleted);
        await hold.CommitAsync();

        var scheduled = await schedule.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => delete.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("method", "MethodPaysScheduledOne"), (refused.Field, refused.Error?.Code));
        Assert.Contains(scheduled.ReceiptNumber, refused.Message, StringComparison.Ordinal);
        var row = await MethodRowAsync(h, card.Id);
        Assert.Null(row.DeletedAt);
        Assert.Null(row.RemovingUntil);
        Assert.Equal((Guid?)card.Id, Assert.Single(await PaymentsAsync(h, account)).PaymentMethodId);
    }

    private async Task WaitingOnLocksAsync(int count)
    {
        await using var watch = new NpgsqlConnection(database.ConnectionString);
        await watch.OpenAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", watch);
            var waiting = (long)(await cmd.ExecuteScalarAsync())!;
            if (waiting >= count)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < until, $"{waiting} of {count} sessions waiting on a lock after 30 s.");
            await Task.Delay(20);
        }
    }
}

public sealed class MethodDeletionRaceTests_Sqlite(SqliteDatabase db) : MethodDeletionRaceTests(db), IClassFixture<SqliteDatabase>;

public sealed class MethodDeletionRaceTests_Postgres(PostgresDatabase db) : MethodDeletionRaceTests(db), IClassFixture<PostgresDatabase>
{
    [Fact]
    public Task A_deletion_waits_for_a_schedule_being_stored_with_the_method_is_refused_naming_it() =>
        A_deletion_waits_for_a_schedule_being_stored_with_the_method_and_is_refused_naming_it();
}
