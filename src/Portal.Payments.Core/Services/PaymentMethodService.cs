using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Payments.Data;
using Portal.Payments.Gateways;
using Portal.Payments.Hosting;

namespace Portal.Payments.Services;

/// <summary>Where a stored method stands.</summary>
public enum PaymentMethodStatus
{
    /// <summary>Usable.</summary>
    Active,
    /// <summary>A card whose expiry falls within the next 30 days.</summary>
    ExpiringSoon,
    /// <summary>A card past its expiry month.</summary>
    Expired,
    /// <summary>The gateway is still verifying it.</summary>
    VerificationPending,
    /// <summary>
    /// Stored with a gateway the portal no longer runs (the host changed gateways): it cannot pay here, is never the
    /// default, and can only be deleted.
    /// </summary>
    OtherGateway,
}

/// <summary>A stored payment method as the portal shows it (masked: last four digits only).</summary>
public sealed record PaymentMethodView
{
    /// <summary>Id.</summary>
    public required Guid Id { get; init; }
    /// <summary>Card or bank account.</summary>
    public required PaymentMethodType Type { get; init; }
    /// <summary>"Visa •••• 4242", "Sandbox Bank checking •••• 6789".</summary>
    public required string Display { get; init; }
    /// <summary>Brand or bank name.</summary>
    public string? BrandOrBank { get; init; }
    /// <summary>Last four digits.</summary>
    public required string Last4 { get; init; }
    /// <summary>Card expiry month.</summary>
    public int? ExpiryMonth { get; init; }
    /// <summary>Card expiry year.</summary>
    public int? ExpiryYear { get; init; }
    /// <summary>Holder name.</summary>
    public string? HolderName { get; init; }
    /// <summary>Card billing postal code.</summary>
    public string? BillingPostalCode { get; init; }
    /// <summary>Checking or savings.</summary>
    public BankAccountType? BankAccountType { get; init; }
    /// <summary>Business or personal.</summary>
    public BankAccountHolderType? HolderType { get; init; }
    /// <summary>User's nickname.</summary>
    public string? Nickname { get; init; }
    /// <summary>How a card is funded (credit, debit, prepaid), when the gateway reported it.</summary>
    public Fees.CardFunding Funding { get; init; }
    /// <summary>The account's default method.</summary>
    public required bool IsDefault { get; init; }
    /// <summary>Kept for future payments; false for a card added for one payment only (<see cref="AddCardRequest.SaveForFuture"/>).</summary>
    public bool SavedForFuture { get; init; } = true;
    /// <summary>Status.</summary>
    public required PaymentMethodStatus Status { get; init; }
    /// <summary>Added (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>"MM/YYYY" for cards, null otherwise.</summary>
    public string? Expiry => ExpiryMonth is { } m && ExpiryYear is { } y ? $"{m:00}/{y}" : null;
}

/// <summary>The ACH agreement in force: what the payer reads and signs.</summary>
/// <param name="Version">Version label.</param>
/// <param name="Text">Full text.</param>
/// <param name="Sha256">SHA-256 (hex) of the text.</param>
public sealed record AchAgreement(string Version, string Text, string Sha256)
{
    /// <summary>The agreement of <paramref name="version"/> with <paramref name="text"/>, hashed as every signature records it.</summary>
    public static AchAgreement Of(string version, string text) =>
        new(version, text, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant());
}

/// <summary>The payer's ACH signature.</summary>
/// <param name="SignerName">Name typed as the signature.</param>
/// <param name="Consented">The consent box was ticked.</param>
/// <param name="AgreementVersion">The agreement version that was shown.</param>
public sealed record AchSignature(string? SignerName, bool Consented, string? AgreementVersion);

/// <summary>Adds a card captured by the gateway's capture component.</summary>
/// <param name="Captured">The capture token.</param>
/// <param name="Nickname">Optional nickname (up to 50 characters).</param>
/// <param name="IdempotencyKey">One key per add form: a double click stores one method.</param>
public sealed record AddCardRequest(CapturedPaymentMethod Captured, string? Nickname, string IdempotencyKey)
{
    /// <summary>
    /// Keep the card for future payments (listed, may become the default). False: a card for the payment at hand only
    /// (a payment now or a scheduled one): not listed, removed once its payments are done. Default true.
    /// </summary>
    public bool SaveForFuture { get; init; } = true;
    /// <summary>
    /// The account the form was opened for (<see cref="AccountScope.AccountId"/> when it opened). When the user's
    /// current account is another one by the time the form is confirmed, nothing is done and the form is refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
}

/// <summary>Adds a bank account with its ACH authorization.</summary>
/// <param name="Captured">The capture token.</param>
/// <param name="Nickname">Optional nickname.</param>
/// <param name="IdempotencyKey">One key per add form.</param>
/// <param name="Signature">The ACH signature.</param>
public sealed record AddBankAccountRequest(CapturedPaymentMethod Captured, string? Nickname, string IdempotencyKey, AchSignature Signature)
{
    /// <summary>
    /// The account the form was opened for (<see cref="AccountScope.AccountId"/> when it opened). When the user's
    /// current account is another one by the time the form is confirmed, nothing is done and the form is refused with
    /// <c>AccountSwitched</c>. Null: not checked.
    /// </summary>
    public string? OpenedForAccountId { get; init; }
}

/// <summary>Changes to a stored method; null fields stay as they are. Cards: expiry, holder, postal code, nickname. Bank accounts: holder, nickname.</summary>
public sealed record PaymentMethodChanges
{
    /// <summary>New expiry month (cards).</summary>
    public int? ExpiryMonth { get; init; }
    /// <summary>New expiry year (cards).</summary>
    public int? ExpiryYear { get; init; }
    /// <summary>New holder name.</summary>
    public string? HolderName { get; init; }
    /// <summary>New billing postal code (cards).</summary>
    public string? BillingPostalCode { get; init; }
    /// <summary>New nickname; an empty string clears it.</summary>
    public string? Nickname { get; init; }
}

/// <summary>An ACH authorization record, as kept.</summary>
public sealed record AchAuthorizationView(Guid Id, Guid PaymentMethodId, string AgreementVersion, string AgreementSha256, string SignerName,
    string UserId, string AccountId, DateTimeOffset SignedAt, string? IpAddress, string? UserAgent, string AccountLast4, DateTimeOffset? RevokedAt, DateTimeOffset? RetainUntil);

