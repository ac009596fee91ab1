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
            Assert.That(Observed("truncate-vs-delete", "truncate-rollback"), Is.EqualTo("refused"));
            Assert.That(Row("truncate-vs-delete", "truncate-rollback").GetProperty("detail").GetString(), Does.Contain("near \"TRUNCATE\": syntax error"), "SQLite's own words");
            Assert.That(Observed("truncate-vs-delete", "delete-rollback"), Is.EqualTo("restored"));

            // What SQLite cannot do is not applicable, with the reason: never ok true.
            var notApplicable = rows.Where(r => r.GetProperty("observed").GetString() == Expectation.NotApplicable).ToList();
            Assert.That(notApplicable.Select(r => $"{r.GetProperty("scenario").GetString()} {r.GetProperty("check").GetString()}"), Is.EquivalentTo(new[]
            {
                "severed-connection robust", "severed-connection unreliable", "server-crash robust",
                "truncate-vs-delete truncate-implicit-commit", "truncate-vs-delete fk-referenced", "truncate-vs-delete delete-triggers",
            }));
            Assert.That(notApplicable.Select(r => r.GetProperty("ok").ValueKind), Is.All.EqualTo(JsonValueKind.Null));
            Assert.That(notApplicable.Select(r => r.GetProperty("notApplicable").GetString()), Is.All.Not.Empty);
            Assert.That(notApplicable.Where(r => r.GetProperty("scenario").GetString() == "truncate-vs-delete").Select(r => r.GetProperty("notApplicable").GetString()),
                Is.All.Contain("syntax error"), "the reason is SQLite's refusal of TRUNCATE");
        }

        JsonElement Row(string scenario, string check) =>
            rows.Single(r => r.GetProperty("scenario").GetString() == scenario && r.GetProperty("check").GetString() == check);
    }

    [Test]
    public async Task A_changed_expectation_turns_the_matrix_red_and_so_does_a_check_the_engine_was_expected_to_answer()
    {
        var report = await MatrixRunner.RunAsync([Sqlite], _ => null, Reliability,
            expectations: p => new ExpectationProfile(p.Dialect.Expectations.All.Append(new Expectation("truncate-vs-delete", "delete-rollback", "not-restored", "a deliberately wrong expectation"))
                .Append(new Expectation("truncate-vs-delete", "fk-referenced", "refused", "a deliberately wrong expectation: SQLite has no TRUNCATE to refuse"))));

        var row = report.Rows.Single(r => r.Scenario == "truncate-vs-delete" && r.Check == "delete-rollback");
        var fk = report.Rows.Single(r => r.Scenario == "truncate-vs-delete" && r.Check == "fk-referenced");
        var table = ReliabilityHarness.Cli.MatrixCommand.Table(report);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.AllAsExpected, Is.False);
            Assert.That((row.Expected, row.Observed, row.Ok), Is.EqualTo(("not-restored", "restored", (bool?)false)));
            Assert.That((fk.Expected, fk.Observed, fk.Ok), Is.EqualTo(("refused", Expectation.NotApplicable, (bool?)false)), "not answering is not a pass");
            Assert.That(table, Does.Contain("✗ restored (expected not-restored)").And.Contain("✗ not-applicable (expected refused)").And.Contain("2 NOT as expected"));

            // Checks that do not apply are – n/a, listed with their reason; never ✓.
            Assert.That(table, Does.Contain("– n/a").And.Contain("n/a: sqlite truncate-vs-delete truncate-implicit-commit: TRUNCATE was refused (SQLITE 1:"));
            Assert.That(table, Does.Not.Contain("✓ not-applicable").And.Not.Contain("✓ unsupported"));
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
