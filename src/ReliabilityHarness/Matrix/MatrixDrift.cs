using System.Text.Json;

namespace ReliabilityHarness.Matrix;

/// <summary>How a run differs from the recorded matrix, for one check or one engine.</summary>
public enum DriftKind
{
    /// <summary>Both have the check and the observation changed (<c>not-applicable</c> → <c>restored</c> included).</summary>
    Changed,

    /// <summary>The run observed a check the record does not have: a new check, or one renamed.</summary>
    NotInRecord,

    /// <summary>The record has an observation for an engine that ran, and the run did not produce the check.</summary>
    NotProduced,

    /// <summary>
    /// The engine ran and the record has no observation of it (absent, or recorded as not run). Never accepted by
    /// default: a new engine enters the record when someone regenerates the record on purpose.
    /// </summary>
    EngineNotInRecord,
}

/// <summary>One difference between the record and the run, said in one line.</summary>
/// <param name="Recorded">The recorded observation; null where the record has none.</param>
/// <param name="Observed">The run's observation; null where the run has none.</param>
/// <param name="RecordedVersion">The engine's version in the record, given only when it differs from the run's.</param>
public sealed record MatrixDifference(
    DriftKind Kind,
    string Engine,
    string Scenario,
    string Check,
    string? Recorded,
    string? Observed,
    string? Source,
    string? RecordedVersion = null,
    string? ObservedVersion = null)
{
    /// <summary><c>engine scenario check: recorded → observed (source: …)</c>, each side with its version when the version changed.</summary>
    public string Line => Kind == DriftKind.EngineNotInRecord
        ? $"{Engine} ({ObservedVersion ?? "no version"}): not in the record{(Recorded is null ? string.Empty : $" ({Recorded})")}: add it explicitly, by regenerating the record"
        : $"{Engine} {Scenario} {Check}: {Side(Recorded, RecordedVersion) ?? "not in the record"} → {Side(Observed, ObservedVersion) ?? "not produced by this run"}"
          + (Source is null ? string.Empty : $" (source: {Source})");

    private static string? Side(string? value, string? version) => version is null || value is null ? value : $"{value} on {version}";
}

/// <summary>
/// A run held to a recorded matrix (the JSON <c>matrix --format json</c> writes, such as docs/dialect-matrix.json).
/// The expectation profiles say what each engine should do; the record says what each did when it was made. A new
/// engine version that behaves differently, or a profile edited to match a new behaviour, still passes the profiles
/// and is caught here. Only observations are compared: timing figures vary from run to run, and a skipped check
/// observed nothing.
/// </summary>
/// <param name="Against">The record, as the user named it.</param>
/// <param name="Notes">What was not compared and why (an engine not run here), and engine versions that changed: none of it drift.</param>
/// <param name="Compared">Checks observed on both sides and compared.</param>
public sealed record MatrixDrift(string Against, IReadOnlyList<MatrixDifference> Differences, IReadOnlyList<string> Notes, int Compared)
{
    public bool Found => Differences.Count > 0;

    public string Summary => Found
        ? $"{Differences.Count} difference{(Differences.Count == 1 ? string.Empty : "s")} against {Against}"
        : $"no drift against {Against} ({Compared} checks compared)";

    /// <summary>The rows of a recorded matrix.</summary>
    /// <exception cref="MatrixRecordException">Missing, unreadable, malformed (with the JSON parser's line and position, 1-based), or a check recorded twice.</exception>
    public static async Task<IReadOnlyList<MatrixJsonRow>> ReadRecordAsync(string path, CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MatrixRecordException(path, 0, 0, "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MatrixRecordException(path, 0, 0, $"cannot read the record: {e.Message}");
        }

        IReadOnlyList<MatrixJsonRow> rows;
        try
        {
            rows = MatrixFormats.ParseJson(json);
        }
        catch (JsonException e)
        {
            // The parser counts lines and bytes from 0; editors, and every other file:line:column this harness prints, from 1.
            throw new MatrixRecordException(path, e.LineNumber + 1 ?? 0, e.BytePositionInLine + 1 ?? 0, Problem(e));
        }

        // The same check twice would make the comparison pick one: the record is refused instead.
        return rows.GroupBy(Key).FirstOrDefault(g => g.Count() > 1) is { } twice
            ? throw new MatrixRecordException(path, 0, 0, $"{twice.Key.Engine} {twice.Key.Scenario} {twice.Key.Check} is recorded twice")
            : rows;
    }

    /// <summary>
    /// A report made again from recorded rows (one <c>matrix --format json</c> output, or several appended): engines
    /// in the order they first appear, each with the version it reported, "recorded" as its origin, and unavailable
    /// where every row of it is a skipped <c>*</c> (it did not run where it was recorded).
    /// </summary>
    public static MatrixReport FromRecord(IReadOnlyList<MatrixJsonRow> record, DateTimeOffset when)
    {
        ArgumentNullException.ThrowIfNull(record);
        var engines = record.GroupBy(r => r.Engine).Select(g => new MatrixEngine(g.Key, g.Select(r => r.EngineVersion).FirstOrDefault(v => v is not null), "recorded",
            g.All(r => r.Check == "*" && r.Skipped is not null) ? g.First().Skipped : null)).ToList();
        var rows = record.Select(r => new MatrixRow(r.Engine, r.Scenario, r.Check, r.Expected, r.Observed, r.Ok, r.Source, r.Detail, r.Skipped, r.Milliseconds, r.NotApplicable)).ToList();
        return new MatrixReport(when, engines, rows);
    }

