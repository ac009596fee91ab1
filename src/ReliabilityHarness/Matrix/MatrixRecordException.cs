namespace ReliabilityHarness.Matrix;

/// <summary>
/// A recorded matrix that cannot be compared with: missing, unreadable, or not the JSON <c>matrix --format json</c>
/// writes. Says where (file, 1-based line and column; 0 when the problem is the file as a whole) and what is wrong,
/// in one line, before anything runs.
/// </summary>
public sealed class MatrixRecordException(string file, long line, long column, string problem)
    : Exception(line <= 0 ? $"{file}: {problem}" : $"{file}:{line}:{column}: {problem}")
{
    public string File { get; } = file;

    public long Line { get; } = line;

    public long Column { get; } = column;

    public string Problem { get; } = problem;
}
