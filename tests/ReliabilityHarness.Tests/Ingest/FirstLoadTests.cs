using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Ingest;

/// <summary>
/// The two shortcuts of the robust strategy. A first load into an empty table goes straight into it, under a
/// savepoint; an id that comes twice, found early among the ids kept exactly or late by the table's key, or stored
/// by another writer meanwhile, sends the run the staged way. A rerun of the input a table was loaded from is
/// compared with the stored rows in step; any difference (another order, another row) sends it the staged way.
/// Either way the counts come out as if the run had gone the staged way from the start.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class FirstLoadTests(Provider provider) : EngineFixture(provider)
{
    private static readonly List<PaymentRecord> Thousand = SamplePayments.Generate(1_000, seed: 31).ToList();

    private WritePath FirstLoad => Provider.Dialect.LoadsEmptyTableDirectly ? WritePath.FirstLoad : WritePath.Staged;

    [Test]
    public async Task An_empty_table_is_loaded_straight_and_a_rerun_goes_through_staging()
    {
        await using var database = await NewDatabaseAsync();
        var first = await IngestAsync(database, IngestStrategies.Robust, Thousand);
        var stored = await ReadTableAsync(database);
        var rerun = await IngestAsync(database, IngestStrategies.Robust, Thousand);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Counts, Is.EqualTo(new IngestCounts(1_000, 1_000, 0, 0, 0)), () => first.Failure?.Message ?? string.Empty);
            Assert.That(first.Path, Is.EqualTo(FirstLoad));
            Assert.That(stored.Select(r => r.Payment), Is.EquivalentTo(Thousand.Select(r => r.Payment)), "every row as read");
            Assert.That(stored.Sum(r => r.Payment.Amount), Is.EqualTo(Thousand.Sum(r => r.Payment.Amount)));
            Assert.That(rerun.Counts, Is.EqualTo(new IngestCounts(1_000, 0, 0, 1_000, 0)), () => rerun.Failure?.Message ?? string.Empty);
            Assert.That(rerun.Path, Is.EqualTo(await ComparedAsync(database)));
        }
    }

    // The bulk paths encode processed_at themselves (PostgreSQL's binary COPY: microseconds since 2000-01-01):
    // what is stored must be the run's clock to the microsecond, whichever way the rows went in.
    [Test]
    public async Task Processed_at_is_the_runs_clock_to_the_microsecond_on_a_first_load_and_a_staged_one()
    {
        var start = new DateTimeOffset(2026, 11, 28, 1, 2, 3, TimeSpan.Zero).AddTicks(4_567_890);
        await using var empty = await NewDatabaseAsync();
        await using var seeded = await NewDatabaseAsync();
        await IngestAsync(seeded, IngestStrategies.Robust, Thousand.Take(1));
        var first = await IngestAsync(empty, IngestStrategies.Robust, Thousand, new IngestOptions(Time: new SteppingClock(start)));
        var staged = await IngestAsync(seeded, IngestStrategies.Robust, Thousand, new IngestOptions(Time: new SteppingClock(start)));
        var expected = start.AddSeconds(1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Path, Is.EqualTo(FirstLoad));
            Assert.That(staged.Path, Is.EqualTo(WritePath.Staged));
            Assert.That((await ReadTableAsync(empty)).Select(r => r.ProcessedAt).Distinct(), Is.EqualTo(new[] { expected }));
            Assert.That((await ReadTableAsync(seeded)).Where(r => r.Payment.PaymentId != Thousand[0].Payment.PaymentId).Select(r => r.ProcessedAt).Distinct(), Is.EqualTo(new[] { expected }));
        }
    }

    [Test]
    public async Task A_rerun_of_the_same_input_writes_nothing_and_one_that_covers_part_of_the_table_too()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, Thousand);
        var before = await ReadTableAsync(database);
        var rerun = await IngestAsync(database, IngestStrategies.Robust, Thousand);
        var part = await IngestAsync(database, IngestStrategies.Robust, Thousand.Take(400));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rerun.Counts, Is.EqualTo(new IngestCounts(1_000, 0, 0, 1_000, 0)), () => rerun.Failure?.Message ?? string.Empty);
            Assert.That(part.Counts, Is.EqualTo(new IngestCounts(400, 0, 0, 400, 0)), () => part.Failure?.Message ?? string.Empty);
            Assert.That(part.Path, Is.EqualTo(await ComparedAsync(database)));
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)), "not a byte written, processed_at kept");
        }
    }

    [Test]
    public async Task A_rerun_in_another_order_or_with_another_row_goes_the_staged_way_and_counts_the_same()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, Thousand);
        var reversed = await IngestAsync(database, IngestStrategies.Robust, Enumerable.Reverse(Thousand));
        var refunded = Thousand.Select((r, i) => i == 999 ? r with { Payment = r.Payment with { Status = "refunded" } } : r).ToList();
        var changed = await IngestAsync(database, IngestStrategies.Robust, refunded);
        var conflicting = Thousand.Select((r, i) => i == 600 ? r with { Payment = r.Payment with { Amount = r.Payment.Amount + 1 } } : r).ToList();
        var refused = await IngestAsync(database, IngestStrategies.Robust, conflicting);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reversed.Counts, Is.EqualTo(new IngestCounts(1_000, 0, 0, 1_000, 0)), () => reversed.Failure?.Message ?? string.Empty);
            Assert.That(reversed.Path, Is.EqualTo(WritePath.Staged));
            Assert.That(changed.Counts, Is.EqualTo(new IngestCounts(1_000, 0, 1, 999, 0)), () => changed.Failure?.Message ?? string.Empty);
            Assert.That(changed.Path, Is.EqualTo(WritePath.Staged));
            Assert.That(refused.Failure?.Message, Does.Contain($"'{Thousand[600].Payment.PaymentId}' at line {Thousand[600].Line}: the table has"));
            Assert.That((await ReadTableAsync(database)).Count(r => r.Payment.Status == "refunded"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_rerun_that_differs_late_reaches_each_checkpoint_once_across_both_passes()
    {
        await using var database = await NewDatabaseAsync();
        var many = SamplePayments.Generate(20_000, seed: 33).ToList();
        await IngestAsync(database, IngestStrategies.Robust, many);
        var reached = new List<long>();
        var input = many.Select((r, i) => i == 19_999 ? r with { Payment = r.Payment with { Status = "refunded" } } : r);
        var result = await IngestAsync(database, IngestStrategies.Robust, input, RecordingAfterRows(reached));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(20_000, 0, 1, 19_999, 0)), () => result.Failure?.Message ?? string.Empty);
            Assert.That(reached, Is.EqualTo(Enumerable.Range(1, 19_999).Select(n => (long)n)), "each after-row point once, in order");
        }
    }

    /// <summary>Options whose checkpoint adds the row count of every after-row point the run reaches to <paramref name="reached"/>.</summary>
    private static IngestOptions RecordingAfterRows(List<long> reached) => new(Time: new SteppingClock(), Checkpoint: (checkpoint, _) =>
    {
        if (checkpoint.Point == IngestCheckpoint.AfterRow)
        {
            reached.Add(checkpoint.RowsHandled);
        }

        return Task.CompletedTask;
    });

    /// <summary>The path a rerun of a table's own input takes on this engine: compared where the provider reads stored rows in scan order.</summary>
    private async Task<WritePath> ComparedAsync(IsolatedDatabase database)
    {
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        return Provider.ReadStoredInScanOrder(connection, transaction, CancellationToken.None) is null ? WritePath.Staged : WritePath.Compared;
    }

    [Test]
    public async Task A_repeat_among_the_first_ids_sends_the_run_the_staged_way_and_no_checkpoint_is_reached_twice()
    {
        await using var database = await NewDatabaseAsync();
        var reached = new List<long>();

        // More rows than the reading thread holds ahead (8 chunks of 1,024), so the first pass has written and
        // reached thousands of rows when it sees the repeat at the end.
        var many = SamplePayments.Generate(20_000, seed: 32).ToList();
        var input = many.Append(many[5] with { Line = 20_002 }).ToList();
        var result = await IngestAsync(database, IngestStrategies.Robust, input, RecordingAfterRows(reached));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(20_001, 20_000, 0, 0, 1)), () => result.Failure?.Message ?? string.Empty);
            Assert.That(result.Path, Is.EqualTo(WritePath.Staged));
            Assert.That(reached, Is.EqualTo(Enumerable.Range(1, 20_000).Select(n => (long)n)), "each after-row point once, in order, across both passes");
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(20_000));
        }
    }

    [Test]
    public async Task A_differing_repeat_in_a_first_load_is_refused_naming_both_lines_and_nothing_stays()
    {
        await using var database = await NewDatabaseAsync();
        var changed = Thousand[7] with { Line = 1_002, Payment = Thousand[7].Payment with { Status = "refunded" } };
        var result = await IngestAsync(database, IngestStrategies.Robust, Thousand.Append(changed));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.IdempotencyConflict));
            Assert.That(result.Failure?.Message, Does.Contain($"at line 1002: line {Thousand[7].Line} has the same id"));
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }

    [Test]
    public async Task An_id_another_writer_commits_during_a_first_load_is_counted_unchanged_or_where_one_writer_at_a_time_that_writer_is_refused()
    {
        await using var database = await NewDatabaseAsync();
        var otherConnection = Provider.Dialect.WithShortLockWait(database.ConnectionString) ?? database.ConnectionString;
        var theirs = Thousand[600];
        IngestResult? other = null;
        var result = await IngestAsync(database, IngestStrategies.Robust, Thousand, new IngestOptions(Time: new SteppingClock(), Checkpoint: async (checkpoint, ct) =>
        {
            // Early in the first pass (rows are still buffered in the client): the other writer stores an id the
            // run has not sent yet, and commits.
            if (checkpoint is { Point: IngestCheckpoint.AfterRow, RowsHandled: 10 } && other is null)
            {
                other = await IngestStrategies.Unreliable.RunAsync(Provider, otherConnection, new[] { theirs }.AsStream(), new IngestOptions(), ct);
            }
        }));

        if (Provider.Dialect.OneWriterAtATime)
        {
            // SQLite: the run holds the write lock from its BEGIN IMMEDIATE on, so the other writer waits out its
            // short busy timeout and is refused; the run then loads all 1,000 straight.
            using (Assert.EnterMultipleScope())
            {
                Assert.That(other?.Failure?.ErrorKind, Is.EqualTo(DbErrorKind.Busy), () => other?.Failure?.Message ?? "the other writer committed beside the run");
                Assert.That(result.Counts, Is.EqualTo(new IngestCounts(1_000, 1_000, 0, 0, 0)), () => result.Failure?.Message ?? string.Empty);
                Assert.That(result.Path, Is.EqualTo(FirstLoad));
                Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(1_000));
            }

            return;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(other?.Counts.Inserted, Is.EqualTo(1), () => other?.Failure?.Message ?? "the other writer did not run");
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(1_000, 999, 0, 1, 0)), () => result.Failure?.Message ?? string.Empty);
            Assert.That(result.Path, Is.EqualTo(WritePath.Staged), "the duplicate key sent the run the staged way");
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(1_000));
        }
    }
}
