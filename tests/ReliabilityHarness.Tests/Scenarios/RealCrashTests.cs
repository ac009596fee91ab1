using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Tests.Faults;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Atomicity under real faults: the ingest process SIGKILLed (at named points and at random moments), its
/// session severed by the server, and the server itself crashed and restarted.
/// </summary>
// Kills processes, severs sessions and stops the engine itself: nothing else may run meanwhile.
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

    [Category(Categories.OutOfProcess)]
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
    [Category(Categories.OutOfProcess)]
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

    // The negative control: the seed's script keeps every row it committed before the kill.
    [Category(Categories.OutOfProcess)]
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

    [Test]
    public async Task Robust_ingest_whose_session_is_severed_fails_clearly_and_its_retry_applies_each_payment_once()
    {
        if (Provider.Dialect.TerminateSessionSql is null)
        {
            Assert.Ignore($"{Provider.DisplayName} has no server session to sever; its process-kill tests cover a lost connection");
        }

        await using var database = await NewDatabaseAsync();
        var input = SamplePayments.Generate(300, seed: 9).ToList();
        var observation = await SeveredConnectionScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, input, severAfterRows: 120);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Outcome, Is.EqualTo("retried"), () => observation.Result.Failure?.Message ?? "no failure");
            Assert.That(observation.Result.Attempts, Is.EqualTo(2));
            Assert.That(observation.Severed.Single().Kind, Is.EqualTo(FailureKind.Transient));
            Assert.That(observation.Severed.Single().Message, Is.Not.Empty);
            Assert.That(observation.Result.Counts.Inserted, Is.EqualTo(300), "the second attempt starts from a table the first left untouched");
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: severed → {observation.Severed.Single().ErrorCode}: {observation.Severed.Single().Message}");
    }

    [Test]
    public async Task Unreliable_ingest_whose_session_is_severed_fails_and_leaves_what_it_committed()
    {
        if (Provider.Dialect.TerminateSessionSql is null)
        {
            Assert.Ignore($"{Provider.DisplayName} has no server session to sever; its process-kill tests cover a lost connection");
        }

        await using var database = await NewDatabaseAsync();
        var input = SamplePayments.Generate(300, seed: 9).ToList();
        var observation = await SeveredConnectionScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Unreliable, input, severAfterRows: 120);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Result.Succeeded, Is.False);
            Assert.That(observation.Outcome, Is.EqualTo("partial"));
            Assert.That(observation.After, Has.Count.EqualTo(120));
        }
    }

    [Test]
    public async Task An_engine_that_keeps_ending_the_session_fails_the_run_rolled_back_and_says_so()
    {
        if (Provider.Dialect.TerminateSessionSql is null)
        {
            Assert.Ignore($"{Provider.DisplayName} has no server session to end");
        }

        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Seed);
        var before = await ReadTableAsync(database);

        // Every attempt loses its session after 50 rows: retries cannot get the run through.
        var result = await IngestStrategies.Robust.RunAsync(Provider, database.ConnectionString, SamplePayments.Generate(100, seed: 12).AsStream(),
            new IngestOptions(MaxAttempts: 3, Checkpoint: async (checkpoint, ct) =>
            {
                if (checkpoint is { Point: IngestCheckpoint.AfterRow, RowsHandled: 50 })
                {
                    await SeveredConnectionScenario.TerminateAsync(Provider, database.ConnectionString, checkpoint, ct);
                }
            }));
        Provider.Dialect.ClearPools();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Attempts, Is.EqualTo(3));
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.Transient));
            Assert.That(result.Failure?.RolledBack, Is.True);
            Assert.That(result.Failure?.Message, Is.Not.Empty);
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
        }
    }

    [Category(Categories.OutOfProcess)]
    [Test]
    public async Task A_server_crash_keeps_every_acknowledged_commit_and_nothing_else()
    {
        if (Provider.IsEmbedded)
        {
            Assert.Ignore($"{Provider.DisplayName} is embedded: its crash is the process kill (see SqliteCommitKillTests)");
        }

        if (ServerControl.From(Provider, Environment.GetEnvironmentVariable) is not { } control)
        {
            var reason = $"{Provider.EnvironmentVariable}_CRASH and {Provider.EnvironmentVariable}_START are not set: the harness may not stop this engine (scripts/engines.sh prints them for the engine it manages)";
            if (TestEngines.IsRequired(Provider, ServerCrashScenario.Id))
            {
                Assert.Fail(reason);
            }

            Assert.Ignore(reason);
            return;
        }

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
