namespace HostSite.Demo;

/// <summary>
/// The browser's IP address and user agent, captured from the HTTP request that started the Blazor
/// circuit (a circuit has no HttpContext of its own); recorded with ACH authorizations.
/// </summary>
public sealed class ClientInfo
{
    /// <summary>Remote IP address.</summary>
    public string? IpAddress { get; set; }

    /// <summary>User-Agent header.</summary>
    public string? UserAgent { get; set; }
}
