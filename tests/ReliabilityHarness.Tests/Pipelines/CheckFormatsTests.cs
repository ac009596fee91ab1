using System.Text.Json;
using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// A check's report as the user reads it: the verdict marks, the counts, the evidence (a property that fails says so
/// first in the summary line, one not decided says that, one not asked is neither), in JSON, Markdown and the console
/// table. The report is written by hand: what is checked here is the writing, not the check.
/// </summary>
public sealed class CheckFormatsTests
{
    private static readonly CheckReport Mixed = new("python3 load.py", "sqlite", "--setup make, before every trial", "strace kills it", new ColumnSet([(new TableName(null, "payments"), "processed_at")]),
    [
        new(PipelineProperty.CleanRun, true, 2, 0, ["succeeded twice"]),
        new(PipelineProperty.RerunIdempotent, false, 1, 1, ["a second run on the after-state changed it", "payments: 0 row(s) missing, 1 extra, 0 changed", "  extra   (id=a|b)", "  changed (id=1): status new → paid"]),
        new(PipelineProperty.Atomic, null, 3, 0, ["not decided: 1 of the 3 crash point(s) were never reached"]),
        new(PipelineProperty.Recovers, true, 3, 0, [new string('r', 100)]),
        new(PipelineProperty.ConcurrentExactlyOnce, null, 0, 0, ["not asked (--concurrency 0)"], Asked: false),
    ]);

    [Test]
    public void Json_has_one_object_per_property_with_its_verdict_counts_and_evidence()
    {
        using var json = JsonDocument.Parse(CheckFormats.Json(Mixed));
        var rerun = json.RootElement[1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(json.RootElement.GetArrayLength(), Is.EqualTo(5));
            Assert.That(rerun.GetProperty("property").GetString(), Is.EqualTo(PipelineProperty.RerunIdempotent));
            Assert.That(rerun.GetProperty("ok").GetBoolean(), Is.False);
            Assert.That(rerun.GetProperty("trials").GetInt32(), Is.EqualTo(1));
            Assert.That(rerun.GetProperty("failures").GetInt32(), Is.EqualTo(1));
            Assert.That(rerun.GetProperty("evidence")[2].GetString(), Is.EqualTo("  extra   (id=a|b)"));
            Assert.That(json.RootElement[2].GetProperty("ok").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(CheckFormats.Json(Mixed), Does.Contain("status new → paid").And.Contain("\n  {\n    \"property\": \"clean-run\","), "indented, the text as written, not escaped");
        }
    }

    [Test]
    public void The_details_say_which_properties_fail_and_which_were_not_decided_leaving_out_the_one_not_asked()
    {
        var details = CheckFormats.Details(Mixed).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(details[0], Is.EqualTo("✓ clean-run:"));
            Assert.That(details[1], Is.EqualTo("  succeeded twice"));
            Assert.That(details[2], Is.EqualTo("✗ rerun-idempotent:"));
            Assert.That(details, Does.Contain("– atomic:"));
            Assert.That(details[^1], Is.EqualTo("does NOT hold: rerun-idempotent; NOT decided: atomic"));
        }
    }

    [Test]
    public void A_report_where_every_asked_property_holds_says_so()
    {
        var holding = Mixed with { Properties = [.. Mixed.Properties.Where(p => p.Ok is true || !p.Asked)] };
        var undecidedOnly = Mixed with { Properties = [.. Mixed.Properties.Where(p => p.Ok is not false)] };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(CheckFormats.Details(holding).Last(), Is.EqualTo("every property asked holds"));
            Assert.That(CheckFormats.Details(undecidedOnly).Last(), Is.EqualTo("NOT decided: atomic"));
        }
    }

    [Test]
    public void Markdown_has_the_header_a_row_per_property_with_pipes_escaped_and_the_details_indented()
    {
        var markdown = CheckFormats.Markdown(Mixed);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(markdown, Does.StartWith("## reliability check: `python3 load.py` on sqlite" + Environment.NewLine + Environment.NewLine));
            Assert.That(markdown, Does.Contain("pipeline: python3 load.py  \nengine: sqlite  \nbefore-state: --setup make, before every trial  \ncrash points: strace kills it  \nnondeterministic columns (compared by presence across runs): payments.processed_at"));
            Assert.That(markdown, Does.Contain("| property | verdict | trials | failures | evidence |" + Environment.NewLine + "|---|---|---|---|---|"));
            Assert.That(markdown, Does.Contain("| rerun-idempotent | ✗ | 1 | 1 | a second run on the after-state changed it |"));
            Assert.That(markdown, Does.Contain("| atomic | – | 3 | 0 | not decided: 1 of the 3 crash point(s) were never reached |"));
            Assert.That(markdown, Does.Contain(Environment.NewLine + "    extra   (id=a|b)" + Environment.NewLine), "evidence lines indented as code, pipes kept");
            Assert.That(markdown, Does.Contain(Environment.NewLine + "    a second run on the after-state changed it" + Environment.NewLine));
            Assert.That(markdown, Does.Contain(Environment.NewLine + "✗ rerun-idempotent:" + Environment.NewLine));
        }
    }

    [Test]
    public void A_pipe_in_the_first_line_of_evidence_is_escaped_in_the_markdown_table()
    {
        var piped = Mixed with { Properties = [new(PipelineProperty.CleanRun, false, 1, 1, ["the pipeline failed (exit 1): a|b"])] };

        Assert.That(CheckFormats.Markdown(piped), Does.Contain("| clean-run | ✗ | 1 | 1 | the pipeline failed (exit 1): a\\|b |"));
    }

    [Test]
    public void The_console_grid_has_a_row_per_property_with_long_evidence_shortened()
    {
        var grid = CheckFormats.Grid(Mixed).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(grid[1], Is.EqualTo(new[] { "rerun-idempotent", "✗", "1", "1", "a second run on the after-state changed it" }));
            Assert.That(grid[3][4], Is.EqualTo(new string('r', 87) + "…"));
            Assert.That(grid[4][1], Is.EqualTo("–"));
            Assert.That(CheckFormats.Names, Is.EqualTo(new[] { "table", "markdown", "json" }));
        }
    }
}
