using Microsoft.Extensions.DependencyInjection;
using Portal.Payments.Core.Tests.Infrastructure;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Sandbox;
using Portal.Payments.TestInfrastructure;
using Portal.Payments.Testing;
using Xunit;

namespace Portal.Payments.Core.Tests;

public abstract class SandboxGatewayTests(TestDatabase database)
{
    private static async Task<string> StoreCardAsync(SandboxGateway gateway, string number)
    {
        var captured = gateway.CaptureCard(new SandboxCardInput(number, 12, 2030, number.StartsWith("37") ? "1234" : "123", "Pat Payer", "02139"));
        Assert.True(captured.Succeeded, captured.Message);
        var stored = await gateway.StoreMethodAsync(new StoreMethodRequest("ACME", captured.Method!.Token, Guid.NewGuid().ToString("N")));
        return stored.Method!.Token;
    }

    private static ChargeRequest Charge(string token, decimal amount = 50m) => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"), MethodToken = token, Amount = Money.Create(amount, "USD"), AccountId = "ACME", PaymentId = Guid.NewGuid(),
    };

    [Theory]
    [InlineData("4000000000000002", GatewayErrorCode.Declined)]
    [InlineData("4000000000009995", GatewayErrorCode.InsufficientFunds)]
    [InlineData("4000000000000069", GatewayErrorCode.ExpiredCard)]
    public async Task Magic_cards_decline_with_their_reason_and_charge_nothing(string number, GatewayErrorCode code)
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        var request = Charge(await StoreCardAsync(gateway, number));
        var result = await gateway.ChargeAsync(request);
        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(0, await gateway.CountChargesForPaymentAsync(request.PaymentId));
    }

    [Fact]
    public async Task Parallel_retries_with_one_key_charge_exactly_once()
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        var request = Charge(await StoreCardAsync(gateway, "4242424242424242"));
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => gateway.ChargeAsync(request)));
        Assert.All(results, r => Assert.Equal(ChargeStatus.Succeeded, r.Status));
        Assert.Single(results.Select(r => r.Reference).Distinct());
        Assert.Equal(9, results.Count(r => r.Replayed));
        Assert.Equal(1, await gateway.CountChargesForPaymentAsync(request.PaymentId));
    }

    [Fact]
    public async Task Timeout_after_charging_is_found_by_its_key_and_never_charged_twice()
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        var request = Charge(await StoreCardAsync(gateway, "4000000000000119"));
        var first = await gateway.ChargeAsync(request);
        Assert.Equal(GatewayErrorCode.Timeout, first.ErrorCode);
        Assert.Null(first.Reference);
        var lookup = await gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));
        Assert.Equal(ChargeStatus.Succeeded, lookup.Status);
        var retry = await gateway.ChargeAsync(request);
        Assert.Equal(lookup.Reference, retry.Reference);
        Assert.Equal(1, await gateway.CountChargesForPaymentAsync(request.PaymentId));
    }

    [Fact]
    public async Task Processing_card_succeeds_after_the_delay()
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        var request = Charge(await StoreCardAsync(gateway, "4000000000000077"));
        Assert.Equal(ChargeStatus.Processing, (await gateway.ChargeAsync(request)).Status);
        h.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(ChargeStatus.Processing, (await gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey))).Status);
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ChargeStatus.Succeeded, (await gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey))).Status);
    }

    [Fact]
    public async Task Ach_debit_settles_or_is_returned_R01_days_later()
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        async Task<ChargeRequest> BankCharge(string account)
        {
            var captured = gateway.CaptureBankAccount(new SandboxBankInput("110000000", account, "Acme AP", BankAccountType.Checking, BankAccountHolderType.Business));
            Assert.True(captured.Succeeded, captured.Message);
            var stored = await gateway.StoreMethodAsync(new StoreMethodRequest("ACME", captured.Method!.Token, Guid.NewGuid().ToString("N")));
            var request = Charge(stored.Method!.Token);
            Assert.Equal(ChargeStatus.Processing, (await gateway.ChargeAsync(request)).Status);
            return request;
        }
        var good = await BankCharge("000123456789");
        var returned = await BankCharge(SandboxGateway.ReturnedBankAccount);
        h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(ChargeStatus.Succeeded, (await gateway.GetChargeStatusAsync(new ChargeLookup(good.IdempotencyKey))).Status);
        var r = await gateway.GetChargeStatusAsync(new ChargeLookup(returned.IdempotencyKey));
        Assert.Equal(ChargeStatus.Returned, r.Status);
        Assert.Contains("R01", r.Message);
    }

    [Fact]
    public async Task Capture_and_stored_tokens_never_hold_the_card_number_or_cvc()
    {
        await using var h = new PortalHarness(database);
        var gateway = h.Get<SandboxGateway>();
        var captured = gateway.CaptureCard(new SandboxCardInput("4242 4242 4242 4242", 12, 2030, "987", "Pat", null));
        var token = captured.Method!.Token;
        Assert.DoesNotContain("4242424242424242", CaptureTokens.Decode(token));
        Assert.All(CaptureTokens.Values(token), text => Assert.DoesNotContain("987", text));
        Assert.Matches("^[0-9a-f]{16}$", CaptureTokens.Nonce(token));
        Assert.Equal("4242", captured.Method.Last4);
        Assert.Equal("Visa", captured.Method.BrandOrBank);
        var bank = gateway.CaptureBankAccount(new SandboxBankInput("110000000", "000123456789", "Acme", BankAccountType.Savings, BankAccountHolderType.Business));
        Assert.DoesNotContain("000123456789", CaptureTokens.Decode(bank.Method!.Token));
        var stored = await gateway.StoreMethodAsync(new StoreMethodRequest("ACME", token, Guid.NewGuid().ToString("N")));
        Assert.True(stored.Succeeded, stored.Message);
        Assert.DoesNotContain("4242424242424242", stored.Method!.Token);
        Assert.DoesNotContain("4242424242424242", CaptureTokens.Decode(stored.Method.Token));
    }

    [Fact]
    public async Task Bad_card_and_bank_details_are_refused_with_a_reason()
    {
        await using var h = new PortalHarness(database);
        var g = h.Get<SandboxGateway>();
        Assert.Equal(GatewayErrorCode.InvalidCardNumber, g.CaptureCard(new("4242424242424241", 12, 2030, "123", "P", null)).ErrorCode);
        Assert.Equal(GatewayErrorCode.ExpiredCard, g.CaptureCard(new("4242424242424242", 1, 2026, "123", "P", null)).ErrorCode);
        Assert.Equal(GatewayErrorCode.InvalidExpiry, g.CaptureCard(new("4242424242424242", 13, 2030, "123", "P", null)).ErrorCode);
        Assert.Equal(GatewayErrorCode.InvalidSecurityCode, g.CaptureCard(new("4242424242424242", 12, 2030, "12", "P", null)).ErrorCode);
        Assert.Equal(GatewayErrorCode.InvalidRoutingNumber, g.CaptureBankAccount(new("123456789", "000123456789", "A", BankAccountType.Checking, BankAccountHolderType.Business)).ErrorCode);
        Assert.Equal(GatewayErrorCode.InvalidToken, (await g.StoreMethodAsync(new StoreMethodRequest("ACME", "forged", "k"))).ErrorCode);
    }

    [Fact]
    public async Task Storing_twice_with_one_key_gives_one_method()
    {
        await using var h = new PortalHarness(database);
        var g = h.Get<SandboxGateway>();
        var captured = g.CaptureCard(new("5555555555554444", 12, 2030, "123", "P", null));
        var a = await g.StoreMethodAsync(new StoreMethodRequest("ACME", captured.Method!.Token, "same-key"));
        var b = await g.StoreMethodAsync(new StoreMethodRequest("ACME", captured.Method.Token, "same-key"));
        Assert.Equal(a.Method!.Token, b.Method!.Token);
    }
}

