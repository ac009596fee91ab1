using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>The properties <c>reliability check</c> decides, in the order it reports them.</summary>
public static class PipelineProperty
{
    public const string CleanRun = "clean-run";
    public const string RerunIdempotent = "rerun-idempotent";
    public const string Atomic = "atomic";
    public const string Recovers = "recovers";
    public const string ConcurrentExactlyOnce = "concurrent-exactly-once";

    public static IReadOnlyList<string> All { get; } = [CleanRun, RerunIdempotent, Atomic, Recovers, ConcurrentExactlyOnce];
}

/// <summary>One property's verdict: held (true), did not (false), or not decided / not asked (null), with its evidence.</summary>
/// <param name="Asked">False when the user chose not to ask it (<c>--concurrency 0</c>); a property asked and not decided keeps the check from holding.</param>
public sealed record PropertyVerdict(string Property, bool? Ok, int Trials, int Failures, IReadOnlyList<string> Evidence, bool Asked = true);

/// <summary>Everything a check found, property by property.</summary>
public sealed record CheckReport(string Pipeline, string Engine, string BeforeState, string CrashMethod, ColumnSet Nondeterministic, IReadOnlyList<PropertyVerdict> Properties)
{
    /// <summary>Every property asked holds: none failed, none was left undecided (one the user did not ask is not counted).</summary>
    public bool AllHold => Properties.All(p => p.Ok is true || !p.Asked);

    /// <summary>The properties asked that were not decided (no crash point, a clean run that failed, points never reached).</summary>
    public IEnumerable<PropertyVerdict> Undecided => Properties.Where(p => p.Ok is null && p.Asked);

    public PropertyVerdict this[string property] => Properties.Single(p => p.Property == property);
}

/// <summary>What to check beyond the defaults.</summary>
/// <param name="Volatile">Columns (in every table) the rerun may change (<c>--volatile</c>).</param>
/// <param name="Kills">SIGKILLs at random moments of the clean run's duration, beside the enumerated points.</param>
/// <param name="Concurrency">Copies started together for concurrent-exactly-once; below 2 the property is not asked.</param>
/// <param name="MaxCrashPoints">Every point up to this many; beyond, this many evenly spread.</param>
/// <param name="Seed">The random moments' seed, so a check is repeatable.</param>
public sealed record CheckOptions(IReadOnlyList<string>? Volatile = null, int Kills = 0, int Concurrency = 2, int MaxCrashPoints = 500, int Seed = 1);

/// <summary>
/// The trials of a check and the property each decides, the same for a program and a .NET delegate: two clean runs
/// from the before-state (the after-state, and the columns that differ between them: nondeterministic, compared by
/// presence across runs); a rerun on the after-state (rerun-idempotent: nothing changes but <c>--volatile</c>
/// columns); a crash at every point the clean run passed, each followed by a rerun (atomic: the crash left the
/// before- or the after-state; recovers: the rerun reached the after-state); K copies at once (concurrent-exactly-once).
/// </summary>
public sealed class PipelineCheck(Dialect dialect, string connectionString, IReadOnlyList<TableName> tables, BeforeState before, PipelineRunner pipeline, CheckOptions? options = null)
{
    private readonly CheckOptions options = options ?? new CheckOptions();

    /// <summary>Runs every trial; at the end the before-state is put back, so the database is left as the check found it.</summary>
    public async Task<CheckReport> RunAsync(Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var report = await TrialsAsync(progress, cancellationToken);
        await before.RestoreAsync(cancellationToken);
        return report;
    }

