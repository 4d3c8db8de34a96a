using System.Diagnostics;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace HostSite.Testing;

/// <summary>
/// BENCHMARKS ONLY. Counts open Blazor circuits and maps <c>GET /diagnostics/heap</c>, which forces a full blocking,
/// compacting GC and answers the live managed heap, the open circuits, the process's CPU time and its node name — what
/// the load and scale-out benchmarks (tests/Portal.Payments.Benchmarks, <c>load</c> and <c>scale-out</c>) read per node.
/// Registered and mapped only when configuration <c>HostSite:Diagnostics</c> is true; never on by default.
/// </summary>
public sealed class Diagnostics : CircuitHandler
{
    private int _circuits;

    /// <summary>Circuits open now.</summary>
    public int Circuits => Volatile.Read(ref _circuits);

    /// <inheritdoc />
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _circuits);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Decrement(ref _circuits);
        return Task.CompletedTask;
    }

    /// <summary>Maps GET /diagnostics/heap (anonymous: benchmark hosts on 127.0.0.1 only) and GET /diagnostics/cpu (no GC).</summary>
    public static void Map(IEndpointRouteBuilder app, Diagnostics diagnostics, string nodeName)
    {
        app.MapGet("/diagnostics/heap", () =>
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return Results.Ok(Snapshot(diagnostics, nodeName, GC.GetTotalMemory(forceFullCollection: true)));
        }).AllowAnonymous();
        app.MapGet("/diagnostics/cpu", () => Results.Ok(Snapshot(diagnostics, nodeName, GC.GetTotalMemory(forceFullCollection: false)))).AllowAnonymous();
    }

    private static object Snapshot(Diagnostics diagnostics, string nodeName, long heap)
    {
        using var process = Process.GetCurrentProcess();
        return new { node = nodeName, pid = Environment.ProcessId, circuits = diagnostics.Circuits, heapBytes = heap, cpuMs = process.TotalProcessorTime.TotalMilliseconds };
    }
}
