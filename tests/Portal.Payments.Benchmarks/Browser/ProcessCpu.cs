using System.Globalization;

namespace Portal.Payments.Benchmarks.Browser;

/// <summary>
/// CPU time of the load's own parts on this (Linux) machine, from <c>/proc</c>: the Chromium processes that play the
/// clerks, and the whole machine. A load run puts the browsers on the host's cores; these say how much of the
/// machine they took, beside the host's own CPU per click.
/// </summary>
internal static class ProcessCpu
{
    // The kernel reports process times in clock ticks of USER_HZ, 100 a second on every Linux this runs on.
    private const double MsPerTick = 10.0;

    /// <summary>CPU time (user and system, ms) of the running processes named "chrom…" (browser, renderers, utilities).</summary>
    public static double BrowsersMs()
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (open < 0 || close < open || !stat.AsSpan(open + 1, close - open - 1).StartsWith("chrom", StringComparison.Ordinal))
                {
                    continue;
                }
                // After the command name: state is field 3, utime field 14, stime field 15.
                var fields = stat[(close + 2)..].Split(' ');
                total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MsPerTick;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended while it was read.
            }
        }
        return total;
    }

    /// <summary>Busy CPU time of the whole machine (ms, all cores): every state of /proc/stat's "cpu" line but idle and iowait.</summary>
    public static double MachineBusyMs()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var ticks = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user).
        var busy = ticks.Take(8).Sum() - ticks[3] - ticks[4];
        return busy * MsPerTick;
    }
}
