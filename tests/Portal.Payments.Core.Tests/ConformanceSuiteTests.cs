using Microsoft.AspNetCore.Components;
using Portal.Payments.Gateways;
using Portal.Payments.Testing;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The gateway conformance suite itself: its capture-component check fails for components the portal would break on.</summary>
public class ConformanceSuiteTests
{
    [Fact]
    public void A_capture_component_without_the_customer_action_callback_fails_the_suite()
    {
        var suite = new Suite(typeof(ActionWithoutCallback));

        var failure = Assert.ThrowsAny<Exception>(suite.Capture_component_declares_the_parameters_the_portal_passes);

        Assert.Contains("CustomerAction without OnCustomerActionCompleted", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_component_without_the_cancel_callback_fails_the_suite()
    {
        var suite = new Suite(typeof(NoCancel));

        var failure = Assert.ThrowsAny<Exception>(suite.Capture_component_declares_the_parameters_the_portal_passes);

        Assert.Contains("has no [Parameter] OnCancelled", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_component_without_customer_actions_at_all_passes()
    {
        new Suite(typeof(NoCustomerAction)).Capture_component_declares_the_parameters_the_portal_passes();
    }

    private sealed class Suite(Type captureComponent) : PaymentGatewayConformanceTests
    {
        protected override IPaymentGateway Gateway { get; } = new ComponentOnlyGateway(captureComponent);

        protected override Task<(string Token, string FullNumber)> CreateMethodAsync(ConformanceMethod behaviour) => throw new NotSupportedException();

        protected override Task AdvanceTimeAsync(TimeSpan by) => throw new NotSupportedException();

        protected override Task<CapturedPaymentMethod> CaptureAsync(ConformanceMethod behaviour) => throw new NotSupportedException();
    }

    private sealed class ComponentOnlyGateway(Type captureComponent) : PaymentGatewayBase
    {
        public override string Key => "component-only";

        public override GatewayCapabilities Capabilities => GatewayCapabilities.Cards;

        public override Type CaptureComponent => captureComponent;

        public override Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public override Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private class NoCustomerAction : ComponentBase
    {
        [Parameter] public PaymentMethodType Kind { get; set; }

        [Parameter] public Func<CapturedPaymentMethod, Task>? OnCaptured { get; set; }

        [Parameter] public Func<Task>? OnCancelled { get; set; }
    }

    private sealed class ActionWithoutCallback : NoCustomerAction
    {
        [Parameter] public string? CustomerAction { get; set; }
    }

    private sealed class NoCancel : ComponentBase
    {
        [Parameter] public PaymentMethodType Kind { get; set; }

        [Parameter] public Func<CapturedPaymentMethod, Task>? OnCaptured { get; set; }
    }
}
