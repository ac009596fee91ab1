using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Cli;

/// <summary>The <c>reliability</c> command on every engine, called in-process with <c>--connection</c> to a database of the test's own.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class CliIngestTests(Provider provider) : EngineFixture(provider)
{
    private const string LessonCsv = "payment_id,user_id,amount,currency\npay_001,user_alice,120.50,USD\npay_002,user_bob,75.25,EUR\npay_003,user_carol,9.99,GBP\n";
    private TempFiles files = null!;

    [SetUp]
    public void CreateFiles() => files = new TempFiles();

    [TearDown]
    public void RemoveFiles() => files.Dispose();

    [TestCaseSource(typeof(BadInputs), nameof(BadInputs.All))]
    public async Task Bad_input_exits_2_names_the_line_and_column_and_leaves_the_table_byte_identical(string name, byte[] content, long line, long column, string expected)
    {
        await using var database = await NewDatabaseAsync();
        Assert.That(await RunAsync(database, "ingest", "--input", files.Write("lesson.csv", LessonCsv)), Has.Property("Code").EqualTo(0));
        var before = await ReadTableAsync(database);

        foreach (var strategy in IngestStrategies.All)
        {
            var path = files.Write("bad.csv", content);
            var run = await RunAsync(database, "ingest", "--input", path, "--strategy", strategy.Name);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(run.Code, Is.EqualTo(2), run.Error);
                Assert.That(run.Error, Does.StartWith($"reliability: {path}:{line}:{column}: ").And.Contain(expected).And.Contain("Nothing was written."));
                Assert.That(run.Error, Does.Not.Match(@"(?m)^\s+at \S"), "no stack trace for a user's mistake");
                Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
            }
        }
    }

    [Test]
    public async Task Robust_ingest_exits_0_with_counts_and_a_rerun_reports_every_row_unchanged()
    {
        await using var database = await NewDatabaseAsync();
        var input = files.Write("lesson.csv", LessonCsv);

        var first = await RunAsync(database, "ingest", "--input", input);
        var afterFirst = await ReadTableAsync(database);
        var second = await RunAsync(database, "ingest", "--input", input);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Code, Is.Zero, first.Error);
            Assert.That(first.Output, Does.Contain("3 inserted, 0 updated, 0 unchanged"));
            Assert.That(second.Code, Is.Zero, second.Error);
            Assert.That(second.Output, Does.Contain("0 inserted, 0 updated, 3 unchanged"));
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(afterFirst.Select(r => r.Raw)));
        }
    }

    [Test]
    public async Task Robust_crash_exits_1_says_rolled_back_and_leaves_no_row()
    {
        await using var database = await NewDatabaseAsync();
        var run = await RunAsync(database, "ingest", "--input", files.Write("lesson.csv", LessonCsv), "--crash-after", "2");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("simulated crash after 2 row(s)").And.Contain("Rolled back"));
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }

    [Test]
    public async Task Unreliable_crash_exits_1_and_says_the_written_rows_stay()
    {
        await using var database = await NewDatabaseAsync();
        var run = await RunAsync(database, "ingest", "--input", files.Write("lesson.csv", LessonCsv), "--strategy", "unreliable", "--crash-after", "2");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("2 row(s) written before the failure stay"));
            Assert.That(await ReadTableAsync(database), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_changed_amount_under_a_known_id_exits_1_naming_the_id_and_line()
    {
        await using var database = await NewDatabaseAsync();
        await RunAsync(database, "ingest", "--input", files.Write("lesson.csv", LessonCsv));
        var before = await ReadTableAsync(database);

        var run = await RunAsync(database, "ingest", "--input", files.Write("changed.csv", LessonCsv.Replace("9.99", "99.90", StringComparison.Ordinal)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("idempotency-key conflict").And.Contain("pay_003").And.Contain("line 4"));
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
        }
    }

    [Test]
    public async Task Demo_walks_the_payments_lesson_and_every_step_shows_what_it_should()
    {
        await using var database = await NewDatabaseAsync();
        var run = await RunAsync(database, "demo");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.Zero, run.Output + run.Error);
            Assert.That(run.Output, Does.Contain("Step 7. robust rerun of the same file").And.Contain("Every step showed what it should"));
            Assert.That(run.Output, Does.Not.Contain("NOT as expected"));
        }
    }

    [Test]
    [NonParallelizable] // four processes contend for the engine's locks on purpose
    public async Task Four_ingest_processes_at_once_on_overlapping_files_leave_each_payment_once_as_the_engine_shares_its_file()
    {
        await using var database = await NewDatabaseAsync();
        var payments = SamplePayments.Generate(500, seed: 11).ToList();
        var shares = Enumerable.Range(0, 4).Select(w =>
            // Writer w takes payments [100w, 100w + 200): each overlaps its neighbours by half, in its own order.
            payments.Skip(w * 100).Take(200).OrderBy(_ => Guid.NewGuid()).ToList()).ToList();
        var files = shares.Select((share, w) =>
        {
            var lines = share.Select(r => $"{r.Payment.PaymentId},{r.Payment.UserId},{Amount.ToCanonicalString(r.Payment.Amount)},{r.Payment.Currency}");
            return this.files.Write($"part{w}.csv", "payment_id,user_id,amount,currency\n" + string.Join("\n", lines) + "\n");
        }).ToList();

        var runs = await Task.WhenAll(files.Select(file =>
            CliRun.ProcessAsync("ingest", "--input", file, "--provider", Provider.Name, "--connection", database.ConnectionString)));
        var table = await ReadTableAsync(database);

        // Where the engine shares its database between processes, every writer succeeds. Where one process at a time
        // may open it (DuckDB), a writer that finds it open elsewhere fails naming the lock: exit 3 when its first
        // connection is refused, 1 when the file was taken between that check and the run (the run's retries of a
        // busy file ran out). Which writers fail depends on timing, so what must hold is that the others succeed
        // and the table holds exactly their payments.
        var shared = Provider.Dialect.Expectations.For(ConcurrentWritersScenario.Id, SecondProcessScenario.Check).Expected == "shared";
        var succeeded = Enumerable.Range(0, 4).Where(w => runs[w].Code == 0).ToList();
        var expected = succeeded.SelectMany(w => shares[w]).Select(r => r.Payment).DistinctBy(p => p.PaymentId).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(shared ? runs.Select(r => r.Code) : runs.Where(r => r.Code != 0).Select(r => r.Code), shared ? Is.All.Zero : Is.All.EqualTo(3).Or.EqualTo(1),
                () => string.Join(Environment.NewLine, runs.Select(r => r.Error)));
            Assert.That(runs.Where(r => r.Code != 0).Select(r => r.Error), Is.All.Contain("lock"), "a refused writer says why");
            Assert.That(succeeded, Is.Not.Empty, "at least the first writer to open the database succeeds");
            Assert.That(table.Select(r => r.Payment), Is.EquivalentTo(expected), "each payment of the writers that ran exactly once, exactly as written");
        }
    }

    [Test]
    public async Task A_second_process_ingests_while_this_one_holds_the_database_open_as_the_engine_documents()
    {
        await using var database = await NewDatabaseAsync();
        var csv = files.Write("second.csv", "payment_id,user_id,amount,currency\npay_1,user_1,10.50,USD\n");
        var observation = await SecondProcessScenario.RunAsync(Provider, database.ConnectionString, ChildCommand.InDirectory(AppContext.BaseDirectory), csv);
        Assert.That(observation.Outcome, Is.EqualTo(Provider.Dialect.Expectations.For(ConcurrentWritersScenario.Id, SecondProcessScenario.Check).Expected), observation.Said);
    }

    private Task<CliRun> RunAsync(IsolatedDatabase database, params string[] args) =>
        CliRun.InProcessAsync([.. args, "--provider", Provider.Name, "--connection", database.ConnectionString]);
}
