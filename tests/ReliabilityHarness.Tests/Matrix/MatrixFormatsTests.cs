using ReliabilityHarness.Matrix;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>
/// The matrix as a reader sees it, without an engine: one report built here with every kind of cell (as expected, not
/// as expected, not applicable, skipped, a figure, a check an engine does not have), two versions of one engine that
/// disagree, an engine that did not run, and a random-histories row; then its Markdown page, its console header, its
/// JSON rows and the report made again from them.
/// </summary>
public sealed class MatrixFormatsTests
{
    private static readonly MatrixReport Report = new(
        new DateTimeOffset(2026, 12, 2, 16, 29, 0, TimeSpan.Zero),
        [
            new("sqlite", "SQLite 3.53.4", "embedded", null),
            new("postgresql@13", "PostgreSQL 13.23", "HARNESS_POSTGRESQL", null),
            new("postgresql@18", "PostgreSQL 18.4", "HARNESS_POSTGRESQL", null),
            new("sqlserver", null, null, "HARNESS_SQLSERVER is not set"),
        ],
        [
            Row("sqlite", "crash-rollback", "robust", "clean", "clean", true),
            Row("postgresql@13", "crash-rollback", "robust", "clean", "partial | torn", false),
            Row("postgresql@18", "crash-rollback", "robust", "clean", "clean", true),
            new("sqlserver", "crash-rollback", "*", string.Empty, string.Empty, null, null, null, "HARNESS_SQLSERVER is not set", 0),
            new("sqlite", "truncate-vs-delete", "truncate-implicit-commit", "not-applicable", "not-applicable", null, "sqlite.org", null, null, 3,
                NotApplicable: "TRUNCATE was refused"),
            new("sqlite", "truncate-vs-delete", "time", "figure", "DELETE of 100 rows 8 ms", null, null, null, null, 8),
            new("postgresql@13", "truncate-vs-delete", "time", "figure", "DELETE of 100 rows 5 ms", null, null, null, null, 5),
            new("postgresql@18", "truncate-vs-delete", "time", "figure", "DELETE of 100 rows 4 ms", null, null, null, null, 4),
            new("postgresql@13", "process-kill", "robust", string.Empty, string.Empty, null, null, null, "the reliability executable was not found", 0),
            Row("postgresql@18", "process-kill", "robust", "clean", "clean", true),
            Row("postgresql@13", "lost-update", "counter@serializable", "refused", "refused", true),
            Row("postgresql@13", "lost-update", "counter@read-committed", "lost", "lost", true),
            Row("postgresql@18", "lost-update", "counter@serializable", "refused", "refused", true),
            Row("postgresql@18", "lost-update", "counter@read-committed", "lost", "lost", true),
            Row("sqlite", "lost-update", "counter@serializable", "refused", "refused", true),
            Row("sqlite", RandomHistoriesMatrix.ScenarioId, "serializable", "serializable", "serializable", true) with { Detail = "no anomaly in 200 transactions" },
        ]);

    [Test]
    public void The_markdown_page_shows_every_kind_of_cell_and_says_why_under_the_table()
    {
        var expected = """
            # Dialect matrix

            Generated 2026-12-02 16:29 UTC by `reliability matrix`.

            - sqlite: SQLite 3.53.4 (embedded)
            - postgresql@13: PostgreSQL 13.23 (HARNESS_POSTGRESQL)
            - postgresql@18: PostgreSQL 18.4 (HARNESS_POSTGRESQL)
            - sqlserver: not run here: HARNESS_SQLSERVER is not set


            | scenario / check | sqlite | postgresql@13 | postgresql@18 | sqlserver |
            |---|---|---|---|---|
            | crash-rollback robust | ✓ clean | ✗ partial \| torn (expected clean) | ✓ clean | – skipped |
            | truncate-vs-delete time | DELETE of 100 rows 8 ms | DELETE of 100 rows 5 ms | DELETE of 100 rows 4 ms | — |
            | truncate-vs-delete truncate-implicit-commit | – n/a | — | — | — |
            | process-kill robust | — | – skipped | ✓ clean | — |
            | lost-update counter@read-committed | — | ✓ lost | ✓ lost | — |
            | lost-update counter@serializable | ✓ refused | ✓ refused | ✓ refused | — |
            | random-histories serializable | ✓ serializable | — | — | — |

            ✓ as the engine's expectation profile says (each with a source: see the JSON format); ✗ not; – n/a: the check does not apply to the engine (why, below: never a pass); – skipped: not run here (why, below).

            - n/a: sqlite truncate-vs-delete truncate-implicit-commit: TRUNCATE was refused
            - skipped: postgresql@13 process-kill robust: the reliability executable was not found

            where versions and variants of one engine differ (every other check they share is the same):

            - crash-rollback robust: partial | torn on postgresql@13; clean on postgresql@18

            random histories (found; the verdict above is whether the level's model forbids any of it):

            - sqlite serializable: no anomaly in 200 transactions

            An engine not run here was unavailable where this was generated; its column fills in where one runs (SQL Server: users' CI).
            10 checks, 1 NOT as expected; 1 not applicable.

            """.ReplaceLineEndings("\n");

        var markdown = MatrixFormats.Render(Report, "markdown").ReplaceLineEndings("\n");

        TestContext.Out.WriteLine(markdown);
        Assert.That(markdown, Is.EqualTo(expected));
    }

