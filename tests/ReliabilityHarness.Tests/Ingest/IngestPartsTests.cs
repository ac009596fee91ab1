using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Ingest;

/// <summary>
/// The small parts every run relies on, without an engine: how a failure is classified and which code it carries,
/// what the retry does with an exception, the clock's precision, how the read-ahead hands on a bad line, and what
/// the counts and checkpoints print.
/// </summary>
public sealed class IngestPartsTests
{
    private static readonly Provider Sqlite = ProviderCatalog.Find("sqlite")!;

    // A duplicate key met by a statement that skips stored keys was committed by another writer: a whole rerun
    // resolves it, so it is transient, and the code shown is the engine's own.
    [Test]
    public void A_transient_conflict_is_classified_transient_with_the_engines_code()
    {
        var engineError = new SqliteException("SQLite Error 19: 'UNIQUE constraint failed: payments.payment_id'.", 19, 1555);
        var failure = Failures.Describe(Sqlite, new TransientConflictException("another writer committed a payment id", engineError), "Data Source=x.db", rolledBack: true);

        Assert.That((failure.Kind, failure.ErrorCode, failure.ErrorKind, failure.Message),
            Is.EqualTo((FailureKind.Transient, "SQLITE 1555", (DbErrorKind?)DbErrorKind.SerializationFailure, "another writer committed a payment id")));
    }

    [Test]
    public void An_error_the_engine_does_not_recognise_is_a_database_failure_with_no_kind()
    {
        var failure = Failures.Describe(Sqlite, new InvalidOperationException("the connection went away\nat somewhere"), "Data Source=x.db", rolledBack: false);
        Assert.That((failure.Kind, failure.ErrorKind, failure.Message, failure.RolledBack),
            Is.EqualTo((FailureKind.Database, (DbErrorKind?)null, "the connection went away", false)));
    }

