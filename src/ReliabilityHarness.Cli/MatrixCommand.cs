using ReliabilityHarness.Engines;
using ReliabilityHarness.Matrix;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability matrix</c>: every scenario on every engine it can get, each check held to the engine's
/// expectation profile, and with <c>--against</c> to a recorded matrix. Progress goes to standard error; the report
/// to standard output or <c>--output</c>. The drift from the record is a verdict on the run, like the last line, not
/// part of the report: it goes to standard error too, in every format, so the report stays a document that can be
/// redirected and committed (the Markdown page, the JSON a record is made of).
/// Exit code 1 when any engine behaved other than expected or drifted from the record; an engine that is
/// unavailable is listed as skipped with the reason, and does not fail the run.
/// </summary>
internal static class MatrixCommand
{
    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var format = arguments.OneOf("format", MatrixFormats.Names);

        // --from: runs recorded elsewhere (CI jobs, one per engine version) merged into one report; no engine runs.
        var from = arguments.Get("from")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (from is { Length: 0 })
        {
            throw new UsageException("--from names no file: give the recorded matrices, comma-separated");
        }
        if (from is not null && arguments.Get("providers") is not null)
        {
            throw new UsageException("--from reports recorded runs and --providers runs engines: give one of them");
        }

        var providers = from is null ? Target.ProvidersNamed(arguments.Get("providers") ?? string.Join(',', ProviderCatalog.All.Select(p => p.Name))) : [];

        // Read before the run: a record that cannot be compared with is refused in a moment, not after minutes of engines.
        var against = arguments.Get("against");
        IReadOnlyList<MatrixJsonRow>? record;
        var recorded = new List<MatrixJsonRow>();
        try
        {
            record = against is null ? null : await MatrixDrift.ReadRecordAsync(against, cancellationToken);
            foreach (var file in from ?? [])
            {
                var run = await MatrixDrift.ReadRecordAsync(file, cancellationToken);
                if (run.Select(r => r.Engine).Distinct().FirstOrDefault(engine => recorded.Any(r => r.Engine == engine)) is { } twice)
                {
                    throw new UsageException($"{file}: {twice} is in an earlier --from file too: each engine once");
                }

                recorded.AddRange(run);
            }
        }
        catch (MatrixRecordException e)
        {
            await error.WriteLineAsync($"reliability: {e.Message}");
            return ExitCodes.BadInput;
        }

        var report = from is not null
            ? MatrixDrift.FromRecord(recorded, DateTimeOffset.UtcNow)
            : await MatrixRunner.RunAsync(providers, environment, ChildCommand.InDirectory(AppContext.BaseDirectory),
                line => error.WriteLine($"matrix: {line}"), cancellationToken: cancellationToken);
        // Built from redacted parts, driver messages scrubbed where they were caught: nothing here is scrubbed again,
        // so a password that is also a word (postgres) cannot change an engine's name or any other field.
        var rendered = format == "table" ? Table(report) : MatrixFormats.Render(report, format);

        if (arguments.Get("output") is { } path)
        {
            await File.WriteAllTextAsync(path, rendered, cancellationToken);
            await error.WriteLineAsync($"matrix: written to {path}");
        }
        else
        {
            await output.WriteAsync(rendered);
        }

        var drift = (against, record) is ({ } name, { } rows) ? MatrixDrift.Compare(rows, report, name) : null;
        if (drift is not null)
        {
            await error.WriteLineAsync($"matrix: against {drift.Against}:");
            foreach (var line in drift.Notes.Concat(drift.Differences.Select(d => d.Line)))
            {
                await error.WriteLineAsync($"  {line}");
            }

            await error.WriteLineAsync($"matrix: {drift.Summary}");
        }

        // An engine asked for by name and compared with the record must run: a CI job whose engine failed to start
        // would otherwise compare nothing and pass.
        var notRun = drift is not null && arguments.Get("providers") is not null
            ? report.Engines.Where(e => e.Unavailable is not null).ToList()
            : [];
        foreach (var engine in notRun)
        {
            await error.WriteLineAsync($"matrix: {engine.Engine} was named in --providers and did not run, so it was not compared: {engine.Unavailable}");
        }

        await error.WriteLineAsync(report.AllAsExpected ? "matrix: every engine behaved as expected" : "matrix: some engine did NOT behave as expected");
        return report.AllAsExpected && drift is not { Found: true } && notRun.Count == 0 ? ExitCodes.Success : ExitCodes.RunFailed;
    }

    /// <summary>The report for a console: engines as columns, drawn by Spectre.Console.</summary>
    public static string Table(MatrixReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var engines = report.Engines.Select(e => e.Engine).ToList();
        return MatrixFormats.Header(report, markdown: false)
            + TextTable.Render(["scenario / check", .. engines], MatrixFormats.Grid(report).Select(g => (IReadOnlyList<string>)[g.Label, .. engines.Select(e => g.Cells[e])]), indent: string.Empty)
            + MatrixFormats.Footer(report);
    }
}
