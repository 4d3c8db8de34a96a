using Portal.Payments.Users;

namespace Portal.Payments.Services;

/// <summary>Nobody is signed in, or the user may not do this on the current account.</summary>
public sealed class PortalAccessDeniedException(string message, bool notSignedIn = false) : Exception(message)
{
    /// <summary>True when nobody is signed in (HTTP 401), false when the user lacks permission (HTTP 403).</summary>
    public bool NotSignedIn { get; } = notSignedIn;
}

/// <summary>The thing asked for does not exist on the current account (another account's ids land here too).</summary>
public sealed class PortalNotFoundException(string message) : Exception(message);

/// <summary>A user's request broke a rule; <see cref="Field"/> names the input to fix.</summary>
public sealed class PortalValidationException(string field, string message) : Exception(message)
{
    /// <summary>The input at fault, for showing the message next to it.</summary>
    public string Field { get; } = field;
}

/// <summary>
/// A system the portal depends on (the ERP) did not answer in time or failed; nothing was changed and the user may try
/// again shortly (HTTP 503).
/// </summary>
public sealed class PortalUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The signed-in user and the account every query and write is scoped to.</summary>
/// <param name="User">The user.</param>
/// <param name="AccountId">The current account.</param>
/// <param name="AccountName">Its name.</param>
/// <param name="Permissions">The user's permissions there.</param>
public sealed record AccountScope(PortalUser User, string AccountId, string AccountName, PortalPermissions Permissions)
{
    /// <summary>The account's billing region from the host (<see cref="PortalAccountAccess.BillingRegion"/>), if known.</summary>
    public string? BillingRegion { get; init; }

    /// <summary>True when the user may pay and change things.</summary>
    public bool CanPay => Permissions.HasFlag(PortalPermissions.Pay);
}

/// <summary>
/// The one door to the current account: every Core service asks it first, so no service can read
/// another account's rows or let a view-only user change anything.
/// </summary>
public sealed class PortalAccess(IPortalUserContext users)
{
    /// <summary>The scope of the signed-in user, requiring <paramref name="needed"/> on the current account.</summary>
    public async ValueTask<AccountScope> RequireAsync(PortalPermissions needed, CancellationToken cancellationToken = default)
    {
        var user = await users.GetCurrentUserAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new PortalAccessDeniedException("Please sign in to use the payment portal.", notSignedIn: true);
        var access = user.CurrentAccount
            ?? throw new PortalAccessDeniedException("You do not have access to this customer account.");
        if ((access.Permissions & needed) != needed)
        {
            throw new PortalAccessDeniedException(needed.HasFlag(PortalPermissions.Pay)
                ? "Your access to this account is view-only; ask an administrator for accounts-payable permission to make changes."
                : "You do not have access to this customer account.");
        }
        return new AccountScope(user, access.AccountId, access.AccountName, access.Permissions) { BillingRegion = access.BillingRegion };
    }

    /// <summary>The scope for reading (view permission).</summary>
    public ValueTask<AccountScope> ForViewAsync(CancellationToken cancellationToken = default) => RequireAsync(PortalPermissions.View, cancellationToken);

    /// <summary>The scope for changing things (pay permission).</summary>
    public ValueTask<AccountScope> ForPayAsync(CancellationToken cancellationToken = default) => RequireAsync(PortalPermissions.Pay, cancellationToken);
}
