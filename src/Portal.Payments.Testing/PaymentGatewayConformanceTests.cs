using Portal.Payments.Gateways;
using Xunit;

namespace Portal.Payments.Testing;

/// <summary>How a test payment method should behave when charged.</summary>
public enum ConformanceMethod
{
    /// <summary>Charges succeed (at once, or Processing then Succeeded for slow rails).</summary>
    Succeeds,
    /// <summary>Charges are declined.</summary>
    Declines,
    /// <summary>
    /// Charges stay Processing until time passes, then succeed: a bank account (a bank debit always starts Processing), or a
    /// card your processor answers later. A gateway without <see cref="GatewayCapabilities.BankAccounts"/> whose charges are
    /// all final at once (cards only) gives a card that succeeds: the suite then accepts Succeeded at once.
    /// </summary>
    ProcessingThenSucceeds,
}

/// <summary>
/// Conformance suite for <see cref="IPaymentGateway"/> implementations. Subclass it in your test project,
/// implement the abstract members against your gateway's test environment, and every [Fact] here runs
/// against your adapter: idempotency (concurrent callers, lost answers, stored methods), single-use capture tokens,
/// declines as values, no card number echoed back, status lookups and status transitions.
/// </summary>
public abstract class PaymentGatewayConformanceTests
{
    /// <summary>The gateway under test.</summary>
    protected abstract IPaymentGateway Gateway { get; }

    /// <summary>Currency of the test charges. Default "USD".</summary>
    protected virtual string Currency => "USD";

    /// <summary>
    /// Stores a test method with the given behaviour and returns its token plus the full number that was
    /// entered (card or bank account number), so the suite can check the number never comes back.
    /// </summary>
    protected abstract Task<(string Token, string FullNumber)> CreateMethodAsync(ConformanceMethod behaviour);

    /// <summary>Lets time pass at the gateway (a fake clock, or a real wait in a test environment).</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    /// <summary>
    /// Captures a new test method with the given behaviour the way the gateway's capture component would (a fresh,
    /// single-use capture token), without storing it.
    /// </summary>
    protected abstract Task<CapturedPaymentMethod> CaptureAsync(ConformanceMethod behaviour);

    /// <summary>
    /// Sends <paramref name="request"/> and loses the answer, as a timeout after the gateway charged would. The default
    /// sends it and ignores the answer; override to cut the connection for real (for example a proxy that drops the response).
    /// </summary>
    protected virtual async Task ChargeAndLoseTheAnswerAsync(ChargeRequest request) => _ = await Gateway.ChargeAsync(request);

    /// <summary>
    /// How many charges the gateway holds (charged, or accepted on a slow rail) for <paramref name="request"/>'s payment
    /// (<see cref="ChargeRequest.PaymentId"/>, which the suite's requests carry in the gateway's metadata), or null when your
    /// test environment cannot tell. With a count the idempotency facts check that money moved once, not only that the
    /// answers name one reference: an adapter that charges again on every retry under a reference derived from the key
    /// answers alike each time. Default null (answers only); override it where your gateway's test mode lists charges.
    /// </summary>
    protected virtual Task<int?> CountChargesAsync(ChargeRequest request) => Task.FromResult<int?>(null);

    /// <summary>Fails when the gateway holds more (or fewer) than one charge for the request's payment.</summary>
    protected async Task AssertChargedOnceAsync(ChargeRequest request)
    {
        if (await CountChargesAsync(request) is { } count)
        {
            Assert.True(count == 1, $"The gateway holds {count} charges for one payment (idempotency key {request.IdempotencyKey}); expected exactly one.");
        }
    }

    /// <summary>How long <see cref="ConformanceMethod.ProcessingThenSucceeds"/> stays Processing at most.</summary>
    protected virtual TimeSpan ProcessingTime => TimeSpan.FromDays(3);

    /// <summary>
    /// A request for <paramref name="amount"/> with a fresh idempotency key, rounded to the minor units of <see cref="Currency"/>
    /// (125.50 is 126 in JPY, which has none), so the suite runs in any ISO currency.
    /// </summary>
    protected ChargeRequest NewCharge(string token, decimal amount = 125.50m, string? key = null) => new()
    {
        IdempotencyKey = key ?? "conf-" + Guid.NewGuid().ToString("N"),
        MethodToken = token,
        Amount = Money.Create(decimal.Round(amount, CurrencyInfo.Get(Currency).MinorUnits, MidpointRounding.AwayFromZero), Currency),
        AccountId = "CONFORMANCE",
        PaymentId = Guid.NewGuid(),
        Description = "Conformance test",
    };

