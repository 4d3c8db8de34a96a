using System.Security.Cryptography;
using System.Text;
using global::Stripe;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Gateways.Stripe.Components;

namespace Portal.Payments.Gateways.Stripe;

/// <summary>What the capture component needs to let Stripe.js collect details for a SetupIntent.</summary>
/// <param name="ClientSecret">The SetupIntent's client secret (browser only; it cannot charge).</param>
/// <param name="PublishableKey">The publishable key for <c>Stripe(pk)</c>.</param>
public sealed record StripeSetupSession(string ClientSecret, string PublishableKey);

/// <summary>
/// The Stripe gateway. Methods are saved with SetupIntents (one Stripe Customer per portal account, created on first use
/// and kept in <see cref="IGatewayCustomerStore"/>); the browser confirms the SetupIntent with Stripe.js and only the
/// <c>pm_…</c> id reaches the portal. Charges are PaymentIntents created and confirmed on the server under the payment's
/// idempotency key (Stripe's <c>Idempotency-Key</c>), with the portal's payment id and idempotency key in their metadata.
/// </summary>
/// <remarks>
/// Lookup by idempotency key (after a lost answer) searches PaymentIntents by <c>metadata['portal_idempotency_key']</c>;
/// Stripe's search can lag about a minute behind writes, so when it finds nothing the PaymentIntents created in the last
/// 24 hours are listed (strongly consistent) and matched on the same metadata. A "not found" answer is safe either way:
/// the portal only ever retries under the same key, which Stripe replays for 24 hours.
/// </remarks>
public sealed class StripeGateway : PaymentGatewayBase
{
    /// <summary>The gateway key, also the webhook URL segment.</summary>
    public const string GatewayKey = "stripe";

    /// <summary>Metadata key holding the portal's payment id.</summary>
    public const string PaymentIdMetadata = "portal_payment_id";

    /// <summary>Metadata key holding the payment's idempotency key (lookup after a lost answer).</summary>
    public const string IdempotencyKeyMetadata = "portal_idempotency_key";

    /// <summary>Metadata key on a saved PaymentMethod holding the idempotency key of the store that used it (capture tokens are single use).</summary>
    public const string StoreKeyMetadata = "portal_store_key";

    /// <summary>Metadata key holding the portal account id (customers, SetupIntents, PaymentIntents).</summary>
    public const string AccountIdMetadata = "portal_account_id";

    /// <summary>How far back the strongly consistent lookup by key lists PaymentIntents.</summary>
    internal static readonly TimeSpan KeyLookupWindow = TimeSpan.FromHours(24);

    /// <summary>Pages of 100 PaymentIntents the lookup by key reads at most.</summary>
    internal const int KeyLookupMaxPages = 10;

    private readonly IOptions<StripeGatewayOptions> _options;
    private readonly IGatewayCustomerStore _customers;
    private readonly TimeProvider _clock;
    private readonly ILogger<StripeGateway> _logger;
    private readonly Lazy<IStripeClient> _client;

    /// <summary>Creates the gateway (registered by <c>AddStripeGateway()</c>).</summary>
    public StripeGateway(IOptions<StripeGatewayOptions> options, IGatewayCustomerStore customers, TimeProvider clock, ILogger<StripeGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _customers = customers;
        _clock = clock;
        _logger = logger;
        _client = new Lazy<IStripeClient>(() => CreateClient(options.Value));
    }

    /// <inheritdoc />
    public override string Key => GatewayKey;

    /// <inheritdoc />
    public override GatewayCapabilities Capabilities =>
        GatewayCapabilities.Cards | GatewayCapabilities.BankAccounts | GatewayCapabilities.StoreMethods | GatewayCapabilities.UpdateMethods
        | GatewayCapabilities.Refund | GatewayCapabilities.Void | GatewayCapabilities.StatusLookup;

    /// <inheritdoc />
    public override Type CaptureComponent => typeof(StripeCaptureForm);

    /// <summary>The publishable key Stripe.js uses in the browser.</summary>
    public string PublishableKey => _options.Value.PublishableKey ?? "";

    private IStripeClient Client => _client.Value;

