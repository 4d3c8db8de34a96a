using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Payments;
using Portal.Payments.Users;
using Xunit;
using Xunit.Abstractions;
using static Portal.Payments.Core.Tests.Infrastructure.PaymentSeed;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// Scale-out proof on PostgreSQL: three runners, each in its own service provider (as three web nodes would be),
/// against one database with 2,000 due payments, each charging up to 32 at once. Every payment is charged exactly once,
/// also when one node freezes mid-batch and wakes after the others took its payments over.
/// </summary>
public sealed class ScheduledRunnerScaleOutTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const int Payments = 2_000;

    [Fact]
    public async Task Three_runners_charge_2000_due_payments_exactly_once_and_leave_none_claimed()
    {
        var account = PortalHarness.NewAccount();
        await using var seed = Node();
        await SeedDueAsync(seed, account);
        var nodes = new[] { Node(), Node(), Node() };
        try
        {
            var ran = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.Get<ScheduledPaymentRunner>().RunDueAsync())));
            output.WriteLine($"Payments run per node: {string.Join(", ", ran)}");

            Assert.Equal(Payments, ran.Sum());
            await AssertChargedOnceAsync(seed, account);
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_runner_that_hangs_mid_batch_leaves_its_claims_to_the_others_and_nothing_is_charged_twice_when_it_wakes()
    {
        var account = PortalHarness.NewAccount();
        await using var seed = Node();
        await SeedDueAsync(seed, account);
        using var signal = new StopSignal(afterCharges: 5);
        // The hanging node: 8 charges in flight; after its 5th charge every further call hangs before reaching the gateway.
        var hanging = Node(b => b.Services.AddSingleton(signal).Replace(ServiceDescriptor.Scoped<IPaymentGateway, StopAfterGateway>()),
            o => o.Scheduling.MaxConcurrentCharges = 8);
        var nodes = new[] { hanging, Node(), Node() };
        try
        {
            var hung = Task.Run(() => hanging.Get<ScheduledPaymentRunner>().RunDueAsync());
            await signal.Frozen.WaitAsync(TimeSpan.FromSeconds(60));
            var first = await Task.WhenAll(nodes[1..].Select(n => Task.Run(() => n.Get<ScheduledPaymentRunner>().RunDueAsync())));
            var stranded = await StrandedAsync(seed, account, hanging);
            output.WriteLine($"First round of the healthy nodes: {string.Join(", ", first)}; left claimed by the hung node: {stranded}");
            Assert.True(stranded is > 0 and <= 8, $"the hung node holds {stranded} claims");

            // The hung node's leases expire (its own clock stands still: it renews nothing); the reconcilers of the
            // other two take its payments over, charging by key.
            foreach (var n in nodes[1..])
            {
                n.Clock.Advance(TimeSpan.FromMinutes(3));
            }
            var second = await Task.WhenAll(nodes[1..].Select(n => Task.Run(() => n.Get<PaymentReconciler>().ReconcileAsync())));
            output.WriteLine($"Reconciled per node: {string.Join(", ", second)}");
            Assert.Equal(stranded, second.Sum());

            // The hung node wakes: its requests reach the gateway with the same keys (replays) and it records nothing.
            signal.Release();
            var late = await hung.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"The hung node recorded {late} outcomes");
            Assert.Equal(5, late);   // its five answered charges; none of the eight it lost
            await AssertChargedOnceAsync(seed, account, sentTwice: stranded);
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }
        }
    }

    private PortalHarness Node(Action<Hosting.PortalPaymentsBuilder>? configure = null, Action<Hosting.PortalPaymentsOptions>? options = null) =>
        new(database, configure, options);

    private static async Task<int> StrandedAsync(PortalHarness h, string account, PortalHarness node)
    {
        var name = node.Get<Microsoft.Extensions.Options.IOptions<Hosting.PortalPaymentsOptions>>().Value.NodeName;
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Payments.CountAsync(p => p.AccountId == account && p.LeaseOwner == name && p.Status == PaymentStatus.Charging && p.CompletedAt == null);
    }

    /// <summary>Every payment succeeded with exactly one charge; <paramref name="sentTwice"/> of them were sent by two nodes (one replay).</summary>
    private static async Task AssertChargedOnceAsync(PortalHarness h, string account, int sentTwice = 0)
    {
        await using var ledger = await h.Get<IDbContextFactory<SandboxGatewayDbContext>>().CreateDbContextAsync();
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var charges = await ledger.SandboxCharges.AsNoTracking().Where(c => c.AccountId == account).Select(c => new { c.IdempotencyKey, c.PaymentId, c.InitialStatus }).ToListAsync();
        Assert.Equal(Payments, charges.Count(c => c.InitialStatus == ChargeStatus.Succeeded));
        Assert.Equal(Payments, charges.Select(c => c.IdempotencyKey).Distinct().Count());
        Assert.Equal(Payments, charges.Select(c => c.PaymentId).Distinct().Count());
        var payments = await db.Payments.AsNoTracking().Where(p => p.AccountId == account).Select(p => new { p.Status, p.LeaseOwner, p.LeaseExpiresAt, p.Attempts, p.NextCheckAt }).ToListAsync();
        Assert.Equal(Payments, payments.Count(p => p.Status == PaymentStatus.Succeeded));
        Assert.Equal(0, payments.Count(p => p.LeaseOwner != null || p.LeaseExpiresAt != null || p.NextCheckAt != null));
        Assert.Equal(sentTwice, payments.Count(p => p.Attempts == 2));
        Assert.Equal(Payments - sentTwice, payments.Count(p => p.Attempts == 1));
        Assert.Equal(Payments, await db.Outbox.CountAsync(m => m.AccountId == account && m.Kind == OutboxKind.ErpPayment));
    }

    /// <summary>2,000 payments scheduled for today, each holding its own invoice, all on one stored card.</summary>
    private static async Task SeedDueAsync(PortalHarness h, string account)
    {
        h.SignIn(account, PortalPermissions.Pay);
        var card = await CardAsync(h);
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var now = h.Clock.GetUtcNow().UtcDateTime;
        var invoices = Enumerable.Range(1, Payments).Select(i => new InvoiceRecord
        {
            AccountId = account, ExternalId = $"X-{i}", Number = $"INV-{i:D5}", NumberKey = $"INV-{i:D5}", Type = OpenItemType.Invoice,
            DocumentDate = Today.AddDays(-30), DueDate = Today.AddDays(10), Currency = "USD", OriginalMinor = 10_000 + i, OpenMinor = 10_000 + i,
            IsOpen = true, Status = InvoiceStatus.Scheduled, ScheduledFor = Today, SyncedAt = now,
        }).ToList();
        db.Invoices.AddRange(invoices);
        await db.SaveChangesAsync();
        var payments = invoices.Select((inv, i) => new PaymentRecord
        {
            Id = Guid.NewGuid(), AccountId = account, Kind = PaymentKind.InvoicePayment, Status = PaymentStatus.Scheduled, ScheduledFor = Today,
            Currency = "USD", AmountMinor = inv.OpenMinor, PaymentMethodId = card.Id, MethodDescription = card.Display, IdempotencyKey = Key(),
            GatewayKey = SandboxGateway.GatewayKey, ReceiptNumber = $"R-{account}-{i:D5}", CreatedByUserId = "user-1", CreatedByName = "Pat Payer",
            CreatedByEmail = "pat@example.test", CreatedAt = now, InvoiceCount = 1,
            Allocations = [new PaymentAllocationRecord { InvoiceId = inv.Id, InvoiceExternalId = inv.ExternalId, InvoiceNumber = inv.Number, OpenBalanceMinor = inv.OpenMinor, AppliedMinor = inv.OpenMinor }],
        }).ToList();
        db.Payments.AddRange(payments);
        await db.SaveChangesAsync();
        for (var i = 0; i < invoices.Count; i++)
        {
            invoices[i].ActivePaymentId = payments[i].Id;
        }
        await db.SaveChangesAsync();
    }

    /// <summary>Counts a node's charges; after a number of them its further gateway calls hang until released (a frozen node).</summary>
    internal sealed class StopSignal(int afterCharges) : IDisposable
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _charges;

        /// <summary>Cancelled when the node froze.</summary>
        public CancellationTokenSource Stop { get; } = new();

        /// <summary>Completes when the first call hangs.</summary>
        public Task Frozen => _frozen.Task;

        /// <summary>Before a charge: true when it may go on; after the limit the call waits for <see cref="Release"/>.</summary>
        public async Task BeforeChargeAsync()
        {
            if (Interlocked.Increment(ref _charges) > afterCharges)
            {
                _frozen.TrySetResult();
                await _release.Task;
            }
        }

        public void Release() => _release.TrySetResult();

        public void Dispose() => Stop.Dispose();
    }

    /// <summary>The sandbox, reporting each charge to the node's <see cref="StopSignal"/> (none: a plain pass-through, e.g. when found by an assembly scan).</summary>
    internal sealed class StopAfterGateway(SandboxGateway inner, StopSignal? signal = null) : PaymentGatewayBase
    {
        public override string Key => inner.Key;

        public override GatewayCapabilities Capabilities => inner.Capabilities;

        public override Type CaptureComponent => inner.CaptureComponent;

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) =>
            inner.StoreMethodAsync(request, cancellationToken);

        public override async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
        {
            if (signal is not null)
            {
                await signal.BeforeChargeAsync();
            }
            return await inner.ChargeAsync(request, CancellationToken.None);
        }

        public override Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
            inner.GetChargeStatusAsync(lookup, cancellationToken);
    }
}
