using System.Data.Common;
using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The check's paths other than a plain verdict, on SQLite with small .NET pipelines: a clean run that fails or
/// leaves different rows each time (nothing else is decided), no crash point at all, points a crash run never
/// reaches, more points than the limit, concurrent copies that collide, and the before-state put back at the end.
/// </summary>
public sealed class PipelineCheckPathTests
{
    private const string Table = "path_rows";

    private string folder = string.Empty;

    private static Provider Sqlite => ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;

    private string Connection => $"Data Source={Path.Combine(folder, "paths.db")}";

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("reliability-check-paths-").FullName;

    [TearDown]
    public void RemoveFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task A_clean_run_that_fails_leaves_every_other_property_undecided()
    {
        var lines = new List<string>();
        var report = await CheckAsync((_, _) => throw new InvalidOperationException("no input file"), progress: lines.Add);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.False);
            Assert.That(report[PipelineProperty.CleanRun].Trials, Is.EqualTo(1), "the second clean run is not tried after the first failed");
            Assert.That(report[PipelineProperty.CleanRun].Evidence[0], Is.EqualTo("the pipeline failed: InvalidOperationException: no input file on a clean run from the before-state"));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[1], Is.EqualTo("  | InvalidOperationException: no input file"));
            Assert.That(report.Properties.Skip(1).Select(p => p.Ok), Is.All.Null);
            Assert.That(report.Properties.Skip(1).Select(p => p.Evidence[0]), Is.All.EqualTo("not decided: the clean run did not succeed the same way twice"));
            Assert.That(report.Undecided.Count(), Is.EqualTo(4));
            Assert.That(report.AllHold, Is.False);
            Assert.That(lines[0], Is.EqualTo($"before-state: 1 row(s) in {Table}"));
            Assert.That(lines[1], Does.StartWith("clean-run: FAILS: the pipeline failed"));
            Assert.That(lines, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_second_clean_run_that_fails_is_a_failed_clean_run_of_two_trials()
    {
        var runs = 0;
        var report = await CheckAsync(async (db, token) =>
        {
            if (Interlocked.Increment(ref runs) == 2)
            {
                throw new InvalidOperationException("second time unlucky");
            }

            await ExecuteAsync(db, $"UPDATE {Table} SET status = 'paid'", token);
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.False);
            Assert.That(report[PipelineProperty.CleanRun].Trials, Is.EqualTo(2));
            Assert.That(report[PipelineProperty.CleanRun].Failures, Is.EqualTo(1));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[0], Does.Contain("second time unlucky"));
        }
    }

    [Test]
    public async Task Two_clean_runs_that_leave_different_rows_fail_the_clean_run()
    {
        // The n-th run adds n rows: a row no pairing explains (a key that differs alone is learned as generated).
        var runs = 0;
        var report = await CheckAsync(async (db, token) =>
        {
            var run = Interlocked.Increment(ref runs);
            for (var id = 11; id <= 10 + run; id++)
            {
                await ExecuteAsync(db, $"INSERT INTO {Table} (id, status) VALUES (@id, 'paid')", token, ("@id", id));
            }
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[0], Is.EqualTo("two clean runs from the same before-state left different rows (more than column values differ)"));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[1], Is.EqualTo($"{Table}: 0 row(s) missing, 1 extra, 0 changed"));
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.Null);
        }
    }

    [Test]
    public async Task A_pipeline_that_sends_no_statement_leaves_atomic_and_recovers_undecided()
    {
        var report = await CheckAsync((_, _) => Task.CompletedTask, new CheckOptions(Kills: 3, Concurrency: 2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[1], Is.EqualTo("crash points passed: 0 (second run: 0)"));
            Assert.That(report[PipelineProperty.CleanRun].Evidence[2], Is.EqualTo("nondeterministic columns (compared by presence across runs): none"));
            Assert.That(report[PipelineProperty.RerunIdempotent].Evidence[0], Is.EqualTo("a second run on the after-state changed nothing (volatile columns: none)"));
            // A delegate cannot be killed: the three kills asked are not tried.
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.Null);
            Assert.That(report[PipelineProperty.Atomic].Evidence[0], Is.EqualTo("not decided: the clean run passed no crash point and no kill was asked"));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.Null);
            Assert.That(report[PipelineProperty.Recovers].Evidence[0], Is.EqualTo("not decided: no crash trial"));
            Assert.That(report[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.True);
            Assert.That(report[PipelineProperty.ConcurrentExactlyOnce].Evidence[0], Is.EqualTo("2 copies started together all succeeded and left the after-state"));
            Assert.That(report.AllHold, Is.False, "two properties asked and not decided");
        }
    }

    [Test]
    public async Task Points_that_a_crash_run_never_reaches_leave_atomic_undecided()
    {
        // The clean runs send two statements; every later run (the crash runs among them) only one, so the crash
        // at the second point never strikes.
        var runs = 0;
        var report = await CheckAsync(async (db, token) =>
        {
            await ExecuteAsync(db, $"UPDATE {Table} SET status = 'paid'", token);
            if (Interlocked.Increment(ref runs) <= 2)
            {
                await ExecuteAsync(db, $"UPDATE {Table} SET status = 'paid'", token);
            }
        });
        var atomic = report[PipelineProperty.Atomic];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atomic.Ok, Is.Null, Describe(report));
            Assert.That(atomic.Trials, Is.EqualTo(2));
            Assert.That(atomic.Evidence[0], Does.StartWith("not decided: 1 of the 2 crash point(s) were never reached"));
            Assert.That(atomic.Evidence[1], Is.EqualTo("2 crash trial(s) (2 point(s) passed by the clean run; 0 random kill(s); 1 of the 2 point(s) reached): 1 left the after-state, 1 left the before-state"));
            Assert.That(atomic.Evidence[^1], Is.EqualTo($"not reached: statement 2 of 2: UPDATE {Table} SET status = 'paid'"));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True);
            Assert.That(report[PipelineProperty.Recovers].Evidence[0], Is.EqualTo("after each of the 2 crash(es) a rerun reached the after-state"));
        }
    }

    [Test]
    public async Task Beyond_the_limit_of_crash_points_the_evidence_says_how_many_were_spread_and_the_progress_counts_them()
    {
        var lines = new List<string>();
        var report = await CheckAsync(async (db, token) =>
        {
            for (var i = 0; i < 6; i++)
            {
                await ExecuteAsync(db, $"UPDATE {Table} SET status = @status", token, ("@status", $"step {i}"));
            }
        }, new CheckOptions(Concurrency: 0, MaxCrashPoints: 3), lines.Add);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.Atomic].Trials, Is.EqualTo(3));
            Assert.That(report[PipelineProperty.Atomic].Evidence[0], Does.StartWith("3 crash trial(s) (6 point(s) passed by the clean run, 3 of 6 evenly spread; 0 random kill(s); 3 of the 3 point(s) reached): "));
            // Points 1, 3 and 6 (2.5 rounds to even): the first leaves the before-state, the others a step between.
            Assert.That(report[PipelineProperty.Atomic].Evidence[^1], Is.EqualTo($"mixed at: statement 3 of 6: UPDATE {Table} SET status = @status  ·  statement 6 of 6: UPDATE {Table} SET status = @status"));
            Assert.That(report[PipelineProperty.Atomic].Failures, Is.EqualTo(2));
            Assert.That(lines, Does.Contain("crash trials: 3 (6 points passed by the clean run, 3 of 6 evenly spread; 0 random kills)"));
            Assert.That(lines, Does.Contain("  3/3 crash trials: 2 left a mixed state, 0 did not recover"));
            Assert.That(report[PipelineProperty.Recovers].Evidence[0], Is.EqualTo("after each of the 3 crash(es) a rerun reached the after-state"));
        }
    }

    [Test]
    public async Task Progress_is_reported_every_25_crash_trials()
    {
        var lines = new List<string>();
        await CheckAsync(async (db, token) =>
        {
            for (var i = 0; i < 26; i++)
            {
                await ExecuteAsync(db, $"UPDATE {Table} SET status = 'paid'", token);
            }
        }, new CheckOptions(Concurrency: 0), lines.Add);

        Assert.That(lines.Where(l => l.Contains("crash trials:", StringComparison.Ordinal) && l.StartsWith("  ", StringComparison.Ordinal)),
            Is.EqualTo(new[] { "  25/26 crash trials: 0 left a mixed state, 0 did not recover", "  26/26 crash trials: 0 left a mixed state, 0 did not recover" }));
    }

    [Test]
    public async Task Concurrent_copies_that_collide_on_the_key_fail_exactly_once_with_their_errors()
    {
        var report = await CheckAsync(
            (db, token) => ExecuteAsync(db, $"INSERT INTO {Table} (id, status) VALUES (7, 'paid')", token),
            new CheckOptions(Concurrency: 3));
        var concurrent = report[PipelineProperty.ConcurrentExactlyOnce];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(concurrent.Ok, Is.False, Describe(report));
            Assert.That(concurrent.Evidence[0], Is.EqualTo("3 copies started together: 1 succeeded, 2 failed; the table is the after-state"));
            Assert.That(concurrent.Evidence, Has.Exactly(2).StartsWith("a copy failed: "));
            Assert.That(concurrent.Evidence, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task Concurrent_copies_that_all_succeed_but_each_add_a_row_are_not_the_after_state()
    {
        // The next id is read in the INSERT itself: two runs from the before-state add the same row, two copies at
        // once (SQLite takes one writer at a time) add one each.
        var report = await CheckAsync(
            (db, token) => ExecuteAsync(db, $"INSERT INTO {Table} (id, status) SELECT max(id) + 1, 'paid' FROM {Table}", token),
            new CheckOptions(Concurrency: 2));
        var concurrent = report[PipelineProperty.ConcurrentExactlyOnce];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(concurrent.Ok, Is.False, Describe(report));
            Assert.That(concurrent.Evidence[0], Is.EqualTo("2 copies started together: 2 succeeded, 0 failed; the table is not the after-state"));
            Assert.That(concurrent.Evidence[1], Is.EqualTo($"{Table}: 0 row(s) missing, 1 extra, 0 changed"));
        }
    }

    [Test]
    public async Task The_check_puts_the_before_state_back_when_it_ends()
    {
        await CheckAsync((db, token) => ExecuteAsync(db, $"UPDATE {Table} SET status = 'paid'", token));

        await using var connection = await Sqlite.Dialect.OpenAsync(Connection, CancellationToken.None);
        await using var read = DbCommands.Create(connection, null, $"SELECT status FROM {Table}");
        Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo("new"));
    }

    private async Task<CheckReport> CheckAsync(Func<PipelineDatabase, CancellationToken, Task> pipeline, CheckOptions? options = null, Action<string>? progress = null)
    {
        using var before = BeforeState.Setup(async token =>
        {
            await using var connection = await Sqlite.Dialect.OpenAsync(Connection, token);
            foreach (var sql in new[] { $"DROP TABLE IF EXISTS {Table}", $"CREATE TABLE {Table} (id int PRIMARY KEY, status text NOT NULL)", $"INSERT INTO {Table} VALUES (1, 'new')" })
            {
                await using var command = DbCommands.Create(connection, null, sql);
                await command.ExecuteNonQueryAsync(token);
            }
        }, "create the table");
        var runner = new DelegatePipeline(Sqlite, Connection, pipeline, "a path pipeline", TimeSpan.FromSeconds(60));
        return await new PipelineCheck(Sqlite.Dialect, Connection, [new TableName(null, Table)], before, runner, options ?? new CheckOptions(Concurrency: 0)).RunAsync(progress);
    }

    private static async Task ExecuteAsync(PipelineDatabase db, string sql, CancellationToken token, params (string Name, object Value)[] parameters)
    {
        await using DbConnection connection = await db.OpenAsync(token);
        await using var command = DbCommands.Create(connection, null, sql, parameters);
        await command.ExecuteNonQueryAsync(token);
    }

    private static string Describe(CheckReport report) => string.Join(Environment.NewLine, CheckFormats.Details(report));
}
