using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>What one ingest run did. Counts describe committed work only when <see cref="IngestResult.Succeeded"/>.</summary>
/// <param name="Rows">Input records handled.</param>
/// <param name="Inserted">New payment ids written.</param>
/// <param name="Updated">Existing ids whose status changed (processed_at bumped).</param>
/// <param name="Unchanged">Existing ids with an identical payload: not written, processed_at kept.</param>
/// <param name="Duplicates">Repeats of an id earlier in the same input with an identical payload: counted once.</param>
public sealed record IngestCounts(long Rows, long Inserted, long Updated, long Unchanged, long Duplicates)
{
    public static IngestCounts None { get; } = new(0, 0, 0, 0, 0);

    public override string ToString() =>
        $"{Inserted} inserted, {Updated} updated, {Unchanged} unchanged" + (Duplicates > 0 ? $", {Duplicates} repeated in the input" : string.Empty);
}

/// <summary>Why a run did not complete.</summary>
public enum FailureKind
{
    /// <summary>The crash <c>--crash-after</c> asked for.</summary>
    SimulatedCrash,

    /// <summary>A payment id seen again with a different user, amount or currency (or, within one input, status).</summary>
    IdempotencyConflict,

    /// <summary>The database refused a write with a key or check constraint.</summary>
    ConstraintViolation,

    /// <summary>A transient database error (deadlock, serialization failure, busy) that retries did not overcome.</summary>
    Transient,

    /// <summary>Any other database or I/O error.</summary>
    Database,
}

/// <summary>A run's failure: what went wrong, the engine's code and its meaning if any, and what the database was left with.</summary>
public sealed record IngestFailure(FailureKind Kind, string Message, string? ErrorCode, bool RolledBack, DbErrorKind? ErrorKind = null);

/// <summary>How a run wrote its rows.</summary>
public enum WritePath
{
    /// <summary>One statement per row (the unreliable strategies).</summary>
    RowByRow,

    /// <summary>The robust strategy into an empty table: every row straight into it.</summary>
    FirstLoad,

    /// <summary>The robust strategy through its staging table (a table with rows, or a first load that met a repeated id).</summary>
    Staged,

    /// <summary>The robust strategy found every row stored as it is, in the input's order, and wrote nothing.</summary>
    Compared,
}

/// <summary>The outcome of one ingest run.</summary>
/// <param name="Path">How the last attempt wrote (or was writing when it failed).</param>
public sealed record IngestResult(string Strategy, IngestCounts Counts, IngestFailure? Failure, int Attempts = 1, WritePath Path = WritePath.RowByRow)
{
    public bool Succeeded => Failure is null;
}
