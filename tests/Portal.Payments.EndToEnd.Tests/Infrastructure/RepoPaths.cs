namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>Locates the repository and the build configuration from the test assembly's own folder.</summary>
internal static class RepoPaths
{
    /// <summary>The folder that holds Portal.Payments.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release: the configuration the tests were built with (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>The folder the test assembly runs from.</summary>
    public static string TestBinDirectory { get; } = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);

    /// <summary>The sample host built by the ProjectReference, in the same configuration as the tests.</summary>
    public static string HostSiteDll => Path.Combine(RepoRoot, "samples", "HostSite", "bin", Configuration, "net10.0", "HostSite.dll");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.Payments.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Portal.Payments.sln was not found in {AppContext.BaseDirectory} or any folder above it.");
    }

    private static string FindConfiguration()
    {
        // <project>/bin/<Configuration>/<tfm>/ : the configuration is the folder right under "bin".
        var parts = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory).Split(Path.DirectorySeparatorChar);
        var bin = Array.LastIndexOf(parts, "bin");
        if (bin < 0 || bin + 1 >= parts.Length)
        {
            throw new InvalidOperationException($"Cannot tell the build configuration from the test folder {AppContext.BaseDirectory} (expected .../bin/<Configuration>/net10.0).");
        }
        return parts[bin + 1];
    }
}
