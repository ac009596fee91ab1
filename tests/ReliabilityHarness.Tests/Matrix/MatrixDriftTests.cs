using ReliabilityHarness.Matrix;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>
/// A run held to a recorded matrix, without an engine: runs are built here as <see cref="MatrixReport"/>s, records are
/// the JSON <c>matrix --format json</c> writes (hand-changed where a test needs drift). SQLite ran, PostgreSQL was
/// unavailable: the shape of a run on a laptop against the repository's record.
/// </summary>
public sealed class MatrixDriftTests
{
    private const string Against = "docs/dialect-matrix.json";
    private const string SqliteVersion = "SQLite 3.53.4";
    private const string PostgreSqlUnavailable = "HARNESS_POSTGRESQL is not set and no Docker engine answers";

    private static readonly MatrixRow[] SqliteRows =
    [
        Observed("crash-rollback", "robust", "clean", "DESIGN.md: one transaction, rolled back on any failure"),
        Observed("truncate-vs-delete", "delete-rollback", "restored", "DELETE is ordinary DML"),
        new("sqlite", "truncate-vs-delete", "truncate-implicit-commit", "not-applicable", "not-applicable", null, "sqlite.org/lang.html", null, null, 3,
            NotApplicable: "TRUNCATE was refused (SQLITE 1: near \"TRUNCATE\": syntax error)"),
        new("sqlite", "truncate-vs-delete", "time", "figure", "DELETE of 100,000 rows 8 ms", null, null, "DELETE of 100,000 rows 8 ms", null, 8),
        new("sqlite", "process-kill", "robust", string.Empty, string.Empty, null, null, null, "the reliability executable was not found", 0),
    ];

