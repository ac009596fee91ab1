using System.Data;
using System.Data.Common;
using System.Diagnostics;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Interleavings;

/// <summary>
/// Drives two or three sessions through a fixed order of steps, as Hermitage's scripts do by hand. A step that
/// waits for another session's lock is seen to block by asking the engine whom it waits for (never by timing),
/// and is taken up again when that session commits or rolls back; the blocked session's later steps queue behind
/// it. A step that fails rolls its session back; its later steps are skipped. Every wait is bounded: an engine
/// that neither answers nor reports a lock wait fails the run with <see cref="TimeoutException"/>.
/// </summary>
public sealed class Scheduler
{
    /// <summary>The longest a step may take to complete or to be seen blocked.</summary>
    public static readonly TimeSpan StepBound = TimeSpan.FromSeconds(20);

    // How often the engine is asked whom a waiting step waits for. Not faster than every 100 ms: InnoDB serves
    // its lock-wait tables from a cache it refreshes only when 100 ms have passed since the last read, so
    // asking more often would read the same stale answer forever. A step that completes is seen at once.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(120);

    private readonly Provider provider;
    private readonly List<Session> sessions;
    private readonly DbConnection? monitor;
    private readonly Dictionary<int, Pending> pending = [];
    private readonly Dictionary<int, Queue<(int Index, ScriptStep Step)>> backlog = [];
    private readonly SortedDictionary<int, StepResult> results = [];
    private readonly Stopwatch probeClock = Stopwatch.StartNew();

    private Scheduler(Provider provider, List<Session> sessions, DbConnection? monitor)
    {
        this.provider = provider;
        this.sessions = sessions;
        this.monitor = monitor;
    }

