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
/// against one database with 2,000 due payments. Every payment is charged exactly once.
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
    public async Task A_runner_stopped_mid_batch_leaves_its_claims_to_the_others_and_nothing_is_charged_twice()
    {
        var account = PortalHarness.NewAccount();
        await using var seed = Node();
        await SeedDueAsync(seed, account);
        using var signal = new StopSignal(afterCharges: 5);
        var stopping = Node(b => b.Services.AddSingleton(signal).Replace(ServiceDescriptor.Scoped<IPaymentGateway, StopAfterGateway>()));
        var nodes = new[] { stopping, Node(), Node() };
        try
        {
            var first = await Task.WhenAll(
                Task.Run(() => stopping.Get<ScheduledPaymentRunner>().RunDueAsync(signal.Stop.Token)),
                Task.Run(() => nodes[1].Get<ScheduledPaymentRunner>().RunDueAsync()),
                Task.Run(() => nodes[2].Get<ScheduledPaymentRunner>().RunDueAsync()));
            var stranded = await StrandedAsync(seed, account, stopping);
            output.WriteLine($"First round per node: {string.Join(", ", first)}; left claimed by the stopped node: {stranded}");
            Assert.True(first[0] <= 5, $"the stopped node ran {first[0]}");
            Assert.True(stranded > 0, "the stopped node left no claimed payment behind");

            // The stopped node's leases expire; the reconcilers of the other two take its payments over (by key: never twice).
            foreach (var n in nodes)
            {
                n.Clock.Advance(TimeSpan.FromMinutes(3));
            }
            var second = await Task.WhenAll(nodes[1..].Select(n => Task.Run(() => n.Get<PaymentReconciler>().ReconcileAsync())));
            output.WriteLine($"Second round per node: {string.Join(", ", second)}");

            Assert.Equal(Payments, first.Sum() + second.Sum());
            Assert.Equal(stranded, second.Sum());
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

    private PortalHarness Node(Action<Hosting.PortalPaymentsBuilder>? configure = null) => new(database, configure);

    private static async Task<int> StrandedAsync(PortalHarness h, string account, PortalHarness node)
    {
        var name = node.Get<Microsoft.Extensions.Options.IOptions<Hosting.PortalPaymentsOptions>>().Value.NodeName;
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        return await db.Payments.CountAsync(p => p.AccountId == account && p.LeaseOwner == name && p.Status == PaymentStatus.Charging && p.CompletedAt == null);
    }

    private static async Task AssertChargedOnceAsync(PortalHarness h, string account)
    {
        await using var db = await h.Get<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var charges = await db.SandboxCharges.AsNoTracking().Where(c => c.AccountId == account).Select(c => new { c.IdempotencyKey, c.PaymentId, c.InitialStatus }).ToListAsync();
        Assert.Equal(Payments, charges.Count(c => c.InitialStatus == ChargeStatus.Succeeded));
        Assert.Equal(Payments, charges.Select(c => c.IdempotencyKey).Distinct().Count());
        Assert.Equal(Payments, charges.Select(c => c.PaymentId).Distinct().Count());
        var payments = await db.Payments.AsNoTracking().Where(p => p.AccountId == account).Select(p => new { p.Status, p.LeaseOwner, p.LeaseExpiresAt, p.Attempts, p.NextCheckAt }).ToListAsync();
        Assert.Equal(Payments, payments.Count(p => p.Status == PaymentStatus.Succeeded));
        Assert.Equal(0, payments.Count(p => p.LeaseOwner != null || p.LeaseExpiresAt != null || p.NextCheckAt != null));
        Assert.All(payments, p => Assert.Equal(1, p.Attempts));
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

    /// <summary>Tells a node to stop (as a shutdown would) after a number of charges.</summary>
    internal sealed class StopSignal(int afterCharges) : IDisposable
    {
        private int _charges;

        public CancellationTokenSource Stop { get; } = new();

        public async Task ChargedAsync()
        {
            if (Interlocked.Increment(ref _charges) >= afterCharges)
            {
                await Stop.CancelAsync();
            }
        }

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
            var result = await inner.ChargeAsync(request, cancellationToken);
            if (signal is not null)
            {
                await signal.ChargedAsync();
            }
            return result;
        }
    }
}
