using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ReliabilityHarness.Pipelines;

/// <summary>A check's report as JSON, as Markdown, or as the rows of a console table (drawn by the CLI).</summary>
public static class CheckFormats
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<string> Names { get; } = ["table", "markdown", "json"];

    public static string Mark(bool? ok) => ok switch { true => "✓", false => "✗", null => "–" };

    /// <summary>An array with one object per property: <c>{property, ok, trials, failures, evidence}</c>.</summary>
    public static string Json(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = report.Properties.Select(p => new { property = p.Property, ok = p.Ok, trials = p.Trials, failures = p.Failures, evidence = p.Evidence });
        return JsonSerializer.Serialize(rows, JsonOptions) + Environment.NewLine;
    }

    public static string Markdown(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine($"## reliability check: `{report.Pipeline}` on {report.Engine}").AppendLine();
        text.AppendLine(Header(report).Replace("\n", "  \n", StringComparison.Ordinal)).AppendLine();
        text.AppendLine("| property | verdict | trials | failures | evidence |").AppendLine("|---|---|---|---|---|");
        foreach (var property in report.Properties)
        {
            text.AppendLine($"| {property.Property} | {Mark(property.Ok)} | {property.Trials} | {property.Failures} | {Cell(property.Evidence[0])} |");
        }

        text.AppendLine();
        foreach (var line in Details(report))
        {
            text.AppendLine(line.StartsWith("  ", StringComparison.Ordinal) ? "    " + line.TrimStart() : line);
        }

        return text.ToString();
    }

    /// <summary>What was checked and how: the pipeline, the engine, the before-state, the crash points, the nondeterministic columns.</summary>
    public static string Header(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return string.Join('\n',
            $"pipeline: {report.Pipeline}",
            $"engine: {report.Engine}",
            $"before-state: {report.BeforeState}",
            $"crash points: {report.CrashMethod}",
            $"nondeterministic columns (compared by presence across runs): {report.Nondeterministic}");
    }

    /// <summary>The rows of the console table: property, verdict, trials, failures, the evidence's first line.</summary>
    public static IEnumerable<IReadOnlyList<string>> Grid(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Properties.Select(p => (IReadOnlyList<string>)[p.Property, Mark(p.Ok), p.Trials.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Failures.ToString(System.Globalization.CultureInfo.InvariantCulture), Short(p.Evidence[0])]);
    }

    /// <summary>Every property's full evidence, failures first in their own words.</summary>
    public static IEnumerable<string> Details(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var property in report.Properties)
        {
            yield return $"{Mark(property.Ok)} {property.Property}:";
            foreach (var line in property.Evidence)
            {
                yield return "  " + line;
            }
        }

        var failed = report.Properties.Where(p => p.Ok == false).Select(p => p.Property).ToList();
        var undecided = report.Undecided.Select(p => p.Property).ToList();
        yield return report.AllHold ? "every property asked holds"
            : string.Join("; ", new[] { failed.Count > 0 ? $"does NOT hold: {string.Join(", ", failed)}" : null, undecided.Count > 0 ? $"NOT decided: {string.Join(", ", undecided)}" : null }.OfType<string>());
    }

    private static string Short(string text) => text.Length > 90 ? text[..87] + "…" : text;

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
