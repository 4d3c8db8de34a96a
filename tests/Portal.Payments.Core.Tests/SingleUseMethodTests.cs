using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services;
using Portal.Payments.Services.Payments;
using Xunit;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// A card not saved for future payments: never listed or the default, kept while a payment still needs it (a scheduled
/// one until it is charged), removed at the gateway and here once its payment went through, or a day after it was added
/// when none did. The harness clock reads 2026-03-02 09:00 UTC.
/// </summary>
public abstract class SingleUseMethodTests(TestDatabase database)
{
    private static PortalHarness Recording(TestDatabase db, out string account, out ConcurrentQueue<string> removed)
    {
        var tokens = removed = new ConcurrentQueue<string>();
        return Harness(db, out account, configure: b => b.Services.Replace(
            ServiceDescriptor.Scoped<IPaymentGateway>(sp => new RemovalRecordingGateway(sp.GetRequiredService<SandboxGateway>(), tokens))));
    }

    private static async Task<PaymentMethodView> UnsavedCardAsync(PortalHarness h, string number = "4242424242424242")
    {
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput(number, 12, 2030, "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        return await h.Get<PaymentMethodService>().AddCardAsync(
            new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()) { SaveForFuture = false });
    }

    [Fact]
    public async Task An_unsaved_card_is_not_listed_never_the_default_and_the_next_saved_card_is()
    {
        await using var h = Harness(database, out _);
        var methods = h.Get<PaymentMethodService>();

        var unsaved = await UnsavedCardAsync(h);
        var saved = await CardAsync(h, "5555555555554444");

        Assert.False(unsaved.SavedForFuture);
        Assert.False(unsaved.IsDefault);
        Assert.Equal([saved.Id], (await methods.ListAsync()).Select(m => m.Id));
        Assert.True((await methods.ListAsync())[0].IsDefault);
        Assert.True((await methods.GetAsync(unsaved.Id)) is { SavedForFuture: false });
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => methods.SetDefaultAsync(unsaved.Id));
        Assert.Equal("method", refused.Field);
        Assert.Contains("one payment only", refused.Message);
    }

    [Fact]
    public async Task Autopay_refuses_an_unsaved_card()
    {
        await using var h = Harness(database, out _);
        var card = await UnsavedCardAsync(h);

        var refused = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<Portal.Payments.Services.Autopay.AutopayService>().EnrollAsync(new Portal.Payments.Services.Autopay.AutopayTerms(card.Id, AutopayRule.DueDate)));

        Assert.Equal(("method", "AutopayMethodNotSaved"), (refused.Field, refused.Error?.Code));
    }

    // Review: a card kept for one payment only paid any number of payments until the sweeper removed it (a deposit form's
    // "Make another deposit" kept it chosen).
    [Fact]
    public async Task An_unsaved_card_pays_one_payment_a_failed_try_leaves_it_free_and_a_second_payment_is_refused()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-SU-O1", 30_000), new Item("INV-SU-O2", 20_000));
        var payments = h.Get<PaymentService>();
        var deposits = h.Get<DepositService>();

        // A decline leaves a card free for another try (here the payer corrects nothing; the sandbox declines this one).
        var declining = await UnsavedCardAsync(h, "4000000000000002");
        Assert.Equal(PaymentStatus.Failed, (await payments.PayInvoicesAsync(new PayInvoicesRequest([ids[0]], declining.Id, Key()))).Status);
        Assert.Equal(PaymentStatus.Failed, (await payments.PayInvoicesAsync(new PayInvoicesRequest([ids[0]], declining.Id, Key()))).Status);

        var card = await UnsavedCardAsync(h);
        var first = new PayInvoicesRequest([ids[0]], card.Id, Key());
        var paid = await payments.PayInvoicesAsync(first);
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
        // The same confirmation sent again is the same payment, not a second one.
        Assert.Equal(paid.PaymentId, (await payments.PayInvoicesAsync(first)).PaymentId);
        var before = (await PaymentsAsync(h, account)).Count;

        var again = await Assert.ThrowsAsync<PortalValidationException>(() => payments.PayInvoicesAsync(new PayInvoicesRequest([ids[1]], card.Id, Key())));
        Assert.Equal(("method", "MethodUsedOnce"), (again.Field, again.Error?.Code));
        Assert.Equal("That card was added for one payment only, and it has been used for it. Choose another method, or add the card again.", again.Message);
        var deposit = await Assert.ThrowsAsync<PortalValidationException>(() => deposits.MakeDepositAsync(new DepositRequest(Usd(50m), null, card.Id, Key())));
        Assert.Equal(("method", "MethodUsedOnce"), (deposit.Field, deposit.Error?.Code));
        var scheduled = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest([ids[1]], Today.AddDays(3), card.Id, Key())));
        Assert.Equal(("method", "MethodUsedOnce"), (scheduled.Field, scheduled.Error?.Code));
        Assert.Equal(before, (await PaymentsAsync(h, account)).Count);
    }

    // Review: on PostgreSQL, a condition inside the hold's update read the payments as they were before it waited for
    // the method's row, so a second payment stored at the same moment took the card too.
    [Fact]
    public async Task Two_payments_stored_at_the_same_moment_with_an_unsaved_card_one_is_refused_and_the_card_is_charged_once()
    {
        var pause = new CommandFault(sql => sql.Contains("UPDATE", StringComparison.OrdinalIgnoreCase) && sql.Contains("pp_invoices", StringComparison.Ordinal), pause: true);
        await using var b = Harness(database, out var account);
        await using var a = new PortalHarness(database, x => x.AddDbInterceptor(pause));
        var ids = await InvoicesAsync(b, account, new Item("INV-SU-C1", 30_000), new Item("INV-SU-C2", 20_000));
        var card = await UnsavedCardAsync(b);
        a.Users.User = b.Users.User;

        pause.Arm();
        var onA = Task.Run(() => a.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[0]], card.Id, Key())));
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));   // A holds the card and is about to hold its invoice
        var onB = Task.Run(() => b.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[1]], card.Id, Key())));
        await Task.WhenAny(onB, Task.Delay(TimeSpan.FromSeconds(1)));   // let B run as far as it can
        pause.Release();

        Assert.Equal(PaymentStatus.Succeeded, (await onA.WaitAsync(TimeSpan.FromSeconds(30))).Status);
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => onB.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(refused.Error?.Code, new[] { "MethodUsedOnce", "MethodOnePaymentOpen" });
        Assert.Single(await PaymentsAsync(b, account));
        Assert.Equal(1, await ChargeCountAsync(b, account));
    }

    [Fact]
    public async Task An_unsaved_card_a_scheduled_payment_holds_pays_nothing_else_and_no_other_scheduled_payment_moves_to_it()
    {
        await using var h = Harness(database, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-SU-S1", 30_000), new Item("INV-SU-S2", 20_000), new Item("INV-SU-S3", 10_000));
        var schedule = h.Get<ScheduledPaymentService>();
        var card = await UnsavedCardAsync(h);
        var saved = await CardAsync(h, "5555555555554444");
        var held = await schedule.ScheduleAsync(new SchedulePaymentRequest([ids[0]], Today.AddDays(3), card.Id, Key()));
        var other = await schedule.ScheduleAsync(new SchedulePaymentRequest([ids[1]], Today.AddDays(4), saved.Id, Key()));

        var now = await Assert.ThrowsAsync<PortalValidationException>(() =>
            h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest([ids[2]], card.Id, Key())));
        Assert.Equal(("method", "MethodOnePaymentOpen"), (now.Field, now.Error?.Code));
        Assert.Equal("That card was added for one payment only, and a payment with it is still open. See your payment history, or choose another method.", now.Message);
        var moved = await Assert.ThrowsAsync<PortalValidationException>(() =>
            schedule.ChangeAsync(other.PaymentId, null, card.Id));
        Assert.Equal(("method", "MethodOnePaymentOpen"), (moved.Field, moved.Error?.Code));
        Assert.Equal((Guid?)saved.Id, Assert.Single(await PaymentsAsync(h, account), p => p.Id == other.PaymentId).PaymentMethodId);

        // The payment holding it still changes its date with it, and is charged with it when due.
        await schedule.ChangeAsync(held.PaymentId, Today.AddDays(2), card.Id);
        h.Clock.Advance(TimeSpan.FromDays(2));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(await PaymentsAsync(h, account), p => p.Id == held.PaymentId).Status);
    }

    [Fact]
    public async Task A_scheduled_payment_keeps_its_unsaved_card_until_it_is_charged_then_the_card_is_removed_at_the_gateway()
    {
        await using var h = Recording(database, out var account, out var removed);
        var ids = await InvoicesAsync(h, account, new Item("INV-SU-1", 25_000));
        var card = await UnsavedCardAsync(h);
        var token = (await MethodRowAsync(h, card.Id)).Token;
        await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), card.Id, Key()));
        var sweeper = h.Get<SingleUseMethodSweeper>();

        // Two days on, and past the day's grace for unused cards: the scheduled payment still needs it. (The sweep is for
        // every account of the shared test database: each test checks its own card.)
        h.Clock.Advance(TimeSpan.FromDays(2));
        await sweeper.SweepAsync();
        Assert.Null((await MethodRowAsync(h, card.Id)).DeletedAt);
        Assert.DoesNotContain(token, removed);

        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Get<ScheduledPaymentRunner>().RunDueAsync();
        Assert.Equal(PaymentStatus.Succeeded, Assert.Single(await PaymentsAsync(h, account)).Status);

        Assert.True(await sweeper.SweepAsync() >= 1);
        Assert.Single(removed, token);
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime, (await MethodRowAsync(h, card.Id)).DeletedAt);
        await sweeper.SweepAsync();
        Assert.Single(removed, token);
        // The receipt still names the card.
        Assert.Equal(card.Id, Assert.Single(await PaymentsAsync(h, account)).PaymentMethodId);
    }

    [Fact]
    public async Task An_unsaved_card_no_payment_went_through_with_is_kept_a_day_for_another_try_then_removed()
    {
        await using var h = Recording(database, out _, out var removed);
        var card = await UnsavedCardAsync(h);
        var saved = await CardAsync(h, "5555555555554444");
        var sweeper = h.Get<SingleUseMethodSweeper>();

        var token = (await MethodRowAsync(h, card.Id)).Token;

        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor - TimeSpan.FromMinutes(1));
        await sweeper.SweepAsync();
        Assert.Null((await MethodRowAsync(h, card.Id)).DeletedAt);
        Assert.DoesNotContain(token, removed);

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await sweeper.SweepAsync() >= 1);
        Assert.NotNull((await MethodRowAsync(h, card.Id)).DeletedAt);
        Assert.Null((await MethodRowAsync(h, saved.Id)).DeletedAt);
        Assert.Single(removed, token);
    }

    [Fact]
    public async Task When_the_gateway_cannot_remove_it_the_card_stays_and_is_tried_again_after_a_wait()
    {
        var failing = true;
        var asked = new ConcurrentQueue<string>();
        await using var h = Harness(database, out _, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new RemovalRecordingGateway(sp.GetRequiredService<SandboxGateway>(), new(), () => failing, token => { asked.Enqueue(token); return Task.CompletedTask; }))));
        var card = await UnsavedCardAsync(h);
        var sweeper = h.Get<SingleUseMethodSweeper>();
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));

        await sweeper.SweepAsync();
        Assert.Null((await MethodRowAsync(h, card.Id)).DeletedAt);
        Assert.Single(asked);
        failing = false;

        // Not asked again at every pass: it waits, so a refusal does not cost the gateway a call a minute.
        h.Clock.Advance(SingleUseMethodSweeper.RetryAfter - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await sweeper.SweepAsync());
        Assert.Single(asked);

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await sweeper.SweepAsync());
        Assert.NotNull((await MethodRowAsync(h, card.Id)).DeletedAt);
        Assert.Equal(2, asked.Count);
    }

    // Review: a refused removal kept the sweeper's hold until its claim ran out, refusing payments with a card still there.
    [Fact]
    public async Task A_removal_the_gateway_refuses_lets_the_card_pay_at_once()
    {
        await using var h = Harness(database, out var account, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new RemovalRecordingGateway(sp.GetRequiredService<SandboxGateway>(), unavailable: () => true, refusal: GatewayErrorCode.InvalidRequest))));
        var card = await UnsavedCardAsync(h);
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));
        var ids = await InvoicesAsync(h, account, new Item("INV-SU-R", 4_000));

        Assert.Equal(0, await h.Get<SingleUseMethodSweeper>().SweepAsync());

        var row = await MethodRowAsync(h, card.Id);
        Assert.Null(row.DeletedAt);
        Assert.Null(row.RemovingUntil);
        var scheduled = await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, Today.AddDays(3), card.Id, Key()));
        Assert.Equal((Guid?)card.Id, Assert.Single(await PaymentsAsync(h, account), p => p.Id == scheduled.PaymentId).PaymentMethodId);
    }

    // Review: the sweeper had no claim, so every node asked the gateway to remove the same methods at the same time.
    [Fact]
    public async Task Two_nodes_sweeping_at_once_ask_the_gateway_about_each_method_once()
    {
        var asked = new ConcurrentQueue<string>();
        string? held = null;
        var heldAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = Harness(database, out _, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new RemovalRecordingGateway(sp.GetRequiredService<SandboxGateway>(), asking: async token =>
            {
                asked.Enqueue(token);
                if (token == held && heldAsked.TrySetResult())
                {
                    await release.Task;   // node A waits for the gateway's answer about the older card
                }
            }))));
        var older = await UnsavedCardAsync(h);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var newer = await UnsavedCardAsync(h, "5555555555554444");
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));
        held = (await MethodRowAsync(h, older.Id)).Token;
        var newerToken = (await MethodRowAsync(h, newer.Id)).Token;

        var nodeA = ActivatorUtilities.CreateInstance<SingleUseMethodSweeper>(h.Services).SweepAsync();
        await heldAsked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Node B sweeps while A waits: it leaves A's card to A (the database's other tests' cards may be swept too).
        await ActivatorUtilities.CreateInstance<SingleUseMethodSweeper>(h.Services).SweepAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(asked, held);
        Assert.Single(asked, newerToken);
        Assert.NotNull((await MethodRowAsync(h, newer.Id)).DeletedAt);

        release.SetResult();
        await nodeA.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(asked, held);
        Assert.Single(asked, newerToken);   // A, going on, finds B's removal done
        Assert.NotNull((await MethodRowAsync(h, older.Id)).DeletedAt);
    }

    // Review: the claim did not look at payments again, so a card a payment took up while the sweep asked the gateway
    // about the cards before it was removed all the same (the payment then failed at the gateway).
    [Fact]
    public async Task A_card_a_payment_takes_up_while_the_sweep_runs_is_kept()
    {
        var asked = new ConcurrentQueue<string>();
        string? held = null;
        var heldAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = Harness(database, out var account, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new RemovalRecordingGateway(sp.GetRequiredService<SandboxGateway>(), asking: async token =>
            {
                asked.Enqueue(token);
                if (token == held && heldAsked.TrySetResult())
                {
                    await release.Task;
                }
            }))));
        var older = await UnsavedCardAsync(h);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var newer = await UnsavedCardAsync(h, "5555555555554444");
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));
        held = (await MethodRowAsync(h, older.Id)).Token;
        var newerToken = (await MethodRowAsync(h, newer.Id)).Token;
        var ids = await InvoicesAsync(h, account, new Item("INV-SU-9", 5_000));

        var sweep = h.Get<SingleUseMethodSweeper>().SweepAsync();
        await heldAsked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // While the gateway is asked about the older card, the payer schedules a payment with the newer one.
        var today = DateOnly.FromDateTime(h.Clock.GetUtcNow().UtcDateTime);
        await h.Get<ScheduledPaymentService>().ScheduleAsync(new SchedulePaymentRequest(ids, today.AddDays(3), newer.Id, Key()));
        release.SetResult();
        await sweep.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull((await MethodRowAsync(h, older.Id)).DeletedAt);
        Assert.Null((await MethodRowAsync(h, newer.Id)).DeletedAt);
        Assert.DoesNotContain(newerToken, asked);
    }

    [Fact]
    public async Task A_gateway_that_cannot_remove_methods_says_so_and_the_portal_deletes_them_on_its_side()
    {
        await using var h = Harness(database, out _, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new NoRemovalGateway(sp.GetRequiredService<SandboxGateway>()))));
        var gateway = h.Get<IPaymentGateway>();
        var answer = await gateway.RemoveMethodAsync("pm_any");
        Assert.Equal((false, GatewayErrorCode.Unsupported), (answer.Succeeded, answer.ErrorCode));

        // An unsaved card is let go after its day instead of being asked about on every pass.
        var unsaved = await UnsavedCardAsync(h);
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));
        Assert.True(await h.Get<SingleUseMethodSweeper>().SweepAsync() >= 1);
        Assert.NotNull((await MethodRowAsync(h, unsaved.Id)).DeletedAt);

        // A saved card the payer deletes is deleted (not refused), as with a gateway that removed it.
        var saved = await CardAsync(h);
        await h.Get<PaymentMethodService>().DeleteAsync(saved.Id);
        Assert.NotNull((await MethodRowAsync(h, saved.Id)).DeletedAt);
    }

    [Fact]
    public async Task A_gateway_that_throws_instead_of_answering_is_told_as_not_answering_and_nothing_changes()
    {
        var down = false;
        await using var h = Harness(database, out _, configure: b => b.Services.Replace(ServiceDescriptor.Scoped<IPaymentGateway>(sp =>
            new UnreachableGateway(sp.GetRequiredService<SandboxGateway>(), () => down))));
        var saved = await CardAsync(h);
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("5555555555554444", 6, 2029, "123", "Pat Payer", "02139"));
        down = true;
        var methods = h.Get<PaymentMethodService>();

        var delete = await Assert.ThrowsAsync<PortalValidationException>(() => methods.DeleteAsync(saved.Id));
        var add = await Assert.ThrowsAsync<PortalValidationException>(() => methods.AddCardAsync(
            new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key())));

        Assert.All(new[] { delete, add }, ex => Assert.Equal(("method", "GatewayNotAnswering"), (ex.Field, ex.Error?.Code)));
        Assert.Null((await MethodRowAsync(h, saved.Id)).DeletedAt);
        Assert.Single(await methods.ListAsync());
    }

    /// <summary>The sandbox, throwing what an HttpClient-based adapter throws while its processor is unreachable.</summary>
    private sealed class UnreachableGateway(SandboxGateway inner, Func<bool> down) : SandboxPassThrough(inner)
    {
        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
            down() ? throw new HttpRequestException("Connection refused (api.processor.example:443)") : Inner.StoreMethodAsync(request, cancellationToken);

        public override Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default) =>
            down() ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.")
                : Inner.RemoveMethodAsync(token, cancellationToken);
    }

    /// <summary>A gateway built on <see cref="PaymentGatewayBase"/> without <c>RemoveMethodAsync</c> (its default).</summary>
    private sealed class NoRemovalGateway(SandboxGateway inner) : SandboxPassThrough(inner);

    /// <summary>
    /// The sandbox, recording the tokens it was asked to remove (or refusing while <paramref name="unavailable"/> says so);
    /// <paramref name="asking"/> hears of every ask first (and may hold it).
    /// Optional parameters: the registration tests' assembly scan finds this class and must be able to build it.
    /// </summary>
    private sealed class RemovalRecordingGateway(SandboxGateway inner, ConcurrentQueue<string>? removed = null, Func<bool>? unavailable = null,
        Func<string, Task>? asking = null, GatewayErrorCode refusal = GatewayErrorCode.Unavailable) : PaymentGatewayBase
    {
        private readonly ConcurrentQueue<string> _removed = removed ?? new();

        public override string Key => inner.Key;

        public override GatewayCapabilities Capabilities => inner.Capabilities;

        public override Type CaptureComponent => inner.CaptureComponent;

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
            inner.StoreMethodAsync(request, cancellationToken);

        public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) =>
            inner.ChargeAsync(request, cancellationToken);

        public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
            inner.GetChargeStatusAsync(lookup, cancellationToken);

        public override async Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default)
        {
            if (asking is not null)
            {
                await asking(token);
            }
            if (unavailable?.Invoke() == true)
            {
                return GatewayOperationResult.Fail(refusal, refusal == GatewayErrorCode.Unavailable ? "The gateway is down." : "The gateway refused the removal.");
            }
            var result = await inner.RemoveMethodAsync(token, cancellationToken);
            _removed.Enqueue(token);
            return result;
        }
    }
}

public sealed class SingleUseMethodTests_Sqlite(SqliteDatabase db) : SingleUseMethodTests(db), IClassFixture<SqliteDatabase>;

public sealed class SingleUseMethodTests_Postgres(PostgresDatabase db) : SingleUseMethodTests(db), IClassFixture<PostgresDatabase>;