    private async Task<CheckReport> TrialsAsync(Action<string>? progress, CancellationToken cancellationToken)
    {
        var say = progress ?? (_ => { });
        var verdicts = new List<PropertyVerdict>();

        await before.RestoreAsync(cancellationToken);
        var beforeState = await CaptureAsync(cancellationToken);
        say($"before-state: {beforeState.RowCount} row(s) in {string.Join(", ", tables)}");

        var first = await pipeline.RunCountingAsync(cancellationToken);
        var after = await CaptureAsync(cancellationToken);
        RunOutcome? second = null;
        DatabaseState? afterAgain = null;
        if (first.Succeeded)
        {
            await before.RestoreAsync(cancellationToken);
            second = await pipeline.RunCountingAsync(cancellationToken);
            afterAgain = await CaptureAsync(cancellationToken);
        }

        // Across runs, columns the user named volatile are compared by presence too: a value that changes only between
        // runs further apart than the two clean runs (a date, a second-precision time) is not learned from them.
        var nondeterministic = (afterAgain is null ? ColumnSet.None : after.ColumnsDifferingFrom(afterAgain)).With(ColumnSet.Named(options.Volatile ?? [], tables));
        var unstable = afterAgain?.DifferenceFrom(after, nondeterministic);
        var clean = CleanRunVerdict(first, second, after, nondeterministic, unstable);
        verdicts.Add(clean);
        say($"{clean.Property}: {Mark(clean.Ok)} {clean.Evidence[0]}");
        if (clean.Ok is not true)
        {
            verdicts.AddRange(PipelineProperty.All.Skip(1).Select(p => new PropertyVerdict(p, null, 0, 0, ["not decided: the clean run did not succeed the same way twice"])));
            return Report(nondeterministic, verdicts);
        }

        // The state the second clean run left is the after-state the rerun starts from.
        var rerun = await RerunVerdictAsync(afterAgain!, cancellationToken);
        verdicts.Add(rerun);
        say($"{rerun.Property}: {Mark(rerun.Ok)} {rerun.Evidence[0]}");

        var (atomic, recovers) = await CrashVerdictsAsync(first, beforeState, after, nondeterministic, say, cancellationToken);
        verdicts.Add(atomic);
        verdicts.Add(recovers);

        var concurrent = await ConcurrentVerdictAsync(after, nondeterministic, cancellationToken);
        verdicts.Add(concurrent);
        say($"{concurrent.Property}: {Mark(concurrent.Ok)} {concurrent.Evidence[0]}");
        return Report(nondeterministic, verdicts);
    }

    private CheckReport Report(ColumnSet nondeterministic, List<PropertyVerdict> verdicts) =>
        new(pipeline.Description, dialect.Name, before.Description, pipeline.CrashMethod, nondeterministic, verdicts);

    private static string Mark(bool? ok) => ok switch { true => "holds:", false => "FAILS:", null => "not decided:" };

    private Task<DatabaseState> CaptureAsync(CancellationToken cancellationToken) => DatabaseState.CaptureAsync(dialect, connectionString, tables, cancellationToken);

    private static PropertyVerdict CleanRunVerdict(RunOutcome first, RunOutcome? second, DatabaseState after, ColumnSet nondeterministic, StateDifference? unstable)
    {
        if (!first.Succeeded || second is { Succeeded: false })
        {
            var failed = first.Succeeded ? second! : first;
            return new(PipelineProperty.CleanRun, false, second is null ? 1 : 2, 1, [$"the pipeline {failed.Describe()} on a clean run from the before-state", .. Tail(failed.Output)]);
        }

        if (unstable is { IsNone: false })
        {
            return new(PipelineProperty.CleanRun, false, 2, 1,
                ["two clean runs from the same before-state left different rows (more than column values differ)", .. unstable.Describe()]);
        }

        return new(PipelineProperty.CleanRun, true, 2, 0,
        [
            $"succeeded twice from the before-state ({first.Duration.TotalMilliseconds:0} ms, {second!.Duration.TotalMilliseconds:0} ms), leaving {after.RowCount} row(s)",
            $"crash points passed: {first.Points.Count} (second run: {second.Points.Count})",
            $"nondeterministic columns (compared by presence across runs): {nondeterministic}",
        ]);
    }

    private async Task<PropertyVerdict> RerunVerdictAsync(DatabaseState after, CancellationToken cancellationToken)
    {
        var outcome = await pipeline.RunAsync(cancellationToken);
        if (!outcome.Succeeded)
        {
            return new(PipelineProperty.RerunIdempotent, false, 1, 1, [$"a second run on the after-state {outcome.Describe()}", .. Tail(outcome.Output)]);
        }

        var volatileColumns = ColumnSet.Named(options.Volatile ?? [], tables);
        var difference = (await CaptureAsync(cancellationToken)).DifferenceFrom(after, volatileColumns);
        return difference.IsNone
            ? new(PipelineProperty.RerunIdempotent, true, 1, 0, [$"a second run on the after-state changed nothing (volatile columns: {volatileColumns})"])
            : new(PipelineProperty.RerunIdempotent, false, 1, 1, ["a second run on the after-state changed it", .. difference.Describe()]);
    }