    /// <summary>Charging twice with one key answers the same charge (same reference), never a second one.</summary>
    [Fact]
    public async Task Same_idempotency_key_returns_the_first_charge()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token);
        var first = await Gateway.ChargeAsync(request);
        var second = await Gateway.ChargeAsync(request with { PaymentId = request.PaymentId });
        Assert.True(first.Status is ChargeStatus.Succeeded or ChargeStatus.Processing, $"First charge: {first.Status} {first.ErrorCode} {first.Message}");
        Assert.Equal(first.Reference, second.Reference);
        Assert.Equal(first.Status, second.Status);
        await AssertChargedOnceAsync(request);
    }

    /// <summary>
    /// Reusing a key for a different amount never creates a second charge, and is refused as
    /// <see cref="GatewayErrorCode.IdempotencyConflict"/>: answering the first charge instead would let the portal record
    /// the other amount as paid (or collected) when it was not.
    /// </summary>
    [Fact]
    public async Task Reusing_a_key_with_other_parameters_does_not_charge_again()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token, 10m);
        var first = await Gateway.ChargeAsync(request);
        Assert.True(first.Status is ChargeStatus.Succeeded or ChargeStatus.Processing, $"First charge: {first.Status} {first.ErrorCode} {first.Message}");
        var other = await Gateway.ChargeAsync(request with { Amount = Money.Create(20m, Currency) });
        Assert.True(other.Reference is null || other.Reference == first.Reference,
            $"A reused key produced a new charge {other.Reference} ({other.Status}).");
        Assert.True(other.ErrorCode == GatewayErrorCode.IdempotencyConflict,
            $"A reused key with another amount was answered {other.Status} {other.ErrorCode} ({other.Message}); expected IdempotencyConflict, never the first charge's answer.");
        await AssertChargedOnceAsync(request);
    }

    /// <summary>
    /// Concurrent requests with one key produce one charge, and every caller gets the same final answer — or "in progress"
    /// (<see cref="GatewayErrorCode.InProgress"/>), never a failure that would make the portal give up on a charge that went through.
    /// </summary>
    [Fact]
    public async Task Concurrent_callers_with_one_key_get_one_charge_and_the_same_answer_or_in_progress()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Gateway.ChargeAsync(request))));
        var references = results.Where(r => r.Reference is not null).Select(r => r.Reference).Distinct().ToList();
        Assert.Single(references);
        var answered = results.Where(r => r.ErrorCode != GatewayErrorCode.InProgress).ToList();
        Assert.NotEmpty(answered);
        foreach (var r in results)
        {
            Assert.True(r.ErrorCode is GatewayErrorCode.None or GatewayErrorCode.InProgress,
                $"A concurrent caller got {r.Status} {r.ErrorCode} ({r.Message}); expected the charge's answer or InProgress.");
        }
        Assert.Single(answered.Select(r => r.Status).Distinct());

        await AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var later = await Gateway.ChargeAsync(request);
        Assert.Equal(references[0], later.Reference);
        Assert.Equal(answered[0].Status, later.Status);
        await AssertChargedOnceAsync(request);
    }

    /// <summary>
    /// An answer lost after the gateway charged (a timeout) is found by the idempotency key, and charging again with the key
    /// answers that same charge: one charge in all.
    /// </summary>
    [Fact]
    public async Task A_lost_answer_is_found_by_key_and_a_retry_does_not_charge_again()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token);
        await ChargeAndLoseTheAnswerAsync(request);
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1));

        var found = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));
        Assert.True(found.Status is ChargeStatus.Succeeded or ChargeStatus.Processing, $"Lookup by key after a lost answer: {found.Status} {found.ErrorCode} {found.Message}");
        Assert.NotNull(found.Reference);
        var retried = await Gateway.ChargeAsync(request);
        Assert.Equal(found.Reference, retried.Reference);
        Assert.Equal(found.Status, retried.Status);
        await AssertChargedOnceAsync(request);
    }

    /// <summary>Storing one captured method twice with one idempotency key stores one method (a double click).</summary>
    [Fact]
    public async Task Storing_a_method_twice_with_one_key_stores_one_method()
    {
        var captured = await CaptureAsync(ConformanceMethod.Succeeds);
        var request = new StoreMethodRequest("CONFORMANCE", captured.CaptureToken, "store-" + Guid.NewGuid().ToString("N"));
        var first = await Gateway.StoreMethodAsync(request);
        var second = await Gateway.StoreMethodAsync(request);
        Assert.True(first.Succeeded, $"{first.ErrorCode} {first.Message}");
        Assert.True(second.Succeeded, $"{second.ErrorCode} {second.Message}");
        Assert.Equal(first.Method!.Token, second.Method!.Token);
    }

    /// <summary>A capture token is single use: storing it again under another key is refused as an invalid token.</summary>
    [Fact]
    public async Task A_capture_token_is_single_use()
    {
        var captured = await CaptureAsync(ConformanceMethod.Succeeds);
        var first = await Gateway.StoreMethodAsync(new StoreMethodRequest("CONFORMANCE", captured.CaptureToken, "store-" + Guid.NewGuid().ToString("N")));
        Assert.True(first.Succeeded, $"{first.ErrorCode} {first.Message}");
        var again = await Gateway.StoreMethodAsync(new StoreMethodRequest("CONFORMANCE", captured.CaptureToken, "store-" + Guid.NewGuid().ToString("N")));
        Assert.False(again.Succeeded, "A capture token was exchanged for a stored method twice.");
        Assert.Equal(GatewayErrorCode.InvalidToken, again.ErrorCode);
    }

    /// <summary>
    /// A decline is a value with a status and an error code, not an exception. The code says why (Declined,
    /// InsufficientFunds…), never an unknown outcome (Timeout, Unavailable, InProgress, IdempotencyConflict): the portal reads
    /// those as "may have been charged" whatever the status, so the payment would wait for a lookup that never changes,
    /// holding its invoices, instead of telling the payer.
    /// </summary>
    [Fact]
    public async Task Decline_is_a_value_with_an_error_code()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Declines);
        var result = await Gateway.ChargeAsync(NewCharge(token));
        Assert.Equal(ChargeStatus.Declined, result.Status);
        Assert.NotEqual(GatewayErrorCode.None, result.ErrorCode);
        Assert.False(result.ErrorCode is GatewayErrorCode.Timeout or GatewayErrorCode.Unavailable or GatewayErrorCode.InProgress or GatewayErrorCode.IdempotencyConflict,
            $"A decline came with {result.ErrorCode}, which says the outcome is unknown; give the decline's reason (Declined, InsufficientFunds, ExpiredCard…).");
        Assert.False(string.IsNullOrWhiteSpace(result.Message), "A decline needs a message for the payer.");
    }

    /// <summary>Neither the stored method nor any answer contains the full card or account number.</summary>
    [Fact]
    public async Task The_full_number_is_never_echoed_back()
    {
        var (token, number) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        Assert.DoesNotContain(number, token, StringComparison.Ordinal);
        var charge = await Gateway.ChargeAsync(NewCharge(token));
        var status = await Gateway.GetChargeStatusAsync(new ChargeLookup("unused", charge.Reference));
        foreach (var text in new[] { charge.Reference, charge.Message, status.Reference, status.Message })
        {
            Assert.DoesNotContain(number, text ?? "", StringComparison.Ordinal);
        }
    }

    /// <summary>A charge can be found by its idempotency key (the lookup after a timeout) and by its reference.</summary>
    [Fact]
    public async Task Charge_can_be_looked_up_by_key_and_by_reference()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token);
        var charge = await Gateway.ChargeAsync(request);
        var byKey = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));
        var byReference = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey, charge.Reference));
        Assert.Equal(charge.Reference, byKey.Reference);
        Assert.Equal(charge.Reference, byReference.Reference);
        Assert.True(byKey.Status is ChargeStatus.Succeeded or ChargeStatus.Processing);
    }

    /// <summary>Looking up a key that was never charged says NotFound (so a caller knows it is safe to charge).</summary>
    [Fact]
    public async Task Unknown_key_lookup_is_not_found()
    {
        var result = await Gateway.GetChargeStatusAsync(new ChargeLookup("never-used-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(GatewayErrorCode.NotFound, result.ErrorCode);
        Assert.Null(result.Reference);
    }

    /// <summary>
    /// A processing charge moves forward to a final status once time passes, and stays there. A gateway that takes bank
    /// accounts must answer Processing at first (a bank debit settles days later); one without them (cards only, answered at
    /// once) may answer Succeeded at once.
    /// </summary>
    [Fact]
    public async Task Processing_charge_becomes_final_after_time_passes()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.ProcessingThenSucceeds);
        var request = NewCharge(token);
        var first = await Gateway.ChargeAsync(request);
        if (Gateway.Capabilities.HasFlag(GatewayCapabilities.BankAccounts))
        {
            Assert.Equal(ChargeStatus.Processing, first.Status);
        }
        else
        {
            Assert.True(first.Status is ChargeStatus.Processing or ChargeStatus.Succeeded && first.ErrorCode == GatewayErrorCode.None,
                $"First charge: {first.Status} {first.ErrorCode} {first.Message}");
        }
        await AdvanceTimeAsync(ProcessingTime);
        var later = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey, first.Reference));
        Assert.Equal(ChargeStatus.Succeeded, later.Status);
        await AdvanceTimeAsync(ProcessingTime);
        var again = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey, first.Reference));
        Assert.Equal(ChargeStatus.Succeeded, again.Status);
    }

    /// <summary>Zero or negative amounts are refused as values, with nothing charged.</summary>
    [Fact]
    public async Task Non_positive_amount_is_refused()
    {
        var (token, _) = await CreateMethodAsync(ConformanceMethod.Succeeds);
        var request = NewCharge(token, 0m);
        var result = await Gateway.ChargeAsync(request);
        Assert.NotEqual(ChargeStatus.Succeeded, result.Status);
        Assert.NotEqual(GatewayErrorCode.None, result.ErrorCode);
        var lookup = await Gateway.GetChargeStatusAsync(new ChargeLookup(request.IdempotencyKey));
        Assert.Equal(GatewayErrorCode.NotFound, lookup.ErrorCode);
    }

    /// <summary>Operations outside the declared capabilities answer Unsupported instead of throwing.</summary>
    [Fact]
    public async Task Undeclared_operations_answer_unsupported()
    {
        var reversal = new ReversalRequest("ref", "key-" + Guid.NewGuid().ToString("N"));
        if (!Gateway.Capabilities.HasFlag(GatewayCapabilities.Refund))
        {
            Assert.Equal(GatewayErrorCode.Unsupported, (await Gateway.RefundAsync(reversal)).ErrorCode);
        }
        if (!Gateway.Capabilities.HasFlag(GatewayCapabilities.Void))
        {
            Assert.Equal(GatewayErrorCode.Unsupported, (await Gateway.VoidAsync(reversal)).ErrorCode);
        }
        Assert.False(string.IsNullOrWhiteSpace(Gateway.Key));
        Assert.Contains(Gateway.CaptureComponent.GetInterfaces(), i => i.FullName == "Microsoft.AspNetCore.Components.IComponent");
    }

    /// <summary>
    /// The capture component takes the parameters the portal passes it (Blazor throws on a parameter a component does not
    /// declare): Kind, OnCaptured and OnCancelled always; CustomerAction and OnCustomerActionCompleted together or not at
    /// all (a gateway that can answer RequiresAction needs both: the portal renders the component again with them).
    /// </summary>
    [Fact]
    public void Capture_component_declares_the_parameters_the_portal_passes()
    {
        var parameters = Gateway.CaptureComponent.GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public)
            .Where(p => p.CanWrite && p.GetCustomAttributes(inherit: true).Any(a => a.GetType().FullName == "Microsoft.AspNetCore.Components.ParameterAttribute"))
            .ToDictionary(p => p.Name, p => p.PropertyType, StringComparer.Ordinal);
        var expected = new Dictionary<string, Type>(StringComparer.Ordinal)
        {
            [CaptureComponentParameters.Kind] = typeof(PaymentMethodType),
            [CaptureComponentParameters.OnCaptured] = typeof(Func<CapturedPaymentMethod, Task>),
            [CaptureComponentParameters.OnCancelled] = typeof(Func<Task>),
        };
        foreach (var (name, type) in expected)
        {
            Assert.True(parameters.TryGetValue(name, out var declared), $"{Gateway.CaptureComponent.Name} has no [Parameter] {name} ({type.Name}).");
            Assert.True(declared!.IsAssignableFrom(type), $"{Gateway.CaptureComponent.Name}.{name} is {declared.Name}; the portal passes {type.Name}.");
        }
        var action = parameters.ContainsKey(CaptureComponentParameters.CustomerAction);
        var completed = parameters.TryGetValue(CaptureComponentParameters.OnCustomerActionCompleted, out var completedType);
        Assert.True(action == completed, $"{Gateway.CaptureComponent.Name} declares {(action ? "CustomerAction without OnCustomerActionCompleted" : "OnCustomerActionCompleted without CustomerAction")}: the portal passes both.");
        if (completed)
        {
            Assert.True(completedType!.IsAssignableFrom(typeof(Func<CustomerActionOutcome, Task>)), $"{Gateway.CaptureComponent.Name}.OnCustomerActionCompleted must take Func<CustomerActionOutcome, Task>.");
        }
    }
}
