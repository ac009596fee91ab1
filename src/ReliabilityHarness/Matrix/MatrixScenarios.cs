using System.Data;
using ReliabilityHarness.Histories;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Scenarios;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Scenarios.Interleavings;

namespace ReliabilityHarness.Matrix;

internal sealed class CrashRollbackMatrix : IMatrixScenario
{
    public string Id => CrashRollbackScenario.Id;

    public int Order => 10;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var input = SamplePayments.Generate(6).ToList();
        var cells = new List<MatrixCell>();
        foreach (var strategy in new[] { IngestStrategies.Robust, IngestStrategies.Unreliable })
        {
            await using var database = await context.NewDatabaseAsync();
            var observation = await CrashRollbackScenario.RunAsync(context.Provider, database.ConnectionString, strategy, [], input, crashAfter: 3, cancellationToken: context.CancellationToken);
            cells.Add(new(strategy.Name, observation.Outcome, $"crash after 3 of 6 rows: {observation.After.Count} row(s) left"));
        }

        return cells;
    }
}

internal sealed class RerunIdempotencyMatrix : IMatrixScenario
{
    public string Id => RerunIdempotencyScenario.Id;

    public int Order => 20;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var cells = new List<MatrixCell>();
        foreach (var strategy in new[] { IngestStrategies.Robust, IngestStrategies.Unreliable })
        {
            await using var database = await context.NewDatabaseAsync();
            var observation = await RerunIdempotencyScenario.RunAsync(context.Provider, database.ConnectionString, strategy, SamplePayments.Generate(50).ToList(), context.CancellationToken);
            cells.Add(new(strategy.Name, observation.Outcome, observation.Second.Failure?.ErrorCode ?? $"second run: {observation.Second.Counts}"));
        }

        return cells;
    }
}

internal sealed class ConcurrentWritersMatrix : IMatrixScenario
{
    public string Id => ConcurrentWritersScenario.Id;

    public int Order => 30;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var cells = new List<MatrixCell>();
        foreach (var strategy in new[] { IngestStrategies.Robust, IngestStrategies.Unreliable })
        {
            await using var database = await context.NewDatabaseAsync();
            var observation = await ConcurrentWritersScenario.RunAsync(context.Provider, database.ConnectionString, strategy, cancellationToken: context.CancellationToken);
            cells.Add(new(ConcurrentWritersScenario.Check(strategy), observation.Outcome,
                $"{observation.Results.Count(r => r.Succeeded)} of {observation.Results.Count} writers succeeded in {observation.Attempts} attempt(s); {observation.Table.Count} rows"));
        }

        await using (var database = await context.NewDatabaseAsync())
        {
            var csv = Path.Combine(Path.GetTempPath(), $"reliability-second-{Guid.NewGuid():N}.csv");
            await SamplePayments.Generate(20).WriteCsvAsync(csv, context.CancellationToken);
            try
            {
                var observation = await SecondProcessScenario.RunAsync(context.Provider, database.ConnectionString, context.Reliability, csv, context.CancellationToken);
                cells.Add(new(SecondProcessScenario.Check, observation.Outcome, observation.Said));
            }
            finally
            {
                File.Delete(csv);
            }
        }

        foreach (var level in context.Provider.Dialect.IsolationLevels)
        {
            foreach (var variant in FirstInsertRace.Variants(context.Provider))
            {
                await using var database = await context.NewDatabaseAsync();
                var observation = await FirstInsertRace.RunAsync(context.Provider, database.ConnectionString, variant, level, context.CancellationToken);
                cells.Add(observation.NotApplicableReason is { } reason
                    ? MatrixCell.NotApplicable(observation.Check, reason)
                    : new(observation.Check, observation.Outcome, Steps(observation)));
            }
        }

        foreach (var variant in context.Provider.Dialect.RacedUpserts)
        {
            await using var database = await context.NewDatabaseAsync();
            var race = await BarrierRace.RunAsync(context.Provider, database.ConnectionString, variant, cancellationToken: context.CancellationToken);
            cells.Add(race.NotApplicableReason is { } reason ? MatrixCell.NotApplicable(race.Check, reason) : new(race.Check, race.Outcome, race.Summary));
        }

        return cells;
    }

    internal static string Steps(InterleavingObservation observation) =>
        string.Join("; ", observation.Trace.Where(r => r.Blocked || r.Error is not null).Select(r => r.ToString().Trim()));
}

internal sealed class IsolationMatrix : IMatrixScenario
{
    public string Id => IsolationScenario.Id;

    public int Order => 40;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var cells = new List<MatrixCell>();
        foreach (var level in context.Provider.Dialect.IsolationLevels)
        {
            foreach (var anomaly in IsolationScenario.Anomalies)
            {
                await using var database = await context.NewDatabaseAsync();
                var observation = await IsolationScenario.RunAsync(context.Provider, database.ConnectionString, anomaly, level, context.CancellationToken);
                cells.Add(new(observation.Check, observation.Outcome, ConcurrentWritersMatrix.Steps(observation)));
            }
        }

        return cells;
    }
}

/// <summary>
/// Random concurrent histories: Elle's list-append workload at each level the engine offers (bounded: 8 clients, 300
/// transactions, 8 keys), its history checked, held to the consistency model the level is documented to promise. The
/// profile names the model (<c>random-histories</c>, the level); the cell observes that model when the history shows
/// none of the anomalies it forbids, else <c>not &lt;model&gt;: …</c> with what broke it. Which allowed anomalies a run
/// happens to show (PostgreSQL REPEATABLE READ's G2-item, say) varies with timing and is the detail, not the verdict.
/// </summary>
internal sealed class RandomHistoriesMatrix : IMatrixScenario
{
    public const string ScenarioId = "random-histories";