    [Test]
    public void The_console_header_lists_the_engines_indented_without_markdown()
    {
        Assert.That(MatrixFormats.Header(Report, markdown: false).ReplaceLineEndings("\n"), Is.EqualTo("""
            ReliabilityHarness dialect matrix
            Generated 2026-12-02 16:29 UTC by `reliability matrix`.
              sqlite: SQLite 3.53.4 (embedded)
              postgresql@13: PostgreSQL 13.23 (HARNESS_POSTGRESQL)
              postgresql@18: PostgreSQL 18.4 (HARNESS_POSTGRESQL)
              sqlserver: not run here: HARNESS_SQLSERVER is not set


            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public void A_run_where_every_check_held_says_so_in_its_last_line()
    {
        var clean = Report with { Rows = [.. Report.Rows.Where(r => r.Ok is not false)] };

        Assert.That(MatrixFormats.Footer(clean).ReplaceLineEndings("\n"), Does.EndWith("\n9 checks, all as expected; 1 not applicable.\n"));
        Assert.That(MatrixFormats.Footer(clean), Does.Not.Contain("where versions and variants"), "no title over an empty list: the versions answered alike");
        Assert.That(MatrixFormats.Footer(clean with { Rows = [.. clean.Rows.Where(r => r.NotApplicable is null)] }), Does.EndWith($"9 checks, all as expected.{Environment.NewLine}"));
    }

    [Test]
    public void An_unknown_format_is_refused_naming_the_ones_there_are()
    {
        var refused = Assert.Throws<ArgumentException>(() => MatrixFormats.Render(Report, "yaml"));
        Assert.That(refused.Message, Does.StartWith("unknown format 'yaml'; expected table, markdown, json"));
    }

    [Test]
    public void Each_json_row_carries_its_engines_version_and_a_duration_to_a_tenth_of_a_millisecond()
    {
        var rows = MatrixFormats.JsonRows(Report with { Rows = [Report.Rows[0] with { Milliseconds = 12.46 }, Report.Rows[3]] });

        Assert.That(rows.Select(r => (r.Engine, r.EngineVersion, r.Check, r.Skipped, r.Milliseconds)), Is.EqualTo(new[]
        {
            ("sqlite", (string?)"SQLite 3.53.4", "robust", (string?)null, 12.5),
            ("sqlserver", null, "*", "HARNESS_SQLSERVER is not set", 0.0),
        }));
    }

    [Test]
    public void A_report_made_again_from_its_json_has_the_same_rows_and_engines_as_recorded()
    {
        var record = MatrixFormats.ParseJson(MatrixFormats.Json(Report));
        var when = new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero);

        var again = MatrixDrift.FromRecord(record, when);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.When, Is.EqualTo(when));
            Assert.That(again.Engines, Is.EqualTo(new MatrixEngine[]
            {
                new("sqlite", "SQLite 3.53.4", "recorded", null),
                new("postgresql@13", "PostgreSQL 13.23", "recorded", null),
                new("postgresql@18", "PostgreSQL 18.4", "recorded", null),
                new("sqlserver", null, "recorded", "HARNESS_SQLSERVER is not set"),
            }), "an engine all of whose rows are a skipped '*' did not run where it was recorded");
            Assert.That(again.Rows, Is.EqualTo(Report.Rows));
        }
    }

    [Test]
    public void An_engine_with_one_skipped_check_among_others_ran_where_it_was_recorded()
    {
        // postgresql@13 skipped process-kill; a row with "*" for a check is what an engine that did not run has, and
        // an engine that has only skipped checks but no "*" ran and could do nothing.
        var record = MatrixFormats.ParseJson(MatrixFormats.Json(Report with
        {
            Rows = [.. Report.Rows.Where(r => r.Engine == "postgresql@13" && r.Skipped is not null), Report.Rows[3] with { Check = "robust" }],
        }));

        Assert.That(MatrixDrift.FromRecord(record, DateTimeOffset.UnixEpoch).Engines.Select(e => (e.Engine, e.Unavailable)), Is.EqualTo(new[]
        {
            ("postgresql@13", (string?)null),
            ("sqlserver", (string?)null),
        }));
    }

    [Test]
    public void The_json_format_is_the_json_rows()
    {
        Assert.That(MatrixFormats.Render(Report, "json"), Is.EqualTo(MatrixFormats.Json(Report)));
        Assert.That(MatrixFormats.ParseJson(MatrixFormats.Render(Report, "json")), Has.Count.EqualTo(Report.Rows.Count));
    }

    [Test]
    public void The_levels_of_a_check_are_listed_weakest_first_after_the_check_without_a_level()
    {
        string[] checks = ["w@serializable", "w@snapshot", "w", "w@read-uncommitted", "w@repeatable-read", "w@read-committed"];
        var report = new MatrixReport(DateTimeOffset.UnixEpoch, [new("sqlite", "SQLite 3.53.4", "embedded", null)],
            [.. checks.Select(c => Row("sqlite", "lost-update", c, "x", "x", true))]);

        Assert.That(MatrixFormats.Grid(report).Select(g => g.Label), Is.EqualTo(new[]
        {
            "lost-update w", "lost-update w@read-uncommitted", "lost-update w@read-committed", "lost-update w@repeatable-read",
            "lost-update w@snapshot", "lost-update w@serializable",
        }));
    }

    [Test]
    public void The_console_footer_lists_without_markdown_and_without_blank_lines_between_the_reasons()
    {
        var expected = """
            ✓ as the engine's expectation profile says (each with a source: see the JSON format); ✗ not; – n/a: the check does not apply to the engine (why, below: never a pass); – skipped: not run here (why, below).
            n/a: sqlite truncate-vs-delete truncate-implicit-commit: TRUNCATE was refused
            skipped: postgresql@13 process-kill robust: the reliability executable was not found

            where versions and variants of one engine differ (every other check they share is the same):
            crash-rollback robust: partial | torn on postgresql@13; clean on postgresql@18

            random histories (found; the verdict above is whether the level's model forbids any of it):
            sqlite serializable: no anomaly in 200 transactions
            An engine not run here was unavailable where this was generated; its column fills in where one runs (SQL Server: users' CI).
            10 checks, 1 NOT as expected; 1 not applicable.

            """.ReplaceLineEndings("\n");

        Assert.That(MatrixFormats.Footer(Report).ReplaceLineEndings("\n"), Is.EqualTo(expected));
    }

    [Test]
    public void Where_every_engine_ran_no_line_says_one_did_not_and_only_random_histories_details_are_listed_as_found()
    {
        var ran = Report with
        {
            Engines = [.. Report.Engines.Where(e => e.Unavailable is null)],
            Rows = [.. Report.Rows.Where(r => r.Engine != "sqlserver").Select(r => r.Check == "robust" && r.Engine == "sqlite" ? r with { Detail = "rolled back" } : r)],
        };

        var footer = MatrixFormats.Footer(ran, markdown: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(footer, Does.Not.Contain("An engine not run here"));
            Assert.That(footer, Does.Contain("- sqlite serializable: no anomaly in 200 transactions"));
            Assert.That(footer, Does.Not.Contain("rolled back"), "a detail of another scenario is not a random history's finding");
        }
    }

    [Test]
    public void A_run_is_as_expected_only_when_no_check_is_not()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Report.AllAsExpected, Is.False);
            Assert.That((Report with { Rows = [.. Report.Rows.Where(r => r.Ok is not false)] }).AllAsExpected, Is.True);
        }
    }

    [Test]
    public void Versions_that_share_an_answer_are_listed_together()
    {
        MatrixRow Answer(string engine, string observed) => Row(engine, "concurrent-writers", "merge", "x", observed, true);
        var report = new MatrixReport(DateTimeOffset.UnixEpoch,
            [new("postgresql@13", "13", "here", null), new("postgresql@14", "14", "here", null), new("postgresql@18", "18", "here", null)],
            [Answer("postgresql@13", "not-applicable"), Answer("postgresql@14", "not-applicable"), Answer("postgresql@18", "unique-violation")]);

        Assert.That(MatrixFormats.VersionDifferences(report), Is.EqualTo(new[]
        {
            "concurrent-writers merge: not-applicable on postgresql@13, postgresql@14; unique-violation on postgresql@18",
        }));
    }

    [Test]
    public void An_engine_with_a_skipped_star_row_among_its_checks_ran_where_it_was_recorded()
    {
        var record = MatrixFormats.ParseJson(MatrixFormats.Json(Report with
        {
            Rows = [Report.Rows[3] with { Engine = "sqlite" }, Report.Rows[0]],
        }));

        Assert.That(MatrixDrift.FromRecord(record, DateTimeOffset.UnixEpoch).Engines.Single().Unavailable, Is.Null);
    }

    [Test]
    public void Null_reports_and_records_are_refused_by_name()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => MatrixFormats.Render(null!, "json"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("report"));
            Assert.That(() => MatrixFormats.JsonRows(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("report"));
            Assert.That(() => MatrixFormats.Markdown(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("report"));
            Assert.That(() => MatrixFormats.Grid(null!).ToList(), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("report"));
            Assert.That(() => MatrixFormats.VersionDifferences(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("report"));
            Assert.That(() => MatrixDrift.FromRecord(null!, DateTimeOffset.UnixEpoch), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("record"));
            Assert.That(() => MatrixDrift.Compare(null!, Report, "r.json"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("record"));
            Assert.That(() => MatrixDrift.Compare([], null!, "r.json"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("run"));
        }
    }

    private static MatrixRow Row(string engine, string scenario, string check, string expected, string observed, bool ok) =>
        new(engine, scenario, check, expected, observed, ok, "docs", null, null, 1);
}
