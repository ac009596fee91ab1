namespace ReliabilityHarness.Payments;

/// <summary>
/// The input is not a valid payments file. Carries where (file, 1-based line and column; 0 when the problem is
/// the file as a whole) and what was expected. Raised before anything is written.
/// </summary>
public sealed class InputException : Exception
{
    public InputException(string file, long line, long column, string problem)
        : base(Format(file, line, column, problem))
    {
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public string File { get; }

    public long Line { get; }

    public long Column { get; }

    public string Problem { get; }

    private static string Format(string file, long line, long column, string problem) =>
        line <= 0 ? $"{file}: {problem}" : $"{file}:{line}:{column}: {problem}";
}
