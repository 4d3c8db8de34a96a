namespace Portal.Payments.Gateways;

/// <summary>
/// Remembers which customer record a gateway keeps for each portal account (a Stripe Customer <c>cus_…</c>), so a
/// gateway creates one customer per account on first use and reuses it afterwards. Implemented by the portal (Core).
/// </summary>
public interface IGatewayCustomerStore
{
    /// <summary>The gateway's customer id stored for <paramref name="accountId"/>, or null when none is stored yet.</summary>
    /// <param name="gatewayKey">The gateway's <see cref="IPaymentGateway.Key"/>.</param>
    /// <param name="accountId">The portal's customer account id.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    Task<string?> GetAsync(string gatewayKey, string accountId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="customerId"/> for the account unless one is stored already, and answers the stored id:
    /// the first writer wins, so concurrent first uses on several nodes agree on one customer.
    /// </summary>
    /// <param name="gatewayKey">The gateway's <see cref="IPaymentGateway.Key"/>.</param>
    /// <param name="accountId">The portal's customer account id.</param>
    /// <param name="customerId">The gateway's customer id to store (at most 200 characters).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task<string> GetOrAddAsync(string gatewayKey, string accountId, string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the stored <paramref name="staleCustomerId"/> with <paramref name="customerId"/> — the gateway no longer has
    /// the stale customer (the host switched from test to live keys, or to another account) — and answers the stored id:
    /// when another node replaced it first, its id. The default implementation cannot replace and throws
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="gatewayKey">The gateway's <see cref="IPaymentGateway.Key"/>.</param>
    /// <param name="accountId">The portal's customer account id.</param>
    /// <param name="staleCustomerId">The id the gateway does not know any more.</param>
    /// <param name="customerId">The gateway's new customer id to store (at most 200 characters).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task<string> ReplaceAsync(string gatewayKey, string accountId, string staleCustomerId, string customerId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} cannot replace a stored gateway customer id.");
}