    private static readonly WorkloadOptions Bounded = new(Clients: 8, Transactions: 300, Keys: 8, Seed: 0);

    public string Id => ScenarioId;

    public int Order => 45;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var cells = new List<MatrixCell>();
        foreach (var level in context.Provider.Dialect.IsolationLevels)
        {
            var check = Isolation.Spelling(level);
            await using var database = await context.NewDatabaseAsync();
            var result = await ListAppendWorkload.RunAsync(context.Provider, database.ConnectionString, level, Bounded, cancellationToken: context.CancellationToken);
            var history = ListAppendChecker.Check(result.History);
            var found = history.Kinds.Count == 0 ? "no anomaly" : string.Join(", ", history.Kinds.Select(k => $"{Anomaly.NameOf(k)} ×{history.Counts[k]}"));
            var detail = $"{Bounded.Transactions} transactions, {Bounded.Clients} clients, {Bounded.Keys} keys: {result.Ok} ok, {result.Failed} failed, {result.Unknown} unknown; {found}";
            cells.Add(new(check, Observed(history, context.Expectations.Find(ScenarioId, check)?.Expected), detail));
        }

        return cells;
    }

    /// <summary>The promised model when the history keeps it; else what it broke. Without a promise: every model it is valid for.</summary>
    internal static string Observed(CheckResult history, string? promised) =>
        promised is not null && ConsistencyModels.TryParse(promised, out var model)
            ? history.IsValid(model) ? ConsistencyModels.NameOf(model) : $"not {ConsistencyModels.NameOf(model)}: {string.Join(", ", history.ForbiddenFound(model).Select(Anomaly.NameOf))}"
            : $"valid for {string.Join(", ", Enum.GetValues<ConsistencyModel>().Where(history.IsValid).Select(ConsistencyModels.NameOf).DefaultIfEmpty("none"))}";
}

internal sealed class ProcessKillMatrix : IMatrixScenario
{
    public string Id => ProcessKillScenario.Id;

    public int Order => 50;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var csv = Path.Combine(Path.GetTempPath(), $"reliability-matrix-{Guid.NewGuid():N}.csv");
        await SamplePayments.Generate(400).WriteCsvAsync(csv, context.CancellationToken);
        try
        {
            var cells = new List<MatrixCell>();
            foreach (var (strategy, point) in new[] { (IngestStrategies.Robust, IngestCheckpoint.BeforeCommit), (IngestStrategies.Unreliable, "after-row:200") })
            {
                await using var database = await context.NewDatabaseAsync();
                var observation = await ProcessKillScenario.RunAsync(context.Provider, database.ConnectionString, context.Reliability, strategy, csv, point, context.CancellationToken);
                cells.Add(new(strategy.Name, observation.Outcome, $"SIGKILL at {point}: {observation.After.Count} of {observation.Input.Count} rows left{(observation.IntegrityProblem is { } p ? $"; integrity: {p}" : string.Empty)}"));
            }

            return cells;
        }
        finally
        {
            File.Delete(csv);
        }
    }
}

internal sealed class SeveredConnectionMatrix : IMatrixScenario
{
    public string Id => SeveredConnectionScenario.Id;

    public int Order => 60;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        var cells = new List<MatrixCell>();
        foreach (var strategy in new[] { IngestStrategies.Robust, IngestStrategies.Unreliable })
        {
            if (context.Provider.Dialect.TerminateSessionSql is null)
            {
                cells.Add(MatrixCell.NotApplicable(strategy.Name, $"{context.Provider.DisplayName} has no server session to sever (process-kill covers a lost connection)"));
                continue;
            }

            await using var database = await context.NewDatabaseAsync();
            var observation = await SeveredConnectionScenario.RunAsync(context.Provider, database.ConnectionString, strategy, SamplePayments.Generate(200).ToList(), 80, context.CancellationToken);
            cells.Add(new(strategy.Name, observation.Outcome, $"{(observation.Severed.Count > 0 ? observation.Severed[0].ErrorCode : "no failure")}; {observation.Result.Attempts} attempt(s); {observation.After.Count} rows"));
        }

        return cells;
    }
}

internal sealed class ServerCrashMatrix : IMatrixScenario
{
    public string Id => ServerCrashScenario.Id;

    public int Order => 70;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        if (context.Provider.IsEmbedded)
        {
            return [MatrixCell.NotApplicable("robust", "embedded: the process that holds the file is the engine (process-kill covers its crash)")];
        }

        if (ServerControl.From(context.Provider, context.Environment) is not { } control)
        {
            return [new("robust", string.Empty, Skipped: $"{context.Provider.EnvironmentVariable}_CRASH/_START not set: the harness may not stop this engine")];
        }

        await using var database = await context.NewDatabaseAsync();
        var observation = await ServerCrashScenario.RunAsync(context.Provider, database.ConnectionString, control, cancellationToken: context.CancellationToken);
        return [new("robust", observation.Outcome, observation.NonDurableSettings.Count > 0
            ? string.Join(", ", observation.NonDurableSettings)
            : $"{observation.Acknowledged.Count} acknowledged commits checked; missing {observation.Missing.Count}; unexpected {observation.Unexpected.Count}")];
    }
}

internal sealed class TruncateVsDeleteMatrix : IMatrixScenario
{
    public string Id => TruncateVsDeleteScenario.Id;

    public int Order => 80;

    public async Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context)
    {
        await using var database = await context.NewDatabaseAsync();
        var observations = await TruncateVsDeleteScenario.RunAsync(context.Provider, database.ConnectionString, context.CancellationToken);
        return observations.Select(o => new MatrixCell(o.Check, o.Observed, o.Detail)).ToList();
    }
}
