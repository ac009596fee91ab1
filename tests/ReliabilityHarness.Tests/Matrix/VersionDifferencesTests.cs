using ReliabilityHarness.Matrix;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>Under the table, in plain words: every check where versions or variants of one engine answered differently.</summary>
public sealed class VersionDifferencesTests
{
    [Test]
    public void Only_the_checks_an_engines_versions_answered_differently_are_listed()
    {
        MatrixRow Row(string engine, string check, string observed, string? skipped = null) =>
            new(engine, "concurrent-writers", check, "x", observed, skipped is null, "docs", null, skipped, 1);
        var report = new MatrixReport(DateTimeOffset.UnixEpoch,
            [new("postgresql@13", "PostgreSQL 13.23", "here", null), new("postgresql@18", "PostgreSQL 18.4", "here", null),
             new("postgresql@16", null, null, "unavailable"), new("sqlite", "SQLite 3.53.4", "embedded", null)],
            [
                Row("postgresql@13", "first-insert:merge", "not-applicable"), Row("postgresql@18", "first-insert:merge", "unique-violation"),
                Row("postgresql@13", "first-insert:upsert", "both-succeed"), Row("postgresql@18", "first-insert:upsert", "both-succeed"),
                Row("postgresql@13", "stress", string.Empty, skipped: "no crash commands"), Row("postgresql@18", "stress", "all-succeed"),
                Row("sqlite", "first-insert:merge", "busy"),
            ]);

        Assert.That(MatrixFormats.VersionDifferences(report), Is.EqualTo(new[]
        {
            "concurrent-writers first-insert:merge: not-applicable on postgresql@13; unique-violation on postgresql@18",
        }), "the same answers are not listed, nor a check one version skipped; an unavailable version is no column to compare; sqlite has no other spec here");
    }
}
