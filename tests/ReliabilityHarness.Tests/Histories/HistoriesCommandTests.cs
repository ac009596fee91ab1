using System.Text.Json;
using ReliabilityHarness.Tests.Cli;

namespace ReliabilityHarness.Tests.Histories;

/// <summary><c>reliability histories check</c>: a history file checked against a model, exit 0 valid, 1 not, 2 malformed.</summary>
public sealed class HistoriesCommandTests
{
    // Write skew: each transaction read the key the other appended to, and saw it empty; a third saw both appends.
    private const string WriteSkew = """
        {:type :invoke, :f :txn, :value [[:r 1 nil] [:append 2 1]], :process 0, :index 0}
        {:type :invoke, :f :txn, :value [[:r 2 nil] [:append 1 1]], :process 1, :index 1}
        {:type :ok, :f :txn, :value [[:r 1 []] [:append 2 1]], :process 0, :index 2}
        {:type :ok, :f :txn, :value [[:r 2 []] [:append 1 1]], :process 1, :index 3}
        {:type :invoke, :f :txn, :value [[:r 1 nil] [:r 2 nil]], :process 2, :index 4}
        {:type :ok, :f :txn, :value [[:r 1 [1]] [:r 2 [1]]], :process 2, :index 5}
        """;

    private readonly List<string> files = [];

    [TearDown]
    public void RemoveFiles()
    {
        files.ForEach(File.Delete);
        files.Clear();
    }

