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
/// A gateway that never answers a call outside charging and lookups — the reconciler's cancel of an abandoned
/// authentication, the sweeper's removal of an unsaved card, a payer's save or delete of a method — either ignoring its
/// token or honouring it: each call is cut off after <c>Charging:GatewayTimeout</c> on the injected clock, so a runner
/// pass returns (and the next one runs) and a form hears "not answering" instead of waiting for good.
/// </summary>
public abstract class HangingGatewayTests(TestDatabase database)
{
    private const string ThreeDsCard = "4000002500003155";

    /// <summary><c>Charging:GatewayTimeout</c>'s default; the harness's fake clock drives it.</summary>
    private static readonly TimeSpan GatewayTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Which calls hang (void keys, method tokens, store keys), shared by the scoped gateways of one harness.</summary>
    private sealed class Hangs(bool honoursToken)
    {
        private readonly HangingCall _call = new(honoursToken);
        public ConcurrentDictionary<string, bool> Keys { get; } = new();
        public TaskCompletionSource<CancellationToken> Called => _call.Called;
        public TaskCompletionSource Cancelled => _call.Cancelled;

        public Task<T> HangAsync<T>(CancellationToken ct) => _call.HangAsync<T>(ct);
    }

    /// <summary>The sandbox, except that a call about a key or token in <see cref="Hangs.Keys"/> never answers.</summary>
    private sealed class HangingGateway(SandboxGateway inner, Hangs hangs) : SandboxPassThrough(inner)
    {
        public override Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default) =>
            hangs.Keys.ContainsKey(request.IdempotencyKey) ? hangs.HangAsync<ChargeResult>(cancellationToken) : Inner.VoidAsync(request, cancellationToken);

