using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Ui.Tests.Infrastructure;

/// <summary>Authenticates from two headers (user and role), as a host's own login would.</summary>
internal sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestHeaders";
    public const string UserHeader = "X-Test-User";
    public const string RoleHeader = "X-Test-Role";

    /// <summary>
    /// The user as an OpenID Connect sign-in with the inbound claim mapping off gives it: only a <c>sub</c> claim, none of the
    /// identity's name claim type (so <c>Identity.Name</c> is null).
    /// </summary>
    public const string SubjectHeader = "X-Test-Sub";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        List<Claim> claims;
        if (Request.Headers.TryGetValue(UserHeader, out var user))
        {
            claims = [new(ClaimTypes.Name, user.ToString())];
        }
        else if (Request.Headers.TryGetValue(SubjectHeader, out var subject))
        {
            claims = [new("sub", subject.ToString())];
        }
        else
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (Request.Headers.TryGetValue(RoleHeader, out var role))
        {
            claims.Add(new Claim(ClaimTypes.Role, role.ToString()));
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
    }
}