/// <summary>
/// The account's stored payment methods: list, add (card, or bank account with the ACH authorization),
/// edit, set default, delete. Only tokens and display data are stored; numbers stay with the gateway.
/// </summary>
public sealed class PaymentMethodService(
    PortalAccess access,
    IDbContextFactory<PaymentsDbContext> dbFactory,
    IPaymentGateway gateway,
    IOptions<PortalPaymentsOptions> options,
    TimeProvider clock,
    ILogger<PaymentMethodService> logger)
{
    /// <summary>Longest nickname.</summary>
    public const int MaxNicknameLength = 50;

    /// <summary>Longest holder or signer name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest billing postal code.</summary>
    public const int MaxPostalCodeLength = 20;

    /// <summary>Cards expiring within this many days show as expiring soon.</summary>
    public const int ExpiringSoonDays = 30;

    /// <summary>How long an ACH authorization is kept after revocation.</summary>
    public static readonly TimeSpan AchRetention = TimeSpan.FromDays(2 * 365 + 1);

    /// <summary>What the gateway accepts, for the add form.</summary>
    public GatewayCapabilities Capabilities => gateway.Capabilities;

    /// <summary>
    /// True when the gateway can change a stored method's expiry, holder name and billing postal code
    /// (<see cref="GatewayCapabilities.UpdateMethods"/>); otherwise <see cref="UpdateAsync"/> changes only the nickname
    /// and the edit form shows those details read-only.
    /// </summary>
    public bool CanUpdateGatewayDetails => gateway.Capabilities.HasFlag(GatewayCapabilities.UpdateMethods);

    /// <summary>
    /// True when the gateway keeps methods for later payments (<see cref="GatewayCapabilities.StoreMethods"/>). Otherwise
    /// a card is added for the payment at hand only (<see cref="AddCardRequest.SaveForFuture"/> false), and saving one,
    /// or adding a bank account (its ACH authorization covers later debits), is refused before the gateway is asked.
    /// </summary>
    public bool KeepsMethods => gateway.Capabilities.HasFlag(GatewayCapabilities.StoreMethods);

    /// <summary>The gateway's capture component.</summary>
    public Type CaptureComponent => gateway.CaptureComponent;

    /// <summary>The seller the ACH authorizations name (<see cref="PortalPaymentsOptions.AchSeller"/>).</summary>
    public string Seller => options.Value.AchSeller;

    /// <summary>The ACH agreement in force.</summary>
    public AchAgreement CurrentAgreement => AchAgreement.Of(options.Value.AchAgreement.Version, options.Value.AchAgreement.EffectiveText(Seller));

    /// <summary>Every stored method of the current account, default first.</summary>
    public async Task<IReadOnlyList<PaymentMethodView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.PaymentMethods.AsNoTracking()
            .Where(m => m.AccountId == scope.AccountId && m.DeletedAt == null && !m.SingleUse)
            .OrderByDescending(m => m.IsDefault).ThenBy(m => m.CreatedAt)
            .ToListAsync(cancellationToken);
        var today = Today;
        return rows.Select(r => ToView(r, today, gateway.Key)).ToList();
    }

    /// <summary>One method of the current account; <see cref="PortalNotFoundException"/> otherwise.</summary>
    public async Task<PaymentMethodView> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return ToView(await FindAsync(db, scope, id, cancellationToken), Today, gateway.Key);
    }

    /// <summary>
    /// Stores a card. It becomes the account's default when the account has no usable default (<see cref="CanBeDefault"/>):
    /// its first method, or the first one after a change of gateway.
    /// </summary>
    public async Task<PaymentMethodView> AddCardAsync(AddCardRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = await access.ForPayAsync(cancellationToken);
        scope.RequireOpenedFor(request.OpenedForAccountId);
        if (request.Captured.Type != PaymentMethodType.Card)
        {
            throw PortalFieldError.Of("type", "MethodIsBankAccount", "These are bank account details; add them as a bank account.").ToException();
        }
        RequireCapability(GatewayCapabilities.Cards);
        if (request.SaveForFuture && !KeepsMethods)
        {
            throw PortalFieldError.Of("method", "MethodsNotKept", "This payment processor keeps a card for one payment only, so it cannot be saved here. Enter the card when you pay.").ToException();
        }
        var nickname = ValidNickname(request.Nickname);
        var details = await StoreAtGatewayAsync(scope, request.Captured, request.IdempotencyKey, mandate: null, cancellationToken);
        return await SaveAsync(scope, details, nickname, signature: null, singleUse: !request.SaveForFuture, Now, cancellationToken);
    }

    /// <summary>Stores a bank account and its immutable ACH authorization in one transaction.</summary>
    public async Task<PaymentMethodView> AddBankAccountAsync(AddBankAccountRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = await access.ForPayAsync(cancellationToken);
        scope.RequireOpenedFor(request.OpenedForAccountId);
        if (request.Captured.Type != PaymentMethodType.BankAccount)
        {
            throw PortalFieldError.Of("type", "MethodIsCard", "These are card details; add them as a card.").ToException();
        }
        RequireCapability(GatewayCapabilities.BankAccounts);
        if (!KeepsMethods)
        {
            throw PortalFieldError.Of("type", "BankAccountsNotKept", "This payment processor cannot keep a bank account, so bank accounts cannot be added here.").ToException();
        }
        var nickname = ValidNickname(request.Nickname);
        var signature = request.Signature ?? new AchSignature(null, false, null);
        var agreement = CurrentAgreement;
        if (!string.Equals(signature.AgreementVersion, agreement.Version, StringComparison.Ordinal))
        {
            throw PortalFieldError.Of("agreement", "AchAgreementChanged", "The authorization text has changed since you opened this form. Please read it again and sign.").ToException();
        }
        var signer = signature.SignerName?.Trim();
        if (string.IsNullOrEmpty(signer))
        {
            throw PortalFieldError.Of("signerName", "AchSignatureRequired", "Type your full name to sign the authorization.").ToException();
        }
        if (signer.Length > MaxNameLength)
        {
            throw PortalFieldError.Of("signerName", "NameTooLong", "The name can be at most {0} characters.", MaxNameLength).ToException();
        }
        if (!signature.Consented)
        {
            throw PortalFieldError.Of("consent", "AchConsentRequired", "Tick the box to authorize debits from this bank account.").ToException();
        }
        // The gateway records the same evidence as our authorization row (its mandate's customer acceptance).
        var signedAt = Now;
        var mandate = new AchMandate(Utc(signedAt), Truncate(scope.User.IpAddress, 64), Truncate(scope.User.UserAgent, 512), agreement.Version);
        var details = await StoreAtGatewayAsync(scope, request.Captured, request.IdempotencyKey, mandate, cancellationToken);
        return await SaveAsync(scope, details, nickname, (signer, agreement), singleUse: false, signedAt, cancellationToken);
    }

    /// <summary>
    /// Edits a method: cards take expiry, holder name, postal code and nickname; bank accounts take holder name and nickname.
    /// The gateway is asked only for the details it holds (expiry, holder, postal code) that differ from the stored ones;
    /// a gateway without <see cref="GatewayCapabilities.UpdateMethods"/> is never asked, and such a change is refused with
    /// what to do instead, while the nickname can always change.
    /// </summary>
    public async Task<PaymentMethodView> UpdateAsync(Guid id, PaymentMethodChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await FindAsync(db, scope, id, cancellationToken);

        var isCard = row.Type == PaymentMethodType.Card;
        if (!isCard && (changes.ExpiryMonth is not null || changes.ExpiryYear is not null || changes.BillingPostalCode is not null))
        {
            throw PortalFieldError.Of("expiry", "BankAccountNoExpiry", "A bank account has no expiry date or postal code.").ToException();
        }
        // Only what differs from the stored method is a change: a form sends every field back, and a field sent again
        // unchanged neither asks the gateway nor is checked again (an expired card keeps its expiry while renamed).
        int? month = changes.ExpiryMonth ?? (changes.ExpiryYear is not null ? row.ExpiryMonth : null);
        int? year = changes.ExpiryYear ?? (changes.ExpiryMonth is not null ? row.ExpiryYear : null);
        var expiryChanged = (month is not null || year is not null) && (month != row.ExpiryMonth || year != row.ExpiryYear);
        if (expiryChanged)
        {
            ValidateExpiry(month, year);
        }
        string? holder = changes.HolderName?.Trim();
        var holderChanged = holder is not null && !string.Equals(holder, row.HolderName ?? "", StringComparison.Ordinal);
        if (holderChanged)
        {
            if (holder!.Length == 0)
            {
                throw PortalFieldError.Of("holderName", "HolderNameRequired", "Enter the holder's name.").ToException();
            }
            if (holder.Length > MaxNameLength)
            {
                throw PortalFieldError.Of("holderName", "NameTooLong", "The name can be at most {0} characters.", MaxNameLength).ToException();
            }
        }
        string? postal = changes.BillingPostalCode?.Trim();
        var postalChanged = postal is not null && !string.Equals(postal, row.BillingPostalCode ?? "", StringComparison.Ordinal);
        if (postalChanged)
        {
            if (postal!.Length > MaxPostalCodeLength || postal.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is ' ' or '-')))
            {
                throw PortalFieldError.Of("postalCode", "PostalCodeInvalid", "Enter a postal code of up to {0} letters, digits, spaces or dashes.", MaxPostalCodeLength).ToException();
            }
        }
        var nickname = changes.Nickname is null ? row.Nickname : ValidNickname(changes.Nickname);

        if (expiryChanged || holderChanged || postalChanged)
        {
            if (!string.Equals(row.GatewayKey, gateway.Key, StringComparison.Ordinal))
            {
                // Its token belongs to a gateway this portal no longer runs: the current one would not know it.
                throw PortalFieldError.Of(expiryChanged ? "expiry" : holderChanged ? "holderName" : "postalCode", "MethodOtherGatewayNotUpdatable",
                    "{0} was saved with a payment service this portal no longer uses, so its details cannot be changed. Add the card or bank account again (then delete this one). The nickname can still be changed here.",
                    Describe(row)).ToException();
            }
            if (!gateway.Capabilities.HasFlag(GatewayCapabilities.UpdateMethods))
            {
                // Asking would only bring the gateway's "unsupported": say what the payer can do instead, by the field changed.
                var field = expiryChanged ? "expiry" : holderChanged ? "holderName" : "postalCode";
                throw (isCard
                    ? PortalFieldError.Of(field, "CardDetailsNotUpdatable",
                        "The expiry date, name and postal code of a saved card cannot be changed with this payment processor. To use new details, add the card again (then delete this one). The nickname can still be changed here.")
                    : PortalFieldError.Of(field, "BankDetailsNotUpdatable",
                        "The account holder's name of a saved bank account cannot be changed with this payment processor. To use new details, add the bank account again (then delete this one). The nickname can still be changed here.")).ToException();
            }
            var result = await AskGatewayAsync("update", scope, ct => gateway.UpdateMethodAsync(new UpdateMethodRequest(row.Token)
            {
                ExpiryMonth = expiryChanged ? month : null,
                ExpiryYear = expiryChanged ? year : null,
                HolderName = holderChanged ? holder : null,
                BillingPostalCode = postalChanged ? postal : null,
            }, ct), cancellationToken);
            if (!result.Succeeded)
            {
                throw Refused(result.ErrorCode, result.Message, "The gateway refused the change.");
            }
        }
        if (expiryChanged)
        {
            row.ExpiryMonth = month;
            row.ExpiryYear = year;
        }
        if (holderChanged)
        {
            row.HolderName = holder;
        }
        if (postalChanged)
        {
            row.BillingPostalCode = postal!.Length == 0 ? null : postal;
        }
        row.Nickname = nickname;
        row.UpdatedAt = Now;
        AuditLog.Add(db, scope, "payment-method.updated", row.Id, Now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            throw NotSaved(ex, scope, "update");
        }
        return ToView(row, Today, gateway.Key);
    }

    /// <summary>
    /// Makes a method the account's default. Refused for a method that cannot pay: expired, still being verified, of a
    /// gateway no longer in use, being deleted, or kept for one payment only. Default changes of an account run one at a
    /// time (<see cref="LockAccountMethodsAsync"/>), so two tabs setting different defaults leave one.
    /// </summary>
    public async Task SetDefaultAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockAccountMethodsAsync(db, scope.AccountId, cancellationToken);
        // Read under the lock: what another tab changed meanwhile is seen.
        var row = await FindAsync(db, scope, id, cancellationToken);
        if (row.SingleUse)
        {
            throw PortalFieldError.Of("method", "MethodNotSaved", "This card was added for one payment only and is not saved, so it cannot be the default. Add it again and keep it for future payments.").ToException();
        }
        switch (StatusOf(row, Today, gateway.Key))
        {
            case PaymentMethodStatus.OtherGateway:
                throw PortalFieldError.Of("method", "DefaultMethodOtherGateway", "{0} was saved with a payment service this portal no longer uses, so it cannot be the default. Add the card or bank account again, then make it the default.", Describe(row)).ToException();
            case PaymentMethodStatus.Expired:
                throw PortalFieldError.Of("method", "DefaultMethodExpired", "{0} has expired, so it cannot be the default. Update its expiry date first, or choose another method.", Describe(row)).ToException();
            case PaymentMethodStatus.VerificationPending:
                throw PortalFieldError.Of("method", "DefaultMethodVerificationPending", "{0} is still being verified. It can be made the default once the verification is complete.", Describe(row)).ToException();
        }
        if (row.RemovingUntil is { } until && until > Now)
        {
            throw PortalFieldError.Of("method", "MethodBeingDeleted", "That payment method is being deleted. Choose another one.").ToException();
        }
        await db.PaymentMethods.Where(m => m.AccountId == scope.AccountId && m.IsDefault && m.Id != id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsDefault, false), cancellationToken);
        row.IsDefault = true;
        row.UpdatedAt = Now;
        AuditLog.Add(db, scope, "payment-method.default", row.Id, Now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes a method: removed at the gateway, kept locally (soft delete) for history, and its ACH
    /// authorization revoked. Refused while autopay or scheduled payments use it, naming them.
    /// The deletion first holds the method (<see cref="PaymentMethodRecord.RemovingUntil"/>) in the transaction that
    /// checks what uses it, so a payment, schedule or autopay made with it at the same moment is either seen by the checks
    /// or refused (<see cref="HoldForUseAsync"/>), never left paying with a method removed at the gateway. The hold is let
    /// go when the gateway refuses the removal; when its answer is unknown (no answer, or one that does not say), the
    /// method may be gone there, so the hold stays until it runs out or the payer's next try (a deletion may take over
    /// another's hold) finishes the removal.
    /// </summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForPayAsync(cancellationToken);
        var (row, until) = await HoldForRemovalAsync(scope, id, cancellationToken);
        // Not cut short by the page going away: a removal the gateway made must be recorded (the ask has its time limit).
        // No answer in time throws (GatewayNotAnswering) with the hold kept: the gateway may have removed it.
        // A method of a gateway this portal no longer runs is not sent to the current one, which does not know its token.
        var otherGateway = !string.Equals(row.GatewayKey, gateway.Key, StringComparison.Ordinal);
        var removed = otherGateway
            ? GatewayOperationResult.Fail(GatewayErrorCode.Unsupported, "The gateway that stored it is no longer run.")
            : await AskGatewayAsync("remove", scope, ct => gateway.RemoveMethodAsync(row.Token, ct), CancellationToken.None);
        if (!removed.Succeeded && removed.ErrorCode is not (GatewayErrorCode.NotFound or GatewayErrorCode.Unsupported))
        {
            if (Payments.PaymentLifecycle.IsUnknownOutcome(removed.ErrorCode))
            {
                logger.LogWarning("The gateway's answer to the removal of payment method {MethodId} of {AccountId} does not say whether it was removed ({Code}); the method stays held until {Until:u} or the next try",
                    id, scope.AccountId, removed.ErrorCode, until);
            }
            else
            {
                await LetGoAsync(dbFactory, id, until);
            }
            throw Refused(removed.ErrorCode, removed.Message, "The gateway could not remove the method; try again later.", field: "method");
        }
        if (removed.ErrorCode == GatewayErrorCode.Unsupported)
        {
            // The payer asked for it gone: it is, from the portal. The gateway keeps the token; say so to the operator.
            if (otherGateway)
            {
                logger.LogWarning("Payment method {MethodId} of {AccountId} is deleted in the portal; it was stored with gateway {Gateway}, which this portal no longer runs, so its token stays there",
                    row.Id, scope.AccountId, row.GatewayKey);
            }
            else
            {
                logger.LogWarning("Payment method {MethodId} of {AccountId} is deleted in the portal, but gateway {Gateway} cannot remove stored methods: its token stays there",
                    row.Id, scope.AccountId, gateway.Key);
            }
        }

        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        // One default change of the account at a time; what follows reads the account's methods as they are now.
        await LockAccountMethodsAsync(db, scope.AccountId, CancellationToken.None);
        // Removed at the gateway: recorded whatever the payer's page does now (its cancellation would leave a method listed
        // that can no longer pay). Gone already when the gateway said it detached the method, or another deletion that took
        // the hold over finished first; one that holds it now finishes it itself.
        var held = await db.PaymentMethods.FirstOrDefaultAsync(m => m.Id == id && m.DeletedAt == null, CancellationToken.None);
        if (held is not null && (held.RemovingUntil is not { } holder || holder == until || holder <= now))
        {
            held.RemovingUntil = null;
            await SoftDeleteAsync(db, held, scope.User.UserId, now, gateway.Key, Today, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>
    /// Holds the method for its deletion (taking over the hold of an earlier deletion, whose answer may never have come), in
    /// one transaction with the checks of what uses it: refused (and nothing held) while autopay, a scheduled payment or a
    /// payment whose outcome is not known yet uses it. Returns the method and the hold's end.
    /// </summary>
    private async Task<(PaymentMethodRecord Row, DateTime Until)> HoldForRemovalAsync(AccountScope scope, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await FindAsync(db, scope, id, cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // First the hold (on PostgreSQL it waits for a payment being stored with the method at this moment), then the
        // checks, which then see that payment.
        var until = RemovalHoldEnd(Now, options.Value.Charging.GatewayTimeout);
        var held = await db.PaymentMethods
            .Where(m => m.Id == id && m.AccountId == scope.AccountId && m.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.RemovingUntil, until), cancellationToken);
        if (held != 1)
        {
            throw await UnavailableAsync(db, id, cancellationToken);
        }
        if (await db.AutopayEnrollments.AnyAsync(e => e.AccountId == scope.AccountId && e.PaymentMethodId == id && e.CancelledAt == null, cancellationToken))
        {
            throw PortalFieldError.Of("method", "MethodUsedByAutopay", "Autopay pays with this method. Choose another method in the autopay settings (or turn autopay off) first, then delete it.").ToException();
        }
        var scheduled = await db.Payments.AsNoTracking()
            .Where(p => p.AccountId == scope.AccountId && p.PaymentMethodId == id && p.Status == PaymentStatus.Scheduled)
            .OrderBy(p => p.ScheduledFor)
            .Select(p => new { p.ReceiptNumber, p.ScheduledFor, p.AmountMinor, p.Currency })
            .ToListAsync(cancellationToken);
        if (scheduled.Count > 0)
        {
            var list = scheduled.Select(p => PortalFieldError.Of("method", "MethodScheduledPayment", "{0} on {1} ({2})",
                p.ReceiptNumber, p.ScheduledFor ?? default, Money.FromMinorUnits(p.AmountMinor, p.Currency))).ToList();
            // Both name the payments as a list of parts (one or more), which the formatters word part by part.
            throw (scheduled.Count == 1
                ? PortalFieldError.Of("method", "MethodPaysScheduledOne", "This method pays a scheduled payment: {0}. Cancel it first, then delete the method.", list)
                : PortalFieldError.Of("method", "MethodPaysScheduledMany", "This method pays {0} scheduled payments: {1}. Cancel them first, then delete the method.", scheduled.Count, list)).ToException();
        }
        // A payment whose outcome is not known yet may be sent again with this method (a retry under its key, the payer's
        // bank confirmation): removing it at the gateway now could turn a charge made into a recorded failure.
        var unresolved = await db.Payments.AsNoTracking()
            .Where(Payments.PaymentLifecycle.IsUnresolved).Where(p => p.AccountId == scope.AccountId && p.PaymentMethodId == id)
            .OrderBy(p => p.CreatedAt).Select(p => p.ReceiptNumber).FirstOrDefaultAsync(cancellationToken);
        if (unresolved is not null)
        {
            throw PortalFieldError.Of("method", "MethodPaymentInProgress", "Payment {0} with this method is still being processed. Delete the method once it has gone through or failed (see Payment history).", unresolved).ToException();
        }
        // Committed and carried through even if the page has gone away meanwhile: a hold without its deletion would refuse
        // payments with the method until it runs out.
        await tx.CommitAsync(CancellationToken.None);
        return (row, until);
    }

    /// <summary>
    /// When a removal's hold on a method (a payer's deletion, or the single-use sweeper's claim) taken at
    /// <paramref name="now"/> runs out: long enough for the gateway's answer (cut off after its time limit) and the write
    /// after it; in whole milliseconds, so it compares equal as stored (see <see cref="LetGoAsync"/>).
    /// </summary>
    internal static DateTime RemovalHoldEnd(DateTime now, TimeSpan gatewayTimeout)
    {
        var until = now + 2 * gatewayTimeout + TimeSpan.FromMinutes(1);
        return new DateTime(until.Ticks - until.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    /// <summary>
    /// Lets go of a removal's hold ending at <paramref name="until"/> (the gateway refused the removal), unless another
    /// removal holds the method by now.
    /// </summary>
    internal static async Task LetGoAsync(IDbContextFactory<PaymentsDbContext> dbFactory, Guid id, DateTime until)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.PaymentMethods.Where(m => m.Id == id && m.RemovingUntil == until)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.RemovingUntil, (DateTime?)null), CancellationToken.None);
    }

    /// <summary>
    /// Holds the method for a payment, scheduled payment or autopay enrolment being stored with it, inside the caller's
    /// write transaction (one conditional update of the method's row; on PostgreSQL the row stays locked until commit, so a
    /// deletion's checks run after this one ends). Refused when the method was deleted, or a deletion holds it, meanwhile.
    /// A method kept for one payment only (not saved for future payments) pays one payment (<paramref name="paymentId"/>,
    /// the one being stored; null for an enrolment): it is refused while another payment with it is open or after one went
    /// through (a failed or cancelled one leaves it for another try). That check runs after the hold, in a statement of
    /// its own, so on PostgreSQL it sees a payment another transaction stored with the method while this one waited for
    /// the row (a condition inside the update would read the data as it was before the wait).
    /// </summary>
    internal static async Task HoldForUseAsync(PaymentsDbContext db, Guid methodId, Guid? paymentId, DateTime now, CancellationToken ct)
    {
        // A stored method (the usual case): one statement.
        if (await HoldAsync(db, methodId, now, singleUse: false, ct) == 1)
        {
            return;
        }
        if (await HoldAsync(db, methodId, now, singleUse: true, ct) != 1)
        {
            throw await UnavailableAsync(db, methodId, ct);
        }
        if (paymentId is not { } id)
        {
            return; // an enrolment: autopay refuses such a method itself
        }
        // The sweeper's own sets: a method it would keep for an open payment, or remove as spent, pays nothing else.
        var others = await db.Payments.AsNoTracking()
            .Where(p => p.PaymentMethodId == methodId && p.Id != id
                && (SingleUseMethodSweeper.Open.Contains(p.Status) || SingleUseMethodSweeper.WentThrough.Contains(p.Status)))
            .Select(p => p.Status).Distinct().ToListAsync(ct);
        if (others.Count == 0)
        {
            return;
        }
        throw (others.Any(SingleUseMethodSweeper.WentThrough.Contains)
            ? PortalFieldError.Of("method", "MethodUsedOnce", "That card was added for one payment only, and it has been used for it. Choose another method, or add the card again.")
            : PortalFieldError.Of("method", "MethodOnePaymentOpen", "That card was added for one payment only, and a payment with it is still open. See your payment history, or choose another method.")).ToException();
    }

    private static Task<int> HoldAsync(PaymentsDbContext db, Guid methodId, DateTime now, bool singleUse, CancellationToken ct) =>
        db.PaymentMethods
            .Where(m => m.Id == methodId && m.SingleUse == singleUse && m.DeletedAt == null && (m.RemovingUntil == null || m.RemovingUntil <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.RemovingUntil, m => m.RemovingUntil), ct);

    /// <summary>Why a method cannot be held: deleted, or being deleted now.</summary>
    private static async Task<Exception> UnavailableAsync(PaymentsDbContext db, Guid methodId, CancellationToken ct)
    {
        var method = await db.PaymentMethods.AsNoTracking().Where(m => m.Id == methodId).Select(m => new { m.DeletedAt }).FirstOrDefaultAsync(ct);
        return method is null || method.DeletedAt is not null
            ? PortalFieldError.Of("method", "MethodDeleted", "That payment method was deleted. Choose another one.").ToException()
            : PortalFieldError.Of("method", "MethodBeingDeleted", "That payment method is being deleted. Choose another one.").ToException();
    }

    /// <summary>
    /// Marks a tracked method deleted (kept for history), moves the default to the oldest remaining method that can be the
    /// default (<see cref="CanBeDefault"/>: of <paramref name="gatewayKey"/>, the gateway in use, not expired on
    /// <paramref name="today"/>, verified, not being deleted; none: the account has no default) and revokes its ACH
    /// authorizations (kept <see cref="AchRetention"/>); the caller saves, inside its transaction. Shared with methods
    /// detached at the gateway. Locks the account's methods first (<see cref="LockAccountMethodsAsync"/>) and reads whether
    /// the method is the default under that lock, so a default set or moved meanwhile by another tab is seen.
    /// </summary>
    internal static async Task SoftDeleteAsync(PaymentsDbContext db, PaymentMethodRecord row, string userId, DateTime now, string gatewayKey, DateOnly today, CancellationToken ct)
    {
        var id = row.Id;
        var accountId = row.AccountId;
        await LockAccountMethodsAsync(db, accountId, ct);
        var wasDefault = await db.PaymentMethods.AsNoTracking().Where(m => m.Id == id).Select(m => m.IsDefault).FirstOrDefaultAsync(ct);
        row.DeletedAt = now;
        row.UpdatedAt = now;
        row.IsDefault = false;
        // Written even when the row was read before another tab made it the default.
        db.Entry(row).Property(m => m.IsDefault).IsModified = true;
        if (wasDefault)
        {
            var next = await CanBeDefault(db.PaymentMethods.Where(m => m.AccountId == accountId && m.Id != id), gatewayKey, today, now)
                .OrderBy(m => m.CreatedAt).FirstOrDefaultAsync(ct);
            if (next is not null)
            {
                next.IsDefault = true;
                var nextId = next.Id;
                await db.PaymentMethods.Where(m => m.AccountId == accountId && m.IsDefault && m.Id != id && m.Id != nextId)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsDefault, false), ct);
            }
        }
        var authorizations = await db.AchAuthorizations.AsNoTracking()
            .Where(a => a.AccountId == accountId && a.PaymentMethodId == id && !db.AchRevocations.Any(r => r.AuthorizationId == a.Id))
            .Select(a => a.Id).ToListAsync(ct);
        foreach (var authorization in authorizations)
        {
            db.AchRevocations.Add(new AchRevocationRecord { AuthorizationId = authorization, RevokedAt = now, UserId = userId, RetainUntil = now + AchRetention });
        }
        AuditLog.Add(db, accountId, userId, "payment-method.deleted", id.ToString(), now);
    }

    /// <summary>The ACH authorizations of a method (kept after deletion).</summary>
    public async Task<IReadOnlyList<AchAuthorizationView>> GetAchAuthorizationsAsync(Guid methodId, CancellationToken cancellationToken = default)
    {
        var scope = await access.ForViewAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.AchAuthorizations.AsNoTracking()
            .Where(a => a.AccountId == scope.AccountId && a.PaymentMethodId == methodId)
            .Select(a => new { a, r = db.AchRevocations.FirstOrDefault(r => r.AuthorizationId == a.Id) })
            .ToListAsync(cancellationToken);
        return rows.Select(x => new AchAuthorizationView(x.a.Id, x.a.PaymentMethodId, x.a.AgreementVersion, x.a.AgreementSha256, x.a.SignerName,
            x.a.UserId, x.a.AccountId, Utc(x.a.SignedAt), x.a.IpAddress, x.a.UserAgent, x.a.AccountLast4,
            x.r is null ? null : Utc(x.r.RevokedAt), x.r is null ? null : Utc(x.r.RetainUntil))).ToList();
    }

    /// <summary>
    /// One call to the gateway about a stored method, cut off after <see cref="ChargingOptions.GatewayTimeout"/> (even
    /// when the adapter ignores its token). A gateway that throws (unreachable, timed out, an adapter's own error) or does
    /// not answer in time is logged and told to the payer as "not answering, nothing saved": the form keeps what they
    /// entered and nothing is changed here. Only the caller's own cancellation passes through.
    /// </summary>
    private async Task<T> AskGatewayAsync<T>(string what, AccountScope scope, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await TimeLimit.RunAsync(call, options.Value.Charging.GatewayTimeout, clock,
                $"The gateway's answer to a request to {what} a payment method got no answer", "Charging:GatewayTimeout", ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not PortalValidationException)
        {
            logger.LogError(ex, "The gateway did not answer a request to {What} a payment method of {AccountId}", what, scope.AccountId);
            throw PortalFieldError.Of("method", "GatewayNotAnswering", "The payment service is not answering right now. Nothing was saved; try again in a moment.").ToException();
        }
    }

    private async Task<StoredMethodDetails> StoreAtGatewayAsync(AccountScope scope, CapturedPaymentMethod captured, string idempotencyKey, AchMandate? mandate, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(idempotencyKey) || idempotencyKey.Length > 64)
        {
            throw PortalFieldError.Of("method", "MethodFormExpired", "This form expired; please open it again.").ToException();
        }
        var result = await AskGatewayAsync("store", scope, c => gateway.StoreMethodAsync(new StoreMethodRequest(scope.AccountId, captured.CaptureToken, idempotencyKey) { Mandate = mandate }, c), ct);
        if (!result.Succeeded || result.Method is null)
        {
            throw Refused(result.ErrorCode, result.Message, "The payment method was not accepted.");
        }
        if (result.Method.Type != captured.Type)
        {
            throw PortalFieldError.Of("type", "MethodKindMismatch", "The details entered do not match the kind of method chosen.").ToException();
        }
        CheckFits(result.Method);
        return result.Method;
    }

    /// <summary>
    /// The details the gateway captured must fit the stored columns on every database (PostgreSQL refuses longer text):
    /// the payer hears which one to shorten instead of losing the form.
    /// </summary>
    private static void CheckFits(StoredMethodDetails d)
    {
        if (d.HolderName is { Length: > MaxNameLength } holder)
        {
            throw PortalFieldError.Of("holderName", "HolderNameTooLongAtGateway",
                "The holder's name has {0} characters; it can have at most {1}. Enter the details again with a shorter name.", holder.Length, MaxNameLength).ToException();
        }
        if (d.BillingPostalCode is { Length: > MaxPostalCodeLength } postal)
        {
            throw PortalFieldError.Of("postalCode", "PostalCodeTooLongAtGateway",
                "The postal code has {0} characters; it can have at most {1}. Enter the details again.", postal.Length, MaxPostalCodeLength).ToException();
        }
        if (d.Token is not { Length: > 0 and <= MaxNameLength } || d.Last4 is not { Length: <= 4 } || d.RoutingNumber is { Length: > 9 } || d.BrandOrBank is { Length: > 100 })
        {
            throw PortalFieldError.Of("method", "MethodDetailsUnstorable", "The payment gateway returned details this portal cannot store. Try again, or contact us if it keeps happening.").ToException();
        }
    }

    /// <summary>
    /// Row-locks every stored method of the account until the transaction ends (PostgreSQL; SQLite has one writer at a
    /// time anyway): the account's default changes (set default, a deletion moving it, a new method taking it) run one
    /// after the other, each reading the methods as the one before left them, so the account keeps one default. On
    /// PostgreSQL a transaction-scoped advisory lock of the account comes first: an account without methods has no row
    /// to lock, and two first methods saved at once would both take the default.
    /// </summary>
    internal static async Task LockAccountMethodsAsync(PaymentsDbContext db, string accountId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            // The two-key form (a class of its own), apart from the single-key lock of the migrations.
            var key = "payment-methods:" + accountId;
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AccountMethodsLockClass}, hashtext({key}))", ct);
        }
        await db.PaymentMethods.Where(m => m.AccountId == accountId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsDefault, m => m.IsDefault), ct);
    }

    /// <summary>The first key of <see cref="LockAccountMethodsAsync"/>'s advisory lock ("PPPM").</summary>
    private const int AccountMethodsLockClass = 0x5050504D;

    /// <summary>
    /// The methods that can be an account's default: saved for future payments, not deleted nor being deleted, of the
    /// gateway in use (<paramref name="gatewayKey"/>), verified, and not expired on <paramref name="today"/>.
    /// </summary>
    internal static IQueryable<PaymentMethodRecord> CanBeDefault(IQueryable<PaymentMethodRecord> methods, string gatewayKey, DateOnly today, DateTime now)
    {
        var year = today.Year;
        var month = today.Month;
        return methods.Where(m => m.DeletedAt == null && !m.SingleUse && m.GatewayKey == gatewayKey && !m.VerificationPending
            && (m.RemovingUntil == null || m.RemovingUntil <= now)
            && (m.Type != PaymentMethodType.Card || m.ExpiryYear == null || m.ExpiryMonth == null
                || m.ExpiryYear > year || (m.ExpiryYear == year && m.ExpiryMonth >= month)));
    }

    private async Task<PaymentMethodView> SaveAsync(AccountScope scope, StoredMethodDetails d, string? nickname, (string Signer, AchAgreement Agreement)? signature, bool singleUse, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!singleUse)
        {
            // Whether it becomes the default is decided under the lock of the account's default changes.
            await LockAccountMethodsAsync(db, scope.AccountId, ct);
        }
        // A double click sends the same idempotency key: the gateway answers the same token, so return what the first click stored.
        var existing = await db.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.AccountId == scope.AccountId && m.GatewayKey == gateway.Key && m.Token == d.Token, ct);
        if (existing is not null)
        {
            return ToView(existing, Today, gateway.Key);
        }

        var row = new PaymentMethodRecord
        {
            Id = Guid.NewGuid(),
            AccountId = scope.AccountId,
            GatewayKey = gateway.Key,
            Token = d.Token,
            Type = d.Type,
            BrandOrBank = d.BrandOrBank,
            Last4 = d.Last4,
            ExpiryMonth = d.ExpiryMonth,
            ExpiryYear = d.ExpiryYear,
            HolderName = d.HolderName,
            BillingPostalCode = d.BillingPostalCode,
            RoutingNumber = d.RoutingNumber,
            BankAccountType = d.BankAccountType,
            HolderType = d.HolderType,
            Funding = d.Funding,
            Nickname = nickname,
            VerificationPending = d.VerificationPending,
            CreatedAt = now,
            UpdatedAt = now,
            CreatedByUserId = scope.User.UserId,
            SingleUse = singleUse,
        };
        row.IsDefault = !singleUse && await TakesDefaultAsync(db, scope.AccountId, row, ct);
        if (row.IsDefault)
        {
            // A default that cannot pay any more (expired, of another gateway) gives way to the new method.
            await db.PaymentMethods.Where(m => m.AccountId == scope.AccountId && m.IsDefault)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsDefault, false), ct);
        }
        db.PaymentMethods.Add(row);
        if (signature is { } s)
        {
            db.AchAuthorizations.Add(new AchAuthorizationRecord
            {
                Id = Guid.NewGuid(),
                AccountId = scope.AccountId,
                PaymentMethodId = row.Id,
                AgreementVersion = s.Agreement.Version,
                AgreementSha256 = s.Agreement.Sha256,
                SignerName = s.Signer,
                UserId = scope.User.UserId,
                SignedAt = now,
                IpAddress = Truncate(scope.User.IpAddress, 64),
                UserAgent = Truncate(scope.User.UserAgent, 512),
                AccountLast4 = d.Last4,
            });
        }
        AuditLog.Add(db, scope, signature is null ? "payment-method.added" : "payment-method.added-with-ach", row.Id, Now);
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException ex)
        {
            // The other click won the unique (account, gateway, token) index.
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            var winner = await again.PaymentMethods.AsNoTracking().FirstOrDefaultAsync(m => m.AccountId == scope.AccountId && m.GatewayKey == gateway.Key && m.Token == d.Token, ct);
            if (winner is null)
            {
                throw NotSaved(ex, scope, "add");
            }
            return ToView(winner, Today, gateway.Key);
        }
        logger.LogInformation("Payment method {MethodId} ({Type} ending {Last4}) added to {AccountId}", row.Id, row.Type, row.Last4, scope.AccountId);
        return ToView(row, Today, gateway.Key);
    }

    /// <summary>
    /// A new method becomes the default when the account has no default that can pay (<see cref="CanBeDefault"/>): one that
    /// can pay itself takes over from an expired or other gateway's default; one still being verified only when the account
    /// has no default of the gateway in use at all (as the first method always did).
    /// </summary>
    private async Task<bool> TakesDefaultAsync(PaymentsDbContext db, string accountId, PaymentMethodRecord row, CancellationToken ct)
    {
        var today = Today;
        if (await CanBeDefault(db.PaymentMethods.Where(m => m.AccountId == accountId && m.IsDefault), gateway.Key, today, Now).AnyAsync(ct))
        {
            return false;
        }
        return StatusOf(row, today, gateway.Key) is not (PaymentMethodStatus.Expired or PaymentMethodStatus.VerificationPending)
            || !await db.PaymentMethods.AnyAsync(m => m.AccountId == accountId && m.IsDefault && m.DeletedAt == null && m.GatewayKey == gateway.Key, ct);
    }

    /// <summary>A database refusal, logged in full and told to the payer as a field message (the circuit lives on).</summary>
    private PortalValidationException NotSaved(DbUpdateException ex, AccountScope scope, string what)
    {
        logger.LogError(ex, "Could not {What} a payment method of {AccountId}", what, scope.AccountId);
        return PortalFieldError.Of("method", "MethodNotStored", "The payment method could not be saved. Check the details and try again; nothing was changed.").ToException();
    }

    private static async Task<PaymentMethodRecord> FindAsync(PaymentsDbContext db, AccountScope scope, Guid id, CancellationToken ct) =>
        await db.PaymentMethods.FirstOrDefaultAsync(m => m.Id == id && m.AccountId == scope.AccountId && m.DeletedAt == null, ct)
        ?? throw new PortalNotFoundException("That payment method was not found. It may have been deleted.");

    private void ValidateExpiry(int? month, int? year)
    {
        if (month is not (>= 1 and <= 12) || year is not (>= 2000 and <= 2100))
        {
            throw PortalFieldError.Of("expiry", "ExpiryInvalid", "Enter a real expiry month (1–12) and four-digit year.").ToException();
        }
        var today = Today;
        if (year < today.Year || (year == today.Year && month < today.Month))
        {
            throw PortalFieldError.Of("expiry", "ExpiryPast", "That expiry date is in the past.").ToException();
        }
        if (year > today.Year + 25)
        {
            throw PortalFieldError.Of("expiry", "ExpiryTooFar", "That expiry date is too far in the future.").ToException();
        }
    }

    private static string? ValidNickname(string? nickname)
    {
        var trimmed = nickname?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }
        return trimmed.Length > MaxNicknameLength
            ? throw PortalFieldError.Of("nickname", "NicknameTooLong", "The nickname can be at most {0} characters (it has {1}).", MaxNicknameLength, trimmed.Length).ToException()
            : trimmed;
    }

    private void RequireCapability(GatewayCapabilities capability)
    {
        if (!gateway.Capabilities.HasFlag(capability))
        {
            throw (capability == GatewayCapabilities.Cards
                ? PortalFieldError.Of("type", "CardsNotAccepted", "Cards are not accepted here.")
                : PortalFieldError.Of("type", "BankAccountsNotAccepted", "Bank accounts are not accepted here.")).ToException();
        }
    }

    /// <summary>
    /// The gateway's refusal of a request about a stored method (store, update, remove), as the payer hears it. An answer
    /// that does not say what happened (no answer in time, an outage, still in progress) is told as "not answering", as a
    /// call that threw is: the add form keeps the captured details and its key, so trying again stores the method once
    /// (the gateway may hold it already) instead of asking for the details again under a new key. Any other refusal keeps
    /// the gateway's words, with the code of its reason for a page in another language to word
    /// (<see cref="PortalValidationException.FailureCode"/>).
    /// </summary>
    private static PortalValidationException Refused(GatewayErrorCode code, string? message, string fallback, string? field = null)
    {
        if (code is GatewayErrorCode.Timeout or GatewayErrorCode.Unavailable or GatewayErrorCode.InProgress)
        {
            return PortalFieldError.Of("method", "GatewayNotAnswering", "The payment service is not answering right now. Nothing was saved; try again in a moment.").ToException();
        }
        return new PortalValidationException(field ?? FieldFor(code), message ?? fallback)
        {
            // Not the codes that speak of a payment (a bank's return, a confirmation the payer could not give while away).
            FailureCode = code is GatewayErrorCode.Returned or GatewayErrorCode.AuthenticationRequired ? null : Payments.PaymentFailureCodes.Of(code),
            InGatewayWords = message is not null,
        };
    }

    private static string FieldFor(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.InvalidExpiry or GatewayErrorCode.ExpiredCard => "expiry",
        GatewayErrorCode.InvalidCardNumber or GatewayErrorCode.InvalidAccountNumber or GatewayErrorCode.InvalidRoutingNumber or GatewayErrorCode.InvalidSecurityCode => "details",
        _ => "method",
    };

    internal static PaymentMethodView ToView(PaymentMethodRecord r, DateOnly today, string gatewayKey) => new()
    {
        Id = r.Id,
        Type = r.Type,
        Display = Describe(r),
        BrandOrBank = r.BrandOrBank,
        Last4 = r.Last4,
        ExpiryMonth = r.ExpiryMonth,
        ExpiryYear = r.ExpiryYear,
        HolderName = r.HolderName,
        BillingPostalCode = r.BillingPostalCode,
        BankAccountType = r.BankAccountType,
        HolderType = r.HolderType,
        Funding = r.Funding,
        Nickname = r.Nickname,
        IsDefault = r.IsDefault,
        SavedForFuture = !r.SingleUse,
        Status = StatusOf(r, today, gatewayKey),
        CreatedAt = Utc(r.CreatedAt),
    };

    /// <summary>Masked description, e.g. "Visa •••• 4242" or "Sandbox Bank checking •••• 6789".</summary>
    internal static string Describe(PaymentMethodRecord r) => r.Type == PaymentMethodType.Card
        ? $"{r.BrandOrBank ?? "Card"} •••• {r.Last4}"
        : $"{r.BrandOrBank ?? "Bank account"} {(r.BankAccountType == BankAccountType.Savings ? "savings" : "checking")} •••• {r.Last4}";

    /// <summary>
    /// Where a method stands on <paramref name="today"/>; with <paramref name="gatewayKey"/> (the gateway in use), a method
    /// of another gateway is <see cref="PaymentMethodStatus.OtherGateway"/> whatever else holds for it.
    /// </summary>
    internal static PaymentMethodStatus StatusOf(PaymentMethodRecord r, DateOnly today, string? gatewayKey = null)
    {
        if (gatewayKey is not null && !string.Equals(r.GatewayKey, gatewayKey, StringComparison.Ordinal))
        {
            return PaymentMethodStatus.OtherGateway;
        }
        if (r.VerificationPending)
        {
            return PaymentMethodStatus.VerificationPending;
        }
        if (LastValidDay(r) is not { } lastValidDay)
        {
            return PaymentMethodStatus.Active;
        }
        return lastValidDay < today ? PaymentMethodStatus.Expired
            : lastValidDay.DayNumber - today.DayNumber <= ExpiringSoonDays ? PaymentMethodStatus.ExpiringSoon
            : PaymentMethodStatus.Active;
    }

    /// <summary>The last day a card can pay (the end of its expiry month); null for a bank account or a card without expiry.</summary>
    internal static DateOnly? LastValidDay(PaymentMethodRecord r) =>
        r.Type == PaymentMethodType.Card && r.ExpiryMonth is { } m && r.ExpiryYear is { } y ? new DateOnly(y, m, DateTime.DaysInMonth(y, m)) : null;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DateOnly Today => options.Value.Today(clock);

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
