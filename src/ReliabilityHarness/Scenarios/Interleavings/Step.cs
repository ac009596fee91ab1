using System.Data.Common;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Interleavings;

/// <summary>One session of an interleaving: its own connection and at most one open transaction.</summary>
public sealed class Session(int number, DbConnection connection, object? engineId) : IAsyncDisposable
{
    public int Number { get; } = number;

    public DbConnection Connection { get; } = connection;

    /// <summary>The engine's id of this session, for asking whom it waits for; null where that cannot be asked.</summary>
    public object? EngineId { get; } = engineId;

    public DbTransaction? Transaction { get; set; }

    /// <summary>A step failed: the session rolled back and takes no further step.</summary>
    public bool Aborted { get; set; }

    /// <summary>A command on this session's connection, in its transaction if one is open.</summary>
    public DbCommand Command(string sql, params (string Name, object Value)[] parameters) =>
        DbCommands.Create(Connection, Transaction, sql, parameters);

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync();
        }

        await Connection.DisposeAsync();
    }
}

/// <summary>
/// One step of an interleaving: what session <see cref="Session"/> does next (1-based). The action returns the values it
/// read (null when it reads nothing); it may also block, or fail with an engine error.
/// </summary>
public sealed record ScriptStep(int Session, string Action, Func<Session, CancellationToken, Task<IReadOnlyList<long>?>> Run, StepKind Kind = StepKind.Statement);

public enum StepKind
{
    Begin,
    Statement,

    /// <summary>COMMIT or ROLLBACK: ends the session's transaction, which may release the steps it blocked.</summary>
    End,
}

/// <summary>What a step did.</summary>
/// <param name="Index">Its place in the script, from 1.</param>
/// <param name="Session">The session that took it.</param>
/// <param name="Action">What it did, e.g. "read id=1".</param>
/// <param name="Blocked">It waited for another session's lock before its outcome.</param>
/// <param name="Values">What it read, if it reads.</param>
/// <param name="Error">The engine error it failed with, if it failed.</param>
/// <param name="ErrorCode">The engine's code for that error.</param>
/// <param name="Skipped">Not taken: its session had already failed.</param>
public sealed record StepResult(int Index, int Session, string Action, bool Blocked, IReadOnlyList<long>? Values, DbErrorKind? Error, string? ErrorCode, bool Skipped = false)
{
    public override string ToString()
    {
        var outcome = Skipped ? "skipped (session aborted)"
            : Error is { } error ? $"{error.Spelling()}{(ErrorCode is null ? string.Empty : $" [{ErrorCode}]")}"
            : Values is null ? "ok"
            : $"[{string.Join(", ", Values)}]";
        return $"{Index,2}. T{Session} {Action}: {(Blocked ? "blocks, then " : string.Empty)}{outcome}";
    }
}
