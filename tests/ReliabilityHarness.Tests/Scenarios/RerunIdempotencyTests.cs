using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>Idempotency: the same input again changes nothing; a changed status updates; a changed payload is refused.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class RerunIdempotencyTests(Provider provider) : EngineFixture(provider)
{
    private static readonly IReadOnlyList<PaymentRecord> Fifty = SamplePayments.Generate(50).ToList();

    [Test]
    public async Task Robust_second_and_third_runs_leave_the_table_identical()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await RerunIdempotencyScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust, Fifty);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.First.Counts, Is.EqualTo(new IngestCounts(50, 50, 0, 0, 0)));
            Assert.That(observation.Second.Counts, Is.EqualTo(new IngestCounts(50, 0, 0, 50, 0)));
            Assert.That(observation.Third.Counts, Is.EqualTo(new IngestCounts(50, 0, 0, 50, 0)));
            Assert.That(observation.AfterSecond.Select(r => r.Raw), Is.EqualTo(observation.AfterFirst.Select(r => r.Raw)));
            Assert.That(observation.AfterThird.Select(r => r.Raw), Is.EqualTo(observation.AfterFirst.Select(r => r.Raw)));
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(RerunIdempotencyScenario.Id, "robust").Expected));
        }
    }

    // The negative control: the lesson's unreliable script cannot be rerun.
    [Test]
    public async Task Unreliable_rerun_fails_on_the_primary_key_and_adds_nothing()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await RerunIdempotencyScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Unreliable, Fifty);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.First.Succeeded, Is.True);
            Assert.That(observation.Second.Failure?.Kind, Is.EqualTo(FailureKind.ConstraintViolation), () => observation.Second.Failure?.Message ?? "the rerun succeeded");
            Assert.That(observation.AfterSecond, Has.Count.EqualTo(50));
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(RerunIdempotencyScenario.Id, "unreliable").Expected));
        }
    }

    [Test]
    public async Task A_new_status_updates_the_row_and_bumps_processed_at_only_there()
    {
        await using var database = await NewDatabaseAsync();
        var clock = new SteppingClock();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson, new IngestOptions(Time: clock));
        var before = await ReadTableAsync(database);

        var refund = SamplePayments.Lesson.Select(r => r.Payment.PaymentId == "pay_002" ? r with { Payment = r.Payment with { Status = "refunded" } } : r);
        var result = await IngestAsync(database, IngestStrategies.Robust, refund, new IngestOptions(Time: clock));
        var after = await ReadTableAsync(database);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(3, 0, 1, 2, 0)));
            Assert.That(after[1].Payment.Status, Is.EqualTo("refunded"));
            Assert.That(after[1].ProcessedAt, Is.GreaterThan(before[1].ProcessedAt));
            Assert.That(after[0].Raw, Is.EqualTo(before[0].Raw));
            Assert.That(after[2].Raw, Is.EqualTo(before[2].Raw));
        }
    }

    [TestCase("user", TestName = "{m}(another user)")]
    [TestCase("amount", TestName = "{m}(another amount)")]
    [TestCase("currency", TestName = "{m}(another currency)")]
    public async Task The_same_id_with_another_payload_is_a_conflict_that_rolls_the_whole_run_back(string changed)
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);
        var before = await ReadTableAsync(database);

        var original = SamplePayments.Lesson[0].Payment;
        var altered = changed switch
        {
            "user" => original with { UserId = "user_mallory" },
            "amount" => original with { Amount = original.Amount + 0.0001m },
            _ => original with { Currency = "EUR" },
        };
        var result = await IngestAsync(database, IngestStrategies.Robust, [Row("pay_new", "user_x", 5m, line: 2), new PaymentRecord(altered, 3)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.IdempotencyConflict));
            Assert.That(result.Failure?.Message, Does.Contain("pay_001").And.Contain("line 3"));
            Assert.That(result.Failure?.RolledBack, Is.True);
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)), "pay_new must be rolled back too");
        }
    }

    [Test]
    public async Task The_same_id_twice_in_one_input_with_an_identical_payload_is_counted_once()
    {
        await using var database = await NewDatabaseAsync();
        var result = await IngestAsync(database, IngestStrategies.Robust,
            [Row("pay_a", "user_1", 1m, line: 2), Row("pay_b", "user_2", 2m, line: 3), Row("pay_a", "user_1", 1.0m, line: 4)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(3, 2, 0, 0, 1)));
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(2));
        }
    }

    [TestCase(7, "captured", TestName = "{m}(another amount)")]
    [TestCase(1, "refunded", TestName = "{m}(another status)")]
    public async Task The_same_id_twice_in_one_input_with_different_payloads_is_a_conflict_naming_both_lines(decimal secondAmount, string secondStatus)
    {
        await using var database = await NewDatabaseAsync();
        var result = await IngestAsync(database, IngestStrategies.Robust,
            [Row("pay_a", "user_1", 1m, line: 2), Row("pay_b", "user_2", 2m, line: 3), Row("pay_a", "user_1", secondAmount, status: secondStatus, line: 4)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.IdempotencyConflict));
            Assert.That(result.Failure?.Message, Does.Contain("pay_a").And.Contain("line 4").And.Contain("line 2"));
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }
}
