using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace HostSite.Hosting;

/// <summary>Where the host listens: whether the usual settings name it, and how a taken port shows.</summary>
internal static class ListenAddresses
{
    /// <summary>
    /// True when --urls, ASPNETCORE_URLS (or DOTNET_URLS), ASPNETCORE_HTTP_PORTS / HTTPS_PORTS or Kestrel:Endpoints say
    /// where to listen; the host then leaves the choice to ASP.NET Core.
    /// </summary>
    public static bool Configured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"])
        || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();

    /// <summary>
    /// The site's own address from the same settings, for links that must work without a request: the first https
    /// address, else the first http one (a wildcard host reads as localhost), else <paramref name="defaultUrl"/>.
    /// </summary>
    public static string Site(IConfiguration configuration, string defaultUrl)
    {
        // Kestrel:Endpoints win over the others, as in ASP.NET Core.
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        var parsed = (endpoints.Count > 0 ? endpoints : Urls(configuration))
            .Select(u => u.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal))
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null)
            .OfType<Uri>()
            .Select(u => u.Host is "0.0.0.0" or "[::]" ? new UriBuilder(u) { Host = "localhost" }.Uri : u)
            .ToList();
        var chosen = parsed.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps) ?? parsed.FirstOrDefault();
        return chosen?.GetLeftPart(UriPartial.Authority) ?? defaultUrl;
    }

    /// <summary>--urls / ASPNETCORE_URLS, else ASPNETCORE_HTTP_PORTS / HTTPS_PORTS as wildcard addresses (as ASP.NET Core reads them).</summary>
    private static List<string> Urls(IConfiguration configuration)
    {
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (urls.Count == 0)
        {
            foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
            {
                urls.AddRange((configuration[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}"));
            }
        }
        return urls;
    }

    /// <summary>
    /// The first address of --urls / ASPNETCORE_URLS (or ASPNETCORE_HTTP_PORTS / HTTPS_PORTS) whose port another program
    /// holds, or null. Checked before the server starts, so a taken port is one clear line rather than the host's stack trace.
    /// </summary>
    public static string? FindTaken(IConfiguration configuration)
    {
        foreach (var url in Urls(configuration))
        {
            var text = url.Replace("://+", "://any", StringComparison.Ordinal).Replace("://*", "://any", StringComparison.Ordinal);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                continue;
            }
            var address = uri.Host switch
            {
                "localhost" => IPAddress.Loopback,
                "any" => IPAddress.Any,
                _ => IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : null,
            };
            if (address is not null && InUse(address, uri.Port))
            {
                return url;
            }
        }
        return null;
    }

    private static bool InUse(IPAddress address, int port)
    {
        try
        {
            var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (SocketException)
        {
            // Not ours to judge (no such interface, no permission): Kestrel reports it.
            return false;
        }
    }

    /// <summary>The one line said when a port is taken.</summary>
    public static string TakenMessage(string address) =>
        $"HostSite cannot start: {address} is in use by another program. Stop that program, or choose another port with " +
        "--urls http://localhost:5081, ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS.";

    /// <summary>True for Kestrel's "address already in use" failure at start.</summary>
    public static bool IsAddressInUse(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException)
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>Local redirect targets.</summary>
internal static class LocalUrl
{
    /// <summary>
    /// True for a path of this site ("/portal", "~/portal") and nothing else: not "//host", "/\host" (browsers read both as
    /// another host), absolute URLs or control characters. The rule ASP.NET Core's LocalRedirect applies, checked first so
    /// a bad value goes home instead of failing the request.
    /// </summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Any(char.IsControl))
        {
            return false;
        }
        if (url[0] == '/')
        {
            return url.Length == 1 || (url[1] != '/' && url[1] != '\\');
        }
        if (url.Length > 1 && url[0] == '~' && url[1] == '/')
        {
            return url.Length == 2 || (url[2] != '/' && url[2] != '\\');
        }
        return false;
    }
}
