using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Portal.Payments.Users;

namespace HostSite.Demo;

/// <summary>
/// The host's <see cref="IPortalUserContext"/>: reads the signed-in user from the HTTP request
/// (endpoints, prerendering) or from the Blazor circuit's authentication state.
/// </summary>
public sealed class DemoUserContext(IHttpContextAccessor http, IServiceProvider services, ClientInfo client) : IPortalUserContext
{
    /// <inheritdoc />
    public async ValueTask<PortalUser?> GetCurrentUserAsync(CancellationToken cancellationToken = default)
    {
        var principal = http.HttpContext?.User;
        if (principal?.Identity?.IsAuthenticated != true && services.GetService<AuthenticationStateProvider>() is { } provider)
        {
            try
            {
                principal = (await provider.GetAuthenticationStateAsync()).User;
            }
            catch (InvalidOperationException)
            {
                // Outside a circuit (background work): nobody is signed in.
                principal = null;
            }
        }
        var user = DemoUsers.Find(principal?.FindFirstValue(ClaimTypes.NameIdentifier));
        if (user is null)
        {
            return null;
        }
        return new PortalUser
        {
            UserId = user.Id,
            DisplayName = user.Name,
            Email = user.Email,
            CurrentAccountId = user.Accounts[0].AccountId,
            Accounts = user.Accounts,
            IpAddress = http.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? client.IpAddress,
            UserAgent = http.HttpContext?.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : client.UserAgent,
        };
    }
}
