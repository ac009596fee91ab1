using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// Atomicity when the server ends the ingest's session mid-transaction (<c>pg_terminate_backend</c>, <c>KILL</c>).
/// Only engines with a server session run it: an embedded engine has none to sever, and its lost connection is the
/// process kill (<see cref="RealCrashTests"/>).
/// </summary>
// Severs sessions on the shared engine: nothing else may run meanwhile.
[NonParallelizable]
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithSessionsToSever))]
public sealed class SeveredConnectionTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task Robust_ingest_whose_session_is_severed_fails_clearly_and_its_retry_applies_each_payment_once()
    {
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
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);
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
}
