using Microsoft.Data.Sqlite;
using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The check on a program (a Python script on SQLite, crashed by strace at each of its writes, the database file
/// copied back before each trial, as <c>reliability check</c> does without <c>--setup</c>): two rows updated in
/// separate autocommits keep the row count in every state, so only the values show the crash between them. Small
/// enough to run in seconds, so it runs under every mutant of the program's path. Needs strace and python3.
/// </summary>
[NonParallelizable] // dozens of short processes, each crash decided by strace: beside other fixtures its timings mean nothing
public sealed class ProgramVerdictTests
{
    // isolation_level=None: each UPDATE commits on its own, as a careless pipeline does.
    private const string UpdateRowByRow =
        "import os, sqlite3; c = sqlite3.connect(os.environ['RELIABILITY_SQLITE_PATH'], timeout=30, isolation_level=None); "
        + "c.execute(\"UPDATE runs SET status = 'paid' WHERE id = 1\"); c.execute(\"UPDATE runs SET status = 'paid' WHERE id = 2\")";

    private string folder = string.Empty;

    private string DatabasePath => Path.Combine(folder, "program.db");

    private string Connection => $"Data Source={DatabasePath};Pooling=False";

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("reliability-program-verdict-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public async Task A_program_updating_two_rows_in_separate_commits_is_not_atomic_yet_recovers_and_reruns_idempotently()
    {
        await CreateTableAsync();
        var provider = Sqlite;
        var tool = CrashTool.For(provider, Connection, out var unavailable) ?? throw new InvalidOperationException(unavailable);
        var pipeline = new ProcessPipeline(provider, Connection, [CheckCommandTests.Python, "-c", UpdateRowByRow], TimeSpan.FromSeconds(30), tool);
        using var before = await BeforeState.FileCopyAsync(provider.Dialect, DatabasePath, CancellationToken.None);
        var check = new PipelineCheck(provider.Dialect, Connection, [new TableName(null, "runs")], before, pipeline, new CheckOptions(Kills: 1, Concurrency: 2));

        var report = await check.RunAsync();
        var detail = string.Join(Environment.NewLine, CheckFormats.Details(report));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, detail);
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.True, detail);
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.False, detail);
            Assert.That(report[PipelineProperty.Atomic].Evidence, Has.Some.Contains("status paid → new"), "row 1 paid, row 2 still new");
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True, detail);
            Assert.That(report[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.True, detail);
            Assert.That(report.AllHold, Is.False);
            Assert.That(await StatusesAsync(), Is.EqualTo(new[] { "new", "new" }), "the check puts the before-state back when it ends");
        }
    }

    [Test]
    public async Task A_program_that_does_not_end_within_its_bound_is_killed_and_reported_as_not_ending()
    {
        CheckCommandTests.RequireTools();
        var pipeline = new ProcessPipeline(Sqlite, Connection, ["sleep", "60"], TimeSpan.FromSeconds(1), CrashTool.None);

        var outcome = await pipeline.RunAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcome.Succeeded, Is.False);
            Assert.That(outcome.TimedOut, Is.True);
            Assert.That(outcome.ExitCode, Is.Null);
            Assert.That(outcome.Describe(), Is.EqualTo("did not end within 1 s and was killed"));
        }
    }

    private static Provider Sqlite => ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;

    private async Task CreateTableAsync()
    {
        CheckCommandTests.RequireTools();
        await using var connection = new SqliteConnection(Connection);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT NOT NULL); INSERT INTO runs VALUES (1, 'new'), (2, 'new');";
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string[]> StatusesAsync()
    {
        await using var connection = new SqliteConnection(Connection);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status FROM runs ORDER BY id";
        var statuses = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statuses.Add(reader.GetString(0));
        }

        return [.. statuses];
    }
}
