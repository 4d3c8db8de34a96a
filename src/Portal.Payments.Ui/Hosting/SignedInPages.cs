using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;

// The conventional namespace for endpoint-mapping extensions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Requiring a signed-in user for a Blazor app's pages without breaking its signed-out sign-in page.</summary>
public static class SignedInPages
{
    /// <summary>
    /// <c>RequireAuthorization()</c> for every page and circuit endpoint of the app (pages marked <c>[AllowAnonymous]</c>
    /// excepted), leaving open the one endpoint <c>blazor.web.js</c> fetches on every page it loads, a static sign-in page
    /// included: <c>_blazor/initializers</c>, the list of the app's JavaScript initializer modules (no user data). Behind a
    /// plain <c>RequireAuthorization()</c> a signed-out browser is redirected from it to the sign-in page, reads HTML where
    /// it expects JSON, and Blazor does not start there ("Unexpected token '&lt;'" in the console).
    /// </summary>
    /// <param name="builder">What <c>MapRazorComponents&lt;App&gt;()</c> returned.</param>
    /// <param name="policyNames">Authorization policies, as for <c>RequireAuthorization</c>; none: the default policy.</param>
    /// <returns>The builder.</returns>
    public static RazorComponentsEndpointConventionBuilder RequireSignedInUser(this RazorComponentsEndpointConventionBuilder builder, params string[] policyNames)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.RequireAuthorization(policyNames);
        builder.Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route && IsInitializers(route.RoutePattern.RawText))
            {
                endpoint.Metadata.Add(new AllowAnonymousAttribute());
            }
        });
        return builder;
    }

    internal static bool IsInitializers(string? pattern) =>
        pattern is not null && pattern.TrimEnd('/').EndsWith("_blazor/initializers", StringComparison.OrdinalIgnoreCase);
}
