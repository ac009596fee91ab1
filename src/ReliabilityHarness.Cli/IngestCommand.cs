using System.Globalization;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability ingest</c>. The robust strategy validates each row as it writes it, and a bad row rolls the one
/// transaction back, so nothing is written. The row-by-row strategies commit as they go, so for them the whole
/// file is validated first. A pipe is copied to a temporary file first (<see cref="InputFile"/>).
/// </summary>
internal static class IngestCommand
{
    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, TextWriter error, Func<string, string?> environment, bool interactive, CancellationToken cancellationToken)
    {
        var input = arguments.Required("input");
        var strategyName = arguments.Get("strategy") ?? IngestStrategies.Robust.Name;
        var strategy = IngestStrategies.Find(strategyName)
            ?? throw new UsageException($"unknown strategy '{strategyName}'; expected {string.Join(", ", IngestStrategies.All.Select(s => s.Name))}");
        long? crashAfter = arguments.Get("crash-after") is { } text
            ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--crash-after expects a whole number of rows (0 or more), got '{text}'")
            : null;

        await using var file = await InputFile.OpenAsync(input, cancellationToken);
        try
        {
            return await RunAsync(arguments, file, strategy, crashAfter, output, error, environment, interactive, cancellationToken);
        }
        catch (InputException e)
        {
            throw file.Renamed(e);
        }
    }

    private static async Task<int> RunAsync(Arguments arguments, InputFile file, IIngestStrategy strategy, long? crashAfter, TextWriter output, TextWriter error, Func<string, string?> environment, bool interactive, CancellationToken cancellationToken)
    {
        var (input, path) = (file.Name, file.Path);
        long? validated = strategy == IngestStrategies.Robust ? null : await PaymentCsv.ValidateAsync(path, cancellationToken);

        await using var target = await Target.ResolveAsync(arguments, environment, output, cancellationToken);
        var pause = PausePoint.From(environment, error);
        Task<IngestResult> Run(Action<IngestCheckpoint>? progress) =>
            strategy.RunAsync(target.Provider, target.ConnectionString, PaymentCsv.ReadAsync(path, cancellationToken),
                new IngestOptions(crashAfter, Checkpoint: pause is null && progress is null ? null : async (checkpoint, ct) =>
                {
                    progress?.Invoke(checkpoint);
                    if (pause is not null)
                    {
                        await pause(checkpoint, ct);
                    }
                }), cancellationToken);
        var result = interactive
            ? await Progress.ShowAsync(error, validated ?? Progress.EstimateRows(path), TimeProvider.System, Run)
            : await Run(null);

        if (result.Failure is not { } failure)
        {
            var retried = result.Attempts > 1 ? $" ({result.Attempts} attempts: transient failures were retried)" : string.Empty;
            await output.WriteLineAsync($"ingested {input} ({result.Counts.Rows} rows) into {target.Provider.Name} at {target.Description} with the {strategy.Name} strategy: {result.Counts}{retried}");
            return ExitCodes.Success;
        }

        var code = failure.ErrorCode is null ? string.Empty : $" [{failure.ErrorCode}]";
        await error.WriteLineAsync($"reliability: ingest failed ({Describe(failure.Kind)}){code}: {failure.Message}");
        await error.WriteLineAsync(failure.RolledBack
            ? "Rolled back: the payments table is exactly as it was before this run."
            : $"Not rolled back: the {strategy.Name} strategy commits row by row; {result.Counts.Inserted} row(s) written before the failure stay in the table.");
        return ExitCodes.RunFailed;
    }

    private static string Describe(FailureKind kind) => kind switch
    {
        FailureKind.SimulatedCrash => "simulated crash",
        FailureKind.IdempotencyConflict => "idempotency-key conflict",
        FailureKind.ConstraintViolation => "constraint violation",
        FailureKind.Transient => "transient error, retries exhausted",
        _ => "database error",
    };
}
