namespace ReliabilityHarness.Ingest;

/// <summary>One attempt's way of telling <see cref="IngestOptions.Checkpoint"/> where it is.</summary>
internal sealed class RunPoints(IngestOptions options, int attempt, object? sessionId)
{
    public IngestOptions Options { get; } = options;

    public Task ReachAsync(string point, long rowsHandled, CancellationToken cancellationToken) =>
        Options.Checkpoint is { } checkpoint
            ? checkpoint(new IngestCheckpoint(point, rowsHandled, attempt, sessionId), cancellationToken)
            : Task.CompletedTask;
}
