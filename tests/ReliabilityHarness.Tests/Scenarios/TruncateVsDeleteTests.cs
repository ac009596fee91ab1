using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>TRUNCATE against DELETE: every check observed on the engine and held to its provider's expectation.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class TruncateVsDeleteTests(Provider provider) : EngineFixture(provider)
{
    private IReadOnlyList<CheckObservation> observations = [];
    private IsolatedDatabase? database;

    [OneTimeSetUp]
    public async Task ObserveAsync()
    {
        database = await NewDatabaseAsync();
        observations = await TruncateVsDeleteScenario.RunAsync(Provider, database.ConnectionString);
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, observations.Select(o => $"{Provider.DisplayName} {o.Check}: {o.Observed} ({o.Detail})")));
    }

    [OneTimeTearDown]
    public async Task DropAsync()
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [TestCaseSource(typeof(TruncateVsDeleteScenario), nameof(TruncateVsDeleteScenario.Checks))]
    public void Each_check_is_what_the_engine_documents(string check)
    {
        var observation = observations.Single(o => o.Check == check);
        var expected = Provider.Dialect.Expectations.For(TruncateVsDeleteScenario.Id, check);
        Assert.That(observation.Observed, Is.EqualTo(expected.Expected),
            $"{Provider.DisplayName} {check}: expected {expected.Expected} ({expected.Source}), observed {observation.Observed}: {observation.Detail}");
    }

    [Test]
    public void Timing_is_reported_as_a_figure() =>
        Assert.That(observations.Single(o => o.Check == TruncateVsDeleteScenario.Timing).Detail, Does.Contain("DELETE of 100,000 rows"));
}