        public override Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default) =>
            hangs.Keys.ContainsKey(token) ? hangs.HangAsync<GatewayOperationResult>(cancellationToken) : Inner.RemoveMethodAsync(token, cancellationToken);

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
            hangs.Keys.ContainsKey(request.IdempotencyKey) ? hangs.HangAsync<StoreMethodResult>(cancellationToken) : Inner.StoreMethodAsync(request, cancellationToken);
    }

    private PortalHarness HangingHarness(Hangs hangs, out string account) => Harness(database, out account, configure: b => b.Services.Replace(
        ServiceDescriptor.Scoped<IPaymentGateway>(sp => new HangingGateway(sp.GetRequiredService<SandboxGateway>(), hangs))));

    private static ScheduledPaymentBackgroundService Pass(PortalHarness h) => ActivatorUtilities.CreateInstance<ScheduledPaymentBackgroundService>(h.Services);

    private static Task EndsAsync(Task task, string what) => HangingCall.EndsAsync(task, what);

    /// <summary>
    /// Lets the hanging call reach the gateway, moves the clock to just before the time limit (the task must still wait),
    /// then onto it (the task must end); with a token-honouring gateway, its token was cancelled.
    /// </summary>
    private static async Task CutOffAsync(PortalHarness h, Hangs hangs, bool honoursToken, Task task, string what)
    {
        var token = await hangs.Called.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(token.IsCancellationRequested);
        h.Clock.Advance(GatewayTimeout - TimeSpan.FromMilliseconds(1));
        await Task.WhenAny(task, Task.Delay(100));
        Assert.False(task.IsCompleted, what + " gave up before Charging:GatewayTimeout.");
        h.Clock.Advance(TimeSpan.FromMilliseconds(1));
        await EndsAsync(task, what);
        if (honoursToken)
        {
            await EndsAsync(hangs.Cancelled.Task, "The gateway's wait for its token");
            Assert.True(token.IsCancellationRequested);
        }
    }

    // Review: the reconciler cancelled an abandoned authentication with CancellationToken.None, so a hanging gateway kept
    // the runner pass (autopay, scheduled charges, reconciliation) from ever returning on that node.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancel_of_an_abandoned_authentication_that_never_answers_is_cut_off_and_the_next_pass_fails_the_payment(bool honoursToken)
    {
        var hangs = new Hangs(honoursToken);
        await using var h = HangingHarness(hangs, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-H10", 7_700));
        var card = await CardAsync(h, ThreeDsCard);
        var outcome = await h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key()));
        Assert.Equal(PaymentStatus.RequiresAction, outcome.Status);
        hangs.Keys[Assert.Single(await PaymentsAsync(h, account)).IdempotencyKey + "-void"] = true;
        h.Clock.Advance(TimeSpan.FromMinutes(61));   // the payer's hour is over: the reconciler cancels the charge
        var pass = Pass(h);

        var first = pass.RunPassAsync(CancellationToken.None);
        await CutOffAsync(h, hangs, honoursToken, first, "The runner pass");

        Assert.Equal(0, await first);   // no stage failed: no answer to the cancel is "checked again later"
        Assert.Equal(PaymentStatus.RequiresAction, Assert.Single(await PaymentsAsync(h, account)).Status);   // never failed while the cancel is unanswered

        // The gateway answers again: the next pass runs, cancels the charge and fails the payment with nothing charged.
        hangs.Keys.Clear();
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await pass.RunPassAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        var failed = Assert.Single(await PaymentsAsync(h, account));
        Assert.Equal((PaymentStatus.Failed, PaymentFailureCodes.AuthenticationAbandoned), (failed.Status, failed.FailureCode));
        Assert.Equal(0, await ChargeCountAsync(h, account));
    }

    // Review: the single-use sweeper removed methods at the gateway with only the host-stop token; a hanging gateway
    // stalled every node's runner pass (no claim: every node picks the same method).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_removal_of_an_unsaved_card_that_never_answers_is_cut_off_and_the_next_pass_removes_it(bool honoursToken)
    {
        var hangs = new Hangs(honoursToken);
        await using var h = HangingHarness(hangs, out _);
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        var card = await h.Get<PaymentMethodService>().AddCardAsync(
            new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()) { SaveForFuture = false });
        hangs.Keys[(await MethodRowAsync(h, card.Id)).Token] = true;
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));
        var pass = Pass(h);

        var first = pass.RunPassAsync(CancellationToken.None);
        await CutOffAsync(h, hangs, honoursToken, first, "The runner pass");

        Assert.Equal(0, await first);
        Assert.Null((await MethodRowAsync(h, card.Id)).DeletedAt);

        // It waits before it is asked about again; then the gateway answers and it goes.
        hangs.Keys.Clear();
        h.Clock.Advance(SingleUseMethodSweeper.RetryAfter);
        Assert.Equal(0, await pass.RunPassAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotNull((await MethodRowAsync(h, card.Id)).DeletedAt);
    }

    // Review: the sweeper's claim did not keep a payment from taking an unsaved card while the gateway removed it (the
    // payment then failed against a token that no longer existed).
    [Fact]
    public async Task While_the_sweeper_removes_an_unsaved_card_a_payment_with_it_is_refused_with_nothing_charged()
    {
        var hangs = new Hangs(honoursToken: false);
        await using var h = HangingHarness(hangs, out var account);
        var ids = await InvoicesAsync(h, account, new Item("INV-H30", 2_500));
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        var card = await h.Get<PaymentMethodService>().AddCardAsync(
            new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()) { SaveForFuture = false });
        hangs.Keys[(await MethodRowAsync(h, card.Id)).Token] = true;
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));

        var sweep = h.Get<SingleUseMethodSweeper>().SweepAsync();
        await hangs.Called.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => h.Get<PaymentService>().PayInvoicesAsync(new PayInvoicesRequest(ids, card.Id, Key())));

        Assert.Equal(("method", "MethodBeingDeleted"), (refused.Field, refused.Error?.Code));
        Assert.Empty(await PaymentsAsync(h, account));
        Assert.Equal(0, await ChargeCountAsync(h, account));
        h.Clock.Advance(GatewayTimeout);
        await EndsAsync(sweep, "The sweep");
    }

    // Review: the first method without an answer ended every sweep, and the sweep starts with the oldest: one card the
    // gateway hangs on kept every unsaved card behind it at the gateway for good.
    [Fact]
    public async Task An_unsaved_card_the_gateway_hangs_on_does_not_hold_up_the_cards_behind_it()
    {
        var hangs = new Hangs(honoursToken: true);
        await using var h = HangingHarness(hangs, out _);
        var sweeper = h.Get<SingleUseMethodSweeper>();
        async Task<PaymentMethodView> UnsavedAsync(string number)
        {
            var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput(number, 12, 2030, "123", "Pat Payer", "02139"));
            return await h.Get<PaymentMethodService>().AddCardAsync(
                new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key()) { SaveForFuture = false });
        }
        var stuck = await UnsavedAsync("4242424242424242");
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var behind = await UnsavedAsync("5555555555554444");
        hangs.Keys[(await MethodRowAsync(h, stuck.Id)).Token] = true;
        h.Clock.Advance(SingleUseMethodSweeper.UnusedFor + TimeSpan.FromMinutes(1));

        var first = sweeper.SweepAsync();
        await CutOffAsync(h, hangs, honoursToken: true, first, "The sweep");
        Assert.Equal(0, await first);

        // The next pass, a minute later: the card behind it goes; the stuck one is not asked about (it would hang again).
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await sweeper.SweepAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotNull((await MethodRowAsync(h, behind.Id)).DeletedAt);
        Assert.Null((await MethodRowAsync(h, stuck.Id)).DeletedAt);
    }

    // Review: the payment-methods page waited for the gateway without a limit: a hanging gateway kept a delete spinning for good.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delete_the_gateway_never_answers_is_told_as_not_answering_keeps_the_method_held_and_the_next_try_deletes_it(bool honoursToken)
    {
        var hangs = new Hangs(honoursToken);
        await using var h = HangingHarness(hangs, out _);
        var saved = await CardAsync(h);
        hangs.Keys[(await MethodRowAsync(h, saved.Id)).Token] = true;
        var methods = h.Get<PaymentMethodService>();

        var delete = methods.DeleteAsync(saved.Id);
        await CutOffAsync(h, hangs, honoursToken, delete, "The delete");

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => delete);
        Assert.Equal(("method", "GatewayNotAnswering"), (ex.Field, ex.Error?.Code));
        var row = await MethodRowAsync(h, saved.Id);
        Assert.Null(row.DeletedAt);
        Assert.Single(await methods.ListAsync());
        // The gateway may have removed it: still held, so nothing pays with it; the payer's next try takes the hold over.
        Assert.NotNull(row.RemovingUntil);
        hangs.Keys.Clear();
        await methods.DeleteAsync(saved.Id);
        Assert.NotNull((await MethodRowAsync(h, saved.Id)).DeletedAt);
        Assert.Empty(await methods.ListAsync());
    }

    [Fact]
    public async Task A_save_the_gateway_never_answers_is_told_as_not_answering_and_the_same_form_saves_it_once_the_gateway_answers()
    {
        var hangs = new Hangs(honoursToken: false);
        await using var h = HangingHarness(hangs, out _);
        var methods = h.Get<PaymentMethodService>();
        var captured = h.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("5555555555554444", 6, 2029, "123", "Pat Payer", "02139"));
        var form = new AddCardRequest(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card), null, Key());
        hangs.Keys[form.IdempotencyKey] = true;

        var add = methods.AddCardAsync(form);
        await CutOffAsync(h, hangs, honoursToken: false, add, "The save");

        var ex = await Assert.ThrowsAsync<PortalValidationException>(() => add);
        Assert.Equal(("method", "GatewayNotAnswering"), (ex.Field, ex.Error?.Code));
        Assert.Empty(await methods.ListAsync());

        hangs.Keys.Clear();
        var stored = await methods.AddCardAsync(form);
        Assert.Equal(stored.Id, Assert.Single(await methods.ListAsync()).Id);
    }
}

public sealed class HangingGatewayTests_Sqlite(SqliteDatabase db) : HangingGatewayTests(db), IClassFixture<SqliteDatabase>;

public sealed class HangingGatewayTests_Postgres(PostgresDatabase db) : HangingGatewayTests(db), IClassFixture<PostgresDatabase>;