    private async Task<(PropertyVerdict Atomic, PropertyVerdict Recovers)> CrashVerdictsAsync(RunOutcome clean, DatabaseState beforeState, DatabaseState after, ColumnSet nondeterministic, Action<string> say, CancellationToken cancellationToken)
    {
        var points = Spread(clean.Points, options.MaxCrashPoints);
        var random = new Random(options.Seed);
        var moments = pipeline.CanBeKilled
            ? Enumerable.Range(0, options.Kills).Select(_ => (CrashPoint)new MomentPoint(TimeSpan.FromMilliseconds(random.NextDouble() * clean.Duration.TotalMilliseconds))).ToList()
            : [];
        var trials = points.Concat(moments).ToList();
        var sampled = points.Count < clean.Points.Count ? $", {points.Count} of {clean.Points.Count} evenly spread" : string.Empty;
        say($"crash trials: {trials.Count} ({clean.Points.Count} points passed by the clean run{sampled}; {moments.Count} random kills)");

        var (mixed, unrecovered, unreached) = (new List<string>(), new List<string>(), new List<string>());
        string? firstMixed = null, firstUnrecovered = null;
        var partialKinds = new Dictionary<string, int>();
        for (var i = 0; i < trials.Count; i++)
        {
            var point = trials[i];
            await before.RestoreAsync(cancellationToken);
            var crash = await pipeline.RunToCrashAsync(point, cancellationToken);
            if (!crash.Crashed && point is not MomentPoint)
            {
                unreached.Add(point.Describe());
            }

            var left = await CaptureAsync(cancellationToken);
            var fromBefore = left.DifferenceFrom(beforeState, nondeterministic);
            var fromAfter = left.DifferenceFrom(after, nondeterministic);
            var leftWhat = fromBefore.IsNone ? "the before-state" : fromAfter.IsNone ? "the after-state" : "a mixed state";
            partialKinds[leftWhat] = partialKinds.GetValueOrDefault(leftWhat) + 1;
            if (leftWhat == "a mixed state")
            {
                mixed.Add(point.Describe());
                firstMixed ??= FirstFailure(point, crash, fromBefore, fromAfter);
            }

            var recovery = await pipeline.RunAsync(cancellationToken);
            var recoveredTo = recovery.Succeeded ? (await CaptureAsync(cancellationToken)).DifferenceFrom(after, nondeterministic) : null;
            if (recoveredTo is not { IsNone: true })
            {
                unrecovered.Add(point.Describe());
                firstUnrecovered ??= string.Join(Environment.NewLine,
                    new[] { $"after the crash at {point.Describe()} (the crash left {leftWhat}), the rerun {recovery.Describe()}" }
                        .Concat(recoveredTo is null ? Tail(recovery.Output) : ["and left, against the after-state:", .. recoveredTo.Describe()]));
            }

            if ((i + 1) % 25 == 0 || i + 1 == trials.Count)
            {
                say($"  {i + 1}/{trials.Count} crash trials: {mixed.Count} left a mixed state, {unrecovered.Count} did not recover");
            }
        }

        var summary = $"{trials.Count} crash trial(s) ({clean.Points.Count} point(s) passed by the clean run{sampled}; {moments.Count} random kill(s); {points.Count - unreached.Count} of the {points.Count} point(s) reached): "
            + string.Join(", ", partialKinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} left {k.Key}"));
        var method = $"crash points: {pipeline.CrashMethod}";
        PropertyVerdict atomic, recovers;
        if (trials.Count == 0)
        {
            atomic = new(PipelineProperty.Atomic, null, 0, 0, ["not decided: the clean run passed no crash point and no kill was asked", method]);
            recovers = new(PipelineProperty.Recovers, null, 0, 0, ["not decided: no crash trial"]);
            return (atomic, recovers);
        }

        // A point the run never reached tested nothing: the run ended in the after-state without a crash. It happens when
        // the pipeline takes another path, or its writes come from several processes or threads (strace counts each
        // one's writes on its own, so the k-th of all of them is no one's k-th). Atomicity is then not decided.
        var notReached = $"{unreached.Count} of the {points.Count} crash point(s) were never reached (the run ended without crashing): the pipeline took another path than the clean run, or its writes come from several processes or threads, each counted on its own";
        atomic = mixed.Count > 0
            ? new(PipelineProperty.Atomic, false, trials.Count, mixed.Count, [summary, method, .. firstMixed!.Split(Environment.NewLine), $"mixed at: {Few(mixed)}"])
            : unreached.Count > 0
                ? new(PipelineProperty.Atomic, null, trials.Count, 0, [$"not decided: {notReached}", summary, method, $"not reached: {Few(unreached)}"])
                : new(PipelineProperty.Atomic, true, trials.Count, 0, [summary, method]);
        recovers = unrecovered.Count == 0
            ? new(PipelineProperty.Recovers, true, trials.Count, 0, [$"after each of the {trials.Count} crash(es) a rerun reached the after-state"])
            : new(PipelineProperty.Recovers, false, trials.Count, unrecovered.Count,
                [$"{unrecovered.Count} of {trials.Count} rerun(s) after a crash did not reach the after-state", .. firstUnrecovered!.Split(Environment.NewLine), $"not recovered after: {Few(unrecovered)}"]);
        return (atomic, recovers);
    }

