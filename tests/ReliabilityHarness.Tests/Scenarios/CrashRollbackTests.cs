using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>Atomicity: a run that crashes part-way leaves no partial state (robust), or shows why that matters (unreliable).</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class CrashRollbackTests(Provider provider) : EngineFixture(provider)
{
    // Three rows committed before the crashing run, which then brings four new payments, a status change of
    // an existing one and an identical copy of another: a crash must undo inserts and updates alike.
    private static readonly PaymentRecord[] Existing =
    [
        Row("pay_e1", "user_1", 10.0001m, "USD", line: 2),
        Row("pay_e2", "user_2", 20m, "EUR", line: 3),
        Row("pay_e3", "user_3", 30.5m, "GBP", line: 4),
    ];

    private static readonly PaymentRecord[] Input =
    [
        Row("pay_n1", "user_4", 1.25m, line: 2),
        Row("pay_e1", "user_1", 10.0001m, "USD", "refunded", line: 3),
        Row("pay_n2", "user_5", 2.5m, line: 4),
        Row("pay_e2", "user_2", 20m, "EUR", line: 5),
        Row("pay_n3", "user_6", 999_999_999_999.9999m, line: 6),
        Row("pay_n4", "user_7", 0.0001m, line: 7),
    ];

    /// <summary>Before the first write, after the first row, in the middle, and after the last row but before COMMIT.</summary>
    private static readonly long[] CrashPoints = [0, 1, 3, Input.Length];

    [TestCaseSource(nameof(CrashPoints))]
    public async Task Robust_crash_leaves_the_table_exactly_as_it_was(long crashAfter)
    {
        await using var database = await NewDatabaseAsync();
        var observation = await CrashRollbackScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, Existing, Input, crashAfter);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash), () => $"the run should crash: {observation.Result.Failure?.Message}");
            Assert.That(observation.Result.Failure?.RolledBack, Is.True);
            Assert.That(observation.Before, Has.Count.EqualTo(Existing.Length));
            Assert.That(observation.After.Select(r => r.Raw), Is.EqualTo(observation.Before.Select(r => r.Raw)), "the table must be byte-for-byte what it was");
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(CrashRollbackScenario.Id, "robust").Expected));
        }
    }

    [TestCaseSource(nameof(CrashPoints))]
    public async Task Robust_rerun_after_a_crash_completes_with_each_payment_once(long crashAfter)
    {
        await using var database = await NewDatabaseAsync();
        await CrashRollbackScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, Existing, Input, crashAfter);

        var rerun = await IngestAsync(database, IngestStrategies.Robust, Input);
        var table = await ReadTableAsync(database);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rerun.Failure, Is.Null);
            Assert.That(rerun.Counts, Is.EqualTo(new IngestCounts(Rows: 6, Inserted: 4, Updated: 1, Unchanged: 1, Duplicates: 0)));
            Assert.That(table.Select(r => r.Payment.PaymentId), Is.EqualTo(new[] { "pay_e1", "pay_e2", "pay_e3", "pay_n1", "pay_n2", "pay_n3", "pay_n4" }));
            Assert.That(table.Single(r => r.Payment.PaymentId == "pay_e1").Payment.Status, Is.EqualTo("refunded"));
        }
    }

    // The set-based way writes the new ids before it applies the status changes: a crash between the two finds the
    // engine holding the run's inserts, uncommitted, so only a rollback leaves the table as it was.
    [Test]
    public async Task Robust_crash_after_the_inserts_and_before_the_status_changes_leaves_the_table_exactly_as_it_was()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await CrashRollbackScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, Existing, Input,
            crashAfter: 0, crashAt: IngestCheckpoint.AfterInserts);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash), () => $"the run should crash: {observation.Result.Failure?.Message}");
            Assert.That(observation.After.Select(r => r.Raw), Is.EqualTo(observation.Before.Select(r => r.Raw)), "the inserts must be rolled back");
        }
    }

    // An empty table is loaded straight, without staging: rows reach the engine in batches while the input streams
    // (a multi-row INSERT every RowsPerInsert rows, or the bulk path's own buffer), so a crash late in a long input
    // finds many of them there, uncommitted. Crash points: before any batch went, after a few, near the end.
    [TestCase(1)]
    [TestCase(1_250)]
    [TestCase(2_900)]
    public async Task Robust_crash_during_a_first_load_leaves_the_table_empty(long crashAfter)
    {
        await using var database = await NewDatabaseAsync();
        var observation = await CrashRollbackScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, [], FirstLoad, crashAfter);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash), () => $"the run should crash: {observation.Result.Failure?.Message}");
            Assert.That(observation.After, Is.Empty, () => $"{observation.After.Count} rows of a crashed first load were kept");
        }
    }

    private static readonly PaymentRecord[] FirstLoad = SamplePayments.Generate(3_000, prefix: "load").ToArray();

    // The negative control: the lesson's unreliable script keeps every row it wrote before the crash.
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    public async Task Unreliable_crash_leaves_the_rows_written_before_it(long crashAfter)
    {
        await using var database = await NewDatabaseAsync();
        var fresh = Input.Where(r => r.Payment.PaymentId.StartsWith("pay_n", StringComparison.Ordinal))
            .Concat(SamplePayments.Generate(4, prefix: "extra")).ToList();
        var observation = await CrashRollbackScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Unreliable, [], fresh, crashAfter);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash));
            Assert.That(observation.Result.Failure?.RolledBack, Is.False);
            Assert.That(observation.After.Select(r => r.Payment.PaymentId), Is.EqualTo(fresh.Take((int)crashAfter).Select(r => r.Payment.PaymentId).Order(StringComparer.Ordinal)));
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(CrashRollbackScenario.Id, "unreliable").Expected));
        }
    }
}
