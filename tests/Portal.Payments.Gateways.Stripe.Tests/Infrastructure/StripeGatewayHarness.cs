using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Payments.Gateways.Stripe.Webhooks;
using Portal.Payments.Hosting;

namespace Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

/// <summary>
/// The Stripe gateway as a host registers it (<c>AddPortalPaymentsCore().UseSqlite(…).AddStripeGateway(…)</c>, Core's EF
/// customer store on a throwaway SQLite file), pointed at a <see cref="StripeStandIn"/> that shares its fake clock.
/// The only fake is Stripe itself.
/// </summary>
public sealed class StripeGatewayHarness : IAsyncDisposable
{
    /// <summary>The webhook signing secret the harness configures.</summary>
    public const string WebhookSecret = "whsec_StandInSigningSecret0123456789abcdef";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "stripe-tests-" + Guid.NewGuid().ToString("N")[..12]);

    private StripeGatewayHarness(Action<StripeGatewayOptions>? configure)
    {
        Directory.CreateDirectory(_folder);
        Clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        StandIn = new StripeStandIn(Clock) { AchSettlementDelay = TimeSpan.FromDays(2) };
        Sink = new RecordingEventSink();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IGatewayEventSink>(Sink);
        services.AddPortalPaymentsCore()
            .UseSqlite($"Data Source={Path.Combine(_folder, "portal.db")}")
            .AddStripeGateway(o =>
            {
                o.SecretKey = StripeStandIn.SecretKey;
                o.PublishableKey = StripeStandIn.PublishableKey;
                o.WebhookSigningSecret = WebhookSecret;
                o.StatementDescriptor = "ACME PORTAL";
                o.ApiBase = StandIn.Url;
                o.MaxNetworkRetries = 0;
                // Long enough for a first call on a loaded box (cold JIT, the stand-in's first request: over 3 s once in
                // CI); the lost-answer test sets a short one of its own.
                o.RequestTimeout = TimeSpan.FromSeconds(20);
                configure?.Invoke(o);
            });
        Services = services.BuildServiceProvider();
    }

    /// <summary>The fake clock shared by the gateway and the stand-in.</summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>Stripe's stand-in.</summary>
    public StripeStandIn StandIn { get; }

    /// <summary>Records what the webhook handler reports.</summary>
    public RecordingEventSink Sink { get; }

    /// <summary>The container.</summary>
    public ServiceProvider Services { get; }

    /// <summary>The gateway as the portal resolves it.</summary>
    public StripeGateway Gateway => (StripeGateway)Services.GetRequiredService<IPaymentGateway>();

    /// <summary>The webhook handler as the endpoint resolves it.</summary>
    public StripeWebhookHandler WebhookHandler => Services.CreateScope().ServiceProvider.GetServices<IGatewayWebhookHandler>().OfType<StripeWebhookHandler>().Single();

    /// <summary>What Stripe.js does in the browser, against the stand-in.</summary>
    public BrowserStripe Browser => new(StandIn.Url);

    /// <summary>Creates and migrates a harness.</summary>
    public static async Task<StripeGatewayHarness> StartAsync(Action<StripeGatewayOptions>? configure = null)
    {
        var harness = new StripeGatewayHarness(configure);
        await harness.Services.MigratePortalPaymentsAsync();
        return harness;
    }

    /// <summary>Saves a card the way the capture component does: SetupIntent, browser confirmation, StoreMethodAsync.</summary>
    public async Task<StoredMethodDetails> SaveCardAsync(string accountId, string number, string name = "Pat Payer", int? expYear = null)
    {
        var (session, error) = await Gateway.BeginSetupAsync(accountId, PaymentMethodType.Card);
        Assert.True(session is not null, error);
        var pm = await Browser.ConfirmCardSetupAsync(session!.ClientSecret, number, 12, expYear ?? DateTime.UtcNow.Year + 3, name, "94107");
        var stored = await Gateway.StoreMethodAsync(new StoreMethodRequest(accountId, pm, "store-" + Guid.NewGuid().ToString("N")));
        Assert.True(stored.Succeeded, $"{stored.ErrorCode}: {stored.Message}");
        return stored.Method!;
    }

    /// <summary>Saves a US bank account with a signed authorization, as the capture component and PaymentMethodService do.</summary>
    public async Task<StoredMethodDetails> SaveBankAccountAsync(string accountId, string accountNumber = "000123456789", AchMandate? mandate = null)
    {
        var (session, error) = await Gateway.BeginSetupAsync(accountId, PaymentMethodType.BankAccount);
        Assert.True(session is not null, error);
        var pm = await Browser.CollectBankAccountAsync(session!.ClientSecret, "110000000", accountNumber, "Acme Manufacturing");
        var stored = await Gateway.StoreMethodAsync(new StoreMethodRequest(accountId, pm, "store-" + Guid.NewGuid().ToString("N"))
        {
            Mandate = mandate ?? new AchMandate(Clock.GetUtcNow(), "203.0.113.7", "Mozilla/5.0 (Test)", "2026-01"),
        });
        Assert.True(stored.Succeeded, $"{stored.ErrorCode}: {stored.Message}");
        return stored.Method!;
    }

    /// <summary>A charge request for <paramref name="token"/>.</summary>
    public static ChargeRequest Charge(string token, string accountId, decimal amount = 125.50m, string currency = "USD", bool offSession = false) => new()
    {
        IdempotencyKey = "pay-" + Guid.NewGuid().ToString("N"),
        MethodToken = token,
        Amount = Money.Create(amount, currency),
        AccountId = accountId,
        PaymentId = Guid.NewGuid(),
        Description = "Payment R-000001-TEST01",
        OffSession = offSession,
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        StandIn.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open: the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>Records every event the webhook handler reports, in order.</summary>
public sealed class RecordingEventSink : IGatewayEventSink
{
    private readonly List<(string GatewayKey, GatewayEvent Event)> _events = [];

    /// <summary>The reported events.</summary>
    public IReadOnlyList<(string GatewayKey, GatewayEvent Event)> Events
    {
        get { lock (_events) { return _events.ToList(); } }
    }

    /// <inheritdoc />
    public Task<GatewayEventOutcome> ReportAsync(string gatewayKey, GatewayEvent gatewayEvent, CancellationToken cancellationToken = default)
    {
        lock (_events)
        {
            var duplicate = _events.Any(e => e.Event.EventId == gatewayEvent.EventId);
            _events.Add((gatewayKey, gatewayEvent));
            return Task.FromResult(duplicate ? GatewayEventOutcome.Duplicate : GatewayEventOutcome.Applied);
        }
    }
}
