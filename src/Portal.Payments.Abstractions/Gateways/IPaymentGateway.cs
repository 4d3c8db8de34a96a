namespace Portal.Payments.Gateways;

/// <summary>
/// A payment gateway adapter. Derive from <see cref="PaymentGatewayBase"/> so that operations your
/// gateway lacks answer <see cref="GatewayErrorCode.Unsupported"/> without code of your own.
/// Check an implementation with the gateway conformance suite in Portal.Payments.Testing.
/// </summary>
public interface IPaymentGateway
{
    /// <summary>A stable key naming this gateway ("sandbox", "stripe"); stored with each method.</summary>
    string Key { get; }

    /// <summary>What the gateway supports.</summary>
    GatewayCapabilities Capabilities { get; }

    /// <summary>
    /// The Razor component that collects card or bank details in the browser and hands back a
    /// <see cref="CapturedPaymentMethod"/>; see <see cref="CaptureComponentParameters"/> for the
    /// parameters the portal passes. Card numbers and CVV must never reach the portal's server.
    /// </summary>
    Type CaptureComponent { get; }

    /// <summary>Turns a capture token into a reusable stored method.</summary>
    Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes expiry, holder name or postal code of a stored method.</summary>
    Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stored method at the gateway.</summary>
    Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Charges a stored method. Must honour <see cref="ChargeRequest.IdempotencyKey"/>.</summary>
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Current status of a charge, for slow rails and for answers that never arrived.</summary>
    Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default);

    /// <summary>Refunds a settled charge, where <see cref="GatewayCapabilities.Refund"/> is set.</summary>
    Task<ChargeResult> RefundAsync(ReversalRequest request, CancellationToken cancellationToken = default);

    /// <summary>Voids an unsettled charge, where <see cref="GatewayCapabilities.Void"/> is set.</summary>
    Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// Parameter names the portal passes to a gateway's capture component (through
/// <c>DynamicComponent</c>). Declare them as <c>[Parameter]</c> properties with these types.
/// </summary>
public static class CaptureComponentParameters
{
    /// <summary><see cref="PaymentMethodType"/>: which kind of method to capture.</summary>
    public const string Kind = "Kind";

    /// <summary><c>Func&lt;CapturedPaymentMethod, Task&gt;</c>: call it once with the capture token.</summary>
    public const string OnCaptured = "OnCaptured";

    /// <summary><c>Func&lt;Task&gt;</c>: call it when the user cancels.</summary>
    public const string OnCancelled = "OnCancelled";

    /// <summary>
    /// <c>string?</c> (optional): the <see cref="ChargeResult.CustomerAction"/> of a charge that answered
    /// <see cref="ChargeStatus.RequiresAction"/>. When set, the component captures nothing: it lets the payer complete
    /// the gateway's authentication (3-D Secure) in the browser, then calls <see cref="OnCustomerActionCompleted"/>.
    /// </summary>
    public const string CustomerAction = "CustomerAction";

    /// <summary>
    /// <c>Func&lt;CustomerActionOutcome, Task&gt;</c>: called once the payer finished (or abandoned) the customer action.
    /// The portal then asks <see cref="IPaymentGateway.GetChargeStatusAsync"/> for the charge's final status; the
    /// browser's word is never trusted for it.
    /// </summary>
    public const string OnCustomerActionCompleted = "OnCustomerActionCompleted";
}

/// <summary>What the browser reported after a customer action (3-D Secure); the charge's status comes from the gateway.</summary>
/// <param name="Completed">True when the payer went through the authentication; false when it failed or was abandoned.</param>
/// <param name="Message">Why it did not complete, fit for the payer; null when completed.</param>
public sealed record CustomerActionOutcome(bool Completed, string? Message = null);

/// <summary>
/// Defaults for optional operations: each answers <see cref="GatewayErrorCode.Unsupported"/>.
/// Override what your gateway does and declare it in <see cref="Capabilities"/>.
/// </summary>
public abstract class PaymentGatewayBase : IPaymentGateway
{
    /// <inheritdoc />
    public abstract string Key { get; }

    /// <inheritdoc />
    public abstract GatewayCapabilities Capabilities { get; }

    /// <inheritdoc />
    public abstract Type CaptureComponent { get; }

    /// <inheritdoc />
    public abstract Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public virtual Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.Unsupported, "This gateway cannot update stored methods."));

    /// <inheritdoc />
    /// <remarks>
    /// Override it to detach the token at your processor. Without it the answer is <see cref="GatewayErrorCode.Unsupported"/>:
    /// the portal deletes the method on its side only and logs a warning that the token stays at the gateway.
    /// </remarks>
    public virtual Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default) =>
        Task.FromResult(GatewayOperationResult.Fail(GatewayErrorCode.Unsupported, "This gateway cannot remove stored methods."));

    /// <inheritdoc />
    public virtual Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default) =>
        Task.FromResult(Unsupported("This gateway cannot look up charges."));

    /// <inheritdoc />
    public virtual Task<ChargeResult> RefundAsync(ReversalRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(Unsupported("This gateway cannot refund."));

    /// <inheritdoc />
    public virtual Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(Unsupported("This gateway cannot void."));

    /// <summary>An "unsupported" answer with the given message.</summary>
    protected static ChargeResult Unsupported(string message) =>
        new() { Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.Unsupported, Message = message };
}
