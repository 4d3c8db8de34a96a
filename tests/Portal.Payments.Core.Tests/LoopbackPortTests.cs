using System.Net;
using System.Net.Sockets;
using Portal.Payments.TestInfrastructure;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>
/// The ports the test servers (sample host, PostgreSQL, Stripe stand-in) listen on: an outgoing connection can take a
/// port of the ephemeral range between a test choosing it and its server binding it, so they come from below it.
/// </summary>
public sealed class LoopbackPortTests
{
    [Fact]
    public void Ports_for_test_servers_come_from_below_the_ephemeral_range_are_free_and_never_given_twice()
    {
        var ephemeralLow = LoopbackPort.EphemeralLow;
        Assert.InRange(ephemeralLow, 21_000, 65_535);

        var ports = Enumerable.Range(0, 200).Select(_ => LoopbackPort.Next()).ToList();

        Assert.All(ports, port => Assert.InRange(port, 20_000, ephemeralLow - 1));
        Assert.Equal(ports.Count, ports.Distinct().Count());
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
        Assert.Equal(ports[^1], ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public void A_port_something_already_listens_on_is_not_given()
    {
        // Hold every port of a small window and check the helper never hands one of them out.
        var held = new List<TcpListener>();
        try
        {
            var first = LoopbackPort.Next();
            for (var port = first; port < first + 50; port++)
            {
                try
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    held.Add(listener);
                }
                catch (SocketException)
                {
                    // Taken already: just as well.
                }
            }
            var heldPorts = held.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToHashSet();
            var given = Enumerable.Range(0, 500).Select(_ => LoopbackPort.Next()).ToList();
            Assert.DoesNotContain(given, heldPorts.Contains);
        }
        finally
        {
            held.ForEach(l => l.Stop());
        }
    }
}
