using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ReliabilityHarness.Matrix;

/// <summary>The matrix as a console table, as Markdown, or as JSON.</summary>
public static class MatrixFormats
{
    // Nullable annotations respected both ways: a row read back without an engine or a check is refused, not compared as null.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        RespectNullableAnnotations = true,
    };

    public static IReadOnlyList<string> Names { get; } = ["table", "markdown", "json"];

    /// <summary>
    /// <paramref name="report"/> as <c>markdown</c> or <c>json</c>; <c>table</c>, for a console, is drawn by the CLI
    /// from <see cref="Header"/>, <see cref="Grid"/> and <see cref="Footer"/>.
    /// </summary>
    public static string Render(MatrixReport report, string format)
    {
        ArgumentNullException.ThrowIfNull(report);
        return format switch
        {
            "markdown" => Markdown(report),
            "json" => Json(report),
            _ => throw new ArgumentException($"unknown format '{format}'; expected {string.Join(", ", Names)}", nameof(format)),
        };
    }

    /// <summary>An array with one object per check and engine (see README.md for the fields).</summary>
    public static string Json(MatrixReport report) => JsonSerializer.Serialize(JsonRows(report), JsonOptions) + Environment.NewLine;

    /// <summary>The rows of <paramref name="report"/> as the JSON format has them: each with its engine's version.</summary>
    public static IReadOnlyList<MatrixJsonRow> JsonRows(MatrixReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var versions = report.Engines.ToDictionary(e => e.Engine, e => e.Version);
        return report.Rows.Select(r => new MatrixJsonRow
        {
            Engine = r.Engine,
            EngineVersion = versions.GetValueOrDefault(r.Engine),
            Scenario = r.Scenario,
            Check = r.Check,
            Expected = r.Expected,
            Observed = r.Observed,
            Ok = r.Ok,
            Skipped = r.Skipped,
            NotApplicable = r.NotApplicable,
            Source = r.Source,
            Detail = r.Detail,
            Milliseconds = Math.Round(r.Milliseconds, 1),
        }).ToList();
    }

    /// <summary>
    /// The rows of a matrix written by <see cref="Json"/> (a recorded matrix, read back to compare a run with).
    /// </summary>
    /// <exception cref="JsonException">Not JSON, not an array of rows, or a row without one of the fields a row cannot lack; with the parser's line and position.</exception>
    public static IReadOnlyList<MatrixJsonRow> ParseJson(string json)
    {
        var rows = JsonSerializer.Deserialize<List<MatrixJsonRow?>>(json, JsonOptions) ?? throw new JsonException("expected an array of matrix rows, found null");
        return rows.Select((row, i) => row ?? throw new JsonException("expected a matrix row, found null", $"$[{i}]", null, null)).ToList();
    }

    public static string Markdown(MatrixReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var engines = report.Engines.Select(e => e.Engine).ToList();
        var text = new StringBuilder(Header(report, markdown: true)).AppendLine();
        text.Append("| scenario / check |").AppendJoin(string.Empty, engines.Select(e => $" {e} |")).AppendLine();
        text.Append("|---|").AppendJoin(string.Empty, engines.Select(_ => "---|")).AppendLine();
        foreach (var (label, cells) in Grid(report))
        {
            text.Append($"| {label} |").AppendJoin(string.Empty, engines.Select(e => $" {cells[e].Replace("|", "\\|", StringComparison.Ordinal)} |")).AppendLine();
        }

        return text.AppendLine().Append(Footer(report, markdown: true)).ToString();
    }

    /// <summary>
    /// One line per check (scenario, check, weakest isolation level first), a cell per engine: ✓ / ✗ and what was
    /// observed, <c>– n/a</c> where the check does not apply, <c>– skipped</c> where it was not run here, <c>—</c> where
    /// the engine has no such check (an isolation level it does not offer).
    /// </summary>
    public static IEnumerable<(string Label, Dictionary<string, string> Cells)> Grid(MatrixReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var scenarios = report.Rows.Select(r => r.Scenario).Distinct().ToList();
        var keys = report.Rows.Where(r => r.Check != "*").Select(r => (r.Scenario, r.Check)).Distinct()
            .OrderBy(k => scenarios.IndexOf(k.Scenario))
            .ThenBy(k => k.Check.Split('@')[0], StringComparer.Ordinal)
            .ThenBy(k => LevelRank(k.Check));
        foreach (var (scenario, check) in keys)
        {
            var cells = report.Engines.ToDictionary(e => e.Engine, e =>
            {
                var row = report.Rows.FirstOrDefault(r => r.Engine == e.Engine && r.Scenario == scenario && (r.Check == check || r.Check == "*"));
                return row switch
                {
                    null => "—",
                    { Skipped: not null } => "– skipped",
                    { Expected: "figure" } => row.Observed,
                    { NotApplicable: not null, Ok: null } => "– n/a",
                    { Ok: true } => $"✓ {row.Observed}",
                    _ => $"✗ {row.Observed} (expected {row.Expected})",
                };
            });
            yield return ($"{scenario} {check}", cells);
        }
    }

    // Weakest level first, as the engines document them.
    private static int LevelRank(string check) => check.Split('@') is [_, var level]
        ? Array.IndexOf(["read-uncommitted", "read-committed", "repeatable-read", "snapshot", "serializable"], level)
        : -1;

    /// <summary>The title, when the report was made, and each engine's version and origin (or why it was not run).</summary>
    public static string Header(MatrixReport report, bool markdown)
    {
        var text = new StringBuilder();
        text.AppendLine(markdown ? "# Dialect matrix" : "ReliabilityHarness dialect matrix");
        if (markdown)
        {
            text.AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Generated {report.When:yyyy-MM-dd HH:mm} UTC by `reliability matrix`.");
        if (markdown)
        {
            text.AppendLine();
        }

        foreach (var engine in report.Engines)
        {
            text.AppendLine(engine.Unavailable is null
                ? $"{(markdown ? "- " : "  ")}{engine.Engine}: {engine.Version} ({engine.Origin})"
                : $"{(markdown ? "- " : "  ")}{engine.Engine}: not run here: {engine.Unavailable}");
        }

        return text.AppendLine().ToString();
    }

    /// <summary>A titled list under the table, when it has lines: a Markdown list, or plain lines for a console.</summary>
    private static void Section(StringBuilder text, bool markdown, string title, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        text.AppendLine().AppendLine(title);
        if (markdown)
        {
            text.AppendLine();
        }

        foreach (var line in lines)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{(markdown ? "- " : string.Empty)}{line}");
        }
    }

    /// <summary>
    /// For each engine run under several specs (<c>postgresql@13</c> … <c>@18</c>, <c>sqlite</c> and <c>sqlite+wal</c>), the
    /// checks whose observations differ between them, in plain words: <c>concurrent-writers first-insert:merge@read-committed:
    /// not-applicable on postgresql@13, postgresql@14; unique-violation on postgresql@15, …</c>. Figures and skipped rows
    /// are not compared: a check one version could not run here is no difference of behaviour.
    /// </summary>
    public static IReadOnlyList<string> VersionDifferences(MatrixReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ran = report.Engines.Where(e => e.Unavailable is null).Select(e => e.Engine).ToList();
        var lines = new List<string>();
        foreach (var family in ran.GroupBy(e => e.Split('@', '+')[0]).Where(g => g.Count() > 1))
        {
            var observed = report.Rows.Where(r => family.Contains(r.Engine) && r.Skipped is null && r.Expected != "figure" && r.Check != "*")
                .GroupBy(r => (r.Scenario, r.Check));
            foreach (var check in observed)
            {
                var byValue = check.GroupBy(r => r.Observed).ToList();
                if (byValue.Count > 1)
                {
                    lines.Add($"{check.Key.Scenario} {check.Key.Check}: " + string.Join("; ", byValue.Select(v => $"{v.Key} on {string.Join(", ", v.Select(r => r.Engine))}")));
                }
            }
        }

        return lines;
    }

    /// <summary>
    /// The legend, the checks that do not apply and the skipped ones with their reasons (a list, in Markdown), and the
    /// count of checks not as expected.
    /// </summary>
    public static string Footer(MatrixReport report, bool markdown = false)
    {
        var item = markdown ? "- " : string.Empty;
        var wrong = report.Rows.Count(r => r.Ok == false);
        var ran = report.Rows.Count(r => r.Ok is not null);
        var notApplicable = report.Rows.Where(r => r is { NotApplicable: not null, Ok: null }).Select(r => $"{r.Engine} {r.Scenario} {r.Check}: {r.NotApplicable}").ToList();
        var skippedRows = report.Rows.Where(r => r.Skipped is not null && r.Check != "*").Select(r => $"{r.Engine} {r.Scenario} {r.Check}: {r.Skipped}").Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine("✓ as the engine's expectation profile says (each with a source: see the JSON format); ✗ not; – n/a: the check does not apply to the engine (why, below: never a pass); – skipped: not run here (why, below).");
        if (markdown && notApplicable.Count + skippedRows.Count > 0)
        {
            text.AppendLine();
        }

        foreach (var line in notApplicable)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{item}n/a: {line}");
        }

        foreach (var line in skippedRows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{item}skipped: {line}");
        }

        // Where versions or variants of one engine were run side by side: every check they answered differently.
        Section(text, markdown, "where versions and variants of one engine differ (every other check they share is the same):", VersionDifferences(report));

        // What each random history showed: the verdict is the promised model, the anomalies a run happened to meet are these.
        Section(text, markdown, "random histories (found; the verdict above is whether the level's model forbids any of it):",
            [.. report.Rows.Where(r => r.Scenario == RandomHistoriesMatrix.ScenarioId && r.Detail is not null && r.Ok is not null).Select(r => $"{r.Engine} {r.Check}: {r.Detail}")]);

        if (markdown)
        {
            text.AppendLine();
        }

        if (report.Engines.Any(e => e.Unavailable is not null))
        {
            text.AppendLine("An engine not run here was unavailable where this was generated; its column fills in where one runs (SQL Server: users' CI).");
        }

        var applicable = notApplicable.Count == 0 ? string.Empty : $"; {notApplicable.Count} not applicable";
        text.AppendLine(wrong == 0
            ? $"{ran} checks, all as expected{applicable}."
            : $"{ran} checks, {wrong} NOT as expected{applicable}.");
        return text.ToString();
    }
}

/// <summary>
/// One row as <c>matrix --format json</c> writes it and <c>matrix --against</c> reads it back: the one type that
/// owns the format's field names and their order, so the writer and the reader cannot disagree.
/// </summary>
public sealed record MatrixJsonRow
{
    public required string Engine { get; init; }

    /// <summary>The engine's version as it reported it; null where the engine did not run.</summary>
    public string? EngineVersion { get; init; }

    public required string Scenario { get; init; }

    public required string Check { get; init; }

    /// <summary>What the engine's profile expects; <c>figure</c> for a timing, which has nothing to expect.</summary>
    public required string Expected { get; init; }

    public required string Observed { get; init; }

    public bool? Ok { get; init; }

    public string? Skipped { get; init; }

    public string? NotApplicable { get; init; }

    public string? Source { get; init; }

    public string? Detail { get; init; }

    public double Milliseconds { get; init; }
}