public sealed class SandboxGatewayTests_Sqlite(SqliteDatabase db) : SandboxGatewayTests(db), IClassFixture<SqliteDatabase>
{
    [Fact]
    public async Task Storing_a_method_on_SQLite_waits_its_turn_in_the_write_lane()
    {
        await using var h = new PortalHarness(db);
        var gateway = h.Get<SandboxGateway>();
        var lane = h.Get<DatabaseWriteLane>();
        Assert.True(lane.Serialized);
        var captured = gateway.CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Pat Payer", "02139"));
        var release = new TaskCompletionSource();
        var held = new TaskCompletionSource();
        var other = lane.RunAsync(async () => { held.SetResult(); await release.Task; });
        await held.Task;

        var store = gateway.StoreMethodAsync(new StoreMethodRequest("ACME", captured.Method!.Token, Guid.NewGuid().ToString("N")));
        // Another write holds the lane: the store's own write must wait for it (it would be done in milliseconds).
        Assert.NotSame(store, await Task.WhenAny(store, Task.Delay(TimeSpan.FromMilliseconds(500))));

        release.SetResult();
        await other;
        var stored = await store.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stored.Succeeded, stored.Message);
    }
}

public sealed class SandboxGatewayTests_Postgres(PostgresDatabase db) : SandboxGatewayTests(db), IClassFixture<PostgresDatabase>;

