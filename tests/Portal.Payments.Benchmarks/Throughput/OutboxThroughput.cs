using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Data;
using Portal.Payments.Erp;
using Portal.Payments.Hosting;
using Portal.Payments.Notifications;
using Portal.Payments.Outbox;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Portal.Payments.Benchmarks.Throughput;

/// <summary>
/// Outbox delivery throughput with a slow ERP (every posting answered after <c>--erp</c> ms) and a slow SMTP server on
/// 127.0.0.1 (every message answered after <c>--smtp</c> ms, SmtpServer package), as messages per second per node.
/// Each run seeds half ERP payment postings and half emails, then runs <see cref="OutboxProcessor.RunDueAsync"/> until
/// nothing is due. The baseline (<c>OutboxConcurrency = 1</c>: one message at a time in each of the two lanes) runs side by
/// side with the default (16). A third run puts a slow mail relay (<c>--slow-smtp</c> ms per message) next to the same ERP
/// and reports when the last ERP posting was delivered, against the normal run: the two lanes never wait for each other.
/// </summary>
internal static class OutboxThroughput
{
    private sealed record Run(string Label, int Messages, double Seconds, double ErpDoneSeconds, double EmailDoneSeconds, double LoadBefore, double LoadAfter,
        double CommandsPerMessage, int SmtpConnections)
    {
        public double PerSecond => Messages / Seconds;
    }

    /// <summary><c>outbox [Sqlite|Postgres] [--rounds 3] [--messages 800] [--baseline 40] [--erp 200] [--smtp 200] [--slow-smtp 1000]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds", 3);
        var messages = Option(args, "--messages", 800);
        var baseline = Option(args, "--baseline", 40);
        var erp = TimeSpan.FromMilliseconds(Option(args, "--erp", 200));
        var smtpDelay = TimeSpan.FromMilliseconds(Option(args, "--smtp", 200));
        var slowSmtp = TimeSpan.FromMilliseconds(Option(args, "--slow-smtp", 1000));
        var concurrency = new PortalPaymentsOptions().OutboxConcurrency;
        var providers = RunnerThroughput.Providers(args);
        foreach (var provider in providers)
        {
            await using var db = await RunnerThroughput.Database.CreateAsync(provider);
            Console.WriteLine($"== outbox, {provider}, ERP {erp.TotalMilliseconds:0} ms, SMTP {smtpDelay.TotalMilliseconds:0} ms; baseline {baseline} messages at 1, {messages} at {concurrency}; slow relay {slowSmtp.TotalMilliseconds:0} ms; {rounds} rounds");
            await OneRunAsync(db, "warm-up", 64, concurrency, erp, smtpDelay);
            var runs = new List<Run>();
            for (var r = 1; r <= rounds; r++)
            {
                runs.Add(await OneRunAsync(db, "one at a time per lane (OutboxConcurrency = 1)", baseline, 1, erp, smtpDelay));
                runs.Add(await OneRunAsync(db, $"parallel (OutboxConcurrency = {concurrency})", messages, concurrency, erp, smtpDelay));
                runs.Add(await OneRunAsync(db, $"parallel, slow mail relay ({slowSmtp.TotalMilliseconds:0} ms per email)", messages, concurrency, erp, slowSmtp));
            }
            Console.WriteLine();
            Console.WriteLine($"| {provider} | runs | median messages/s | min – max | median s to the last ERP posting | median s to the last email | load avg (1 min) | commands/message | SMTP connections |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var g in runs.GroupBy(r => r.Label))
            {
                var l = g.ToList();
                Console.WriteLine($"| {g.Key} | {l.Count} | {Measure.F(Measure.Median(l.Select(r => r.PerSecond)))} | {Measure.F(l.Min(r => r.PerSecond))} – {Measure.F(l.Max(r => r.PerSecond))} " +
                                  $"| {Measure.F(Measure.Median(l.Select(r => r.ErpDoneSeconds)), 2)} | {Measure.F(Measure.Median(l.Select(r => r.EmailDoneSeconds)), 2)} " +
                                  $"| {Measure.F(l.Min(r => Math.Min(r.LoadBefore, r.LoadAfter)), 2)} – {Measure.F(l.Max(r => Math.Max(r.LoadBefore, r.LoadAfter)), 2)} " +
                                  $"| {Measure.F(Measure.Median(l.Select(r => r.CommandsPerMessage)))} | {Measure.Median(l.Select(r => (double)r.SmtpConnections))} |");
            }
            var labels = runs.Select(r => r.Label).Distinct().ToList();
            var seq = Measure.Median(runs.Where(r => r.Label == labels[0]).Select(r => r.PerSecond));
            var par = Measure.Median(runs.Where(r => r.Label == labels[1]).Select(r => r.PerSecond));
            var erpNormal = Measure.Median(runs.Where(r => r.Label == labels[1]).Select(r => r.ErpDoneSeconds));
            var erpSlow = Measure.Median(runs.Where(r => r.Label == labels[2]).Select(r => r.ErpDoneSeconds));
            Console.WriteLine($"Ratio of medians (messages/s, parallel / one at a time per lane): {Measure.F(par / seq, 2)}×; " +
                              $"last ERP posting with the slow relay / with the normal one: {Measure.F(erpSlow / erpNormal, 2)}×");
            Console.WriteLine();
        }
        return 0;
    }

