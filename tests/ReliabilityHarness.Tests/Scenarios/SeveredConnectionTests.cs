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
    public async Task Robust_ingest_whose_session_ends_before_the_rest_of_its_rows_are_sent_is_retried()
    {
        await using var database = await NewDatabaseAsync();
        var input = SamplePayments.Generate(300, seed: 9).ToList();
        var severed = new List<IngestFailure>();

        // The test above races: the client meets the ended session when it next sends part of the stream, when it
        // sends the stream's end, or when it reads the reply, whichever comes first; each surfaces as another error
        // (on MariaDB's LOAD DATA LOCAL: "Failed to read the result set" around a connection that is Broken, around
        // a broken pipe, or around an end of stream), and one of them once went unrecognised and was not retried, in
        // about one run in three. Here the rest of the rows are sent only once the server has ended the session, and
        // a few at a time (the pauses only spread them over several sends; they decide no outcome), so the first
        // send meets the closed connection and a later one fails: the shape that went unrecognised, every time.
        var result = await IngestStrategies.Robust.RunAsync(Provider, database.ConnectionString, input.AsStream(), new IngestOptions(
            OnRetry: (_, failure) => severed.Add(failure),
            Checkpoint: async (checkpoint, ct) =>
            {
                if (checkpoint is { Attempt: 1, Point: IngestCheckpoint.AfterRow, RowsHandled: 120 })
                {
                    await SeveredConnectionScenario.TerminateAsync(Provider, database.ConnectionString, checkpoint, ct);
                    await SessionEndedAsync(database, checkpoint.SessionId!, ct);
                }
                else if (checkpoint is { Attempt: 1, Point: IngestCheckpoint.AfterRow, RowsHandled: > 120 and <= 130 })
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(30), ct);
                }
            }));
        Provider.Dialect.ClearPools();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure, Is.Null, () => $"{result.Failure?.Kind}: {result.Failure?.Message}");
            Assert.That(result.Attempts, Is.EqualTo(2));
            Assert.That(severed.Select(f => f.Kind), Is.EqualTo(new[] { FailureKind.Transient }), () => string.Join("\n", severed.Select(f => f.Message)));
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(300));
        }

        TestContext.Out.WriteLine($"{Provider.DisplayName}: severed, then the rows sent → {string.Join("; ", severed.Select(f => $"{f.ErrorCode}: {f.Message}"))}");
    }

    /// <summary>Waits (bounded) until the engine no longer lists the session: the server has closed its connection.</summary>
    private async Task SessionEndedAsync(IsolatedDatabase database, object session, CancellationToken cancellationToken)
    {
        var sql = Provider.Dialect.Name switch
        {
            "postgresql" => "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = @session",
            "mariadb" => "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = @session",
            "sqlserver" => "SELECT COUNT(*) FROM sys.dm_exec_sessions WHERE session_id = @session",
            _ => throw new NotSupportedException($"no session list known for {Provider.DisplayName}"),
        };
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        await using var admin = await Provider.Dialect.OpenAsync(database.ConnectionString, cancellationToken);
        while (true)
        {
            await using var command = DbCommands.Create(admin, null, sql, ("@session", session));
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return;
            }

            Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), $"session {session} still listed 10 s after it was ended");
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
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
