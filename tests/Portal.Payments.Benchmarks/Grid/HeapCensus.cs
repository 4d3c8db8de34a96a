using System.Text.RegularExpressions;
using Microsoft.Diagnostics.Runtime;

namespace Portal.Payments.Benchmarks.Grid;

/// <summary>
/// Every object on this process's managed heap, by type (render-tree buffers by their length, strings also by their
/// text with digits folded), read from a snapshot of the process (ClrMD: the runtime's <c>createdump</c> writes it,
/// the runtime's own DAC reads it). Two censuses taken before and after opening N grids, after a full GC each, say
/// what a circuit's heap is made of (<c>-- grid-render … --census</c>).
/// </summary>
internal sealed partial class HeapCensus
{
    private readonly Dictionary<string, (long Count, long Bytes)> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _strings = new(StringComparer.Ordinal);

    /// <summary>Takes a census of this process's heap now (a second or two, and a snapshot file the size of the process in the temp directory, deleted after).</summary>
    public static HeapCensus Take()
    {
        var census = new HeapCensus();
        using var target = DataTarget.CreateSnapshotAndAttach(Environment.ProcessId);
        // The DAC of the runtime this process runs on (ClrMD would otherwise look for a download).
        var dac = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, OperatingSystem.IsWindows() ? "mscordaccore.dll" : "libmscordaccore.so");
        using var runtime = target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true);
        foreach (var o in runtime.Heap.EnumerateObjects())
        {
            if (!o.IsValid || o.IsFree || o.Type is null)
            {
                continue;
            }
            var name = o.Type.Name ?? "?";
            var size = (long)o.Size;
            if (name.EndsWith("RenderTreeFrame[]", StringComparison.Ordinal))
            {
                name += $" of {o.AsArray().Length} frames";
            }
            else if (name == "System.String")
            {
                Add(census._strings, Digits().Replace(o.AsString(120) ?? "", "9"), size);
            }
            Add(census._types, name, size);
        }
        return census;
    }

    /// <summary>Markdown tables, per circuit, of the types (and repeated strings) that grew most from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public static string Growth(HeapCensus before, HeapCensus after, int circuits, int top)
    {
        var text = new System.Text.StringBuilder();
        Table(text, "heap growth per circuit, by type", Growth(before._types, after._types), circuits, top);
        Table(text, "strings among it, by text (digits shown as 9)", Growth(before._strings, after._strings), circuits, top / 2);
        return text.ToString();
    }

    private static void Table(System.Text.StringBuilder text, string title, List<(string Name, long Count, long Bytes)> growth, int circuits, int top)
    {
        text.AppendLine();
        text.AppendLine($"| {title} | objects | KB | share |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        var total = growth.Sum(g => g.Bytes);
        foreach (var (name, count, bytes) in growth.Take(top))
        {
            text.AppendLine($"| `{name.Replace("|", "\\|", StringComparison.Ordinal)}` | {count / (double)circuits:N1} | {bytes / 1024.0 / circuits:N1} | {100.0 * bytes / Math.Max(1, total):N1} % |");
        }
        text.AppendLine($"| all | {growth.Sum(g => g.Count) / (double)circuits:N1} | {total / 1024.0 / circuits:N1} | |");
    }

    private static List<(string Name, long Count, long Bytes)> Growth(Dictionary<string, (long Count, long Bytes)> before, Dictionary<string, (long Count, long Bytes)> after) =>
        [.. after.Select(a => (a.Key, a.Value.Count - before.GetValueOrDefault(a.Key).Count, a.Value.Bytes - before.GetValueOrDefault(a.Key).Bytes))
            .Where(g => g.Item3 > 0)
            .OrderByDescending(g => g.Item3)];

    private static void Add(Dictionary<string, (long Count, long Bytes)> into, string key, long bytes)
    {
        var was = into.GetValueOrDefault(key);
        into[key] = (was.Count + 1, was.Bytes + bytes);
    }

    [GeneratedRegex("[0-9]")]
    private static partial Regex Digits();
}