    /// <summary>Runs <paramref name="steps"/> with <paramref name="sessionCount"/> sessions on the database, and returns what each step did.</summary>
    public static async Task<IReadOnlyList<StepResult>> RunAsync(Provider provider, string connectionString, int sessionCount, IReadOnlyList<ScriptStep> steps, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(steps);

        // Where the engine cannot say whom a session waits for, a lock wait must end on its own, with the
        // engine's busy or lock-timeout error, for the run to go on.
        var watchable = provider.Dialect.SessionIdSql is not null && provider.Dialect.BlockersSql is not null;
        var sessionConnection = watchable ? connectionString : provider.Dialect.WithShortLockWait(connectionString) ?? connectionString;

        var sessions = new List<Session>();
        DbConnection? monitor = null;
        try
        {
            for (var number = 1; number <= sessionCount; number++)
            {
                var connection = await provider.Dialect.OpenAsync(sessionConnection, cancellationToken);
                var id = watchable ? await ScalarAsync(connection, provider.Dialect.SessionIdSql!, cancellationToken) : null;
                sessions.Add(new Session(number, connection, id));
            }

            monitor = watchable ? await provider.Dialect.OpenAsync(connectionString, cancellationToken) : null;
            // NULL (a permission the server does not know) counts as not granted.
            if (monitor is not null && provider.Dialect.WatchPermissionSql is { } permission
                && await ScalarAsync(monitor, permission, cancellationToken) is not (1 or 1L))
            {
                throw new InvalidOperationException($"{provider.DisplayName}: this login cannot see other sessions' lock waits, so a blocked step could not be told from a slow one; {provider.Dialect.WatchPermissionHint}");
            }

            var scheduler = new Scheduler(provider, sessions, monitor);
            for (var i = 0; i < steps.Count; i++)
            {
                await scheduler.TakeAsync(i + 1, steps[i], cancellationToken);
            }

            scheduler.EnsureFinished();
            return [.. scheduler.results.Values];
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }

            if (monitor is not null)
            {
                await monitor.DisposeAsync();
            }
        }
    }

    /// <summary>A step that sets its session's transaction at the isolation level.</summary>
    public static ScriptStep Begin(Provider provider, int session, IsolationLevel level) =>
        new(session, $"begin {Isolation.Spelling(level)}", async (s, ct) =>
        {
            s.Transaction = await provider.Dialect.BeginIsolatedAsync(s.Connection, level, ct);
            return null;
        }, StepKind.Begin);

    public static ScriptStep Commit(int session) =>
        new(session, "commit", async (s, ct) =>
        {
            await s.Transaction!.CommitAsync(ct);
            await s.Transaction.DisposeAsync();
            s.Transaction = null;
            return null;
        }, StepKind.End);

    private async Task TakeAsync(int index, ScriptStep step, CancellationToken cancellationToken)
    {
        var session = sessions[step.Session - 1];
        if (session.Aborted)
        {
            results[index] = new StepResult(index, step.Session, step.Action, false, null, null, null, Skipped: true);
            return;
        }

        if (pending.ContainsKey(step.Session))
        {
            backlog.TryAdd(step.Session, new Queue<(int, ScriptStep)>());
            backlog[step.Session].Enqueue((index, step));
            return;
        }

        var running = step.Run(session, cancellationToken);
        var blockers = await WaitAsync(running, session, cancellationToken);
        if (blockers is not null)
        {
            pending[step.Session] = new Pending(index, step, running, blockers);
            await BreakDeadlockAsync(cancellationToken);
            return;
        }

        await FinishAsync(index, step, session, running, blocked: false, cancellationToken);
    }

    /// <summary>Records a step's outcome; if it ended its session's transaction (or failed), takes up the steps it was blocking.</summary>
    private async Task FinishAsync(int index, ScriptStep step, Session session, Task<IReadOnlyList<long>?> running, bool blocked, CancellationToken cancellationToken)
    {
        try
        {
            results[index] = new StepResult(index, step.Session, step.Action, blocked, await running, null, null);
        }
        catch (DbException e)
        {
            results[index] = new StepResult(index, step.Session, step.Action, blocked, null, provider.Dialect.Recognize(e), provider.Dialect.ErrorCode(e));
            session.Aborted = true;
            await RollbackQuietlyAsync(session);
        }

        if (step.Kind == StepKind.End || session.Aborted)
        {
            await ReleaseAsync(step.Session, cancellationToken);
        }
    }

    /// <summary>Session <paramref name="ended"/> ended its transaction: take up the steps it was blocking.</summary>
    private async Task ReleaseAsync(int ended, CancellationToken cancellationToken)
    {
        foreach (var (number, waiting) in pending.Where(p => p.Value.Blockers.Contains(ended)).ToList())
        {
            var session = sessions[number - 1];
            var blockers = await WaitAsync(waiting.Running, session, cancellationToken, ignoring: ended);
            if (blockers is not null)
            {
                pending[number] = waiting with { Blockers = blockers };
                continue;
            }

            await ResumeAsync(number, waiting, cancellationToken);
        }
    }

    /// <summary>A blocked step finished: record it, then take the steps its session queued behind it.</summary>
    private async Task ResumeAsync(int number, Pending waiting, CancellationToken cancellationToken)
    {
        pending.Remove(number);
        await FinishAsync(waiting.Index, waiting.Step, sessions[number - 1], waiting.Running, blocked: true, cancellationToken);
        if (backlog.Remove(number, out var queue))
        {
            while (queue.TryDequeue(out var next))
            {
                await TakeAsync(next.Index, next.Step, cancellationToken);
            }
        }
    }

    /// <summary>
    /// When every blocked session waits for another blocked session, nothing the script does can free them: the
    /// engine must break the cycle by failing one of them. Wait (bounded) for that, and go on from it.
    /// </summary>
    private async Task BreakDeadlockAsync(CancellationToken cancellationToken)
    {
        while (pending.Count > 0 && pending.Values.All(p => p.Blockers.All(pending.ContainsKey)))
        {
            var finished = await Task.WhenAny(pending.Values.Select(p => p.Running)).WaitAsync(StepBound, cancellationToken);
            var (number, waiting) = pending.First(p => p.Value.Running == finished);
            await ResumeAsync(number, waiting, cancellationToken);
        }
    }

    /// <summary>After the script: a step still waiting is waiting for a session that will never end its transaction.</summary>
    private void EnsureFinished()
    {
        if (pending.Count > 0)
        {
            var (number, waiting) = pending.First();
            throw new InvalidOperationException(
                $"step {waiting.Index} (T{number} {waiting.Step.Action}) is still blocked by T{string.Join(", T", waiting.Blockers)} at the end of the script");
        }
    }

    /// <summary>Null when <paramref name="running"/> completed; else the sessions it is blocked by.</summary>
    private async Task<IReadOnlySet<int>?> WaitAsync(Task running, Session session, CancellationToken cancellationToken, int? ignoring = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Give the step a poll interval to finish; ask the engine only as often as its answer is fresh.
            var sinceProbe = probeClock.Elapsed;
            if (sinceProbe < PollInterval)
            {
                await Task.WhenAny(running, Task.Delay(PollInterval - sinceProbe, cancellationToken));
            }

            if (running.IsCompleted)
            {
                return null;
            }

            if (monitor is not null)
            {
                var blockers = await BlockersAsync(session, cancellationToken);
                probeClock.Restart();
                if (blockers.Count > 0 && !blockers.Contains(ignoring ?? 0))
                {
                    return blockers;
                }
            }
            else
            {
                probeClock.Restart();
            }

            if (clock.Elapsed > StepBound)
            {
                var seen = monitor is null ? "the engine cannot be asked" : $"the engine reports no lock wait for session {session.EngineId}";
                throw new TimeoutException($"T{session.Number} neither finished its step nor waited for a lock within {StepBound.TotalSeconds:0} s ({seen})");
            }
        }
    }

    private async Task<IReadOnlySet<int>> BlockersAsync(Session session, CancellationToken cancellationToken)
    {
        await using var command = DbCommands.Create(monitor!, null, provider.Dialect.BlockersSql!, ("@session", session.EngineId!));
        var blockers = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
            // A lock holder outside the script (say, autovacuum) is not a session we can release: keep waiting.
            if (sessions.FirstOrDefault(s => Convert.ToString(s.EngineId, System.Globalization.CultureInfo.InvariantCulture) == id) is { } blocker)
            {
                blockers.Add(blocker.Number);
            }
        }

        return blockers;
    }

    private static async Task RollbackQuietlyAsync(Session session)
    {
        if (session.Transaction is { } transaction)
        {
            try
            {
                await transaction.RollbackAsync();
            }
            catch (Exception e) when (e is DbException or InvalidOperationException)
            {
                // The engine already ended it.
            }

            await transaction.DisposeAsync();
            session.Transaction = null;
        }
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private sealed record Pending(int Index, ScriptStep Step, Task<IReadOnlyList<long>?> Running, IReadOnlySet<int> Blockers);
}

/// <summary>Isolation levels as reports spell them.</summary>
public static class Isolation
{
    public static string Spelling(IsolationLevel level) => level switch
    {
        IsolationLevel.ReadUncommitted => "read-uncommitted",
        IsolationLevel.ReadCommitted => "read-committed",
        IsolationLevel.RepeatableRead => "repeatable-read",
        IsolationLevel.Snapshot => "snapshot",
        IsolationLevel.Serializable => "serializable",
        _ => level.ToString().ToLowerInvariant(),
    };
}
