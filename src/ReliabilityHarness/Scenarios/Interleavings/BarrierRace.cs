using System.Data.Common;
using System.Diagnostics;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Interleavings;

/// <summary>How long a barrier race goes on: <see cref="Rounds"/> or <see cref="TimeLimit"/>, whichever ends it first.</summary>
/// <param name="Sessions">Sessions released together in each round.</param>
/// <param name="Rounds">Rounds at most, each on a fresh key.</param>
/// <param name="TimeLimit">No round starts after this (a round itself is bounded by <see cref="Scheduler.StepBound"/>).</param>
public sealed record RaceBounds(int Sessions, int Rounds, TimeSpan TimeLimit)
{
    /// <summary>What the matrix and the suite run: 4 sessions, 200 rounds, 30 s.</summary>
    public static RaceBounds Default { get; } = new(4, 200, TimeSpan.FromSeconds(30));
}

/// <summary>What a barrier race did, summed up in one word, with the counts behind it.</summary>
/// <param name="Outcome">
/// <c>unique-violation</c> when at least one upsert failed on the key another had just inserted; else
/// <c>no-unique-violation</c>. Whatever else happened outweighs both: a failure that is neither a unique violation nor
/// transient (its kind: <c>error</c>, <c>constraint-violation</c>), or a key not stored exactly once
/// (<c>duplicate</c>, <c>lost</c>). Transient failures (a deadlock a HOLDLOCK MERGE may meet) are counted, not judged.
/// </param>
/// <param name="Failures">Every failure but the unique violations, by kind and engine code, with how many.</param>
public sealed record RaceObservation(
    string Scenario,
    string Check,
    string Outcome,
    int Sessions,
    int Rounds,
    int UniqueViolations,
    int RoundsWithViolation,
    IReadOnlyDictionary<string, int> Failures,
    IReadOnlyList<string> ViolationCodes,
    TimeSpan Elapsed,
    string? NotApplicableReason = null)
{
    public string Summary => NotApplicableReason ??
        $"{UniqueViolations} unique violation(s){(ViolationCodes.Count == 0 ? string.Empty : $" [{string.Join(", ", ViolationCodes)}]")} in {RoundsWithViolation} of {Rounds} round(s) of {Sessions} sessions, {Elapsed.TotalSeconds:0.0} s"
        + $"; other failures: {(Failures.Count == 0 ? "none" : string.Join(", ", Failures.Select(f => $"{f.Key} ×{f.Value}")))}";

    public override string ToString() => $"{Scenario} {Check}: {Outcome}: {Summary}";
}

/// <summary>
/// The first-insert race run for real, for a race that lies inside one statement: <see cref="RaceBounds.Sessions"/>
/// sessions are released together from a barrier, each sending the same autocommit upsert of one fresh key, round
/// after round, until the rounds or the time run out; then every key must be stored exactly once. Generic over the
/// provider and the statement (any statement with the payments parameters). Whether a round produces the race is
/// chance, so the outcome says what was seen within the bounds: a statement that can race shows
/// <c>unique-violation</c> if any round caught it, one that cannot never does. What must hold in every round
/// regardless: no failure but a unique violation or a transient one, and one row per key.
/// </summary>
public static class BarrierRace
{
    public const string Id = FirstInsertRace.Id;

    public static string Check(string variant) => $"first-insert-race:{variant}";

    /// <summary>Races the upsert <paramref name="variant"/> (<c>upsert</c> or one of the dialect's unreliable variants).</summary>
    public static async Task<RaceObservation> RunAsync(Provider provider, string connectionString, string variant, RaceBounds? bounds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        bounds ??= RaceBounds.Default;
        if (await FirstInsertRace.UnavailableAsync(provider, connectionString, variant, cancellationToken) is { } reason)
        {
            return new RaceObservation(Id, Check(variant), Expectation.NotApplicable, bounds.Sessions, 0, 0, 0, new Dictionary<string, int>(), [], TimeSpan.Zero, reason);
        }

        return await RunAsync(provider, connectionString, Check(variant), FirstInsertRace.UpsertSql(provider, variant), bounds, cancellationToken);
    }

    /// <summary>Races <paramref name="upsertSql"/>, a statement with the payments parameters, reported as <paramref name="check"/>.</summary>
    public static async Task<RaceObservation> RunAsync(Provider provider, string connectionString, string check, string upsertSql, RaceBounds bounds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(bounds);
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);

