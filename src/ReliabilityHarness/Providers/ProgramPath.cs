namespace ReliabilityHarness.Providers;

/// <summary>Where a program is: a path as given, or the first folder of PATH that holds it.</summary>
public static class ProgramPath
{
    /// <summary>The file <paramref name="program"/> names (with a '/': as it is; else searched on PATH); null when there is none.</summary>
    public static string? Find(string program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Contains('/', StringComparison.Ordinal)
            ? (File.Exists(program) ? program : null)
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists);
    }
}
