namespace ReliabilityHarness.Tests;

/// <summary>The repository the tests were built from, for checks of its own files (workflows, docs, sources).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ReliabilityHarness.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ReliabilityHarness.sln above {AppContext.BaseDirectory}");
    }
}