    /// <summary>
    /// Creates a SetupIntent for the account's Stripe Customer (created on first use), for a card or a US bank account,
    /// and answers what Stripe.js needs to collect the details in the browser; or a failure fit for the payer.
    /// </summary>
    public async Task<(StripeSetupSession? Session, string? Error)> BeginSetupAsync(string accountId, PaymentMethodType kind, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        try
        {
            var customer = await EnsureCustomerAsync(accountId, cancellationToken);
            var create = new SetupIntentCreateOptions
            {
                Usage = "off_session",
                // API 2026-09-30 and later: allowed_payment_method_types (payment_method_types is read-only there).
                AllowedPaymentMethodTypes = [kind == PaymentMethodType.BankAccount ? "us_bank_account" : "card"],
                Metadata = new() { [AccountIdMetadata] = accountId },
            };
            if (kind == PaymentMethodType.BankAccount)
            {
                create.PaymentMethodOptions = new SetupIntentPaymentMethodOptionsOptions
                {
                    UsBankAccount = new SetupIntentPaymentMethodOptionsUsBankAccountOptions
                    {
                        VerificationMethod = "automatic",
                        FinancialConnections = new SetupIntentPaymentMethodOptionsUsBankAccountFinancialConnectionsOptions { Permissions = ["payment_method"] },
                    },
                };
            }
            SetupIntent intent;
            try
            {
                create.Customer = customer;
                intent = await new SetupIntentService(Client).CreateAsync(create, cancellationToken: cancellationToken);
            }
            catch (StripeException ex) when (IsMissingCustomer(ex))
            {
                // The stored customer is not at this Stripe account or mode (the keys were switched, or it was deleted):
                // a new one replaces it, else nothing could ever be saved for this account again.
                customer = await ReplaceCustomerAsync(accountId, customer, cancellationToken);
                create.Customer = customer;
                intent = await new SetupIntentService(Client).CreateAsync(create, cancellationToken: cancellationToken);
            }
            return (new StripeSetupSession(intent.ClientSecret, PublishableKey), null);
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex);
            _logger.LogWarning("Stripe SetupIntent for account {AccountId} failed: {Code} ({Detail})", accountId, failure.Code, Describe(ex));
            return (null, "Card and bank details cannot be collected right now. Try again in a moment.");
        }
    }

    /// <inheritdoc />
    public override async Task<StoreMethodResult> StoreMethodAsync(StoreMethodRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.CaptureToken.StartsWith("pm_", StringComparison.Ordinal) || request.CaptureToken.Length > 200)
        {
            return StoreFailure(GatewayErrorCode.InvalidToken, "The card or bank details expired; please enter them again.");
        }
        try
        {
            var customer = await _customers.GetAsync(Key, request.AccountId, cancellationToken);
            if (customer is null)
            {
                return StoreFailure(GatewayErrorCode.InvalidToken, "The card or bank details expired; please enter them again.");
            }
            // The pm_ id came through the browser: it counts only if our SetupIntent for this account's customer collected it.
            var intents = await new SetupIntentService(Client).ListAsync(
                new SetupIntentListOptions { Customer = customer, PaymentMethod = request.CaptureToken, Limit = 10 }, cancellationToken: cancellationToken);
            var intent = intents.Data.FirstOrDefault(i => i.CustomerId == customer && i.PaymentMethodId == request.CaptureToken);
            if (intent is null)
            {
                _logger.LogWarning("Stripe payment method {PaymentMethod} offered for account {AccountId} was not collected for its customer", request.CaptureToken, request.AccountId);
                return StoreFailure(GatewayErrorCode.InvalidToken, "The card or bank details expired; please enter them again.");
            }

            if (intent.Status == "requires_confirmation")
            {
                if (!intent.PaymentMethodTypes.Contains("us_bank_account"))
                {
                    return StoreFailure(GatewayErrorCode.InvalidToken, "The card was not confirmed; please enter it again.");
                }
                if (request.Mandate is null)
                {
                    return StoreFailure(GatewayErrorCode.InvalidRequest, "Sign the ACH debit authorization before the bank account is saved.");
                }
                intent = await new SetupIntentService(Client).ConfirmAsync(intent.Id, new SetupIntentConfirmOptions
                {
                    MandateData = MandateFor(request.Mandate),
                }, new RequestOptions { IdempotencyKey = "portal-setup-" + request.IdempotencyKey }, cancellationToken);
            }

            switch (intent.Status)
            {
                case "succeeded":
                case "processing":
                case "requires_action" when intent.NextAction?.Type == "verify_with_microdeposits":
                    break;
                default:
                    var failure = StripeErrors.FromRecordedError(intent.LastSetupError, intent.PaymentMethodTypes.Contains("us_bank_account"));
                    return StoreFailure(failure.Code == GatewayErrorCode.Returned ? GatewayErrorCode.InvalidAccountNumber : failure.Code,
                        intent.LastSetupError is null ? "The details were not confirmed; please enter them again." : failure.Message);
            }

            var method = await new PaymentMethodService(Client).GetAsync(request.CaptureToken, cancellationToken: cancellationToken);
            if (method.CustomerId is not null && method.CustomerId != customer)
            {
                return StoreFailure(GatewayErrorCode.InvalidToken, "The card or bank details expired; please enter them again.");
            }
            var details = Describe(method, verificationPending: intent.Status != "succeeded");
            if (details is null)
            {
                return StoreFailure(GatewayErrorCode.Unsupported, "Only cards and US bank accounts can be saved here.");
            }
            // A capture is exchanged once: the same store (same key) answers again, another store of it is refused.
            if (method.Metadata is not null && method.Metadata.TryGetValue(StoreKeyMetadata, out var usedBy) && usedBy != request.IdempotencyKey)
            {
                return StoreFailure(GatewayErrorCode.InvalidToken, "These card or bank details were already saved; please enter them again.");
            }
            if (method.Metadata is null || !method.Metadata.ContainsKey(StoreKeyMetadata))
            {
                await new PaymentMethodService(Client).UpdateAsync(method.Id, new PaymentMethodUpdateOptions
                {
                    Metadata = new() { [StoreKeyMetadata] = request.IdempotencyKey },
                }, new RequestOptions { IdempotencyKey = "portal-store-" + request.IdempotencyKey }, cancellationToken);
            }
            _logger.LogInformation("Stripe {Type} {PaymentMethod} saved for account {AccountId} (SetupIntent {SetupIntent}, {Status})",
                method.Type, method.Id, request.AccountId, intent.Id, intent.Status);
            return new StoreMethodResult { Method = details };
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex);
            _logger.LogWarning("Saving Stripe payment method {PaymentMethod} for account {AccountId} failed: {Code} ({Detail})", request.CaptureToken, request.AccountId, failure.Code, Describe(ex));
            return StoreFailure(failure.Code, failure.OutcomeUnknown ? "The payment service did not answer. Try again in a moment."
                : failure.Code == GatewayErrorCode.IdempotencyConflict ? StripeErrors.SaveSentWithOtherDetails
                : failure.Message);
        }
    }

    /// <inheritdoc />
    public override async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.IdempotencyKey) || request.IdempotencyKey.Length > 255)
        {
            return Failed(GatewayErrorCode.InvalidRequest, "An idempotency key of 1 to 255 characters is required.");
        }
        if (request.Amount.Currency is null || request.Amount.Amount <= 0m)
        {
            return Failed(GatewayErrorCode.InvalidRequest, "The amount must be more than zero.");
        }
        if (!StripeAmounts.TryToStripe(request.Amount, out var amount, out var amountError))
        {
            return Failed(GatewayErrorCode.InvalidRequest, amountError!);
        }
        if (!request.MethodToken.StartsWith("pm_", StringComparison.Ordinal))
        {
            return Failed(GatewayErrorCode.InvalidToken, "The payment method is unknown to the payment service.");
        }

        var bankAccount = false;
        try
        {
            var customer = await _customers.GetAsync(Key, request.AccountId, cancellationToken);
            var method = await new PaymentMethodService(Client).GetAsync(request.MethodToken, cancellationToken: cancellationToken);
            if (customer is null || method.CustomerId != customer)
            {
                // The method left the customer (detached, deleted) — perhaps after a first attempt under this key whose
                // answer was lost: that charge stands, and a refusal now would record a failure for money taken.
                // (A lookup that gets no answer throws into the catch below: an unknown outcome, never a refusal.)
                if (await FindByKeyAsync(request.IdempotencyKey, cancellationToken) is { } earlier)
                {
                    _logger.LogInformation("Stripe charge for payment {PaymentId}: its method left the customer; the key's earlier attempt {PaymentIntent} answers ({Status})",
                        request.PaymentId, earlier.Id, earlier.Status);
                    return FromIntent(earlier, request.OffSession) with { Replayed = true };
                }
                return Failed(GatewayErrorCode.InvalidToken, method.CustomerId is null && method.Type == "us_bank_account"
                    ? "This bank account is still being verified; it can pay once the verification is complete."
                    : "This payment method is no longer available at the payment service. Add it again.");
            }
            bankAccount = method.Type == "us_bank_account";
            var descriptor = _options.Value.StatementDescriptor?.Trim();
            var create = new PaymentIntentCreateOptions
            {
                Amount = amount,
                Currency = StripeAmounts.Code(request.Amount),
                Customer = customer,
                PaymentMethod = request.MethodToken,
                AllowedPaymentMethodTypes = [method.Type],
                Confirm = true,
                Description = request.Description,
                Metadata = new()
                {
                    [PaymentIdMetadata] = request.PaymentId.ToString(),
                    [IdempotencyKeyMetadata] = request.IdempotencyKey,
                    [AccountIdMetadata] = request.AccountId,
                },
                // Cards print a suffix after the account's own descriptor; bank debits carry the whole descriptor.
                StatementDescriptorSuffix = !bankAccount && descriptor is { Length: > 0 } ? descriptor : null,
                StatementDescriptor = bankAccount && descriptor is { Length: > 0 } ? descriptor : null,
            };
            if (request.OffSession)
            {
                create.OffSession = true;
            }
            var intent = await new PaymentIntentService(Client).CreateAsync(create, new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken);
            var result = FromIntent(intent, request.OffSession) with { Replayed = IsReplay(intent.StripeResponse) };
            _logger.LogInformation("Stripe PaymentIntent {PaymentIntent} for payment {PaymentId}: {Status}{Replayed}",
                intent.Id, request.PaymentId, intent.Status, result.Replayed ? " (replayed)" : "");
            return result;
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex, bankAccount);
            if (request.OffSession && failure.Code == GatewayErrorCode.AuthenticationRequired)
            {
                failure = failure with { Message = StripeErrors.PayNowWhileSignedIn };
            }
            _logger.LogWarning("Stripe charge for payment {PaymentId} (key {IdempotencyKey}): {Code}, status {Status} ({Detail})",
                request.PaymentId, request.IdempotencyKey, failure.Code, failure.ChargeStatus, Describe(ex));
            return new ChargeResult
            {
                Status = failure.ChargeStatus,
                ErrorCode = failure.Code,
                Message = failure.Message,
                Reference = failure.PaymentIntentId,
                Replayed = ex is StripeException se && IsReplay(se.StripeResponse),
            };
        }
    }

    /// <inheritdoc />
    public override async Task<ChargeResult> GetChargeStatusAsync(ChargeLookup lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        try
        {
            PaymentIntent? intent;
            if (lookup.Reference is { Length: > 0 } reference)
            {
                if (!reference.StartsWith("pi_", StringComparison.Ordinal))
                {
                    return Failed(GatewayErrorCode.NotFound, "No charge has that reference.");
                }
                var get = new PaymentIntentGetOptions();
                get.AddExpand("latest_charge");
                intent = await new PaymentIntentService(Client).GetAsync(reference, get, cancellationToken: cancellationToken);
            }
            else
            {
                intent = await FindByKeyAsync(lookup.IdempotencyKey, cancellationToken);
            }
            return intent is null
                ? Failed(GatewayErrorCode.NotFound, "No charge was made with that key.")
                : FromIntent(intent, offSession: false);
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex);
            _logger.LogWarning("Stripe status lookup (key {IdempotencyKey}, reference {Reference}): {Code} ({Detail})", lookup.IdempotencyKey, lookup.Reference, failure.Code, Describe(ex));
            return failure.Code == GatewayErrorCode.NotFound
                ? Failed(GatewayErrorCode.NotFound, "No charge has that reference.")
                : new ChargeResult { Status = ChargeStatus.Processing, ErrorCode = failure.OutcomeUnknown ? failure.Code : GatewayErrorCode.Unavailable, Message = "The payment's status could not be checked; it will be checked again." };
        }
    }

    /// <inheritdoc />
    public override async Task<ChargeResult> RefundAsync(ReversalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Reference.StartsWith("pi_", StringComparison.Ordinal))
        {
            return Failed(GatewayErrorCode.NotFound, "No charge has that reference.");
        }
        long? amount = null;
        if (request.Amount is { } partial)
        {
            if (partial.Amount <= 0m)
            {
                return Failed(GatewayErrorCode.InvalidRequest, "The refund must be more than zero.");
            }
            if (!StripeAmounts.TryToStripe(partial, out var minor, out var error))
            {
                return Failed(GatewayErrorCode.InvalidRequest, error!);
            }
            amount = minor;
        }
        try
        {
            var refund = await new RefundService(Client).CreateAsync(new RefundCreateOptions
            {
                PaymentIntent = request.Reference,
                Amount = amount,
                Metadata = new() { [IdempotencyKeyMetadata] = request.IdempotencyKey },
            }, new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken);
            if (refund.Status is "failed" or "canceled")
            {
                return new ChargeResult { Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.Other, Reference = request.Reference, Message = "The refund did not go through." };
            }
            var get = new PaymentIntentGetOptions();
            get.AddExpand("latest_charge");
            var intent = await new PaymentIntentService(Client).GetAsync(request.Reference, get, cancellationToken: cancellationToken);
            var full = intent.LatestCharge is { } charge ? charge.Refunded || charge.AmountRefunded >= charge.Amount : amount is null;
            var refunded = StripeAmounts.FromStripe(refund.Amount, refund.Currency);
            _logger.LogInformation("Stripe refund {Refund} of {Amount} on {PaymentIntent}: {Status}", refund.Id, refunded, request.Reference, refund.Status);
            return new ChargeResult
            {
                Status = full ? ChargeStatus.Reversed : ChargeStatus.Succeeded,
                Refunded = full,
                Reference = request.Reference,
                Replayed = IsReplay(refund.StripeResponse),
                Message = refund.Status == "pending" ? $"A refund of {refunded} is on its way." : $"{refunded} was refunded.",
            };
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            return ReversalFailure(ex, request, "refund");
        }
    }

    /// <inheritdoc />
    public override async Task<ChargeResult> VoidAsync(ReversalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Reference.StartsWith("pi_", StringComparison.Ordinal))
        {
            return Failed(GatewayErrorCode.NotFound, "No charge has that reference.");
        }
        try
        {
            var intent = await new PaymentIntentService(Client).CancelAsync(request.Reference, new PaymentIntentCancelOptions { CancellationReason = "requested_by_customer" },
                new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken);
            _logger.LogInformation("Stripe PaymentIntent {PaymentIntent} voided: {Status}", intent.Id, intent.Status);
            return FromIntent(intent, offSession: false) with { Replayed = IsReplay(intent.StripeResponse) };
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            if (ex is StripeException { StripeError.Code: "payment_intent_unexpected_state" })
            {
                return Failed(GatewayErrorCode.InvalidRequest, "This payment can no longer be voided (it has settled); refund it instead.") with { Reference = request.Reference };
            }
            return ReversalFailure(ex, request, "void");
        }
    }

    /// <inheritdoc />
    public override async Task<GatewayOperationResult> UpdateMethodAsync(UpdateMethodRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Token.StartsWith("pm_", StringComparison.Ordinal))
        {
            return GatewayOperationResult.Fail(GatewayErrorCode.NotFound, "The payment method is unknown to the payment service.");
        }
        if (request.ExpiryMonth is { } m && (m < 1 || m > 12))
        {
            return GatewayOperationResult.Fail(GatewayErrorCode.InvalidExpiry, "The expiry month must be 1 to 12.");
        }
        var update = new PaymentMethodUpdateOptions();
        if (request.ExpiryMonth is not null || request.ExpiryYear is not null)
        {
            update.Card = new PaymentMethodCardOptions { ExpMonth = request.ExpiryMonth, ExpYear = request.ExpiryYear };
        }
        if (request.HolderName is not null || request.BillingPostalCode is not null)
        {
            update.BillingDetails = new PaymentMethodBillingDetailsOptions
            {
                Name = request.HolderName,
                Address = request.BillingPostalCode is null ? null : new AddressOptions { PostalCode = request.BillingPostalCode },
            };
        }
        try
        {
            await new PaymentMethodService(Client).UpdateAsync(request.Token, update, cancellationToken: cancellationToken);
            return GatewayOperationResult.Ok();
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex);
            _logger.LogWarning("Updating Stripe payment method {PaymentMethod} failed: {Code} ({Detail})", request.Token, failure.Code, Describe(ex));
            return GatewayOperationResult.Fail(failure.Code == GatewayErrorCode.InvalidToken ? GatewayErrorCode.NotFound : failure.Code,
                failure.OutcomeUnknown ? "The payment service did not answer. Try again in a moment." : failure.Message);
        }
    }

    /// <inheritdoc />
    public override async Task<GatewayOperationResult> RemoveMethodAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.StartsWith("pm_", StringComparison.Ordinal))
        {
            return GatewayOperationResult.Fail(GatewayErrorCode.NotFound, "The payment method is unknown to the payment service.");
        }
        try
        {
            await new PaymentMethodService(Client).DetachAsync(token, cancellationToken: cancellationToken);
            _logger.LogInformation("Stripe payment method {PaymentMethod} detached", token);
            return GatewayOperationResult.Ok();
        }
        catch (StripeException ex) when (ex.StripeError?.Code == "payment_method_unexpected_state")
        {
            return GatewayOperationResult.Ok(); // not attached any more: removed already
        }
        catch (Exception ex) when (IsCallFailure(ex))
        {
            var failure = StripeErrors.FromException(ex);
            _logger.LogWarning("Detaching Stripe payment method {PaymentMethod} failed: {Code} ({Detail})", token, failure.Code, Describe(ex));
            return GatewayOperationResult.Fail(failure.Code == GatewayErrorCode.InvalidToken ? GatewayErrorCode.NotFound : failure.Code,
                failure.OutcomeUnknown ? "The payment service did not answer. Try again in a moment." : failure.Message);
        }
    }

    /// <summary>The account's Stripe Customer id, creating the customer on first use (one per account, even under concurrency).</summary>
    /// <summary>
    /// The PaymentMethod <paramref name="token"/> as Stripe holds it now (webhooks arrive in any order, so an event's copy
    /// may be older than one already applied); null when Stripe has no such method. Other failures throw.
    /// </summary>
    internal async Task<PaymentMethod?> CurrentMethodAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            return await new PaymentMethodService(Client).GetAsync(token, cancellationToken: cancellationToken);
        }
        catch (StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    internal async Task<string> EnsureCustomerAsync(string accountId, CancellationToken cancellationToken)
    {
        if (await _customers.GetAsync(Key, accountId, cancellationToken) is { } existing)
        {
            return existing;
        }
        var created = await CreateCustomerAsync(accountId, stale: null, cancellationToken);
        if (created.Stored)
        {
            return created.Id;
        }
        var winner = await _customers.GetOrAddAsync(Key, accountId, created.Id, cancellationToken);
        _logger.LogInformation("Stripe customer {Customer} is account {AccountId}'s", winner, accountId);
        return winner;
    }

    /// <summary>
    /// Stripe has no such customer (<c>resource_missing</c> on the <c>customer</c> parameter, answered 400 or 404): made
    /// with other keys (test and live, another account) or deleted.
    /// </summary>
    internal static bool IsMissingCustomer(StripeException ex) =>
        ex.StripeError is { Code: "resource_missing", Param: "customer" } && (int)ex.HttpStatusCode is 400 or 404;

    /// <summary>
    /// Creates a customer for the account in place of <paramref name="stale"/>, which Stripe does not know (under these
    /// keys), stores it in its place and answers the stored id (another node's, when it replaced the stale one first).
    /// Methods saved under the stale customer are not at this Stripe account either: they must be added again.
    /// </summary>
    internal async Task<string> ReplaceCustomerAsync(string accountId, string stale, CancellationToken cancellationToken)
    {
        var created = await CreateCustomerAsync(accountId, stale, cancellationToken);
        var stored = created.Stored ? created.Id : await _customers.ReplaceAsync(Key, accountId, stale, created.Id, cancellationToken);
        _logger.LogWarning("Stripe has no customer {Stale} for account {AccountId} under the keys in use (keys of another mode or account than it was created with, or deleted at Stripe): customer {Customer} replaces it",
            stale, accountId, stored);
        return stored;
    }

    /// <summary>
    /// Creates the account's customer at Stripe (in place of <paramref name="stale"/>, when given); Stored is true when the
    /// id answered is one another node stored meanwhile.
    /// </summary>
    private async Task<(string Id, bool Stored)> CreateCustomerAsync(string accountId, string? stale, CancellationToken cancellationToken)
    {
        // Same account → same idempotency key: concurrent first uses (several nodes) get one customer from Stripe. A
        // replacement has a key of its own (the first one's answer, within Stripe's 24 hours, would be the stale customer).
        var key = "portal-customer-" + Hash(accountId);
        if (stale is not null)
        {
            key += "-replaces-" + Hash(stale);
        }
        Customer created;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                created = await new CustomerService(Client).CreateAsync(new CustomerCreateOptions
                {
                    Description = $"Customer portal account {accountId}",
                    Metadata = new() { [AccountIdMetadata] = accountId },
                }, new RequestOptions { IdempotencyKey = key }, cancellationToken);
                break;
            }
            catch (StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.Conflict && attempt < 6)
            {
                // Another first use is creating this customer right now (409): wait for it, then take its answer.
                await Task.Delay(TimeSpan.FromMilliseconds(150 * attempt), cancellationToken);
                if (await _customers.GetAsync(Key, accountId, cancellationToken) is { } stored && stored != stale)
                {
                    return (stored, true);
                }
            }
        }
        return (created.Id, false);

        static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..40];
    }

    private async Task<PaymentIntent?> FindByKeyAsync(string idempotencyKey, CancellationToken ct)
    {
        var service = new PaymentIntentService(Client);
        var search = new PaymentIntentSearchOptions
        {
            Query = $"metadata['{IdempotencyKeyMetadata}']:'{idempotencyKey.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}'",
            Limit = 10,
        };
        search.AddExpand("data.latest_charge");
        var found = await service.SearchAsync(search, cancellationToken: ct);
        if (Match(found.Data) is { } hit)
        {
            return hit;
        }

        // Search lags behind writes: list what was created recently (strongly consistent) and match the metadata.
        var list = new PaymentIntentListOptions
        {
            Created = new DateRangeOptions { GreaterThanOrEqual = _clock.GetUtcNow().UtcDateTime - KeyLookupWindow },
            Limit = 100,
        };
        list.AddExpand("data.latest_charge");
        for (var page = 0; page < KeyLookupMaxPages; page++)
        {
            var batch = await service.ListAsync(list, cancellationToken: ct);
            if (Match(batch.Data) is { } listed)
            {
                return listed;
            }
            if (!batch.HasMore || batch.Data.Count == 0)
            {
                break;
            }
            list.StartingAfter = batch.Data[^1].Id;
        }
        return null;

        PaymentIntent? Match(IEnumerable<PaymentIntent> intents) =>
            intents.FirstOrDefault(i => i.Metadata is not null && i.Metadata.TryGetValue(IdempotencyKeyMetadata, out var k) && k == idempotencyKey);
    }

    /// <summary>The portal's view of a PaymentIntent.</summary>
    internal static ChargeResult FromIntent(PaymentIntent intent, bool offSession)
    {
        var bankAccount = intent.PaymentMethodTypes?.Contains("us_bank_account") == true && intent.PaymentMethodTypes.Count == 1;
        switch (intent.Status)
        {
            case "succeeded" when intent.LatestCharge is { } charge && (charge.Refunded || (charge.Amount > 0 && charge.AmountRefunded >= charge.Amount)):
                return new ChargeResult { Status = ChargeStatus.Reversed, Refunded = true, Reference = intent.Id, Message = "The payment was refunded in full." };
            case "succeeded":
                return new ChargeResult { Status = ChargeStatus.Succeeded, Reference = intent.Id };
            case "processing":
            case "requires_capture":
                return new ChargeResult { Status = ChargeStatus.Processing, Reference = intent.Id };
            case "requires_action" when offSession:
                return new ChargeResult { Status = ChargeStatus.Declined, ErrorCode = GatewayErrorCode.AuthenticationRequired, Reference = intent.Id, Message = StripeErrors.PayNowWhileSignedIn };
            case "requires_action":
                return new ChargeResult
                {
                    Status = ChargeStatus.RequiresAction,
                    Reference = intent.Id,
                    CustomerAction = intent.ClientSecret,
                    Message = "Your card issuer asks you to confirm this payment.",
                };
            case "canceled":
                return new ChargeResult { Status = ChargeStatus.Reversed, Reference = intent.Id, Message = "The payment was cancelled; nothing was charged." };
            case "requires_payment_method" when intent.LastPaymentError is not null:
                var failure = StripeErrors.FromRecordedError(intent.LastPaymentError, bankAccount);
                return new ChargeResult { Status = failure.ChargeStatus, ErrorCode = failure.Code, Reference = intent.Id, Message = failure.Message };
            default:
                return new ChargeResult { Status = ChargeStatus.Failed, ErrorCode = GatewayErrorCode.Other, Reference = intent.Id, Message = "The payment was not completed; nothing was charged." };
        }
    }

    private ChargeResult ReversalFailure(Exception ex, ReversalRequest request, string what)
    {
        var failure = StripeErrors.FromException(ex);
        _logger.LogWarning("Stripe {What} of {PaymentIntent} (key {IdempotencyKey}): {Code} ({Detail})", what, request.Reference, request.IdempotencyKey, failure.Code, Describe(ex));
        return new ChargeResult
        {
            Status = failure.OutcomeUnknown ? ChargeStatus.Processing : ChargeStatus.Failed,
            ErrorCode = failure.Code,
            Reference = request.Reference,
            Message = failure.OutcomeUnknown ? $"The {what} did not get an answer in time; it will be checked." : failure.Message,
        };
    }

    private static SetupIntentMandateDataOptions MandateFor(AchMandate mandate)
    {
        var acceptance = new SetupIntentMandateDataCustomerAcceptanceOptions { AcceptedAt = mandate.AcceptedAt.UtcDateTime };
        if (!string.IsNullOrWhiteSpace(mandate.IpAddress) && !string.IsNullOrWhiteSpace(mandate.UserAgent))
        {
            acceptance.Type = "online";
            acceptance.Online = new SetupIntentMandateDataCustomerAcceptanceOnlineOptions { IpAddress = mandate.IpAddress, UserAgent = mandate.UserAgent };
        }
        else
        {
            // The host supplied no IP or user agent: Stripe records an acceptance without them only as "offline".
            acceptance.Type = "offline";
            acceptance.Offline = new SetupIntentMandateDataCustomerAcceptanceOfflineOptions();
        }
        return new SetupIntentMandateDataOptions { CustomerAcceptance = acceptance };
    }

    private static StoredMethodDetails? Describe(PaymentMethod method, bool verificationPending)
    {
        if (method.Type == "card" && method.Card is { } card)
        {
            return new StoredMethodDetails
            {
                Token = method.Id,
                Type = PaymentMethodType.Card,
                Last4 = card.Last4,
                BrandOrBank = BrandName(card.DisplayBrand ?? card.Brand),
                ExpiryMonth = (int)card.ExpMonth,
                ExpiryYear = (int)card.ExpYear,
                HolderName = method.BillingDetails?.Name,
                BillingPostalCode = method.BillingDetails?.Address?.PostalCode,
                VerificationPending = verificationPending,
                Funding = card.Funding switch
                {
                    "credit" => Fees.CardFunding.Credit,
                    "debit" => Fees.CardFunding.Debit,
                    "prepaid" => Fees.CardFunding.Prepaid,
                    _ => Fees.CardFunding.Unknown,
                },
            };
        }
        if (method.Type == "us_bank_account" && method.UsBankAccount is { } bank)
        {
            return new StoredMethodDetails
            {
                Token = method.Id,
                Type = PaymentMethodType.BankAccount,
                Last4 = bank.Last4,
                BrandOrBank = bank.BankName,
                RoutingNumber = bank.RoutingNumber,
                BankAccountType = bank.AccountType == "savings" ? BankAccountType.Savings : BankAccountType.Checking,
                HolderType = bank.AccountHolderType == "individual" ? BankAccountHolderType.Personal : BankAccountHolderType.Business,
                HolderName = method.BillingDetails?.Name,
                VerificationPending = verificationPending,
            };
        }
        return null;
    }

    /// <summary>A card brand as people write it ("visa" → "Visa", "amex" → "American Express").</summary>
    internal static string BrandName(string? brand) => brand switch
    {
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "amex" or "american_express" => "American Express",
        "discover" => "Discover",
        "diners" or "diners_club" => "Diners Club",
        "jcb" => "JCB",
        "unionpay" => "UnionPay",
        "cartes_bancaires" => "Cartes Bancaires",
        "eftpos_au" => "eftpos",
        "interac" => "Interac",
        null or "" or "unknown" => "Card",
        var other => char.ToUpperInvariant(other[0]) + other[1..].Replace('_', ' '),
    };

    private static StoreMethodResult StoreFailure(GatewayErrorCode code, string message) => new() { ErrorCode = code, Message = message };

    private static ChargeResult Failed(GatewayErrorCode code, string message) => new() { Status = ChargeStatus.Failed, ErrorCode = code, Message = message };

    private static bool IsReplay(StripeResponse? response) =>
        response?.Headers is { } headers && headers.TryGetValues("Idempotent-Replayed", out var values)
        && values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Errors of a call to Stripe (never programming errors such as a null argument).</summary>
    /// <summary>A Stripe call that failed (an answer, or none): anything else is a bug, not Stripe's.</summary>
    internal static bool IsCallFailure(Exception ex) => ex is StripeException or HttpRequestException or TaskCanceledException or TimeoutException or IOException;

    /// <summary>For logs: Stripe's error type, code, decline code and request id; never card data (Stripe never sends it).</summary>
    internal static string Describe(Exception ex) => ex is StripeException { StripeError: { } e } se
        ? $"HTTP {(int)se.HttpStatusCode} {e.Type}/{e.Code}/{e.DeclineCode} request {se.StripeResponse?.RequestId}"
        : ex.GetType().Name;

    private static StripeClient CreateClient(StripeGatewayOptions o)
    {
        var http = new HttpClient { Timeout = o.RequestTimeout };
        return new StripeClient(
            apiKey: o.SecretKey,
            httpClient: new SystemNetHttpClient(http, o.MaxNetworkRetries, new AppInfo { Name = "Portal.Payments", Url = "https://example.invalid/portal-payments" }, enableTelemetry: false),
            apiBase: string.IsNullOrWhiteSpace(o.ApiBase) ? null : o.ApiBase.TrimEnd('/'));
    }
}
