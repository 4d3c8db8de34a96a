using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;
using Portal.Payments.Sandbox;
using Portal.Payments.Services.Autopay;

namespace Portal.Payments.Benchmarks.Throughput;

/// <summary>
/// Autopay expansion: <c>--accounts</c> accounts enrolled in autopay (a sandbox card each, "pay on the due date") with
/// <c>--invoices</c> open invoices each coming due within the scheduling horizon, expanded into scheduled payments by one
/// runner pass (<see cref="AutopayRunner.ExpandAsync"/>, as the background service calls it). Reports the pass's wall
/// time, database commands and commits per enrolment and per invoice, and checks the outcome: one scheduled payment per
/// invoice, every invoice held as Scheduled, no enrolment left due. A second pass must make nothing (idempotent).
/// </summary>
internal static class AutopayExpansion
{
    /// <summary><c>autopay [Sqlite|Postgres] [--accounts 10000] [--invoices 10]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var accounts = RunnerThroughput.Option(args, "--accounts", 10_000);
        var perAccount = RunnerThroughput.Option(args, "--invoices", 10);
        var failed = false;
        foreach (var provider in RunnerThroughput.Providers(args))
        {
            await using var db = await RunnerThroughput.Database.CreateAsync(provider);
            var counter = new RoundTripCounter();
            await using var node = db.Node("bench-autopay", new SchedulingOptions().MaxConcurrentCharges, TimeSpan.Zero, counter);
            Console.WriteLine($"== autopay expansion, {provider}: {accounts:N0} enrolled accounts × {perAccount} due invoices = {accounts * perAccount:N0} invoices");
            var seed = Stopwatch.StartNew();
            await SeedAsync(node, accounts, perAccount);
            Console.WriteLine($"seeded in {seed.Elapsed.TotalSeconds:0.0} s");

            var runner = node.GetRequiredService<AutopayRunner>();
            counter.Reset();
            var loadBefore = Measure.LoadAverage();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var made = await runner.ExpandAsync();
            var seconds = watch.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var (commands, commits) = (counter.Commands, counter.Commits);

            counter.Reset();
            var again = await runner.ExpandAsync();
            var check = await CheckAsync(node, accounts * perAccount);
            var invoices = accounts * perAccount;
            Console.WriteLine($"one pass: {made:N0} scheduled payments in {seconds:0.0} s = {made / seconds:0} invoices/s; process CPU {cpu:0.0} s; " +
                              $"load {loadBefore:0.00}→{Measure.LoadAverage():0.00}");
            Console.WriteLine($"database: {commands:N0} commands ({(double)commands / accounts:0.0} per enrolment, {(double)commands / invoices:0.00} per invoice), " +
                              $"{commits:N0} commits ({(double)commits / accounts:0.0} per enrolment)");
            Console.WriteLine($"second pass made {again}; {check}");
            failed |= made != invoices || again != 0 || !check.Ok;
        }
        return failed ? 1 : 0;
    }

    private sealed record Check(int Invoices, int Payments, int Duplicates, int NotHeld, int StillDue)
    {
        public bool Ok => Payments == Invoices && Duplicates == 0 && NotHeld == 0 && StillDue == 0;

        public override string ToString() =>
            $"check: {Payments:N0} autopay payments for {Invoices:N0} invoices, {Duplicates} invoices with more than one, {NotHeld} not held as Scheduled, {StillDue} enrolments still due{(Ok ? "" : " — FAILED")}";
    }

    private static async Task<Check> CheckAsync(IServiceProvider node, int invoices)
    {
        await using var db = await node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        var payments = await db.Payments.CountAsync(p => p.AutopayEnrollmentId != null && p.Status == PaymentStatus.Scheduled);
        var duplicates = await db.PaymentAllocations
            .Where(a => db.Payments.Any(p => p.Id == a.PaymentId && p.AutopayEnrollmentId != null && p.Status == PaymentStatus.Scheduled))
            .GroupBy(a => a.InvoiceId).Where(g => g.Count() > 1).CountAsync();
        var notHeld = await db.Invoices.CountAsync(i => i.Status != InvoiceStatus.Scheduled);
        var now = DateTime.UtcNow;
        var stillDue = await db.AutopayEnrollments.CountAsync(e => e.NextExpansionAt <= now);
        return new Check(invoices, payments, duplicates, notHeld, stillDue);
    }

    /// <summary>Enrolments, their cards and their invoices, written in batches straight to the tables.</summary>
    private static async Task SeedAsync(IServiceProvider node, int accounts, int perAccount)
    {
        var factory = node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>();
        var now = DateTime.UtcNow;
        var today = DateOnly.FromDateTime(now);
        const int Batch = 500;
        for (var start = 0; start < accounts; start += Batch)
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var a = start; a < Math.Min(accounts, start + Batch); a++)
            {
                var account = $"AP{a:D6}";
                var methodId = Guid.NewGuid();
                db.PaymentMethods.Add(new PaymentMethodRecord
                {
                    Id = methodId, AccountId = account, GatewayKey = SandboxGateway.GatewayKey, Token = "sbx_pm_card_ok_" + account, Type = PaymentMethodType.Card,
                    BrandOrBank = "Visa", Last4 = "4242", ExpiryMonth = 12, ExpiryYear = 2099, CreatedAt = now, UpdatedAt = now, CreatedByUserId = "bench", IsDefault = true,
                });
                db.AutopayEnrollments.Add(new AutopayEnrollmentRecord
                {
                    Id = Guid.NewGuid(), AccountId = account, AccountName = "Account " + account, PaymentMethodId = methodId, Rule = AutopayRule.DueDate,
                    Currency = "USD", ApplyCreditMemos = true, ApplyUnappliedCash = true, UserId = "bench", UserName = "Bench", UserEmail = "bench@example.test",
                    CreatedAt = now, UpdatedAt = now, NextExpansionAt = now.AddMinutes(-1),
                });
                for (var i = 0; i < perAccount; i++)
                {
                    var number = $"INV-{a:D6}-{i:D2}";
                    db.Invoices.Add(new InvoiceRecord
                    {
                        AccountId = account, ExternalId = number, Number = number, NumberKey = number, Type = OpenItemType.Invoice,
                        DocumentDate = today.AddDays(-20), DueDate = today.AddDays(1 + (a + i) % 25), Currency = "USD",
                        OriginalMinor = 10_000 + i, OpenMinor = 10_000 + i, IsOpen = true, Status = InvoiceStatus.Open, SyncedAt = now,
                    });
                }
            }
            await db.SaveChangesAsync();
        }
    }
}