    /// <summary>
    /// <paramref name="run"/> against <paramref name="record"/>, engine by engine. An engine of the record that did not
    /// run here is not compared (a note says so); one that ran and has no observation in the record is a difference;
    /// a version change alone is a note, and the differences of an engine whose version changed carry both versions.
    /// </summary>
    public static MatrixDrift Compare(IReadOnlyList<MatrixJsonRow> record, MatrixReport run, string against)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(run);
        var differences = new List<MatrixDifference>();
        var notes = new List<string>();
        var compared = 0;
        var recorded = record.ToLookup(r => r.Engine, StringComparer.Ordinal);
        var ran = run.Engines.Where(e => e.Unavailable is null).ToDictionary(e => e.Engine, StringComparer.Ordinal);

        foreach (var engine in record.Select(r => r.Engine).Distinct().Where(e => !ran.ContainsKey(e)))
        {
            notes.Add(run.Engines.FirstOrDefault(e => e.Engine == engine) is { Unavailable: { } reason }
                ? $"{engine}: not compared: not run here: {reason}"
                : $"{engine}: not compared: not in this run");
        }

        var rows = MatrixFormats.JsonRows(run).ToLookup(r => r.Engine, StringComparer.Ordinal);
        foreach (var engine in ran.Values)
        {
            var before = recorded[engine.Engine].ToList();
            if (before.All(r => r.Skipped is not null))
            {
                differences.Add(new MatrixDifference(DriftKind.EngineNotInRecord, engine.Engine, "*", "*",
                    before.Count == 0 ? null : "recorded as not run", null, null, ObservedVersion: engine.Version));
                continue;
            }

            var recordedVersion = before.Select(r => r.EngineVersion).FirstOrDefault(v => v is not null);
            var versionChanged = recordedVersion != engine.Version;
            if (versionChanged)
            {
                notes.Add($"{engine.Engine}: recorded on {recordedVersion ?? "no version"}, ran here on {engine.Version ?? "no version"}: compared anyway");
            }

            MatrixDifference Difference(DriftKind kind, string scenario, string check, string? was, string? now, string? source) =>
                new(kind, engine.Engine, scenario, check, was, now, source, versionChanged ? recordedVersion : null, versionChanged ? engine.Version : null);

            var after = rows[engine.Engine].ToList();
            var recordedKeys = before.Select(Key).ToHashSet();
            var observedBefore = before.Where(IsObservation).DistinctBy(Key).ToDictionary(Key);
            foreach (var row in after.Where(IsObservation).DistinctBy(Key))
            {
                if (observedBefore.TryGetValue(Key(row), out var was))
                {
                    compared++;
                    if (was.Observed != row.Observed)
                    {
                        differences.Add(Difference(DriftKind.Changed, row.Scenario, row.Check, was.Observed, row.Observed, row.Source ?? was.Source));
                    }
                }
                else if (!recordedKeys.Contains(Key(row)))
                {
                    differences.Add(Difference(DriftKind.NotInRecord, row.Scenario, row.Check, null, row.Observed, row.Source));
                }
            }

            var producedKeys = after.Select(Key).ToHashSet();
            differences.AddRange(observedBefore.Values.Where(r => !producedKeys.Contains(Key(r)))
                .Select(r => Difference(DriftKind.NotProduced, r.Scenario, r.Check, r.Observed, null, r.Source)));
        }

        return new MatrixDrift(against, differences, notes, compared);
    }

    // A timing figure differs on every run and a skipped check observed nothing: neither is compared, and neither is
    // drift on the side that has it. A check that does not apply is an observation like any other.
    private static bool IsObservation(MatrixJsonRow row) => row.Skipped is null && row.Expected != "figure";

    private static (string Engine, string Scenario, string Check) Key(MatrixJsonRow row) => (row.Engine, row.Scenario, row.Check);

    // The serializer names the .NET types it was filling and advises on C# annotations; the user wrote JSON.
    private static readonly (string Said, string Meant)[] Words =
    [
        (typeof(List<MatrixJsonRow>).ToString(), "an array of matrix rows"),
        (typeof(MatrixJsonRow).ToString(), "matrix row"),
        (typeof(string).ToString(), "a string"),
        (typeof(bool?).ToString(), "true, false or null"),
        (typeof(double).ToString(), "a number"),
        (" Consider updating its nullability annotation.", string.Empty),
    ];

    // The parser's own words, without the position it appends (given as file:line:column instead); the path into
    // the document is kept where it says which row.
    private static string Problem(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        cut = cut >= 0 ? cut : message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        var problem = Words.Aggregate(cut >= 0 ? message[..cut] : message, (text, word) => text.Replace(word.Said, word.Meant, StringComparison.Ordinal));
        return e.Path is { Length: > 1 } path ? $"{problem} (at {path})" : problem;
    }
}
