using System.Data.Common;
using System.Diagnostics;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// The database as a .NET pipeline under check gets it: connections that count every statement the pipeline sends
/// (commits included) and, in a crash trial, sever the session just before the k-th (<see cref="FaultInjectingConnection"/>).
/// Open every connection here, and the pipeline's ADO.NET code (Dapper included) is under every crash point.
/// </summary>
public sealed class PipelineDatabase(Provider provider, string connectionString, StatementFaults faults)
{
    public Provider Provider { get; } = provider;

    /// <summary>The connection string of the database under check (to open connections the harness does not see: none should).</summary>
    public string ConnectionString { get; } = connectionString;

    /// <summary>
    /// An open connection of the engine's driver, wrapped so its statements are counted and faulted. Once a crash trial
    /// has severed a session, no connection opens again in that run: a crashed process does not reconnect, so a
    /// pipeline's retry (the fault is transient, as a lost connection is) cannot carry the run past its crash.
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (faults.Mode == FaultMode.Sever && faults.FaultedStatement is { } crashed)
        {
            throw new InvalidOperationException($"the run crashed before statement {faults.FaultAt} ({crashed}): no connection opens after a crash");
        }

        return FaultInjectingConnection.Wrap(await Provider.Dialect.OpenAsync(ConnectionString, cancellationToken), faults);
    }
}

/// <summary>
/// A .NET delegate as the pipeline under check, run in this process: its crash points are its statements (the
/// statement before which the session is severed: every open transaction of that session rolls back, as when a
/// process dies), so the exhaustive trials reach every engine, embedded ones included, with no strace or proxy.
/// A delegate cannot be killed: <c>--kills</c> do not apply, and one that does not end within <see cref="Bound"/>
/// is reported and abandoned (its cancellation token is cancelled).
/// </summary>
public sealed class DelegatePipeline(Provider provider, string connectionString, Func<PipelineDatabase, CancellationToken, Task> pipeline, string description, TimeSpan bound) : PipelineRunner
{
    public TimeSpan Bound { get; } = bound;

    public override string Description => description;

    public override string CrashMethod => "the session is severed just before the pipeline's k-th statement (commits included), for each k";

    public override bool CanBeKilled => false;

    public override async Task<RunOutcome> RunCountingAsync(CancellationToken cancellationToken)
    {
        var faults = new StatementFaults();
        var outcome = await RunOneAsync(faults, cancellationToken);
        var texts = faults.StatementTexts;
        return outcome with { Points = texts.Select((text, i) => (CrashPoint)new StatementPoint(i + 1, texts.Count, text)).ToList() };
    }

    public override async Task<RunOutcome> RunToCrashAsync(CrashPoint point, CancellationToken cancellationToken)
    {
        if (point is not StatementPoint statement)
        {
            throw new ArgumentException($"a delegate crashes at a statement, not at {point.Describe()}", nameof(point));
        }

        var faults = new StatementFaults(statement.Ordinal, FaultMode.Sever);
        var outcome = await RunOneAsync(faults, cancellationToken);
        return outcome with { Crashed = faults.FaultedStatement is not null };
    }

    public override async Task<IReadOnlyList<RunOutcome>> RunTogetherAsync(int copies, CancellationToken cancellationToken)
    {
        // Started together: each copy waits at the gate until every one has been scheduled.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = Enumerable.Range(0, copies).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            return await RunOneAsync(new StatementFaults(), cancellationToken);
        }, cancellationToken)).ToList();
        gate.SetResult();
        return await Task.WhenAll(runs);
    }

    private async Task<RunOutcome> RunOneAsync(StatementFaults faults, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = Task.Run(() => pipeline(new PipelineDatabase(provider, connectionString, faults), limit.Token), limit.Token);
        try
        {
            await run.WaitAsync(Bound, cancellationToken);
            return new RunOutcome { Succeeded = true, Duration = clock.Elapsed };
        }
        catch (TimeoutException) when (!run.IsCompleted)
        {
            // A delegate cannot be killed: it is asked to stop, and a check cannot go on while it may still write.
            await limit.CancelAsync();
            if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != run)
            {
                throw new PipelineAbandonedException($"the pipeline did not end within {Bound.TotalSeconds:0.#} s, nor within 10 s of being cancelled: the check cannot go on while it may still write");
            }

            return new RunOutcome { Succeeded = false, TimedOut = true, Duration = Bound };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new RunOutcome { Succeeded = false, Duration = clock.Elapsed, Output = $"{e.GetType().Name}: {e.Message}" };
        }
    }
}

/// <summary>A .NET pipeline ran past its bound and ignored its cancellation: the check stops rather than judge a database it may still change.</summary>
public sealed class PipelineAbandonedException(string message) : Exception(message);
