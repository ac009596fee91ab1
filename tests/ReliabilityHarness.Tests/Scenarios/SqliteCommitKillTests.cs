using Microsoft.Data.Sqlite;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Sqlite;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// SQLite has no server to crash: the process that holds the file is the engine. Killing it during an ingest,
/// commit included, in both journal modes must leave a file that opens cleanly (integrity_check = ok) with the
/// old state or the new one.
/// </summary>
[NonParallelizable] // kills processes that hold a database file
public sealed class SqliteCommitKillTests
{
    private static readonly Provider Provider = SqliteProvider.Create();
    private static readonly ChildCommand Reliability = ChildCommand.InDirectory(AppContext.BaseDirectory);

    [TestCase("delete")]
    [TestCase("wal")]
    public async Task A_kill_before_or_during_commit_leaves_a_sound_file_with_the_old_or_the_new_state(string journalMode)
    {
        using var files = new TempFiles();
        var csv = files.Write("payments.csv", RealCrashTests.Csv(SamplePayments.Generate(20_000, seed: 4)));
        await using var database = await Provider.Engine.CreateIsolatedDatabaseAsync(string.Empty, CancellationToken.None);
        await using (var connection = new SqliteConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA journal_mode = {journalMode}";
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(journalMode));
        }

        var outcomes = new List<string>();
        var paused = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, IngestCheckpoint.BeforeCommit);
        outcomes.Add($"before-commit: {paused.Outcome}");
        Assert.That((paused.Outcome, paused.IntegrityProblem), Is.EqualTo(("clean", (string?)null)));

        // The commit of 20,000 rows is a good share of a run; kills late in the run land in it or around it.
        var whole = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, "random:600000");
        foreach (var fraction in new[] { 0.85, 0.9, 0.95, 0.98, 1.0 })
        {
            var at = (int)(whole.Elapsed.TotalMilliseconds * fraction);
            var observation = await ProcessKillScenario.RunAsync(Provider, database.ConnectionString, Reliability, IngestStrategies.Robust, csv, $"random:{at}");
            outcomes.Add($"{at} ms: {observation.Outcome}{(observation.Killed ? string.Empty : " (finished first)")}");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(observation.IntegrityProblem, Is.Null);
                Assert.That(observation.Outcome, Is.AnyOf("clean", "complete"), () => string.Join("; ", outcomes));
            }
        }

        TestContext.Out.WriteLine($"SQLite {journalMode}: {string.Join("; ", outcomes)}");
    }
}