    private static async Task<Run> OneRunAsync(RunnerThroughput.Database database, string label, int messages, int concurrency, TimeSpan erpDelay, TimeSpan smtpDelay)
    {
        var erp = new SlowErp(erpDelay);
        await using var smtp = SlowSmtpServer.Start(smtpDelay);
        var counter = new RoundTripCounter();
        await using var node = database.Node("bench-outbox", 1, TimeSpan.Zero, counter, o =>
        {
            o.OutboxConcurrency = concurrency;
            o.Notifications.Transport = "Smtp";
            o.Notifications.Smtp.Host = "127.0.0.1";
            o.Notifications.Smtp.Port = smtp.Port;
            o.Notifications.Smtp.Security = "None";
            o.Notifications.Smtp.FromAddress = "ar@vendor.example";
        }, b => b.Services.AddSingleton(erp).AddSingleton<IErpAdapter>(erp));
        var account = await SeedAsync(node, messages);
        counter.Reset();
        var loadBefore = Measure.LoadAverage();
        erp.Start();
        smtp.Start();
        var (delivered, seconds) = await Measure.TimeAsync(async () =>
        {
            var total = 0;
            for (var pass = 0; pass < 5 && total < messages; pass++)
            {
                total += await node.GetRequiredService<OutboxProcessor>().RunDueAsync();
            }
            return total;
        });
        var loadAfter = Measure.LoadAverage();
        var commands = counter.Commands + counter.Commits;
        await using (var db = await node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync())
        {
            var open = await db.Outbox.CountAsync(m => m.AccountId == account && m.CompletedAt == null);
            if (delivered != messages || open != 0 || erp.Posted != messages / 2 || smtp.Received != messages - messages / 2)
            {
                throw new InvalidOperationException($"{label}: delivered {delivered} of {messages}, {open} still open, ERP took {erp.Posted}, SMTP received {smtp.Received}.");
            }
        }
        var run = new Run(label, messages, seconds, erp.LastSeconds, smtp.LastSeconds, loadBefore, loadAfter, (double)commands / messages, smtp.Connections);
        Console.WriteLine($"{label,-50} {messages,5} messages in {seconds,7:0.00} s = {run.PerSecond,6:0.0}/s; last ERP posting at {run.ErpDoneSeconds:0.00} s, last email at {run.EmailDoneSeconds:0.00} s; " +
                          $"load {loadBefore:0.00}→{loadAfter:0.00}; {run.CommandsPerMessage:0.0} commands/message; {smtp.Connections} SMTP connections");
        return run;
    }

