using ReliabilityHarness.Engines;
using ReliabilityHarness.Matrix;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability matrix</c>: every scenario on every engine it can get, each check held to the engine's
/// expectation profile. Progress goes to standard error; the report to standard output or <c>--output</c>.
/// Exit code 1 when any engine behaved other than expected; an engine that is unavailable is listed as
/// skipped with the reason, and does not fail the run.
/// </summary>
internal static class MatrixCommand
{
    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var format = arguments.OneOf("format", MatrixFormats.Names);

        var providers = Target.ProvidersNamed(arguments.Get("providers") ?? string.Join(',', ProviderCatalog.All.Select(p => p.Name)));

        var report = await MatrixRunner.RunAsync(providers, environment, ChildCommand.InDirectory(AppContext.BaseDirectory),
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

        await error.WriteLineAsync(report.AllAsExpected ? "matrix: every engine behaved as expected" : "matrix: some engine did NOT behave as expected");
        return report.AllAsExpected ? ExitCodes.Success : ExitCodes.RunFailed;
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
