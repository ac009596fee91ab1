using System.Text.Json;
using ReliabilityHarness.Cli;
using ReliabilityHarness.Matrix;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Cli;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>
/// The matrix command runs the scenarios the suite asserts on, from the same code, and holds them to the same
/// expectation profiles. SQLite always runs, so these check the command itself; the engines' behaviours are the
/// scenario fixtures' business.
/// </summary>
[NonParallelizable] // the matrix's own interleavings and kills contend for SQLite's locks
public sealed class MatrixTests
{
    private static readonly Provider Sqlite = ProviderCatalog.Find("sqlite")!;
    private static readonly ChildCommand Reliability = ChildCommand.InDirectory(AppContext.BaseDirectory);

    [Test]
    public async Task Json_has_a_row_per_check_with_what_was_expected_and_observed_and_exits_0()
    {
        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--format", "json"]);
        Assert.That(run.Code, Is.Zero, run.Error);

        using var json = JsonDocument.Parse(run.Output);
        var rows = json.RootElement.EnumerateArray().ToList();
        string Observed(string scenario, string check) =>
            rows.Single(r => r.GetProperty("scenario").GetString() == scenario && r.GetProperty("check").GetString() == check).GetProperty("observed").GetString()!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.Select(r => r.GetProperty("engine").GetString()), Is.All.EqualTo("sqlite"));
            foreach (var field in new[] { "engine", "scenario", "check", "expected", "observed", "ok" })
            {
                Assert.That(rows.All(r => r.TryGetProperty(field, out _)), Is.True, $"every row has '{field}'");
            }

            Assert.That(rows.Where(r => r.GetProperty("ok").ValueKind != JsonValueKind.Null).Select(r => r.GetProperty("ok").GetBoolean()), Is.All.True);
            Assert.That(rows.Select(r => r.GetProperty("scenario").GetString()).Distinct(),
                Is.EquivalentTo(MatrixRunner.Scenarios.Select(s => s.Id)), "every scenario the harness has");
            Assert.That(Observed("crash-rollback", "robust"), Is.EqualTo("clean"));
            Assert.That(Observed("crash-rollback", "unreliable"), Is.EqualTo("partial"));
            Assert.That(Observed("truncate-vs-delete", "truncate-rollback"), Is.EqualTo("unsupported"));
            Assert.That(Observed("truncate-vs-delete", "delete-rollback"), Is.EqualTo("restored"));
        }
    }

    [Test]
    public async Task A_changed_expectation_turns_the_matrix_red()
    {
        var report = await MatrixRunner.RunAsync([Sqlite], _ => null, Reliability,
            expectations: p => new ExpectationProfile(p.Dialect.Expectations.All.Append(new Expectation("truncate-vs-delete", "delete-rollback", "not-restored", "a deliberately wrong expectation"))));

        var row = report.Rows.Single(r => r.Scenario == "truncate-vs-delete" && r.Check == "delete-rollback");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.AllAsExpected, Is.False);
            Assert.That((row.Expected, row.Observed, row.Ok), Is.EqualTo(("not-restored", "restored", (bool?)false)));
            Assert.That(ReliabilityHarness.Cli.MatrixCommand.Table(report), Does.Contain("✗ restored (expected not-restored)").And.Contain("1 NOT as expected"));
        }
    }

    [Test]
    public async Task An_unavailable_engine_is_listed_as_skipped_with_its_reason_and_does_not_fail_the_run()
    {
        var postgresql = ProviderCatalog.Find("postgresql")!;
        const string password = "matrix-s3cret";
        var environment = (string name) => name == postgresql.EnvironmentVariable ? $"Host=127.0.0.1;Port=1;Username=u;Password={password};Timeout=3" : null;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await ReliabilityHarness.Cli.Cli.RunAsync(["matrix", "--providers", "postgresql", "--format", "markdown"], output, error, environment);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero, error.ToString());
            Assert.That(output.ToString(), Does.Contain("postgresql: not run here").And.Contain("HARNESS_POSTGRESQL").And.Contain("– skipped"));
            Assert.That(output.ToString() + error, Does.Not.Contain(password));
        }
    }

    [TestCase("--format", "yaml")]
    [TestCase("--providers", "oracle")]
    public async Task A_bad_option_exits_2(string option, string value) =>
        Assert.That((await CliRun.InProcessAsync(["matrix", option, value])).Code, Is.EqualTo(2));
}
