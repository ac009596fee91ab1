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
}
