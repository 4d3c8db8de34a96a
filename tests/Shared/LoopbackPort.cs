using System.Net;
using System.Net.Sockets;

namespace Portal.Payments.TestInfrastructure;

/// <summary>
/// Ports on 127.0.0.1 for the servers the tests start (the sample host, PostgreSQL, the Stripe stand-in, nginx).
/// <para>
/// A port the kernel hands out for "any port" (binding port 0) comes from the ephemeral range, the same range every
/// outgoing connection takes its local port from. Between asking for such a port and the server binding it, Chromium,
/// Npgsql or an HttpClient elsewhere on the machine can take it for a connection, and the server then fails with
/// "address in use" (CI saw it once). So ports here come from below the ephemeral range, where nothing gets a port
/// without asking for it by number, are checked to be free, and are never given twice by one test process.
/// </para>
/// </summary>
internal static class LoopbackPort
{
    private const int Floor = 20_000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];

    /// <summary>The first port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), read once.</summary>
    internal static int EphemeralLow { get; } = ReadEphemeralLow();

    /// <summary>A loopback port nothing listens on, outside the ephemeral range when the machine leaves room below it.</summary>
    public static int Next()
    {
        var ceiling = EphemeralLow;
        lock (Gate)
        {
            if (ceiling - Floor >= 1_000)
            {
                for (var attempt = 0; attempt < 500; attempt++)
                {
                    var candidate = Random.Shared.Next(Floor, ceiling);
                    if (!Given.Contains(candidate) && IsFree(candidate))
                    {
                        Given.Add(candidate);
                        return candidate;
                    }
                }
            }
            // No room below the ephemeral range (an unusual kernel setting), or all of it taken: the kernel's choice.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Given.Add(port);
            return port;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