    [Test]
    public void A_run_identical_to_its_record_has_no_drift()
    {
        var drift = MatrixDrift.Compare(Record(Run()), Run(), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.False);
            Assert.That(drift.Differences, Is.Empty);
            Assert.That(drift.Compared, Is.EqualTo(3), "the two observations and the check that does not apply; not the figure, not the skipped check");
            Assert.That(drift.Summary, Is.EqualTo("no drift against docs/dialect-matrix.json (3 checks compared)"));
        }
    }

    [Test]
    public void An_observation_changed_by_hand_in_the_record_is_named_with_what_was_recorded_what_was_observed_and_its_source()
    {
        var json = MatrixFormats.Json(Run());
        var changed = json.Replace("\"observed\": \"restored\"", "\"observed\": \"not-restored\"", StringComparison.Ordinal);
        Assert.That(changed, Is.Not.EqualTo(json), "the record was changed");

        var drift = MatrixDrift.Compare(MatrixFormats.ParseJson(changed), Run(), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.True);
            Assert.That(drift.Differences.Select(d => d.Line), Is.EqualTo(new[]
            {
                "sqlite truncate-vs-delete delete-rollback: not-restored → restored (source: DELETE is ordinary DML)",
            }));
            Assert.That(drift.Differences.Single().Kind, Is.EqualTo(DriftKind.Changed));
            Assert.That(drift.Summary, Is.EqualTo("1 difference against docs/dialect-matrix.json"));
        }
    }

    [Test]
    public void A_check_that_did_not_apply_and_now_answers_is_drift()
    {
        var now = Run(rows: SqliteRows.Select(r => r.Check == "truncate-implicit-commit" ? r with { Observed = "restored", NotApplicable = null, Ok = false } : r).ToArray());

        var drift = MatrixDrift.Compare(Record(Run()), now, Against);

        Assert.That(drift.Differences.Select(d => d.Line), Is.EqualTo(new[]
        {
            "sqlite truncate-vs-delete truncate-implicit-commit: not-applicable → restored (source: sqlite.org/lang.html)",
        }));
    }

    [Test]
    public void A_check_only_the_run_has_is_drift_and_so_is_a_recorded_check_the_run_did_not_produce()
    {
        var record = Record(Run(rows: [.. SqliteRows.Where(r => r.Check != "robust" || r.Scenario != "crash-rollback"), Observed("crash-rollback", "retired", "clean", "an old check")]));

        var drift = MatrixDrift.Compare(record, Run(), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Differences.Select(d => (d.Kind, d.Line)), Is.EqualTo(new[]
            {
                (DriftKind.NotInRecord, "sqlite crash-rollback robust: not in the record → clean (source: DESIGN.md: one transaction, rolled back on any failure)"),
                (DriftKind.NotProduced, "sqlite crash-rollback retired: clean → not produced by this run (source: an old check)"),
            }));
            Assert.That(drift.Summary, Is.EqualTo("2 differences against docs/dialect-matrix.json"));
        }
    }

    [Test]
    public void An_engine_that_ran_and_that_the_record_does_not_have_is_drift_to_add_explicitly()
    {
        var duckdb = new MatrixEngine("duckdb", "DuckDB v1.5.6", "embedded", null);
        var postgresql = new MatrixEngine("postgresql", "PostgreSQL 15.18", "HARNESS_POSTGRESQL", null);
        var run = new MatrixReport(DateTimeOffset.UnixEpoch, [new("sqlite", SqliteVersion, "embedded", null), duckdb, postgresql],
            [.. SqliteRows, Observed("crash-rollback", "robust", "clean", "DESIGN.md") with { Engine = "duckdb" }, Observed("crash-rollback", "robust", "clean", "DESIGN.md") with { Engine = "postgresql" }]);

        // The record has no DuckDB at all, and PostgreSQL only as not run where it was made.
        var drift = MatrixDrift.Compare(Record(Run()), run, Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.True);
            Assert.That(drift.Differences.Select(d => (d.Kind, d.Line)), Is.EqualTo(new[]
            {
                (DriftKind.EngineNotInRecord, "duckdb (DuckDB v1.5.6): not in the record: add it explicitly, by regenerating the record"),
                (DriftKind.EngineNotInRecord, "postgresql (PostgreSQL 15.18): not in the record (recorded as not run): add it explicitly, by regenerating the record"),
            }), "one line an engine, not one a check");
            Assert.That(drift.Compared, Is.EqualTo(3), "SQLite is compared as ever");
        }
    }

    [Test]
    public void An_engine_in_the_record_that_did_not_run_here_is_not_compared_and_is_not_drift()
    {
        var recordedWithPostgreSql = new MatrixReport(DateTimeOffset.UnixEpoch,
            [new("sqlite", SqliteVersion, "embedded", null), new("postgresql", "PostgreSQL 15.18", "HARNESS_POSTGRESQL", null)],
            [.. SqliteRows, Observed("crash-rollback", "robust", "clean", "DESIGN.md") with { Engine = "postgresql" }]);
        var sqliteOnly = new MatrixReport(DateTimeOffset.UnixEpoch, [new("sqlite", SqliteVersion, "embedded", null)], SqliteRows);

        var unavailable = MatrixDrift.Compare(Record(recordedWithPostgreSql), Run(), Against);
        var notAsked = MatrixDrift.Compare(Record(recordedWithPostgreSql), sqliteOnly, Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unavailable.Found, Is.False);
            Assert.That(unavailable.Notes, Is.EqualTo(new[] { $"postgresql: not compared: not run here: {PostgreSqlUnavailable}" }));
            Assert.That(notAsked.Found, Is.False);
            Assert.That(notAsked.Notes, Is.EqualTo(new[] { "postgresql: not compared: not in this run" }));
        }
    }

    [Test]
    public void Timing_figures_and_skipped_checks_are_never_compared_on_either_side()
    {
        // The figure took longer, the skipped check was observed where the record was made, and the record knows
        // nothing of a check skipped here.
        var record = Record(Run(rows: SqliteRows.Select(r => r switch
        {
            { Expected: "figure" } => r with { Observed = "DELETE of 100,000 rows 31 ms" },
            { Skipped: not null } => Observed(r.Scenario, r.Check, "clean", "DESIGN.md"),
            _ => r,
        }).ToArray()));
        var run = Run(rows: [.. SqliteRows, new("sqlite", "server-crash", "robust", string.Empty, string.Empty, null, null, null, "no crash command", 0)]);

        var drift = MatrixDrift.Compare(record, run, Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Differences, Is.Empty);
            Assert.That(drift.Compared, Is.EqualTo(3));
        }
    }

    [Test]
    public void A_check_skipped_in_the_record_and_observed_in_the_run_is_not_drift()
    {
        // The record was made where the reliability executable was missing (process-kill robust skipped, with that
        // reason in "skipped"); this run had it and observed the check. The record has nothing to compare it with,
        // and the check is in the record, so it is no new check either.
        var observedHere = Run(rows: SqliteRows.Select(r => r.Skipped is null ? r : Observed(r.Scenario, r.Check, "clean", "DESIGN.md")).ToArray());
        var record = Record(Run());
        Assert.That(record.Single(r => r.Check == "robust" && r.Scenario == "process-kill").Skipped, Is.EqualTo("the reliability executable was not found"));

        var drift = MatrixDrift.Compare(record, observedHere, Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.False);
            Assert.That(drift.Differences.Select(d => d.Line), Is.Empty);
            Assert.That(drift.Compared, Is.EqualTo(3), "observed on one side only: not compared");
        }
    }

    [Test]
    public void A_check_observed_in_the_record_and_skipped_in_the_run_is_not_drift()
    {
        // The reverse: the record observed process-kill robust; here the executable is missing and the check is skipped.
        // The run produced the check (as skipped), so it is not "not produced by this run".
        var record = Record(Run(rows: SqliteRows.Select(r => r.Skipped is null ? r : Observed(r.Scenario, r.Check, "clean", "DESIGN.md")).ToArray()));

        var drift = MatrixDrift.Compare(record, Run(), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.False);
            Assert.That(drift.Differences.Select(d => d.Line), Is.Empty);
            Assert.That(drift.Compared, Is.EqualTo(3), "observed on one side only: not compared");
        }
    }

    [Test]
    public void A_new_engine_version_that_behaves_the_same_is_said_and_is_not_drift()
    {
        var drift = MatrixDrift.Compare(Record(Run()), Run(sqliteVersion: "SQLite 3.54.0"), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.False);
            Assert.That(drift.Compared, Is.EqualTo(3), "compared anyway");
            Assert.That(drift.Notes, Does.Contain("sqlite: recorded on SQLite 3.53.4, ran here on SQLite 3.54.0: compared anyway"));
        }
    }

    [Test]
    public void A_new_engine_version_that_behaves_differently_is_shown_with_both_versions()
    {
        var now = Run(sqliteVersion: "SQLite 3.54.0", rows: SqliteRows.Select(r => r.Check == "delete-rollback" ? r with { Observed = "not-restored", Ok = false } : r).ToArray());

        var drift = MatrixDrift.Compare(Record(Run()), now, Against);

        Assert.That(drift.Differences.Select(d => d.Line), Is.EqualTo(new[]
        {
            "sqlite truncate-vs-delete delete-rollback: restored on SQLite 3.53.4 → not-restored on SQLite 3.54.0 (source: DELETE is ordinary DML)",
        }));
    }

    [TestCase("[\n  {\"engine\": \"sqlite\",\n   \"check\": }\n]", ":3:13: '}' is an invalid start of a value. (at $[0].check)")]
    [TestCase("", ":1:1: The input does not contain any JSON tokens.")]
    [TestCase("{}", ":1:2: The JSON value could not be converted to an array of matrix rows.")]
    [TestCase("[{\"engine\": \"sqlite\", \"scenario\": \"crash-rollback\"}]", "missing required properties including: 'check', 'expected', 'observed'. (at $[0])")]
    [TestCase("[{\"engine\": null, \"scenario\": \"s\", \"check\": \"c\", \"expected\": \"e\", \"observed\": \"o\"}]", ":1:17: The property or field 'engine' on type 'matrix row' doesn't allow setting null values. (at $[0].engine)")]
    [TestCase("[null]", ": expected a matrix row, found null (at $[0])")]
    [TestCase("null", ": expected an array of matrix rows, found null")]
    public async Task A_malformed_record_is_refused_with_where_the_parser_stopped(string json, string said)
    {
        var (path, message) = await RefusedAsync(json);
        Assert.That(message, Does.StartWith(path).And.Contain(said));
    }

    [Test]
    public async Task A_record_with_a_check_twice_is_refused_rather_than_compared_with_one_of_them()
    {
        var (path, message) = await RefusedAsync(MatrixFormats.Json(Run(rows: [.. SqliteRows, SqliteRows[0] with { Observed = "partial" }])));
        Assert.That(message, Is.EqualTo($"{path}: sqlite crash-rollback robust is recorded twice"));
    }

    [Test]
    public async Task A_missing_record_or_one_in_a_missing_folder_is_refused_as_no_such_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"reliability-record-{Guid.NewGuid():N}.json");
        var inMissingFolder = Path.Combine(missing, "record.json");

        var file = await Assert.ThrowsAsync<MatrixRecordException>(() => MatrixDrift.ReadRecordAsync(missing));
        var folder = await Assert.ThrowsAsync<MatrixRecordException>(() => MatrixDrift.ReadRecordAsync(inMissingFolder));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((file?.Message, file?.File, file?.Line, file?.Column, file?.Problem), Is.EqualTo(($"{missing}: no such file", missing, 0L, 0L, "no such file")));
            Assert.That(folder?.Message, Is.EqualTo($"{inMissingFolder}: no such file"));
        }
    }

    [Test]
    public async Task A_record_that_cannot_be_read_is_refused_with_why()
    {
        // A folder where the record should be: the file system refuses to read it as a file.
        var folder = Directory.CreateTempSubdirectory("reliability-record-").FullName;
        try
        {
            var refused = await Assert.ThrowsAsync<MatrixRecordException>(() => MatrixDrift.ReadRecordAsync(folder));
            Assert.That(refused?.Message, Does.StartWith($"{folder}: cannot read the record: "));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Test]
    public async Task A_record_read_back_has_every_row_it_was_written_with()
    {
        var path = Path.Combine(Path.GetTempPath(), $"reliability-record-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, MatrixFormats.Json(Run()));
        try
        {
            Assert.That(await MatrixDrift.ReadRecordAsync(path), Is.EqualTo(Record(Run())));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_record_written_without_versions_is_compared_and_says_so()
    {
        var record = Record(Run()).Select(r => r with { EngineVersion = null }).ToList();

        var drift = MatrixDrift.Compare(record, Run(), Against);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Found, Is.False);
            Assert.That(drift.Compared, Is.EqualTo(3));
            Assert.That(drift.Notes, Does.Contain("sqlite: recorded on no version, ran here on SQLite 3.53.4: compared anyway"));
        }
    }

    [Test]
    public void A_changed_check_is_shown_with_the_runs_source_or_else_the_records_or_none()
    {
        var record = Record(Run(rows: SqliteRows.Select(r => r.Check switch
        {
            "robust" => r with { Observed = "partial", Source = "the record's source" },
            "delete-rollback" => r with { Observed = "not-restored" },
            "truncate-implicit-commit" => r with { Observed = "restored", Source = null },
            _ => r,
        }).ToArray()));
        var run = Run(rows: SqliteRows.Select(r => r.Check switch
        {
            "delete-rollback" => r with { Source = null },
            "truncate-implicit-commit" => r with { Source = null },
            _ => r,
        }).ToArray());

        var drift = MatrixDrift.Compare(record, run, Against);

        Assert.That(drift.Differences.Select(d => d.Line), Is.EqualTo(new[]
        {
            "sqlite crash-rollback robust: partial → clean (source: DESIGN.md: one transaction, rolled back on any failure)",
            "sqlite truncate-vs-delete delete-rollback: not-restored → restored (source: DELETE is ordinary DML)",
            "sqlite truncate-vs-delete truncate-implicit-commit: restored → not-applicable",
        }));
    }

    [Test]
    public void An_engine_not_in_the_record_is_one_difference_for_the_whole_engine_even_without_a_version()
    {
        var run = new MatrixReport(DateTimeOffset.UnixEpoch, [new("sqlite", SqliteVersion, "embedded", null), new("duckdb", null, "embedded", null)],
            [.. SqliteRows, Observed("crash-rollback", "robust", "clean", "DESIGN.md") with { Engine = "duckdb" }]);

        var difference = MatrixDrift.Compare(Record(Run()), run, Against).Differences.Single();

        Assert.That((difference.Kind, difference.Scenario, difference.Check, difference.Line), Is.EqualTo(
            (DriftKind.EngineNotInRecord, "*", "*", "duckdb (no version): not in the record: add it explicitly, by regenerating the record")));
    }

    [TestCase("[{\"engine\": 1, \"scenario\": \"s\", \"check\": \"c\", \"expected\": \"e\", \"observed\": \"o\"}]", "The JSON value could not be converted to a string. (at $[0].engine)")]
    [TestCase("[{\"engine\": \"e\", \"scenario\": \"s\", \"check\": \"c\", \"expected\": \"e\", \"observed\": \"o\", \"ok\": \"yes\"}]", "The JSON value could not be converted to true, false or null. (at $[0].ok)")]
    [TestCase("[{\"engine\": \"e\", \"scenario\": \"s\", \"check\": \"c\", \"expected\": \"e\", \"observed\": \"o\", \"milliseconds\": \"x\"}]", "The JSON value could not be converted to a number. (at $[0].milliseconds)")]
    public async Task A_field_of_the_wrong_kind_is_refused_in_the_words_of_json(string json, string said)
    {
        var (_, message) = await RefusedAsync(json);
        Assert.That(message, Does.EndWith(said));
    }

    [Test]
    public async Task A_record_with_nothing_in_it_is_refused_without_the_parsers_own_position()
    {
        var (path, message) = await RefusedAsync("  ");
        Assert.That(message, Does.StartWith($"{path}:1:3: The input does not contain any JSON tokens.").And.Not.Contain("LineNumber"));
    }

    /// <summary>Where the record was written, and what reading it back said.</summary>
    private static async Task<(string Path, string? Message)> RefusedAsync(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"reliability-record-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        try
        {
            return (path, (await Assert.ThrowsAsync<MatrixRecordException>(() => MatrixDrift.ReadRecordAsync(path)))?.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static MatrixRow Observed(string scenario, string check, string observed, string source) =>
        new("sqlite", scenario, check, observed, observed, true, source, null, null, 12.5);

    /// <summary>SQLite ran (these rows unless told otherwise), PostgreSQL was unavailable.</summary>
    private static MatrixReport Run(string sqliteVersion = SqliteVersion, MatrixRow[]? rows = null) => new(
        new DateTimeOffset(2026, 12, 2, 16, 29, 0, TimeSpan.Zero),
        [new MatrixEngine("sqlite", sqliteVersion, "embedded", null), new MatrixEngine("postgresql", null, null, PostgreSqlUnavailable)],
        [.. rows ?? SqliteRows, new MatrixRow("postgresql", "crash-rollback", "*", string.Empty, string.Empty, null, null, null, PostgreSqlUnavailable, 0)]);

    /// <summary>A record as the repository keeps one: the JSON a run was written as, read back.</summary>
    private static IReadOnlyList<MatrixJsonRow> Record(MatrixReport report) => MatrixFormats.ParseJson(MatrixFormats.Json(report));
}