    private async Task<PropertyVerdict> ConcurrentVerdictAsync(DatabaseState after, ColumnSet nondeterministic, CancellationToken cancellationToken)
    {
        if (options.Concurrency < 2)
        {
            return new(PipelineProperty.ConcurrentExactlyOnce, null, 0, 0, [$"not asked (--concurrency {options.Concurrency})"], Asked: false);
        }

        await before.RestoreAsync(cancellationToken);
        var outcomes = await pipeline.RunTogetherAsync(options.Concurrency, cancellationToken);
        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        var difference = (await CaptureAsync(cancellationToken)).DifferenceFrom(after, nondeterministic);
        if (failed.Count == 0 && difference.IsNone)
        {
            return new(PipelineProperty.ConcurrentExactlyOnce, true, 1, 0, [$"{options.Concurrency} copies started together all succeeded and left the after-state"]);
        }

        var evidence = new List<string> { $"{options.Concurrency} copies started together: {outcomes.Count - failed.Count} succeeded, {failed.Count} failed; the table {(difference.IsNone ? "is the after-state" : "is not the after-state")}" };
        evidence.AddRange(failed.Take(2).Select(o => $"a copy {o.Describe()}"));
        evidence.AddRange(difference.Describe());
        return new(PipelineProperty.ConcurrentExactlyOnce, false, 1, 1, evidence);
    }

    private static string FirstFailure(CrashPoint point, RunOutcome crash, StateDifference fromBefore, StateDifference fromAfter)
    {
        var (closer, name) = fromAfter.Tables.Sum(Size) <= fromBefore.Tables.Sum(Size) ? (fromAfter, "after") : (fromBefore, "before");
        return string.Join(Environment.NewLine,
            new[] { $"first mixed state: crash at {point.Describe()} ({crash.Describe()}); against the {name}-state, the nearer:" }.Concat(closer.Describe()));
    }

    private static int Size(TableDifference table) => table.Missing.Count + table.Extra.Count + table.Changed.Count;

    /// <summary>Every point up to <paramref name="most"/>; beyond, <paramref name="most"/> of them evenly spread, the first and last included.</summary>
    internal static IReadOnlyList<CrashPoint> Spread(IReadOnlyList<CrashPoint> points, int most)
    {
        if (points.Count <= most || most < 2)
        {
            return points.Count <= most ? points : points.Take(Math.Max(most, 0)).ToList();
        }

        return Enumerable.Range(0, most).Select(i => points[(int)Math.Round(i * (points.Count - 1) / (double)(most - 1))]).ToList();
    }

    private static string Few(List<string> points) => string.Join("  ·  ", points.Take(5)) + (points.Count > 5 ? $"  ·  … ({points.Count} in all)" : string.Empty);

    private static IEnumerable<string> Tail(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(5).Select(line => "  | " + line);
}