    /// <summary>Half ERP payment postings, half emails, due now, on a new account.</summary>
    private static async Task<string> SeedAsync(IServiceProvider node, int messages)
    {
        var account = "O" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTime.UtcNow;
        await using var db = await node.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i < messages / 2; i++)
        {
            OutboxWriter.EnqueuePayment(db, new ErpPaymentPosting
            {
                PaymentId = Guid.NewGuid(), AccountId = account, ReceiptNumber = $"R-{i:D6}", Amount = Money.FromMinorUnits(10_000 + i, "USD"),
                PaidAt = DateTimeOffset.UtcNow, MethodDescription = "Visa •••• 4242",
                Allocations = [new ErpAllocation { ItemExternalId = $"X-{i}", ItemNumber = $"INV-{i:D5}", Applied = Money.FromMinorUnits(10_000 + i, "USD") }],
            }, now);
        }
        for (var i = messages / 2; i < messages; i++)
        {
            OutboxWriter.EnqueueEmail(db, new PortalEmail
            {
                Id = Guid.NewGuid(), AccountId = account, To = $"payer{i}@customer.example", Kind = NotificationKind.PaymentProcessed,
                Subject = $"Payment R-{i:D6} of USD 100.00 received", TextBody = $"We received your payment R-{i:D6} of USD 100.00 for INV-{i:D5}.",
                HtmlBody = $"<p>We received your payment <strong>R-{i:D6}</strong> of USD 100.00.</p>",
            }, now);
        }
        await db.SaveChangesAsync();
        return account;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>An ERP whose postings each take <paramref name="delay"/>; counts them and notes when the last one was answered.</summary>
    internal sealed class SlowErp(TimeSpan delay) : IErpAdapter
    {
        private readonly Stopwatch _clock = new();
        private int _posted;
        private long _lastTicks;

        public int Posted => Volatile.Read(ref _posted);

        public double LastSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _lastTicks)).TotalSeconds;

        public void Start() => _clock.Restart();

        private async Task<ErpPostingResult> PostAsync(CancellationToken ct)
        {
            await Task.Delay(delay, ct);
            Interlocked.Increment(ref _posted);
            var now = _clock.Elapsed.Ticks;
            long last;
            while (now > (last = Interlocked.Read(ref _lastTicks)) && Interlocked.CompareExchange(ref _lastTicks, now, last) != last)
            {
            }
            return ErpPostingResult.Ok("erp-" + Guid.NewGuid().ToString("N")[..8]);
        }

        public Task<OpenItemsPage> PullOpenItemsAsync(string accountId, string? cursor, int maxItems, CancellationToken cancellationToken = default) =>
            Task.FromResult(new OpenItemsPage([], cursor ?? "", false));

        public Task<ErpDocument?> GetDocumentAsync(string accountId, string itemExternalId, CancellationToken cancellationToken = default) =>
            Task.FromResult<ErpDocument?>(null);

        public Task<ErpPostingResult> PostPaymentAsync(ErpPaymentPosting posting, CancellationToken cancellationToken = default) => PostAsync(cancellationToken);

        public Task<ErpPostingResult> PostDepositAsync(ErpDepositPosting posting, CancellationToken cancellationToken = default) => PostAsync(cancellationToken);

        public Task<ErpPostingResult> ReversePaymentAsync(ErpPaymentReversal reversal, CancellationToken cancellationToken = default) => PostAsync(cancellationToken);

        public Task<ErpPostingResult> PostCommentAsync(ErpCommentPosting posting, CancellationToken cancellationToken = default) => PostAsync(cancellationToken);
    }

    /// <summary>An SMTP server on 127.0.0.1 (SmtpServer package) that answers each message after a delay; counts messages and connections.</summary>
    internal sealed class SlowSmtpServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;
        private readonly Stopwatch _clock = new();
        private int _received;
        private int _connections;
        private long _lastTicks;

        private SlowSmtpServer(int port, TimeSpan delay)
        {
            Port = port;
            var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port))).Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(new Store(this, delay));
            var server = new SmtpServer.SmtpServer(options, services);
            server.SessionCreated += (_, _) => Interlocked.Increment(ref _connections);
            _running = server.StartAsync(_stop.Token);
        }

        public int Port { get; }

        public int Received => Volatile.Read(ref _received);

        public int Connections => Volatile.Read(ref _connections);

        public double LastSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _lastTicks)).TotalSeconds;

        public static SlowSmtpServer Start(TimeSpan delay)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new SlowSmtpServer(port, delay);
        }

        public void Start() => _clock.Restart();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
            _stop.Dispose();
        }

        private sealed class Store(SlowSmtpServer server, TimeSpan delay) : MessageStore
        {
            public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
            {
                await Task.Delay(delay, cancellationToken);
                Interlocked.Increment(ref server._received);
                var now = server._clock.Elapsed.Ticks;
                long last;
                while (now > (last = Interlocked.Read(ref server._lastTicks)) && Interlocked.CompareExchange(ref server._lastTicks, now, last) != last)
                {
                }
                return SmtpResponse.Ok;
            }
        }
    }
}
