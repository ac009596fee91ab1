using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>Four writers ingest overlapping payments into one table at the same moment.</summary>
// Several writers at once hold the engine's write locks; beside other fixtures they would only slow both down.
[NonParallelizable]
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class ConcurrentWritersTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task Robust_writers_all_succeed_and_leave_each_payment_once_as_a_serial_run_would()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await ConcurrentWritersScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Robust);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Results.Select(r => r.Failure?.Message), Is.All.Null, "every writer succeeds (after retries)");
            Assert.That(observation.Table, Has.Count.EqualTo(observation.Expected.Count));
            Assert.That(observation.TableMatchesSerialRun, Is.True, "each payment exactly once, amounts exact");
            Assert.That(observation.Results.Sum(r => r.Counts.Inserted), Is.EqualTo(observation.Expected.Count), "each payment inserted by exactly one writer");
            Assert.That(observation.Results.Select(r => r.Counts.Inserted + r.Counts.Unchanged), Is.All.EqualTo(200));
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(ConcurrentWritersScenario.Id, ConcurrentWritersScenario.Check(IngestStrategies.Robust)).Expected));
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: {observation.Attempts} attempts for {observation.Results.Count} writers");
    }

    // The negative control: overlapping plain INSERTs must collide on the primary key, whatever the timing.
    [Test]
    public async Task Unreliable_writers_collide_on_the_primary_key_and_say_so()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await ConcurrentWritersScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.Unreliable);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Results.Count(r => r.Failure is not null), Is.GreaterThan(0));
            Assert.That(observation.Results.Where(r => r.Failure is not null).Select(r => r.Failure!.Kind), Is.All.EqualTo(FailureKind.ConstraintViolation));
            Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(ConcurrentWritersScenario.Id, ConcurrentWritersScenario.Check(IngestStrategies.Unreliable)).Expected));
        }
    }

    // check-then-insert races only when two writers look at one key before either inserts it: whether that
    // happens here depends on timing, so this asserts what must hold either way (the deterministic race is in
    // InterleavingTests): no key twice, and every failure reported as a failure with its engine error.
    [Test]
    public async Task Check_then_insert_writers_never_store_a_key_twice_and_report_every_failure()
    {
        await using var database = await NewDatabaseAsync();
        var observation = await ConcurrentWritersScenario.RunAsync(Provider, database.ConnectionString, IngestStrategies.CheckThenInsert);
        var failures = observation.Results.Where(r => r.Failure is not null).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Table.Select(r => r.Payment.PaymentId), Is.Unique);
            Assert.That(failures.Select(f => f.Failure!.ErrorKind), Is.All.Not.Null, "each failure names the engine's error");
            Assert.That(observation.Outcome, Is.EqualTo(failures.Count == 0 ? "all-succeed" : failures[0].Failure!.ErrorKind!.Value.Spelling()));
            if (failures.Count == 0)
            {
                Assert.That(observation.TableMatchesSerialRun, Is.True);
            }
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: check-then-insert {observation.Outcome}; {failures.Count} of {observation.Results.Count} writers failed");
    }
}
