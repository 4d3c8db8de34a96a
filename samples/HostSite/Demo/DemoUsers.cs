using Portal.Payments.Users;

namespace HostSite.Demo;

/// <summary>
/// A demo login: the host's own user store (a real host has its identity system here). What the user does at the
/// company is a text of the login page (Login.Role.&lt;id&gt;, English and German).
/// </summary>
public sealed record DemoUser(string Id, string Name, string Email, IReadOnlyList<PortalAccountAccess> Accounts);

/// <summary>The demo users listed on the login page.</summary>
public static class DemoUsers
{
    /// <summary>Demo accounts: a small one and a big one.</summary>
    public static readonly IReadOnlyDictionary<string, string> AccountNames = new Dictionary<string, string>
    {
        ["ACME"] = "Acme Manufacturing",
        ["GLOBEX"] = "Globex Corporation",
    };

    /// <summary>All demo users.</summary>
    public static readonly IReadOnlyList<DemoUser> All =
    [
        new("pat", "Pat Payer", "pat@acme.test",
            [new("ACME", AccountNames["ACME"], PortalPermissions.Pay)]),
        new("val", "Val Viewer", "val@acme.test",
            [new("ACME", AccountNames["ACME"], PortalPermissions.View)]),
        new("gus", "Gus Globex", "gus@globex.test",
            [new("GLOBEX", AccountNames["GLOBEX"], PortalPermissions.Pay)]),
    ];

    /// <summary>Finds a demo user by id.</summary>
    public static DemoUser? Find(string? id) => All.FirstOrDefault(u => string.Equals(u.Id, id, StringComparison.Ordinal));
}
