using System.Data;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Hermitage's anomalies and the first-insert race, run by the scheduler at every isolation level each engine
/// offers, and compared with the engine's expectation profile. A difference fails with both, and every step. The
/// cases come from each provider's own levels and variants, so no case is made for a level an engine lacks: what is
/// skipped here is only an engine that is not provided (or a server too old for a variant's statement: PostgreSQL
/// before 15 and MERGE). Runs are named <c>(PostgreSql, lost-update@serializable)</c>.
/// </summary>
// The scripts hold locks across steps and some engines lock the whole database file (SQLite): running them
// beside other fixtures would make unrelated tests wait on these locks.
[NonParallelizable]
public sealed class InterleavingTests
{
    private static IEnumerable<TestCaseData> AnomalyCases =>
        from provider in EngineCatalog.Engines
        from anomaly in IsolationScenario.Anomalies
        from level in provider.Dialect.IsolationLevels
        select new TestCaseData(provider, anomaly, level).SetArgDisplayNames(provider.DisplayName, IsolationScenario.Check(anomaly, level));

    private static IEnumerable<TestCaseData> RaceCases =>
        from provider in EngineCatalog.Engines
        from variant in FirstInsertRace.Variants(provider)
        from level in provider.Dialect.IsolationLevels
        select new TestCaseData(provider, variant, level).SetArgDisplayNames(provider.DisplayName, FirstInsertRace.Check(variant, level));

    [TestCaseSource(nameof(AnomalyCases))]
    public async Task An_anomaly_is_allowed_or_prevented_as_the_engine_documents(Provider provider, string anomaly, IsolationLevel level)
    {
        await using var database = await (await TestEngines.RequireAsync(provider)).CreateDatabaseAsync();
        var observation = await IsolationScenario.RunAsync(provider, database.ConnectionString, anomaly, level);
        AssertAsExpected(provider, observation);
    }

    [TestCaseSource(nameof(RaceCases))]
    public async Task Two_writers_of_one_new_key_end_as_the_engine_documents(Provider provider, string variant, IsolationLevel level)
    {
        await using var database = await (await TestEngines.RequireAsync(provider)).CreateDatabaseAsync();
        var observation = await FirstInsertRace.RunAsync(provider, database.ConnectionString, variant, level);
        if (observation.NotApplicableReason is { } reason)
        {
            Assert.Ignore(reason); // a server older than the statement (PostgreSQL 14 has no MERGE)
        }

        AssertAsExpected(provider, observation);
    }

    // PostgreSQL's MERGE (15+), step by step: T1 merges the new key and holds its transaction; T2's MERGE finds no
    // row in its snapshot, meets T1's key in the unique index and waits (seen through pg_blocking_pids); T1 commits;
    // T2 does not look again (transaction-iso.html §13.2.1) and fails on the key, or, under SERIALIZABLE, SSI fails it
    // first (observed on PostgreSQL 15.18).
    [TestCase(IsolationLevel.ReadCommitted, DbErrorKind.UniqueViolation, "SQLSTATE 23505")]
    [TestCase(IsolationLevel.RepeatableRead, DbErrorKind.UniqueViolation, "SQLSTATE 23505")]
    [TestCase(IsolationLevel.Serializable, DbErrorKind.SerializationFailure, "SQLSTATE 40001")]
    public async Task PostgreSQLs_MERGE_waits_for_the_first_writers_key_and_then_fails_on_it(IsolationLevel level, DbErrorKind error, string code)
    {
        var postgresql = ReliabilityHarness.Cli.ProviderCatalog.Find("postgresql")!;
        await using var database = await (await TestEngines.RequireAsync(postgresql)).CreateDatabaseAsync();
        var observation = await FirstInsertRace.RunAsync(postgresql, database.ConnectionString, "merge", level);
        if (observation.NotApplicableReason is { } reason)
        {
            Assert.Ignore(reason);
        }

        var second = observation.Trace.Single(r => r is { Session: 2, Action: "merge pay_race" });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Trace.Single(r => r is { Session: 1, Action: "merge pay_race" }), Has.Property(nameof(StepResult.Error)).Null.And.Property(nameof(StepResult.Blocked)).False);
            Assert.That((second.Blocked, second.Error, second.ErrorCode), Is.EqualTo((true, (DbErrorKind?)error, code)), observation.ToString());
            Assert.That(observation.Trace.Single(r => r is { Session: 1, Action: "commit" }).Error, Is.Null);
            Assert.That(observation.Trace.Single(r => r is { Session: 2, Action: "commit" }).Skipped, Is.True, "T2 failed and rolled back");
        }

        TestContext.Out.WriteLine(observation);
    }

    private static void AssertAsExpected(Provider provider, InterleavingObservation observation)
    {
        var expected = provider.Dialect.Expectations.Find(observation.Scenario, observation.Check);
        Assert.That(expected, Is.Not.Null, $"{provider.DisplayName} has no expectation for {observation.Scenario}/{observation.Check}; observed:{Environment.NewLine}{observation}");
        Assert.That(observation.Outcome, Is.EqualTo(expected!.Expected),
            $"{provider.DisplayName} {observation.Check}: expected {expected.Expected} ({expected.Source}), observed {observation.Outcome}{Environment.NewLine}{string.Join(Environment.NewLine, observation.Trace)}");
    }
}
