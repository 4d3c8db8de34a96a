using System.Diagnostics;
using System.Text;

namespace Portal.Payments.Packaging.Tests;

/// <summary>The outcome of a finished command: its exit code and everything it printed.</summary>
/// <param name="CommandLine">What ran, for messages.</param>
/// <param name="ExitCode">Exit code, or -1 when it was killed on timeout.</param>
/// <param name="Output">stdout and stderr, interleaved as received.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record CommandResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>A failure message with the command and the tail of its output.</summary>
    public string Describe() =>
        $"`{CommandLine}` exited with {ExitCode} after {Elapsed.TotalSeconds:0} s.\n--- output ---\n{Tail(Output, 20_000)}";

    /// <summary>The last <paramref name="max"/> characters of <paramref name="text"/>.</summary>
    public static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];
}

/// <summary>Runs the dotnet CLI as child processes, isolated from the test runner's MSBuild environment.</summary>
public static class DotnetCli
{
    /// <summary>The dotnet host running these tests (DOTNET_HOST_PATH under dotnet test), else dotnet on PATH.</summary>
    public static string Executable
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            {
                return hostPath;
            }
            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }
            return "dotnet";
        }
    }

    /// <summary>Runs dotnet with <paramref name="args"/> to completion; kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var output = new StringBuilder();
        using var process = Start(workingDirectory, args, output, environment: null);
        var watch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            lock (output)
            {
                output.AppendLine($"*** killed: no exit within {timeout.TotalMinutes:0.#} min ***");
            }
            return new CommandResult(Describe(args), -1, Snapshot(output), watch.Elapsed);
        }
        return new CommandResult(Describe(args), process.ExitCode, Snapshot(output), watch.Elapsed);
    }

    /// <summary>Starts dotnet with <paramref name="args"/> and leaves it running; its output goes to <paramref name="output"/>.</summary>
    public static Process Start(string workingDirectory, IReadOnlyList<string> args, StringBuilder output, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(Executable, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test runs under dotnet test, whose MSBuild variables must not steer the child builds.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("CustomerPortalPayments__", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No build server may outlive the command (it would hold our output pipes open).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Describe(args)}.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Kills a process and its children; quiet when it has exited already.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(15_000);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile.
        }
    }

    /// <summary>A copy of the output collected so far.</summary>
    public static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Describe(IEnumerable<string> args) =>
        "dotnet " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
}
