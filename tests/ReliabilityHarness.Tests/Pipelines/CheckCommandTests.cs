using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Cli;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// <c>reliability check</c> on the data-engineering lesson this repository's payments come from: a CSV of payments
/// loaded into a table by a Python script (samples/python-sqlite). The lesson's unreliable script (autocommit, a
/// plain INSERT per row) must be seen failing every property it breaks; its robust one (one transaction, an upsert)
/// must hold them all. Needs strace and python3 (CI installs both; <c>sqlite:strace</c> in HARNESS_REQUIRE makes
/// their absence a failure).
/// </summary>
[NonParallelizable] // each check runs dozens of processes; beside the rest of the suite its timings mean nothing and it slows everyone
public sealed class CheckCommandTests
{
    private static string Lesson => RepositoryFiles.PathOf("samples", "python-sqlite");

    [Test]
    public async Task The_lessons_unreliable_pipeline_is_seen_failing_atomic_recovers_rerun_and_concurrent()
    {
        var (run, verdicts) = await CheckLessonAsync("unreliable_pipeline.py");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1), run.Error);
            Assert.That(verdicts.Keys, Is.EqualTo(PipelineProperty.All));
            Assert.That(verdicts[PipelineProperty.CleanRun].Ok, Is.True);
            Assert.That(verdicts[PipelineProperty.RerunIdempotent].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.RerunIdempotent].Evidence, Has.Some.Contains("UNIQUE constraint failed"), "the rerun fails on the key");
            Assert.That(verdicts[PipelineProperty.Atomic].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.Atomic].Evidence, Has.Some.StartsWith("first mixed state: crash at write"));
            Assert.That(verdicts[PipelineProperty.Atomic].Evidence, Has.Some.Contains("extra   (payment_id=pay_0001"), "the first crash that leaves a mix leaves the first row");
            Assert.That(verdicts[PipelineProperty.Recovers].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.Atomic].Trials, Is.EqualTo(verdicts[PipelineProperty.Recovers].Trials).And.GreaterThan(12), "a crash at every write of a dozen autocommitted rows");
        }
    }

    [Test]
    public async Task The_lessons_robust_pipeline_holds_every_property_with_processed_at_learned_as_nondeterministic()
    {
        var (run, verdicts) = await CheckLessonAsync("robust_pipeline.py", "--kills", "3");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(0), run.Output + run.Error);
            Assert.That(verdicts.Values.Select(v => v.Ok), Is.All.True);
            Assert.That(verdicts[PipelineProperty.CleanRun].Evidence, Has.Some.EqualTo("nondeterministic columns (compared by presence across runs): payments.processed_at"));
            Assert.That(verdicts[PipelineProperty.Atomic].Evidence[0], Does.Contain("3 random kill(s)"));
            Assert.That(verdicts[PipelineProperty.Atomic].Failures, Is.Zero);
        }
    }

    [Test]
    public async Task Without_a_setup_command_the_database_file_is_saved_and_put_back_before_each_trial()
    {
        var database = NewDatabasePath();
        await RunPythonAsync("setup_db.py", database);

        var run = await CheckAsync(database, null, "--format", "json", "--concurrency", "0", "--", Python, Path.Combine(Lesson, "robust_pipeline.py"));
        var verdicts = Parse(run.Output);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(0), run.Error);
            Assert.That(verdicts[PipelineProperty.Atomic].Ok, Is.True);
            Assert.That(verdicts[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.Null, "not asked with --concurrency 0");
            Assert.That(verdicts[PipelineProperty.ConcurrentExactlyOnce].Evidence[0], Does.StartWith("not asked"));
        }
    }

    [Test]
    public async Task A_pipeline_that_never_ends_is_killed_after_the_timeout_and_reported()
    {
        var database = NewDatabasePath();
        await RunPythonAsync("setup_db.py", database);

        var run = await CheckAsync(database, null, "--timeout", "2", "--", "sleep", "600");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(run.Output, Does.Contain("did not end within 2 s and was killed"));
            Assert.That(run.Output, Does.Contain("✗ clean-run"));
        }
    }

    [TestCase("", "needs the pipeline to run after '--'", TestName = "{m}(no --)")]
    [TestCase("--", "needs the pipeline to run after '--'", TestName = "{m}(nothing after --)")]
    [TestCase("-- no-such-program-here", "cannot find the pipeline's program 'no-such-program-here'", TestName = "{m}(unknown program)")]
    [TestCase("--kills many -- true", "--kills must be a whole number", TestName = "{m}(kills not a number)")]
    [TestCase("--format yaml -- true", "unknown format 'yaml'", TestName = "{m}(unknown format)")]
    [TestCase("--table , -- true", "--table names no table", TestName = "{m}(no table)")]
    [TestCase("--output /no/such/folder/report.json -- true", "the folder /no/such/folder does not exist", TestName = "{m}(output folder missing)")]
    public async Task Bad_use_exits_2_and_says_what_was_expected(string rest, string expected)
    {
        var database = NewDatabasePath();
        var run = await CheckAsync(database, null, rest.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain(expected));
            Assert.That(run.Error, Does.Not.Contain("   at "), "no stack trace for a user's mistake");
        }
    }

    [Test]
    public async Task A_program_that_is_not_executable_exits_2_saying_how_to_run_it()
    {
        var database = NewDatabasePath();
        var script = Path.Combine(Path.GetDirectoryName(database)!, "pipeline.py");
        await File.WriteAllTextAsync(script, "print('hello')\n");

        var run = await CheckAsync(database, null, "--", script);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("is not executable"));
        }
    }

    [Test]
    public async Task A_child_left_running_in_the_background_neither_holds_up_the_run_nor_outlives_it()
    {
        var database = NewDatabasePath();
        await RunPythonAsync("setup_db.py", database);
        var folder = Path.GetDirectoryName(database)!;
        var (marker, child) = (Path.Combine(folder, "still-running"), Path.Combine(folder, "child.pid"));

        // The load runs in the foreground; only after it ends is a child put in the background, which would keep the
        // output open for a minute, then leave a file behind. The braces matter: `load && (…) &` would background the
        // whole list, the shell would end at once, and the run's end would kill the load itself, racing it (the
        // check then compares two clean runs of which one loaded and one did not, or holds because neither did).
        var run = await CheckAsync(database, null, "--format", "json", "--concurrency", "0", "--timeout", "20", "--",
            "/bin/sh", "-c", $"{Python} {Path.Combine(Lesson, "robust_pipeline.py")} && {{ (sleep 60; touch {marker}) & echo $! > {child}; }}");
        var verdicts = Parse(run.Output);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts[PipelineProperty.CleanRun].Ok, Is.True, string.Join("\n", verdicts[PipelineProperty.CleanRun].Evidence));
            Assert.That(verdicts[PipelineProperty.CleanRun].Evidence[0], Does.Not.Contain("did not end"));
            Assert.That(verdicts[PipelineProperty.Atomic].Trials, Is.GreaterThan(0), "the load wrote in every clean run, so there were writes to crash at");
            Assert.That(await EndedWithinAsync(int.Parse(await File.ReadAllTextAsync(child), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(5)), Is.True,
                "the last run's background child was killed when the run ended");
            Assert.That(File.Exists(marker), Is.False);
        }
    }

    /// <summary>
    /// Whether a process has ended (gone, or a zombie nobody reaps: an orphan's new parent may never wait for it)
    /// within <paramref name="bound"/>. The run sends SIGKILL before it returns, but the process dies when next
    /// scheduled, so it is looked at again until then.
    /// </summary>
    private static async Task<bool> EndedWithinAsync(int pid, TimeSpan bound)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string stat;
            try
            {
                stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return true;
            }

            // The state follows the command name in parentheses, which may itself hold spaces or parentheses.
            if (stat[(stat.LastIndexOf(')') + 2)..] is ['Z' or 'X', ..])
            {
                return true;
            }

            if (deadline.Elapsed > bound)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    [Test]
    public async Task Writes_from_two_processes_leave_atomicity_undecided_or_failed_never_holding()
    {
        var database = NewDatabasePath();
        await RunPythonAsync("setup_db.py", database);
        string Insert(string id) =>
            $"{Python} -c \"import os, sqlite3; sqlite3.connect(os.environ['RELIABILITY_SQLITE_PATH'], isolation_level=None).execute(\\\"INSERT OR IGNORE INTO payments VALUES ('{id}', 'u', '1.00', 'EUR', 'captured', '2024-01-01')\\\")\"";

        // strace counts each process's writes on its own: the second process's k-th write is no point of the first's.
        var run = await CheckAsync(database, null, "--format", "json", "--concurrency", "0", "--", "/bin/sh", "-c", $"{Insert("pay_a")} && {Insert("pay_b")}");
        var atomic = Parse(run.Output)[PipelineProperty.Atomic];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1), run.Error);
            Assert.That(atomic.Ok, Is.Not.True, string.Join("\n", atomic.Evidence));
        }
    }

    [Test]
    public async Task An_unknown_table_exits_2_naming_it_and_leaves_the_database_as_it_was()
    {
        var database = NewDatabasePath();
        await RunPythonAsync("setup_db.py", database);
        var before = await File.ReadAllBytesAsync(database);

        var run = await CheckAsync(database, null, "--table", "paymnets", "--", Python, Path.Combine(Lesson, "robust_pipeline.py"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("cannot read table 'paymnets'"));
            Assert.That(await File.ReadAllBytesAsync(database), Is.EqualTo(before), "the pipeline never ran");
        }
    }

    [Test]
    public async Task A_setup_command_that_fails_exits_2_with_its_output()
    {
        var database = NewDatabasePath();
        var run = await CheckAsync(database, "echo 'cannot reach the lesson data' >&2; exit 4", "--", Python, Path.Combine(Lesson, "robust_pipeline.py"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("the setup command failed (exit 4)"));
            Assert.That(run.Error, Does.Contain("cannot reach the lesson data"));
        }
    }

    /// <summary>python3 of the system where there is one (faster to start than a version manager's shim).</summary>
    internal static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private async Task<(CliRun Run, Dictionary<string, Verdict> Verdicts)> CheckLessonAsync(string script, params string[] options)
    {
        var database = NewDatabasePath();
        var run = await CheckAsync(database, $"{Python} {Path.Combine(Lesson, "setup_db.py")}", [.. options, "--format", "json", "--", Python, Path.Combine(Lesson, script)]);
        return (run, run.Code is 0 or 1 ? Parse(run.Output) : []);
    }

    private static Task<CliRun> CheckAsync(string database, string? setup, params string[] rest)
    {
        RequireTools();
        List<string> args = ["check", "--provider", "sqlite", "--connection", $"Data Source={database}"];
        if (!rest.Contains("--table"))
        {
            args.AddRange(["--table", "payments"]);
        }

        if (setup is not null)
        {
            args.AddRange(["--setup", setup]);
        }

        return CliRun.InProcessAsync([.. args, .. rest]);
    }

    internal static void RequireTools()
    {
        var missing = new[] { "strace", "python3" }.Where(tool => ProgramPath.Find(tool) is null).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var reason = $"{string.Join(" and ", missing)} not installed: reliability check crashes an embedded engine's pipeline with strace, and the lesson is in Python";
        if (TestEngines.IsRequired(ProviderCatalog(), "strace"))
        {
            Assert.Fail($"{reason} (sqlite:strace is in {TestEngines.RequireVariable})");
        }

        Assert.Ignore(reason);
    }

    private static Provider ProviderCatalog() => ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;

    private readonly List<string> folders = [];

    [TearDown]
    public void RemoveFolders()
    {
        foreach (var folder in folders)
        {
            Directory.Delete(folder, recursive: true);
        }

        folders.Clear();
    }

    private string NewDatabasePath()
    {
        var folder = Directory.CreateTempSubdirectory("reliability-check-test-").FullName;
        folders.Add(folder);
        return Path.Combine(folder, "lesson.db");
    }

    private static async Task RunPythonAsync(string script, string database)
    {
        RequireTools();
        var start = new System.Diagnostics.ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Lesson, script));
        start.Environment["RELIABILITY_SQLITE_PATH"] = database;
        using var process = System.Diagnostics.Process.Start(start)!;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        Assert.That(process.ExitCode, Is.Zero, await process.StandardError.ReadToEndAsync());
        SqliteConnection.ClearAllPools();
    }

    internal sealed record Verdict(string Property, bool? Ok, int Trials, int Failures, string[] Evidence);

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    internal static Dictionary<string, Verdict> Parse(string json) =>
        JsonSerializer.Deserialize<Verdict[]>(json, Json)!.ToDictionary(v => v.Property);
}
