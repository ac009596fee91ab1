using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Ingest;

/// <summary>
/// What every strategy promises about a run as a whole, on every engine: the named points a fault can be injected
/// at come in order and once; a crash stops the run where it was asked to; check-then-insert can be rerun alone and
/// creates its table; <c>setup</c> empties the table; a conflict is explained with both payloads and the first bad line.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class IngestRunTests(Provider provider) : EngineFixture(provider)
{
    private static readonly string[] EveryPoint = ["before-first-write", "after-row:1", "after-row:2", "before-commit"];

    [Test]
    public async Task The_robust_and_unreliable_runs_reach_each_named_point_once_in_order()
    {
        await using var robustDatabase = await NewDatabaseAsync();
        await using var unreliableDatabase = await NewDatabaseAsync();
        var robust = new List<IngestCheckpoint>();
        var unreliable = new List<IngestCheckpoint>();
        var robustRun = await IngestAsync(robustDatabase, IngestStrategies.Robust, SamplePayments.Lesson, Recording(robust));
        var unreliableRun = await IngestAsync(unreliableDatabase, IngestStrategies.Unreliable, SamplePayments.Lesson, Recording(unreliable));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(robustRun.Failure, Is.Null, () => robustRun.Failure!.Message);
            Assert.That(unreliableRun.Failure, Is.Null, () => unreliableRun.Failure!.Message);
            Assert.That(robust.Select(c => c.ToString()), Is.EqualTo(EveryPoint));
            Assert.That(unreliable.Select(c => c.ToString()), Is.EqualTo(EveryPoint));
            Assert.That(robust[^1].RowsHandled, Is.EqualTo(3), "before-commit is reached with every row handled");
            Assert.That(unreliable[^1].RowsHandled, Is.EqualTo(3));
            Assert.That(robust.Concat(unreliable).Select(c => c.Attempt).Distinct(), Is.EqualTo(new[] { 1 }));
        }
    }

    [Test]
    public async Task A_crash_after_two_rows_stops_the_run_there_and_names_the_rows_handled()
    {
        await using var database = await NewDatabaseAsync();
        var reached = new List<IngestCheckpoint>();
        var options = Recording(reached) with { CrashAfterRows = 2 };
        var result = await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson, options);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash));
            Assert.That(result.Failure?.Message, Is.EqualTo("simulated crash after 2 row(s)"));
            Assert.That(result.Counts.Rows, Is.EqualTo(2), "the third row is never handled");
            Assert.That(reached.Select(c => c.ToString()), Is.EqualTo(new[] { "before-first-write", "after-row:1" }));
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }

    // Crashing after the last row is the crash just before COMMIT; the unreliable strategy has already written every row.
    [Test]
    public async Task An_unreliable_crash_after_the_last_row_keeps_every_row_and_is_reported_as_a_crash()
    {
        await using var database = await NewDatabaseAsync();
        var result = await IngestAsync(database, IngestStrategies.Unreliable, SamplePayments.Lesson, new IngestOptions(CrashAfterRows: 3, Time: new SteppingClock()));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.SimulatedCrash));
            Assert.That(result.Failure?.Message, Is.EqualTo("simulated crash after 3 row(s)"));
            Assert.That(result.Failure?.RolledBack, Is.False);
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task Check_then_insert_creates_its_table_and_a_rerun_alone_writes_nothing()
    {
        await using var database = await NewDatabaseAsync();
        var first = await IngestAsync(database, IngestStrategies.CheckThenInsert, SamplePayments.Lesson);
        var before = await ReadTableAsync(database);
        var rerun = await IngestAsync(database, IngestStrategies.CheckThenInsert, SamplePayments.Lesson);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Counts, Is.EqualTo(new IngestCounts(3, 3, 0, 0, 0)), () => first.Failure?.Message ?? string.Empty);
            Assert.That(rerun.Counts, Is.EqualTo(new IngestCounts(3, 0, 0, 3, 0)), () => rerun.Failure?.Message ?? string.Empty);
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
        }
    }

    [Test]
    public async Task Setup_empties_the_table_and_a_first_load_then_inserts_every_row_again()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);
        await PaymentsTable.ResetAsync(Provider, database.ConnectionString);
        var emptied = await ReadTableAsync(database);
        var again = await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(emptied, Is.Empty);
            Assert.That(again.Counts, Is.EqualTo(new IngestCounts(3, 3, 0, 0, 0)), () => again.Failure?.Message ?? string.Empty);
        }
    }

    [Test]
    public async Task A_conflict_with_the_table_names_the_stored_and_the_incoming_payload()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);
        var changed = SamplePayments.Lesson[0] with { Payment = SamplePayments.Lesson[0].Payment with { Amount = 120.5001m } };
        var result = await IngestAsync(database, IngestStrategies.Robust, [changed]);

        Assert.That(result.Failure?.Message, Is.EqualTo(
            "idempotency-key conflict on payment_id 'pay_001' at line 2: the table has user_id 'user_alice', amount 120.5 USD, status 'captured'; "
            + "this line has user_id 'user_alice', amount 120.5001 USD, status 'captured'; refusing to overwrite"));
    }

    // pay_a's repeat (line 5) is read first, ordered by id; pay_b's (line 3) comes earlier in the file and is the one named.
    [Test]
    public async Task Of_two_ids_repeated_with_other_payloads_the_earlier_line_is_reported()
    {
        await using var database = await NewDatabaseAsync();
        var result = await IngestAsync(database, IngestStrategies.Robust,
            [Row("pay_b", "user_1", 1m, line: 2), Row("pay_b", "user_1", 2m, line: 3), Row("pay_a", "user_2", 1m, line: 4), Row("pay_a", "user_2", 3m, line: 5)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.IdempotencyConflict));
            Assert.That(result.Failure?.Message, Does.StartWith("idempotency-key conflict on payment_id 'pay_b' at line 3: line 2 has the same id"));
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }

    // Raw is what "the table is byte-for-byte identical" compares: it must carry every column, text ones included.
    [Test]
    public async Task The_raw_form_of_a_row_differs_when_only_its_status_differs()
    {
        await using var captured = await NewDatabaseAsync();
        await using var refunded = await NewDatabaseAsync();
        var clock = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var row = SamplePayments.Lesson[0];
        await IngestAsync(captured, IngestStrategies.Robust, [row], new IngestOptions(Time: new SteppingClock(clock)));
        await IngestAsync(refunded, IngestStrategies.Robust, [row with { Payment = row.Payment with { Status = "refunded" } }], new IngestOptions(Time: new SteppingClock(clock)));

        Assert.That((await ReadTableAsync(refunded)).Single().Raw, Is.Not.EqualTo((await ReadTableAsync(captured)).Single().Raw));
    }

    private static IngestOptions Recording(List<IngestCheckpoint> reached) => new(Time: new SteppingClock(), Checkpoint: (checkpoint, _) =>
    {
        reached.Add(checkpoint);
        return Task.CompletedTask;
    });
}
