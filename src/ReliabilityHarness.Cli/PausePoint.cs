using System.Globalization;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Cli;

/// <summary>
/// The test knob <c>RELIABILITY_PAUSE_AT</c>: <c>before-first-write</c>, <c>after-row:N</c>, <c>after-inserts</c>
/// or <c>before-commit</c>. On the run's first attempt, at that point, <c>ingest</c> prints
/// <c>reliability: paused at POINT (pid PID)</c> on standard error and waits, so a test can kill it exactly
/// there. It waits two minutes at most, then fails the run, so a forgotten pause never hangs anything.
/// </summary>
internal static class PausePoint
{
    public const string Variable = ChildCommand.PauseVariable;

    public static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(2);

    public static Func<IngestCheckpoint, CancellationToken, Task>? From(Func<string, string?> environment, TextWriter error)
    {
        if (environment(Variable) is not { Length: > 0 } wanted)
        {
            return null;
        }

        if (!IsValid(wanted))
        {
            throw new UsageException($"{Variable}='{wanted}': expected before-first-write, after-row:N, after-inserts or before-commit");
        }

        return async (checkpoint, cancellationToken) =>
        {
            if (checkpoint.Attempt != 1 || checkpoint.ToString() != wanted)
            {
                return;
            }

            await error.WriteLineAsync(ChildCommand.PausedLine(wanted, Environment.ProcessId));
            await error.FlushAsync(cancellationToken);
            await Task.Delay(MaxPause, cancellationToken);
            throw new TimeoutException($"paused at {wanted} for {MaxPause.TotalMinutes:0} minutes and nobody ended the process");
        };
    }

    private static bool IsValid(string point) =>
        point is IngestCheckpoint.BeforeFirstWrite or IngestCheckpoint.AfterInserts or IngestCheckpoint.BeforeCommit
        || (point.StartsWith(IngestCheckpoint.AfterRow + ":", StringComparison.Ordinal)
            && long.TryParse(point[(IngestCheckpoint.AfterRow.Length + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) && rows > 0);
}
