using Portal.Payments.Users;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>Who is signed in for the current test; registered as a singleton instance per test context.</summary>
public sealed class TestUsers
{
    /// <summary>The signed-in user, or null for nobody.</summary>
    public PortalUser? Current { get; set; }

    /// <summary>Signs in a user on account <paramref name="accountId"/> with <paramref name="permissions"/>.</summary>
    public PortalUser SignIn(PortalPermissions permissions, string accountId = "ACME", string accountName = "Acme Industrial Supply")
    {
        Current = new PortalUser
        {
            UserId = "u-" + permissions.ToString().ToLowerInvariant(),
            DisplayName = permissions == PortalPermissions.Pay ? "Pat Payer" : "Vic Viewer",
            Email = "user@acme.invalid",
            CurrentAccountId = accountId,
            Accounts = [new PortalAccountAccess(accountId, accountName, permissions)],
        };
        return Current;
    }

    /// <summary>Nobody is signed in.</summary>
    public void SignOut() => Current = null;
}

/// <summary>The host's <see cref="IPortalUserContext"/> for tests: answers with <see cref="TestUsers.Current"/>.</summary>
public sealed class TestUserContext(TestUsers users) : IPortalUserContext
{
    /// <inheritdoc />
    public ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(users.Current);
}
