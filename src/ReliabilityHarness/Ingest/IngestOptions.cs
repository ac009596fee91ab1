namespace ReliabilityHarness.Ingest;

/// <summary>How a run is made to fail on purpose, and what clock stamps processed_at.</summary>
/// <param name="CrashAfterRows">
/// When set, the run throws <see cref="SimulatedCrashException"/> once this many input rows have been handled:
/// before the next row, or before the commit when the input has no more. 0 crashes before the first write.
/// </param>
/// <param name="Time">The clock for processed_at; tests pass their own.</param>
public sealed record IngestOptions(long? CrashAfterRows = null, TimeProvider? Time = null)
{
    public static IngestOptions Default { get; } = new();

    internal DateTimeOffset Now()
    {
        // Microseconds: the finest every engine stores, so what is written is what reads back.
        var now = (Time ?? TimeProvider.System).GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    internal void CrashIfDue(long rowsHandled)
    {
        if (CrashAfterRows is { } limit && rowsHandled >= limit)
        {
            throw new SimulatedCrashException(rowsHandled);
        }
    }
}