/// <summary>The packaged gateway conformance suite, run against the sandbox gateway.</summary>
public abstract class SandboxGatewayConformance : PaymentGatewayConformanceTests, IAsyncLifetime
{
    private readonly PortalHarness _harness;

    protected SandboxGatewayConformance(TestDatabase database, TimeSpan latency = default) =>
        _harness = new PortalHarness(database, b => b.ConfigureSandboxGateway(o => o.Latency = latency));

    protected override IPaymentGateway Gateway => _harness.Get<SandboxGateway>();

    protected override async Task<(string Token, string FullNumber)> CreateMethodAsync(ConformanceMethod behaviour)
    {
        var number = behaviour switch
        {
            ConformanceMethod.Declines => "4000000000000002",
            ConformanceMethod.ProcessingThenSucceeds => "4000000000000077",
            _ => "4242424242424242",
        };
        var gateway = _harness.Get<SandboxGateway>();
        var captured = gateway.CaptureCard(new SandboxCardInput(number, 12, 2030, "123", "Conformance", null));
        var stored = await gateway.StoreMethodAsync(new StoreMethodRequest("CONFORMANCE", captured.Method!.Token, Guid.NewGuid().ToString("N")));
        return (stored.Method!.Token, number);
    }

    protected override Task<CapturedPaymentMethod> CaptureAsync(ConformanceMethod behaviour)
    {
        var captured = _harness.Get<SandboxGateway>().CaptureCard(new SandboxCardInput("4242424242424242", 12, 2030, "123", "Conformance", null));
        return Task.FromResult(new CapturedPaymentMethod(captured.Method!.Token, PaymentMethodType.Card));
    }

    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        _harness.Clock.Advance(by);
        return Task.CompletedTask;
    }

    protected override async Task<int?> CountChargesAsync(ChargeRequest request) =>
        await _harness.Get<SandboxGateway>().CountChargesForPaymentAsync(request.PaymentId);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();
}

public sealed class SandboxGatewayConformance_Sqlite(SqliteDatabase db) : SandboxGatewayConformance(db), IClassFixture<SqliteDatabase>;

public sealed class SandboxGatewayConformance_Postgres(PostgresDatabase db) : SandboxGatewayConformance(db), IClassFixture<PostgresDatabase>;

/// <summary>The suite against the sandbox answering like a real processor (250 ms per charge, so concurrent callers meet "in progress").</summary>
public sealed class SandboxGatewayConformance_PostgresWithLatency(PostgresDatabase db)
    : SandboxGatewayConformance(db, TimeSpan.FromMilliseconds(250)), IClassFixture<PostgresDatabase>;