    [Test]
    public async Task An_exception_worth_retrying_is_retried_and_the_next_attempts_result_returned()
    {
        var attempts = 0;
        var told = new List<int>();
        var result = await TransientRetry.ExecuteAsync(
            _ => ++attempts == 1 ? throw new TimeoutException("busy") : Task.FromResult(42),
            3, TimeProvider.System, outcome => outcome.Exception is TimeoutException, (attempt, _) => told.Add(attempt), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(42));
            Assert.That(attempts, Is.EqualTo(2));
            Assert.That(told, Is.EqualTo(new[] { 1 }));
        }
    }

    [Test]
    public async Task A_pipeline_of_one_attempt_never_retries_and_one_of_none_is_refused()
    {
        var attempts = 0;
        var once = TransientRetry.Pipeline<int>(1, new FakeTimeProvider(), _ => true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await once.ExecuteAsync(_ => ValueTask.FromResult(++attempts), CancellationToken.None), Is.EqualTo(1));
            Assert.That(() => TransientRetry.Pipeline<int>(0, new FakeTimeProvider(), _ => true), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }

    // processed_at keeps whole microseconds, the finest every engine stores: the clock is cut down, never rounded up.
    [Test]
    public void The_runs_clock_is_cut_to_whole_microseconds()
    {
        var now = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        Assert.That(new IngestOptions(Time: new FakeTimeProvider(now)).Now(), Is.EqualTo(now.AddTicks(-7)));
    }

    [Test]
    public async Task A_failing_source_reaches_the_consumer_after_every_item_before_it()
    {
        var observed = new List<int>();
        var consumed = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in Failing(3_000).ReadAheadAsync(observed.Add, chunkSize: 100, chunks: 2))
            {
                consumed.Add(item);
            }
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error?.Message, Is.EqualTo("bad line after 3000"));
            Assert.That(consumed, Is.EqualTo(Enumerable.Range(0, 3_000)));
            Assert.That(observed, Is.EqualTo(consumed), "observe saw every item, in order");
        }
    }

    [Test]
    public async Task A_consumer_that_stops_early_stops_the_reader()
    {
        var consumed = 0;
        await foreach (var _ in Endless().ReadAheadAsync(chunkSize: 10, chunks: 2).WithCancellation(CancellationToken.None))
        {
            if (++consumed == 25)
            {
                break;
            }
        }

        Assert.That(consumed, Is.EqualTo(25));
    }

    [Test]
    public void A_first_load_set_is_sure_of_a_repeat_among_its_exact_ids_and_forgets_past_them()
    {
        var early = new SeenIds(exactOnly: true);
        early.Add("a");
        early.Add("b");
        early.Add("a");

        var full = new SeenIds(exactOnly: true);
        var past = new SeenIds(exactOnly: true);
        for (var i = 0; i < SeenIds.ExactIds; i++)
        {
            full.Add($"id-{i}");
            past.Add($"id-{i}");
        }

        full.Add("id-0");
        past.Add("one-more");
        past.Add("id-0");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(early.SurelyRepeated, Is.True);
            Assert.That(full.SurelyRepeated, Is.True, "the first 65,536 ids are all kept exactly");
            Assert.That(past.SurelyRepeated, Is.False, "past them nothing is kept: the table's key finds any later repeat");
            Assert.That(past.MaybeRepeated, Is.False);
        }
    }

    [Test]
    public void A_repeat_among_the_exact_ids_is_sure_and_a_suspect()
    {
        var seen = new SeenIds();
        seen.Add("a");
        seen.Add("b");
        seen.Add("a");
        Assert.That((seen.SurelyRepeated, seen.Suspects.ToArray()), Is.EqualTo((true, new[] { "a" })));
    }

    // A Bloom filter may raise false suspects but must never miss a real repeat, however many ids share its blocks.
    [Test]
    public void Every_repeat_after_the_filter_took_over_is_a_suspect()
    {
        var seen = new SeenIds();
        for (var i = 0; i < 200_000; i++)
        {
            seen.Add($"pay_{i:D7}");
        }

        var repeats = Enumerable.Range(0, 400).Select(i => $"pay_{i * 499:D7}").ToList();
        foreach (var id in repeats)
        {
            seen.Add(id);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen.AllRowsNeeded, Is.False);
            Assert.That(seen.Suspects, Is.SupersetOf(repeats));
        }
    }

    [Test]
    public void Counts_and_checkpoints_print_as_the_CLI_shows_them()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(new IngestCounts(5, 2, 1, 1, 1).ToString(), Is.EqualTo("2 inserted, 1 updated, 1 unchanged, 1 repeated in the input"));
            Assert.That(new IngestCounts(3, 3, 0, 0, 0).ToString(), Is.EqualTo("3 inserted, 0 updated, 0 unchanged"));
            Assert.That(new IngestCheckpoint(IngestCheckpoint.AfterRow, 7, 1, null).ToString(), Is.EqualTo("after-row:7"));
            Assert.That(new IngestCheckpoint(IngestCheckpoint.BeforeCommit, 7, 1, null).ToString(), Is.EqualTo("before-commit"));
        }
    }

    [Test]
    public void Every_strategy_is_found_by_its_CLI_name_and_no_other_name_finds_one()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(IngestStrategies.All.Select(s => s.Name), Is.EqualTo(new[] { "robust", "unreliable", "check-then-insert" }));
            Assert.That(IngestStrategies.All.Select(s => IngestStrategies.Find(s.Name)), Is.EqualTo(IngestStrategies.All));
            Assert.That(IngestStrategies.Find("yolo"), Is.Null);
        }
    }

    private static async IAsyncEnumerable<int> Failing(int goodItems)
    {
        for (var i = 0; i < goodItems; i++)
        {
            yield return i;
        }

        await Task.Yield();
        throw new InvalidOperationException($"bad line after {goodItems}");
    }

    private static async IAsyncEnumerable<int> Endless()
    {
        for (var i = 0; ; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }
}
