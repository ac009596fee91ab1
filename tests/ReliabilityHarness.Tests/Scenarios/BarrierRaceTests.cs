using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// The first-insert race run for real: sessions released together from a barrier, each an autocommit upsert of the
/// same fresh key, round after round (<see cref="RaceBounds.Default"/>: 4 sessions, 200 rounds, 30 s at most). The
/// cases come from each provider's own raced upserts: SQL Server's MERGE with and without HOLDLOCK (run wherever an
/// engine is provided; not here), and PostgreSQL's MERGE beside its ON CONFLICT, which shows the same race producing
/// a real unique violation on an engine this repository runs. Whether one round catches the race is chance: the
/// outcome is held to the profile (at least one violation within the rounds, or none), and what must hold in every
/// round regardless is asserted on its own.
/// </summary>
// Four sessions hammer one key per round; on SQLite they would hold its one write lock in turn.
[NonParallelizable]
public sealed class BarrierRaceTests
{
    private static IEnumerable<TestCaseData> RaceCases =>
        from provider in EngineCatalog.Engines
        from variant in provider.Dialect.RacedUpserts
        select new TestCaseData(provider, variant).SetArgDisplayNames(provider.DisplayName, BarrierRace.Check(variant));

    private static IEnumerable<TestCaseData> EngineCases =>
        EngineCatalog.Engines.Select(provider => new TestCaseData(provider).SetArgDisplayNames(provider.DisplayName));

    [TestCaseSource(nameof(RaceCases))]
    public async Task Sessions_released_together_on_one_new_key_end_as_the_engine_documents(Provider provider, string variant)
    {
        await using var database = await (await TestEngines.RequireAsync(provider)).CreateDatabaseAsync();
        var race = await BarrierRace.RunAsync(provider, database.ConnectionString, variant);
        if (race.NotApplicableReason is { } reason)
        {
            Assert.Ignore(reason); // a server older than the statement (PostgreSQL 14 has no MERGE)
        }

        TestContext.Out.WriteLine(race);
        var expected = provider.Dialect.Expectations.For(race.Scenario, race.Check);
        using (Assert.EnterMultipleScope())
        {
            // Whatever chance does: only the race's own failure or a transient one, every key once, within the bounds.
            Assert.That(race.Failures.Keys.Where(k => !k.StartsWith("deadlock", StringComparison.Ordinal) && !k.StartsWith("serialization-failure", StringComparison.Ordinal)),
                Is.Empty, race.Summary);
            Assert.That(race.Rounds, Is.InRange(1, RaceBounds.Default.Rounds));
            Assert.That(race.Outcome, Is.EqualTo(expected.Expected), $"{provider.DisplayName} {race.Check}: expected {expected.Expected} ({expected.Source}); {race.Summary}");
        }
    }

    // The negative control of the race itself: a plain INSERT of the same new key from every session must lose in
    // all sessions but one, every round, so the race is seen to catch violations wherever they happen.
    [TestCaseSource(nameof(EngineCases))]
    public async Task Plain_INSERTs_released_together_leave_one_winner_per_round_and_the_race_reports_the_violations(Provider provider)
    {
        await using var database = await (await TestEngines.RequireAsync(provider)).CreateDatabaseAsync();
        var bounds = new RaceBounds(Sessions: 3, Rounds: 10, TimeLimit: TimeSpan.FromSeconds(30));
        var race = await BarrierRace.RunAsync(provider, database.ConnectionString, "first-insert-race:plain-insert", provider.Dialect.Sql.Insert, bounds);

        TestContext.Out.WriteLine(race);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(race.Rounds, Is.EqualTo(bounds.Rounds));
            Assert.That(race.UniqueViolations + race.Failures.Values.Sum(), Is.EqualTo(bounds.Rounds * (bounds.Sessions - 1)), race.Summary);
            Assert.That(race.Outcome, Is.EqualTo("unique-violation"), race.Summary);
        }
    }

    [Test]
    public async Task A_race_stops_at_its_round_limit_or_after_the_first_round_past_its_time_limit()
    {
        var sqlite = ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;
        await using var database = await (await TestEngines.RequireAsync(sqlite)).CreateDatabaseAsync();

        var byRounds = await BarrierRace.RunAsync(sqlite, database.ConnectionString, "first-insert-race:upsert", sqlite.Dialect.Sql.Upsert, new RaceBounds(2, 3, TimeSpan.FromMinutes(1)));
        var byTime = await BarrierRace.RunAsync(sqlite, database.ConnectionString, "first-insert-race:upsert", sqlite.Dialect.Sql.Upsert, new RaceBounds(2, 1_000, TimeSpan.Zero));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((byRounds.Rounds, byRounds.Outcome), Is.EqualTo((3, "no-unique-violation")), byRounds.Summary);
            Assert.That((byTime.Rounds, byTime.Outcome), Is.EqualTo((1, "no-unique-violation")), byTime.Summary);
        }
    }
}
