namespace Portal.Payments.Users;

/// <summary>What a user may do on one account.</summary>
[Flags]
public enum PortalPermissions
{
    /// <summary>No access.</summary>
    None = 0,
    /// <summary>See balances, invoices, methods and history.</summary>
    View = 1,
    /// <summary>Accounts-payable: pay, schedule, short-pay, deposit, manage methods, comment. Implies <see cref="View"/>.</summary>
    Pay = 2 | View,
}

/// <summary>One customer account a user belongs to.</summary>
/// <param name="AccountId">The ERP's customer account id.</param>
/// <param name="AccountName">Display name.</param>
/// <param name="Permissions">What the user may do there.</param>
public sealed record PortalAccountAccess(string AccountId, string AccountName, PortalPermissions Permissions)
{
    /// <summary>
    /// The account's billing region, a country ("US") or country and state ("US-CT"), when the host knows it: fee
    /// policies use it (some regions do not allow card surcharges). Default null.
    /// </summary>
    public string? BillingRegion { get; init; }
}

/// <summary>The signed-in portal user.</summary>
public sealed record PortalUser
{
    /// <summary>Stable user id from the host's identity system.</summary>
    public required string UserId { get; init; }
    /// <summary>Display name.</summary>
    public required string DisplayName { get; init; }
    /// <summary>Email address for payment confirmations.</summary>
    public required string Email { get; init; }
    /// <summary>The account the user works on now; must be one of <see cref="Accounts"/>.</summary>
    public required string CurrentAccountId { get; init; }
    /// <summary>Every account the user belongs to.</summary>
    public required IReadOnlyList<PortalAccountAccess> Accounts { get; init; }

    /// <summary>The user's IP address, recorded with ACH authorizations (optional).</summary>
    public string? IpAddress { get; init; }
    /// <summary>The user's browser user agent, recorded with ACH authorizations (optional).</summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// The user's time zone (an IANA id such as "Europe/Berlin", or a Windows id), for the times the portal shows (optional).
    /// Unset, the portal uses the time zone the user's browser reports, and UTC until it knows it.
    /// </summary>
    public string? TimeZoneId { get; init; }

    /// <summary>The user's access to the current account, or null when it is not one of theirs.</summary>
    public PortalAccountAccess? CurrentAccount =>
        Accounts.FirstOrDefault(a => string.Equals(a.AccountId, CurrentAccountId, StringComparison.Ordinal));
}

/// <summary>
/// Implemented by the host: who is signed in, on which account, with which permissions.
/// Called in Blazor circuits and in HTTP endpoints alike.
/// </summary>
public interface IPortalUserContext
{
    /// <summary>The signed-in user, or null when nobody is.</summary>
    ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default);
}
