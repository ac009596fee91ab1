using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Atomicity under real faults: the ingest process SIGKILLed, at named points and at random moments. The server's
/// own faults are <see cref="SeveredConnectionTests"/> and <see cref="ServerCrashTests"/>.
/// </summary>
// Kills processes: nothing else may run meanwhile.
[NonParallelizable]
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class RealCrashTests(Provider provider) : EngineFixture(provider)
{
    private const int Rows = 1000;
    private static readonly ChildCommand Reliability = ChildCommand.InDirectory(AppContext.BaseDirectory);
    private TempFiles files = null!;
    private string csv = null!;

    [SetUp]
    public void WriteInput()
    {
        files = new TempFiles();
        csv = files.Write("payments.csv", Csv(SamplePayments.Generate(Rows, seed: 3)));
    }

    [TearDown]
    public void RemoveInput() => files.Dispose();

    [TestCase(IngestCheckpoint.BeforeFirstWrite)]
    [TestCase("after-row:500")]
    [TestCase(IngestCheckpoint.BeforeCommit)]
    public async Task Robust_ingest_killed_at_a_named_point_leaves_nothing_and_a_rerun_applies_each_payment_once(string point)
    {
        await using var database = await NewDatabaseAsync();
        var observation = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, point);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Killed, Is.True);
            Assert.That(observation.Outcome, Is.EqualTo("clean"), () => $"{observation.After.Count} rows survived the kill at {point}");
            Assert.That(observation.IntegrityProblem, Is.Null);
        }

        await AssertRerunCompletesAsync(database, observation);
    }

    // Moments spread over a whole run's duration (measured first on this engine): any of them must leave
    // nothing or everything. A kill that lands after the COMMIT leaves everything; that is fine too.
    [TestCase(0.3)]
    [TestCase(0.6)]
    [TestCase(0.9)]
    public async Task Robust_ingest_killed_at_a_random_moment_leaves_nothing_or_everything(double fraction)
    {
        await using var database = await NewDatabaseAsync();
        var whole = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, "random:600000");
        var milliseconds = (int)(whole.Elapsed.TotalMilliseconds * fraction * (0.9 + (0.2 * Random.Shared.NextDouble())));
        var observation = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, $"random:{milliseconds}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Outcome, Is.AnyOf("clean", "complete"), () => $"{observation.After.Count} of {Rows} rows after a kill at {milliseconds} ms");
            Assert.That(observation.IntegrityProblem, Is.Null);
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: killed={observation.Killed} at {milliseconds} ms: {observation.Outcome}");
        await AssertRerunCompletesAsync(database, observation);
    }

    // The negative control: the lesson's unreliable script keeps every row it committed before the kill.
    [Test]
    public async Task Unreliable_ingest_killed_mid_stream_leaves_the_rows_it_wrote()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Unreliable, csv, "after-row:300");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Outcome, Is.EqualTo("partial"));
            Assert.That(observation.After, Has.Count.EqualTo(300));
        }
    }

    private async Task AssertRerunCompletesAsync(IsolatedDatabase database, ProcessKillObservation observation)
    {
        var rerun = await IngestStrategies.Robust.RunAsync(Provider, database.ConnectionString, PaymentCsv.ReadAsync(csv), new IngestOptions());
        var table = await ReadTableAsync(database);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rerun.Failure, Is.Null, () => rerun.Failure!.Message);
            Assert.That(table.Select(r => r.Payment), Is.EqualTo(observation.Input.OrderBy(p => p.PaymentId, StringComparer.Ordinal)), "each payment exactly once");
        }
    }

    internal static string Csv(IEnumerable<PaymentRecord> records) =>
        SamplePayments.CsvHeader + string.Concat(records.Select(r => SamplePayments.CsvLine(r.Payment)));
}
