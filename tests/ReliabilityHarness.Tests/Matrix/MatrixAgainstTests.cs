using System.Text.Json;
using System.Text.RegularExpressions;
using ReliabilityHarness.Tests.Cli;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>
/// <c>reliability matrix --against</c> on SQLite, against a record the same fixture made with <c>--format json</c>:
/// the matrix is run once for the record and once per comparison, each a few seconds. A record that cannot be read is
/// refused before anything runs.
/// </summary>
[NonParallelizable] // the matrix's own interleavings and kills contend for SQLite's locks
public sealed class MatrixAgainstTests
{
    private string directory = null!;
    private string record = null!;

    [OneTimeSetUp]
    public async Task Record_the_sqlite_matrix()
    {
        directory = Directory.CreateTempSubdirectory("reliability-matrix-").FullName;
        record = Path.Combine(directory, "dialect-matrix.json");
        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--format", "json", "--output", record]);
        Assert.That(run.Code, Is.Zero, run.Error);
    }

    [OneTimeTearDown]
    public void Remove_the_records() => Directory.Delete(directory, recursive: true);

    [Test]
    public async Task Against_the_record_it_just_made_the_matrix_finds_no_drift_and_exits_0()
    {
        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--against", record]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.Zero, run.Error);
            Assert.That(run.Error, Does.Match($@"matrix: no drift against {Regex.Escape(record)} \(\d+ checks compared\)"));
            Assert.That(run.Output, Does.Contain("ReliabilityHarness dialect matrix"), "the report as ever, on standard output");
        }
    }

    [Test]
    public async Task Against_a_record_with_one_observation_changed_by_hand_it_names_the_check_and_exits_1()
    {
        var json = await File.ReadAllTextAsync(record);
        const string recorded = "\"check\": \"delete-rollback\",\n    \"expected\": \"restored\",\n    \"observed\": \"restored\"";
        Assert.That(json, Does.Contain(recorded), "the record as matrix --format json writes it");
        var changed = Path.Combine(directory, "changed.json");
        await File.WriteAllTextAsync(changed, json.Replace(recorded, recorded.Replace("\"observed\": \"restored\"", "\"observed\": \"not-restored\"", StringComparison.Ordinal), StringComparison.Ordinal));

        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--format", "json", "--against", changed]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1), run.Error);
            Assert.That(run.Error, Does.Contain($"matrix: against {changed}:"));
            Assert.That(run.Error, Does.Contain("  sqlite truncate-vs-delete delete-rollback: not-restored → restored (source: "));
            Assert.That(run.Error, Does.Contain($"matrix: 1 difference against {changed}"));
            Assert.That(run.Error, Does.Contain("matrix: every engine behaved as expected"), "drift, not a broken expectation");
            Assert.That(JsonDocument.Parse(run.Output).RootElement.ValueKind, Is.EqualTo(JsonValueKind.Array), "standard output is the JSON report and nothing else");
        }
    }

    [Test]
    public async Task A_missing_record_exits_2_naming_the_file_before_anything_runs()
    {
        var missing = Path.Combine(directory, "no-such-record.json");

        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--against", missing]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Is.EqualTo($"reliability: {missing}: no such file{Environment.NewLine}"));
            Assert.That(run.Output, Is.Empty);
        }
    }

    [Test]
    public async Task A_malformed_record_exits_2_with_the_line_and_column_the_parser_stopped_at()
    {
        var malformed = Path.Combine(directory, "malformed.json");
        await File.WriteAllTextAsync(malformed, "[\n  {\"engine\": \"sqlite\",\n   \"check\": }\n]\n");

        var run = await CliRun.InProcessAsync(["matrix", "--providers", "sqlite", "--against", malformed]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Is.EqualTo($"reliability: {malformed}:3:13: '}}' is an invalid start of a value. (at $[0].check){Environment.NewLine}"));
            Assert.That(run.Output, Is.Empty);
        }
    }

    [Test]
    public async Task From_recorded_runs_the_matrix_is_reported_and_compared_without_running_an_engine()
    {
        // A second engine's run, recorded elsewhere (a CI job of its own): the sqlite record renamed.
        var other = Path.Combine(directory, "other.json");
        await File.WriteAllTextAsync(other, (await File.ReadAllTextAsync(record)).Replace("\"engine\": \"sqlite\"", "\"engine\": \"sqlite+wal\"", StringComparison.Ordinal));
        var merged = await CliRun.InProcessAsync(["matrix", "--from", $"{record},{other}", "--format", "markdown", "--against", record]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(merged.Code, Is.EqualTo(1), "sqlite+wal is not in the record: added explicitly or not at all");
            Assert.That(merged.Output, Does.Contain("| scenario / check | sqlite | sqlite+wal |"), "one table, both runs");
            Assert.That(merged.Error, Does.Contain("sqlite+wal").And.Contain("not in the record"));
            Assert.That(merged.Error, Does.Not.Contain("matrix: sqlite: crash-rollback"), "no engine ran");
        }

        var alone = await CliRun.InProcessAsync(["matrix", "--from", record, "--against", record]);
        Assert.That(alone.Code, Is.Zero, alone.Error);
    }

    [Test]
    public async Task From_with_providers_or_an_engine_in_two_files_is_bad_use()
    {
        var both = await CliRun.InProcessAsync(["matrix", "--from", record, "--providers", "sqlite"]);
        var twice = await CliRun.InProcessAsync(["matrix", "--from", $"{record},{record}"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((both.Code, twice.Code), Is.EqualTo((2, 2)));
            Assert.That(both.Error, Does.Contain("--from reports recorded runs and --providers runs engines: give one of them"));
            Assert.That(twice.Error, Does.Contain("sqlite is in an earlier --from file too: each engine once"));
        }
    }

    [Test]
    public async Task An_engine_named_for_comparison_that_does_not_run_fails_the_comparison()
    {
        // A CI job whose engine did not start must not pass by comparing nothing.
        var run = await CliRun.InProcessAsync(["matrix", "--providers", "postgresql@13", "--against", record], _ => null);
        var empty = await CliRun.InProcessAsync(["matrix", "--from", ",", "--against", record]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(1), run.Error);
            Assert.That(run.Error, Does.Contain("matrix: postgresql@13 was named in --providers and did not run, so it was not compared: "));
            Assert.That(empty.Code, Is.EqualTo(2));
            Assert.That(empty.Error, Does.Contain("--from names no file"));
        }
    }
}