        // Connections of their own, opened once: a round then costs only its statements. Each check runs in a fresh
        // database, so no pooled connection brings an isolation level set by another scenario (SqlClient keeps one).
        var connections = new List<DbConnection>();
        try
        {
            for (var i = 0; i < bounds.Sessions; i++)
            {
                connections.Add(await provider.Dialect.OpenAsync(connectionString, cancellationToken));
            }

            var at = new SteppingClock().GetUtcNow();
            var clock = Stopwatch.StartNew();
            var (rounds, violations, roundsWithViolation) = (0, 0, 0);
            var failures = new Dictionary<string, int>();
            var codes = new SortedSet<string>(StringComparer.Ordinal);
            DbErrorKind? outsider = null;
            while (rounds < bounds.Rounds && (rounds == 0 || clock.Elapsed < bounds.TimeLimit))
            {
                var payment = new Payment($"race_{rounds:D5}", "user_race", 42.5m, "EUR", "captured");
                var outcomes = await RoundAsync(provider, connections, upsertSql, payment, at, cancellationToken);
                rounds++;
                var lost = outcomes.Count(o => o.Kind == DbErrorKind.UniqueViolation);
                (violations, roundsWithViolation) = (violations + lost, roundsWithViolation + (lost > 0 ? 1 : 0));
                foreach (var (kind, code) in outcomes.Where(o => o.Kind is not null))
                {
                    if (kind == DbErrorKind.UniqueViolation)
                    {
                        codes.Add(code ?? kind.Value.Spelling());
                        continue;
                    }

                    // Neither the race's own failure nor a transient one: the statement itself is wrong here, and that
                    // is what the race observed, whatever the unique violations say.
                    outsider ??= kind!.Value.IsTransient() ? null : kind;
                    var key = $"{kind!.Value.Spelling()}{(code is null ? string.Empty : $" [{code}]")}";
                    failures[key] = failures.GetValueOrDefault(key) + 1;
                }
            }

            var elapsed = clock.Elapsed;
            var stored = (await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken)).GroupBy(r => r.Payment.PaymentId).ToDictionary(g => g.Key, g => g.Count());
            var notOnce = Enumerable.Range(0, rounds).Select(r => $"race_{r:D5}").Where(id => stored.GetValueOrDefault(id) != 1).ToList();
            var outcome = outsider is { } wrong ? wrong.Spelling()
                : notOnce.Count > 0 ? notOnce.Any(id => stored.GetValueOrDefault(id) > 1) ? "duplicate" : "lost"
                : violations > 0 ? DbErrorKind.UniqueViolation.Spelling()
                : "no-unique-violation";
            return new RaceObservation(Id, check, outcome, bounds.Sessions, rounds, violations, roundsWithViolation, failures, [.. codes], elapsed);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// One round: every session's statement prepared and bound, every session at the barrier, then all released at
    /// once. Each outcome is null (it wrote or matched) or the engine error it failed with. Bounded: a round that does
    /// not gather or finish within <see cref="Scheduler.StepBound"/> fails the race with <see cref="TimeoutException"/>.
    /// </summary>
    private static async Task<(DbErrorKind? Kind, string? Code)[]> RoundAsync(Provider provider, List<DbConnection> connections, string sql, Payment payment, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var commands = connections.Select(connection =>
        {
            var command = PaymentsTable.WriteCommand(provider, connection, null, sql);
            PaymentsTable.Bind(provider, command, payment, at);
            return command;
        }).ToList();
        try
        {
            var arrived = 0;
            var everyoneThere = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = commands.Select(command => Task.Run(async () =>
            {
                if (Interlocked.Increment(ref arrived) == commands.Count)
                {
                    everyoneThere.SetResult();
                }

                await go.Task;
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    return ((DbErrorKind?)null, (string?)null);
                }
                catch (DbException e)
                {
                    return (provider.Dialect.Recognize(e), provider.Dialect.ErrorCode(e));
                }
            }, cancellationToken)).ToList();

            await everyoneThere.Task.WaitAsync(Scheduler.StepBound, cancellationToken);
            go.SetResult();
            return await Task.WhenAll(racers).WaitAsync(Scheduler.StepBound, cancellationToken);
        }
        finally
        {
            foreach (var command in commands)
            {
                await command.DisposeAsync();
            }
        }
    }
}
