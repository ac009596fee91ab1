namespace ReliabilityHarness.DuckDb;

/// <summary>A DuckDB database file that cannot be used or made, with the reason (<see cref="DuckDbFile"/>).</summary>
public sealed class DuckDbFileException(string message) : IOException(message);
