using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Cli;

/// <summary>The <c>reliability</c> command on every engine, called in-process with <c>--connection</c> to a database of the test's own.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class CliIngestTests(Provider provider) : EngineFixture(provider)
{
    private const string Seed = "payment_id,user_id,amount,currency\npay_001,user_alice,120.50,USD\npay_002,user_bob,75.25,EUR\npay_003,user_carol,9.99,GBP\n";
    private TempFiles files = null!;

    [SetUp]
    public void CreateFiles() => files = new TempFiles();

    [TearDown]
    public void RemoveFiles() => files.Dispose();

    [TestCaseSource(typeof(BadInputs), nameof(BadInputs.All))]
    public async Task Bad_input_exits_2_names_the_line_and_column_and_leaves_the_table_byte_identical(string name, byte[] content, long line, long column, string expected)
    {
        await using var database = await NewDatabaseAsync();
        Assert.That(await RunAsync(database, "ingest", "--input", files.Write("seed.csv", Seed)), Has.Property("Code").EqualTo(0));
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
        var input = files.Write("seed.csv", Seed);

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
        var run = await RunAsync(database, "ingest", "--input", files.Write("seed.csv", Seed), "--crash-after", "2");

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
        var run = await RunAsync(database, "ingest", "--input", files.Write("seed.csv", Seed), "--strategy", "unreliable", "--crash-after", "2");

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
        await RunAsync(database, "ingest", "--input", files.Write("seed.csv", Seed));
        var before = await ReadTableAsync(database);

        var run = await RunAsync(database, "ingest", "--input", files.Write("changed.csv", Seed.Replace("9.99", "99.90", StringComparison.Ordinal)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("idempotency-key conflict").And.Contain("pay_003").And.Contain("line 4"));
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
        }
    }

    [Test]
    public async Task Demo_walks_the_seed_and_every_step_shows_what_it_should()
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
    public async Task Four_ingest_processes_at_once_on_overlapping_files_all_exit_0_and_leave_each_payment_once()
    {
        await using var database = await NewDatabaseAsync();
        var payments = SamplePayments.Generate(500, seed: 11).ToList();
        var files = Enumerable.Range(0, 4).Select(w =>
        {
            // Writer w takes payments [100w, 100w + 200): each overlaps its neighbours by half, in its own order.
            var share = payments.Skip(w * 100).Take(200).OrderBy(_ => Guid.NewGuid()).ToList();
            var lines = share.Select(r => $"{r.Payment.PaymentId},{r.Payment.UserId},{Amount.ToCanonicalString(r.Payment.Amount)},{r.Payment.Currency}");
            return this.files.Write($"part{w}.csv", "payment_id,user_id,amount,currency\n" + string.Join("\n", lines) + "\n");
        }).ToList();

        var runs = await Task.WhenAll(files.Select(file =>
            CliRun.ProcessAsync("ingest", "--input", file, "--provider", Provider.Name, "--connection", database.ConnectionString)));
        var table = await ReadTableAsync(database);
        var expected = payments.Take(500).Select(r => r.Payment).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(runs.Select(r => r.Code), Is.All.Zero, () => string.Join(Environment.NewLine, runs.Select(r => r.Error)));
            Assert.That(table.Select(r => r.Payment), Is.EquivalentTo(expected), "each payment exactly once, exactly as written");
        }
    }

    private Task<CliRun> RunAsync(IsolatedDatabase database, params string[] args) =>
        CliRun.InProcessAsync([.. args, "--provider", Provider.Name, "--connection", database.ConnectionString]);
}
