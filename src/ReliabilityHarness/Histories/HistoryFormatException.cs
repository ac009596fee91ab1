namespace ReliabilityHarness.Histories;

/// <summary>A history that is not Elle's list-append format: where (file, line, column) and what was expected there.</summary>
public sealed class HistoryFormatException : FormatException
{
    public HistoryFormatException()
    {
    }

    public HistoryFormatException(string message)
        : base(message)
    {
    }

    public HistoryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HistoryFormatException(string file, int line, int column, string problem)
        : base($"{file}:{line}:{column}: {problem}")
    {
        (File, Line, Column, Problem) = (file, line, column, problem);
    }

    public string? File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>What was expected and what was found, without the place.</summary>
    public string? Problem { get; }
}
