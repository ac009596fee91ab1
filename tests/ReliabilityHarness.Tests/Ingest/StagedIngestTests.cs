using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Ingest;

/// <summary>
/// The set-based robust path past the sizes the other suites use: repeats found by the fixed-size filter (beyond
/// the ids it keeps exactly), the all-rows check past the suspect limit, and the first bad line reported whichever
/// kind of conflict it is.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class StagedIngestTests(Provider provider) : EngineFixture(provider)
{
    private const int Distinct = SeenIds.ExactIds + 4_000;

    private static readonly IReadOnlyList<PaymentRecord> Many = SamplePayments.Generate(Distinct, seed: 21).ToList();

    [Test]
    public async Task A_repeat_after_the_exactly_kept_ids_counts_once_and_a_differing_one_is_refused_naming_both_lines()
    {
        await using var database = await NewDatabaseAsync();
        var first = Many[^10];
        var again = first with { Line = Distinct + 2 };
        var same = await IngestAsync(database, IngestStrategies.Robust, Many.Append(again));

        await using var other = await NewDatabaseAsync();
        var changed = again with { Payment = again.Payment with { Amount = again.Payment.Amount + 1 } };
        var refused = await IngestAsync(other, IngestStrategies.Robust, Many.Append(changed));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(same.Counts, Is.EqualTo(new IngestCounts(Distinct + 1, Distinct, 0, 0, 1)), () => same.Failure?.Message ?? string.Empty);
            Assert.That(same.Path, Is.EqualTo(WritePath.Staged), "a first load that met the repeat at the table's key went the staged way");
            Assert.That(refused.Failure?.Kind, Is.EqualTo(FailureKind.IdempotencyConflict));
            Assert.That(refused.Failure?.Message, Does.Contain($"'{first.Payment.PaymentId}' at line {Distinct + 2}").And.Contain($"line {first.Line} has the same id"));
            Assert.That(await ReadTableAsync(other), Is.Empty, "rolled back");
        }
    }

    [Test]
    public async Task More_repeats_than_the_suspect_limit_are_checked_against_every_staged_row()
    {
        await using var database = await NewDatabaseAsync();
        var repeats = Many.Take(SeenIds.MaxSuspects + 100).Select((r, i) => r with { Line = Distinct + 2 + i }).ToList();
        var result = await IngestAsync(database, IngestStrategies.Robust, Many.Concat(repeats));
        var rerun = await IngestAsync(database, IngestStrategies.Robust, Many.Concat(repeats));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(Distinct + repeats.Count, Distinct, 0, 0, repeats.Count)), () => result.Failure?.Message ?? string.Empty);
            Assert.That(rerun.Counts, Is.EqualTo(new IngestCounts(Distinct + repeats.Count, 0, 0, Distinct, repeats.Count)), () => rerun.Failure?.Message ?? string.Empty);
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(Distinct));
        }
    }

    [Test]
    public async Task The_first_bad_line_is_reported_whether_it_conflicts_with_the_table_or_with_an_earlier_line()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);
        var before = await ReadTableAsync(database);

        // Line 3 changes pay_002's amount (a conflict with the table); lines 5 and 6 disagree on pay_new.
        PaymentRecord[] input =
        [
            SamplePayments.Lesson[0],
            SamplePayments.Lesson[1] with { Payment = SamplePayments.Lesson[1].Payment with { Amount = 1m } },
            new(new Payment("pay_new", "user_dan", 5m, "USD", "captured"), 5),
            new(new Payment("pay_new", "user_dan", 6m, "USD", "captured"), 6),
        ];
        var tableFirst = await IngestAsync(database, IngestStrategies.Robust, input);
        var repeatFirst = await IngestAsync(database, IngestStrategies.Robust, [input[0], input[2], input[3], input[1] with { Line = 9 }]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tableFirst.Failure?.Message, Does.Contain("'pay_002' at line 3: the table has"));
            Assert.That(repeatFirst.Failure?.Message, Does.Contain("'pay_new' at line 6: line 5 has the same id"));
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
        }
    }

    [Test]
    public async Task New_changed_and_unchanged_rows_in_one_run_are_each_counted_once()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, Many.Take(1_000));
        var refunded = Many.Take(1_000).Select((r, i) => i % 10 == 0 ? r with { Payment = r.Payment with { Status = "refunded" } } : r);
        var result = await IngestAsync(database, IngestStrategies.Robust, refunded.Concat(Many.Skip(1_000).Take(500)));
        var table = await ReadTableAsync(database);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(1_500, 500, 100, 900, 0)), () => result.Failure?.Message ?? string.Empty);
            Assert.That(table.Count(r => r.Payment.Status == "refunded"), Is.EqualTo(100));
            Assert.That(table, Has.Count.EqualTo(1_500));
        }
    }
}
