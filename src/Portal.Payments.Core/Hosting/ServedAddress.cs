using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Payments.Hosting;

/// <summary>The URL this process serves the portal on, read from the server's listening addresses.</summary>
internal static class ServedAddress
{
    /// <summary>
    /// The server's first https address, else its first http address, with a wildcard host (<c>+</c>, <c>*</c>,
    /// <c>0.0.0.0</c>, <c>[::]</c>) read as localhost; null before the server listens or without a server (tests, workers).
    /// </summary>
    public static string? Find(IServiceProvider services)
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            return null;
        }
        var parsed = addresses.Select(Normalize).OfType<Uri>().ToList();
        var chosen = parsed.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps) ?? parsed.FirstOrDefault();
        return chosen?.GetLeftPart(UriPartial.Authority);
    }

    private static Uri? Normalize(string address)
    {
        // Kestrel reports "http://[::]:8080" for a wildcard; configured forms may still say "http://+:8080" or "http://*:8080".
        var text = address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri = new UriBuilder(uri) { Host = "localhost" }.Uri;
        }
        return uri;
    }
}
