using Portal.Payments.Gateways.Stripe.Tests.Infrastructure;
using Portal.Payments.Testing;

namespace Portal.Payments.Gateways.Stripe.Tests;

/// <summary>One harness (gateway + Stripe stand-in) for the conformance suite's facts.</summary>
public sealed class ConformanceHarness : IAsyncLifetime
{
    /// <summary>The harness.</summary>
    public StripeGatewayHarness Harness { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Harness = await StripeGatewayHarness.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>
/// The gateway conformance suite of Portal.Payments.Testing against the Stripe adapter and the Stripe stand-in. Every
/// override is a thin mapping onto the harness, so facts the suite gains run here unchanged.
/// </summary>
public sealed class StripeConformanceTests(ConformanceHarness fixture) : PaymentGatewayConformanceTests, IClassFixture<ConformanceHarness>
{
    /// <summary>The account the suite charges (<see cref="PaymentGatewayConformanceTests.NewCharge"/> uses it).</summary>
    private const string Account = "CONFORMANCE";

    /// <inheritdoc />
    protected override IPaymentGateway Gateway => fixture.Harness.Gateway;

    /// <inheritdoc />
    protected override async Task<(string Token, string FullNumber)> CreateMethodAsync(ConformanceMethod behaviour)
    {
        switch (behaviour)
        {
            case ConformanceMethod.Succeeds:
                return ((await fixture.Harness.SaveCardAsync(Account, "4242424242424242")).Token, "4242424242424242");
            case ConformanceMethod.Declines:
                return ((await fixture.Harness.SaveCardAsync(Account, "4000000000000341")).Token, "4000000000000341");
            case ConformanceMethod.ProcessingThenSucceeds:
                // A US bank debit: processing until the stand-in's ACH settlement delay has passed.
                return ((await fixture.Harness.SaveBankAccountAsync(Account, "000123456789")).Token, "000123456789");
            default:
                throw new ArgumentOutOfRangeException(nameof(behaviour), behaviour, "No Stripe test method for this behaviour.");
        }
    }

    /// <inheritdoc />
    protected override async Task<CapturedPaymentMethod> CaptureAsync(ConformanceMethod behaviour)
    {
        // What the capture component hands back: the pm_ id of a SetupIntent the browser confirmed.
        var (session, error) = await fixture.Harness.Gateway.BeginSetupAsync(Account, PaymentMethodType.Card);
        Assert.True(session is not null, error);
        var pm = await fixture.Harness.Browser.ConfirmCardSetupAsync(session!.ClientSecret, "4242424242424242", 12, DateTime.UtcNow.Year + 3, "Pat Payer", "94107");
        return new CapturedPaymentMethod(pm, PaymentMethodType.Card);
    }

    /// <inheritdoc />
    /// <remarks>The stand-in's PaymentIntents that moved money for the payment, so the idempotency facts count charges, not only answers.</remarks>
    protected override Task<int?> CountChargesAsync(ChargeRequest request) =>
        Task.FromResult<int?>(fixture.Harness.StandIn.MoneyMovingIntentsOfPayment(request.PaymentId));

    /// <inheritdoc />
    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        fixture.Harness.Clock.Advance(by);
        return Task.CompletedTask;
    }
}
