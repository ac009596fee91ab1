using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Durability across a real server crash: the engine is stopped the way a crash stops it and started again. Only
/// servers run it: an embedded engine's crash is the process that holds the file (<see cref="RealCrashTests"/>,
/// <see cref="SqliteCommitKillTests"/>).
/// </summary>
// Stops the engine itself: nothing else may run meanwhile.
[NonParallelizable]
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.Servers))]
public sealed class ServerCrashTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task A_server_crash_keeps_every_acknowledged_commit_and_nothing_else()
    {
        var control = RequireServerControl();

        await using var database = await NewDatabaseAsync();
        var observation = await ServerCrashScenario.RunAsync(Provider, database.ConnectionString, control);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.NonDurableSettings, Is.Empty, "a crash test needs a durable engine");
            Assert.That(observation.Acknowledged, Has.Count.GreaterThanOrEqualTo(40));
            Assert.That(observation.Missing, Is.Empty, "acknowledged commits lost");
            Assert.That(observation.Unexpected, Is.Empty, "rows nobody committed");
            Assert.That(observation.Outcome, Is.EqualTo("durable"));
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: {observation.Acknowledged.Count} acknowledged commits checked across the crash; in doubt: {observation.InDoubt ?? "none"} ({(observation.InDoubt is { } id && observation.Found.Contains(id) ? "survived" : "not there")})");
    }
}
