using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Portal.Payments.Benchmarks.Throughput;
using Portal.Payments.Data;
using Portal.Payments.EndToEnd.Tests.Infrastructure;
using Portal.Payments.Hosting;
using Portal.Payments.TestInfrastructure;

namespace Portal.Payments.Benchmarks.Browser;

/// <summary>
/// <c>scale-out [--sessions 6] [--payments 600] [--latency 300]</c>: three sample-host nodes (samples/HostSite, built dll,
/// each its own process on a loopback port) on one PostgreSQL database (the throwaway cluster of the Core tests), sharing
/// one data-protection key folder (<c>HostSite:DataProtectionKeys</c>), behind nginx (Debian's package, run as a plain
/// process with the configuration written here: cookie-hash sticky sessions, WebSockets proxied). Through the proxy:
/// Chromium sessions sign in, page the invoices grid and two of them pay an invoice with a new sandbox card; the three
/// nodes' scheduled runners charge <c>--payments</c> due payments (sandbox latency <c>--latency</c> ms). Then: every
/// request of a browser session went to one node (nginx's log), circuits per node, and the gateway's ledger rows per
/// payment (0 payments with more than one charge).
/// </summary>
internal static class ScaleOutBenchmark
{
    private const int Nodes = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        var sessionCount = int.Parse(LoadBenchmark.Option(args, "--sessions") ?? "6", CultureInfo.InvariantCulture);
        var payments = int.Parse(LoadBenchmark.Option(args, "--payments") ?? "600", CultureInfo.InvariantCulture);
        var latency = int.Parse(LoadBenchmark.Option(args, "--latency") ?? "300", CultureInfo.InvariantCulture);
        var work = Directory.CreateTempSubdirectory("pp-scale-");
        var keys = Directory.CreateDirectory(Path.Combine(work.FullName, "keys"));
        var connection = await Measure.NewPostgresDatabaseAsync("pp_scale");
        var proxyPort = LoopbackPort.Next();
        var proxyUrl = $"http://127.0.0.1:{proxyPort}";
        var ports = Enumerable.Range(0, Nodes).Select(_ => LoopbackPort.Next()).ToArray();
        var logs = new ConcurrentQueue<string>();
        var nodes = ports.Select((port, i) => new HostSiteProcess(Directory.CreateDirectory(Path.Combine(work.FullName, $"node{i + 1}")).FullName, port,
            new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development", // static web assets from the build output (not published)
                ["HostSite__TestClock"] = "false",
                ["HostSite__Diagnostics"] = "true",
                ["HostSite__DataProtectionKeys"] = keys.FullName,
                ["ConnectionStrings__PortalPostgres"] = new NpgsqlConnectionStringBuilder(connection) { ApplicationName = $"node{i + 1}", MaxPoolSize = 60 }.ConnectionString,
                ["CustomerPortalPayments__Scheduling__RunnerInterval"] = "00:00:02",
                ["CustomerPortalPayments__SandboxGateway__Latency"] = TimeSpan.FromMilliseconds(latency).ToString("c", CultureInfo.InvariantCulture),
                ["CustomerPortalPayments__Notifications__PortalBaseUrl"] = proxyUrl,
                ["Logging__LogLevel__Default"] = "Warning",
            }, line =>
            {
                if (line is not null)
                {
                    logs.Enqueue($"[node{i + 1}] {line}");
                }
            })).ToList();
        Process? nginx = null;
        try
        {
            // The first node migrates and seeds the demo data; the others start on the ready database.
            await nodes[0].StartAsync();
            await Task.WhenAll(nodes.Skip(1).Select(n => n.StartAsync()));
            nginx = await StartNginxAsync(work.FullName, proxyPort, ports);
            Console.WriteLine($"== scale-out: {Nodes} HostSite nodes (ports {string.Join(", ", ports)}) on PostgreSQL behind nginx at {proxyUrl}; " +
                              $"{sessionCount} browser sessions, {payments} scheduled payments, sandbox latency {latency} ms; load {Measure.LoadAverage():0.00}");

            await using var browser = await BrowserSessions.StartAsync();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

            // Browser sessions through the proxy: sign in (cookie issued by one node, read by the others' key ring), page the grid.
            var sessions = new List<BrowserSessions.Session>();
            var clicks = new ConcurrentBag<double>();
            foreach (var group in Enumerable.Range(0, sessionCount).Chunk(3))
            {
                sessions.AddRange(await Task.WhenAll(group.Select(i => browser.OpenAsync(proxyUrl, i % 2 == 0 ? "pat" : "gus"))));
            }
            await Task.WhenAll(sessions.Select(async s =>
            {
                for (var a = 0; a < 4; a++)
                {
                    clicks.Add((await s.PageAsync(next: a != 2)).Ms);
                }
            }));
            var circuits = new List<BrowserSessions.NodeDiagnostics>();
            foreach (var port in ports)
            {
                circuits.Add(await BrowserSessions.NodeDiagnostics.ReadAsync(http, $"http://127.0.0.1:{port}", forcedGc: false));
            }
            Console.WriteLine($"Grid pages through the proxy: {clicks.Count} clicks, click-to-rows median {Measure.F(Measure.Median(clicks))} ms, p95 {Measure.F(Measure.Percentile(clicks, 95))} ms; " +
                              $"circuits per node: {string.Join(", ", circuits.Select(c => c.Circuits))}");

            // Two payers pay an invoice each with a new sandbox card, through the proxy.
            var receipts = new List<string>();
            foreach (var s in sessions.Take(2))
            {
                receipts.Add(await PayOneAsync(s.Page));
            }
            Console.WriteLine($"Paid through the proxy: {string.Join(", ", receipts)}");
            foreach (var s in sessions)
            {
                await s.DisposeAsync();
            }

            // The runners of all three nodes charge the due payments.
            var database = RunnerThroughput.Database.Attach(DatabaseProvider.Postgres, connection);
            await using var seeder = database.Node("scale-out-seeder", 1, TimeSpan.Zero, null);
            var account = await database.SeedAsync(seeder, payments);
            var watch = Stopwatch.StartNew();
            var loadBefore = Measure.LoadAverage();
            int succeeded;
            do
            {
                await Task.Delay(500);
                await using var db = await seeder.GetRequiredService<IDbContextFactory<PaymentsDbContext>>().CreateDbContextAsync();
                succeeded = await db.Payments.CountAsync(p => p.AccountId == account && p.Status == PaymentStatus.Succeeded);
            }
            while (succeeded < payments && watch.Elapsed < TimeSpan.FromMinutes(10));
            var seconds = watch.Elapsed.TotalSeconds;
            var check = await database.CheckAsync(seeder, account, payments);
            Console.WriteLine($"Runner on {Nodes} nodes: {succeeded}/{payments} succeeded in {seconds:0.0} s (first runs start within the 2 s interval) = " +
                              $"{payments / seconds:0.0} payments/s, {payments / seconds / Nodes:0.0}/s per node; load {loadBefore:0.00}→{Measure.LoadAverage():0.00}; {check}");

            // Every payment at the gateway: ledger rows per portal payment, over the whole database.
            await using (var db = await seeder.GetRequiredService<IDbContextFactory<Portal.Payments.Sandbox.SandboxGatewayDbContext>>().CreateDbContextAsync())
            {
                var perPayment = await db.SandboxCharges.GroupBy(c => c.PaymentId).Select(g => g.Count()).ToListAsync();
                Console.WriteLine($"Gateway ledger: {perPayment.Count} payments charged, {perPayment.Count(c => c > 1)} with more than one charge.");
            }

            // Sticky sessions: every request carrying one affinity key went to one node.
            await Task.Delay(500);
            var lines = (await File.ReadAllLinesAsync(Path.Combine(work.FullName, "access.log"))).Select(l => l.Split(' ')).Where(p => p.Length >= 3).ToList();
            var byKey = lines.GroupBy(p => p[0]).ToList();
            var split = byKey.Count(g => g.Select(p => p[1]).Distinct().Count() > 1);
            var blazor = lines.Where(p => p[2].StartsWith("/_blazor", StringComparison.Ordinal)).GroupBy(p => p[1]).Select(g => $"{g.Key}: {g.Count()}");
            Console.WriteLine($"nginx: {lines.Count} requests, {byKey.Count} affinity keys, {split} keys sent to more than one node; /_blazor requests per node: {string.Join(", ", blazor)}");
            return check.Ok && split == 0 ? 0 : 1;
        }
        catch
        {
            Console.Error.WriteLine(string.Join('\n', logs.TakeLast(80)));
            var error = Path.Combine(work.FullName, "error.log");
            if (File.Exists(error))
            {
                Console.Error.WriteLine(await File.ReadAllTextAsync(error));
            }
            throw;
        }
        finally
        {
            if (nginx is not null && !nginx.HasExited)
            {
                nginx.Kill(entireProcessTree: true);
                await nginx.WaitForExitAsync();
            }
            foreach (var n in nodes)
            {
                await n.KillAsync();
            }
            NpgsqlConnection.ClearAllPools();
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    /// <summary>Selects the first payable invoice and pays it with a new sandbox card added inline; the receipt number.</summary>
    private static async Task<string> PayOneAsync(IPage page)
    {
        var box = page.Locator("[data-testid=grid-grid] td.pp-col-select input:not([disabled])").First;
        await box.CheckAsync();
        await page.GetByTestId("pay-selected").ClickAsync();
        var panel = page.GetByTestId("pay-panel");
        await panel.GetByTestId("total").WaitForAsync();
        var addNew = panel.GetByRole(AriaRole.Radio, new() { Name = "Add a payment method", Exact = true });
        if (!await addNew.IsCheckedAsync())
        {
            await addNew.CheckAsync();
        }
        await panel.GetByLabel("Card number", new() { Exact = true }).FillAsync("4242 4242 4242 4242");
        await panel.GetByLabel("Expiry month", new() { Exact = true }).FillAsync("09");
        await panel.GetByLabel("Expiry year", new() { Exact = true }).FillAsync((DateTime.UtcNow.Year + 2).ToString(CultureInfo.InvariantCulture));
        await panel.GetByLabel("Security code", new() { Exact = true }).FillAsync("321");
        await panel.GetByLabel("Name on card", new() { Exact = true }).FillAsync("Scale Out");
        await panel.GetByLabel("Billing postal code", new() { Exact = true }).FillAsync("94107");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();
        var makePayment = panel.GetByRole(AriaRole.Button, new() { Name = "Make payment", Exact = true });
        await Assertions.Expect(makePayment).ToBeEnabledAsync(new() { Timeout = 60_000 });
        await makePayment.ClickAsync();
        var confirmation = panel.GetByTestId("pay-confirmation");
        await confirmation.WaitForAsync(new() { Timeout = 60_000 });
        return (await confirmation.GetByTestId("receipt-number").InnerTextAsync()).Trim();
    }

    /// <summary>Writes the nginx configuration documented in docs/host-guide.md ("Several nodes") and runs nginx in the foreground.</summary>
    private static async Task<Process> StartNginxAsync(string folder, int port, int[] nodePorts)
    {
        var conf = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(conf, NginxConfig(folder, port, nodePorts));
        var start = new ProcessStartInfo("nginx", ["-p", folder, "-c", conf, "-e", Path.Combine(folder, "error.log"), "-g", "daemon off;"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start (apt-get install -y nginx).");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 40; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/login");
                if (response.IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException or IOException)
            {
                // not listening yet (a reset connection can surface as a bare SocketException)
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("nginx did not answer GET /login.");
    }

    internal static string NginxConfig(string folder, int port, int[] nodePorts) => $$"""
        worker_processes 1;
        pid {{folder}}/nginx.pid;
        events { worker_connections 1024; }
        http {
            client_body_temp_path {{folder}}/client_body;
            proxy_temp_path {{folder}}/proxy;
            fastcgi_temp_path {{folder}}/fastcgi;
            uwsgi_temp_path {{folder}}/uwsgi;
            scgi_temp_path {{folder}}/scgi;

            # Sticky sessions by cookie: a browser without the cookie gets one (a random id), and every request that carries
            # it - pages, /_blazor negotiate and the circuit's WebSocket - hashes to the same node. ip_hash would send every
            # browser behind one NAT (or, here, on 127.0.0.1) to one node.
            map $cookie_pp_affinity $pp_affinity { "" $request_id; default $cookie_pp_affinity; }
            map $cookie_pp_affinity $pp_affinity_set { "" "pp_affinity=$request_id; Path=/; HttpOnly; SameSite=Lax"; default ""; }
            # WebSockets: pass the upgrade on, keep the connection otherwise.
            map $http_upgrade $connection_upgrade { default upgrade; "" ""; }

            log_format affinity '$pp_affinity $upstream_addr $uri $status';
            access_log {{folder}}/access.log affinity;

            upstream portal {
                hash $pp_affinity consistent;
        {{string.Join("\n", nodePorts.Select(p => $"        server 127.0.0.1:{p};"))}}
                keepalive 32;
            }

            server {
                listen 127.0.0.1:{{port}};
                location / {
                    add_header Set-Cookie $pp_affinity_set;
                    proxy_pass http://portal;
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;
                    proxy_read_timeout 1h;   # a circuit's WebSocket stays open as long as the page
                    proxy_send_timeout 1h;
                }
            }
        }
        """;
}
