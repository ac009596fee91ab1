namespace ReliabilityHarness.Ingest;

/// <summary>How a run is made to fail on purpose, and what clock stamps processed_at.</summary>
/// <param name="CrashAfterRows">
/// When set, the run throws <see cref="SimulatedCrashException"/> once this many input rows have been handled:
/// before the next row, or before the commit when the input has no more. 0 crashes before the first write.
/// </param>
/// <param name="Time">The clock for processed_at and for the pauses between attempts; tests pass their own.</param>
/// <param name="MaxAttempts">How many times the robust strategy runs the whole transaction when it fails with a transient error.</param>
/// <param name="OnRetry">Told of each transient failure that is about to be retried (attempt number, failure).</param>
/// <param name="Checkpoint">
/// Awaited at the named points of a run (<see cref="IngestCheckpoint"/>), so a fault can be injected at exactly
/// that point: a process killed, a connection severed, a server crashed.
/// </param>
public sealed record IngestOptions(
    long? CrashAfterRows = null,
    TimeProvider? Time = null,
    int MaxAttempts = 8,
    Action<int, IngestFailure>? OnRetry = null,
    Func<IngestCheckpoint, CancellationToken, Task>? Checkpoint = null)
{
    /// <summary>The longest pause between two attempts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

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

/// <summary>A named point of a run, as <see cref="IngestOptions.Checkpoint"/> is told of it.</summary>
/// <param name="Point"><see cref="BeforeFirstWrite"/>, <see cref="AfterRow"/>, <see cref="AfterInserts"/> or <see cref="BeforeCommit"/>.</param>
/// <param name="RowsHandled">Input rows handled so far.</param>
/// <param name="Attempt">The attempt of the run (the robust strategy retries), from 1.</param>
/// <param name="SessionId">The engine's id of the run's session, where the provider can tell it (to sever it).</param>
public sealed record IngestCheckpoint(string Point, long RowsHandled, int Attempt, object? SessionId)
{
    /// <summary>Connected, table ensured, transaction begun (robust); nothing written yet.</summary>
    public const string BeforeFirstWrite = "before-first-write";

    /// <summary>A row was just handled.</summary>
    public const string AfterRow = "after-row";

    /// <summary>
    /// The robust strategy's set-based way (a table that holds rows) has inserted the new ids into the payments
    /// table, inside its transaction; status changes are next. The first point where the engine holds a write of the
    /// run's: a crash here tells a rollback from a commit.
    /// </summary>
    public const string AfterInserts = "after-inserts";

    /// <summary>Every row handled; the robust strategy is about to COMMIT.</summary>
    public const string BeforeCommit = "before-commit";

    public override string ToString() => Point == AfterRow ? $"{Point}:{RowsHandled}" : Point;
}
