using System.Data;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Hermitage's anomalies and the first-insert race, run by the scheduler at every isolation level each engine
/// offers, and compared with the engine's expectation profile. A difference fails with both, and every step. The
/// cases come from each provider's own levels and variants, so no case is made for a level an engine lacks: what is
/// skipped here is only an engine that is not provided. Runs are named <c>(PostgreSql, lost-update@serializable)</c>.
/// </summary>
// The scripts hold locks across steps and some engines lock the whole database file (SQLite): running them
// beside other fixtures would make unrelated tests wait on these locks.
[NonParallelizable]
public sealed class InterleavingTests
{
    private static IEnumerable<TestCaseData> AnomalyCases =>
        from provider in ReliabilityHarness.Cli.ProviderCatalog.All
        from anomaly in IsolationScenario.Anomalies
        from level in provider.Dialect.IsolationLevels
        select new TestCaseData(provider, anomaly, level).SetArgDisplayNames(provider.DisplayName, IsolationScenario.Check(anomaly, level));

    private static IEnumerable<TestCaseData> RaceCases =>
        from provider in ReliabilityHarness.Cli.ProviderCatalog.All
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
        AssertAsExpected(provider, observation);
    }

    private static void AssertAsExpected(Provider provider, InterleavingObservation observation)
    {
        var expected = provider.Dialect.Expectations.Find(observation.Scenario, observation.Check);
        Assert.That(expected, Is.Not.Null, $"{provider.DisplayName} has no expectation for {observation.Scenario}/{observation.Check}; observed:{Environment.NewLine}{observation}");
        Assert.That(observation.Outcome, Is.EqualTo(expected!.Expected),
            $"{provider.DisplayName} {observation.Check}: expected {expected.Expected} ({expected.Source}), observed {observation.Outcome}{Environment.NewLine}{string.Join(Environment.NewLine, observation.Trace)}");
    }
}