    [TestCase("serializable", 1)]
    [TestCase("repeatable-read", 1)]
    [TestCase("snapshot-isolation", 0)]
    [TestCase("read-committed", 0)]
    public async Task Write_skew_is_valid_only_for_the_models_that_allow_G2_item(string model, int code)
    {
        var run = await CliRun.InProcessAsync(["histories", "check", Write(WriteSkew), "--model", model]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(code), run.Error);
            Assert.That(run.Output, Does.Contain("G2-item: a cycle of 2 transactions"));
            Assert.That(run.Output, Does.Contain("read key 2 = [], T0 appended the first value 1"), "each edge says why it exists");
        }
    }

    [Test]
    public async Task Without_a_model_the_history_is_held_to_serializable_and_json_lists_every_model()
    {
        var run = await CliRun.InProcessAsync(["histories", "check", Write(WriteSkew), "--format", "json"]);
        using var json = JsonDocument.Parse(run.Output);
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("model").GetString()!, m => m.GetProperty("valid").GetBoolean());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1));
            Assert.That(models, Is.EqualTo(new Dictionary<string, bool> { ["read-committed"] = true, ["snapshot-isolation"] = true, ["repeatable-read"] = false, ["serializable"] = false }));
            Assert.That(json.RootElement.GetProperty("anomalies")[0].GetProperty("cycle").GetArrayLength(), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task A_malformed_history_exits_2_naming_its_line_and_column()
    {
        var path = Write("{:type :ok, :f :txn, :value [[:r 1 []]], :process 0}\n{:type :ok :value [[:append 1 x]], :process 0}\n");

        var run = await CliRun.InProcessAsync(["histories", "check", path]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Match($@"^reliability: {Path.GetFileName(path)}:2:\d+: "));
            Assert.That(run.Error, Does.Not.Contain("   at "));
        }
    }

    [TestCase("--model strict", "unknown model 'strict'")]
    [TestCase("--format yaml", "unknown format 'yaml'")]
    public async Task Bad_use_exits_2(string options, string expected)
    {
        var run = await CliRun.InProcessAsync(["histories", "check", Write(WriteSkew), .. options.Split(' ')]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain(expected));
        }
    }

    [Test]
    public async Task A_missing_file_exits_2()
    {
        var run = await CliRun.InProcessAsync(["histories", "check", "/no/such/history.edn"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("/no/such/history.edn: no such file"));
        }
    }

    [Test]
    public async Task Run_on_sqlite_writes_a_history_that_check_accepts()
    {
        var directory = Directory.CreateTempSubdirectory("reliability-histories-");
        try
        {
            var run = await CliRun.InProcessAsync(["histories", "run", "--providers", "sqlite", "--levels", "serializable,read-committed", "--txns", "100", "--history-dir", directory.FullName]);
            var history = Path.Combine(directory.FullName, "sqlite-serializable.edn");
            var check = await CliRun.InProcessAsync(["histories", "check", history]);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(run.Code, Is.EqualTo(0), run.Error);
                Assert.That(run.Output, Does.Match(@"sqlite +\| serializable +\| \d+/\d+/\d+ +\| none +\|"), "SQLite is serializable: no anomaly");
                Assert.That(run.Output, Does.Match(@"sqlite +\| read-committed +\| – +\| – not offered"), "a level the engine does not offer is not run");
                Assert.That(Directory.GetFiles(directory.FullName).Select(Path.GetFileName), Is.EqualTo(new[] { "sqlite-serializable.edn" }));
                Assert.That(check.Code, Is.EqualTo(0), check.Output + check.Error);
                Assert.That(check.Output, Does.Contain("100 transactions; anomalies: none"));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [TestCase("--levels read-uncommitted", "unknown level 'read-uncommitted'")]
    [TestCase("--txns 0", "--txns must be an integer of at least 1, not '0'")]
    [TestCase("--faults bogus", "unknown faults 'bogus'; expected none, sever, kill, crash")]
    public async Task Run_refuses_bad_use_with_exit_2(string options, string expected)
    {
        var run = await CliRun.InProcessAsync(["histories", "run", "--providers", "sqlite", .. options.Split(' ')]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain(expected));
        }
    }

    [Test]
    public async Task Run_with_faults_kill_kills_the_client_process_and_writes_json_to_the_output_file()
    {
        var report = Path.Combine(Path.GetTempPath(), $"reliability-histories-{Guid.NewGuid():N}.json");
        files.Add(report);
        var run = await CliRun.InProcessAsync(["histories", "run", "--providers", "sqlite", "--levels", "serializable", "--clients", "4", "--txns", "200", "--keys", "4",
            "--faults", "kill", "--format", "json", "--output", report]);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var row = json.RootElement.GetProperty("runs")[0];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(0), run.Error);
            Assert.That(run.Output, Is.Empty, "the report went to --output");
            Assert.That(json.RootElement.GetProperty("options").GetProperty("faults").GetString(), Is.EqualTo("kill"));
            Assert.That(row.GetProperty("faults").GetInt32(), Is.InRange(1, 2), "client processes killed");
            Assert.That(row.GetProperty("ok").GetInt32() + row.GetProperty("failed").GetInt32() + row.GetProperty("unknown").GetInt32(), Is.EqualTo(200));
            Assert.That(row.GetProperty("counts").EnumerateObject(), Is.Empty, "SQLite stays serializable across killed clients");
            Assert.That(row.GetProperty("validFor").EnumerateArray().Select(v => v.GetString()), Does.Contain("serializable"));
        }
    }

    [TestCase("sever", "no server session to sever")]
    [TestCase("crash", "no server to crash")]
    public async Task A_fault_that_does_not_apply_is_a_row_that_says_why_in_markdown(string fault, string reason)
    {
        var run = await CliRun.InProcessAsync(["histories", "run", "--providers", "sqlite", "--faults", fault, "--format", "markdown"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(0), run.Error);
            Assert.That(run.Output, Does.Contain("| engine | level | ok/fail/info | anomalies | valid for |"));
            Assert.That(run.Output, Does.Match($@"\| sqlite \| – \| – \| – not applicable: [^|]*{reason}"));
        }
    }

    [Test]
    public async Task Crash_without_the_engine_crash_and_start_commands_is_unavailable_exit_3()
    {
        var run = await CliRun.InProcessAsync(["histories", "run", "--providers", "postgresql", "--faults", "crash"], _ => null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(3), run.Error);
            Assert.That(run.Output, Does.Contain("--faults crash needs HARNESS_POSTGRESQL_CRASH and HARNESS_POSTGRESQL_START"));
        }
    }

    private string Write(string history)
    {
        var path = Path.Combine(Path.GetTempPath(), $"reliability-history-{Guid.NewGuid():N}.edn");
        File.WriteAllText(path, history);
        files.Add(path);
        return path;
    }
}
