using System.Data;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Hermitage's anomalies and the first-insert race, run by the scheduler at every isolation level the engine
/// offers, and compared with the engine's expectation profile. A difference fails with both, and every step.
/// </summary>
// The scripts hold locks across steps and some engines lock the whole database file (SQLite): running them
// beside other fixtures would make unrelated tests wait on these locks.
[NonParallelizable]
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class InterleavingTests(Provider provider) : EngineFixture(provider)
{
    private static readonly IsolationLevel[] Levels =
        [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Snapshot, IsolationLevel.Serializable];

    private static IEnumerable<TestCaseData> AnomalyCases =>
        from anomaly in IsolationScenario.Anomalies
        from level in Levels
        select new TestCaseData(anomaly, level).SetArgDisplayNames(IsolationScenario.Check(anomaly, level));

    private static IEnumerable<TestCaseData> RaceCases =>
        from variant in new[] { FirstInsertRace.CheckThenInsert, FirstInsertRace.Upsert, "plain-merge" }
        from level in Levels
        select new TestCaseData(variant, level).SetArgDisplayNames(FirstInsertRace.Check(variant, level));

    [TestCaseSource(nameof(AnomalyCases))]
    public async Task An_anomaly_is_allowed_or_prevented_as_the_engine_documents(string anomaly, IsolationLevel level)
    {
        if (!Provider.Dialect.IsolationLevels.Contains(level))
        {
            Assert.Ignore($"{Provider.DisplayName} does not offer {Isolation.Spelling(level)}");
        }

        await using var database = await NewDatabaseAsync();
        var observation = await IsolationScenario.RunAsync(Provider, database.ConnectionString, anomaly, level);
        AssertAsExpected(observation);
    }

    [TestCaseSource(nameof(RaceCases))]
    public async Task Two_writers_of_one_new_key_end_as_the_engine_documents(string variant, IsolationLevel level)
    {
        if (!Provider.Dialect.IsolationLevels.Contains(level))
        {
            Assert.Ignore($"{Provider.DisplayName} does not offer {Isolation.Spelling(level)}");
        }

        if (!FirstInsertRace.Variants(Provider).Contains(variant))
        {
            Assert.Ignore($"{Provider.DisplayName} has no {variant} variant");
        }

        await using var database = await NewDatabaseAsync();
        var observation = await FirstInsertRace.RunAsync(Provider, database.ConnectionString, variant, level);
        AssertAsExpected(observation);
    }

    private void AssertAsExpected(InterleavingObservation observation)
    {
        var expected = Provider.Dialect.Expectations.Find(observation.Scenario, observation.Check);
        Assert.That(expected, Is.Not.Null, $"{Provider.DisplayName} has no expectation for {observation.Scenario}/{observation.Check}; observed:{Environment.NewLine}{observation}");
        Assert.That(observation.Outcome, Is.EqualTo(expected!.Expected),
            $"{Provider.DisplayName} {observation.Check}: expected {expected.Expected} ({expected.Source}), observed {observation.Outcome}{Environment.NewLine}{string.Join(Environment.NewLine, observation.Trace)}");
    }
}
