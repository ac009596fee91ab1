using System.Diagnostics;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Faults;

/// <summary>
/// How to start the <c>reliability</c> command itself, and the whole contract between the harness and such a child:
/// the database it works in is in its environment (<see cref="ConnectionVariable"/>), never on its command line,
/// where every local user could read a password; <see cref="PauseVariable"/> makes <c>ingest</c> stop at a named
/// point and say so in <see cref="PausedLine"/>. The CLI reads the same constants.
/// </summary>
public sealed record ChildCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The connection string of the database a <c>reliability</c> command works in when no <c>--connection</c> is given.</summary>
    public const string ConnectionVariable = "RELIABILITY_CONNECTION";

    /// <summary>The test knob: <c>before-first-write</c>, <c>after-row:N</c> or <c>before-commit</c>.</summary>
    public const string PauseVariable = "RELIABILITY_PAUSE_AT";

    private const string PausedPrefix = "reliability: paused at ";

    /// <summary>The <c>reliability</c> assembly in <paramref name="directory"/>, run by the <c>dotnet</c> host.</summary>
    public static ChildCommand InDirectory(string directory) => new("dotnet", [Path.Combine(directory, "reliability.dll")]);

    /// <summary>What <c>ingest</c> prints on standard error when it pauses at <paramref name="point"/>.</summary>
    public static string PausedLine(string point, int processId) => $"{PausedPrefix}{point} (pid {processId})";

    /// <summary>Whether <paramref name="line"/> is a <see cref="PausedLine"/>.</summary>
    public static bool IsPausedLine(string line) => line?.StartsWith(PausedPrefix, StringComparison.Ordinal) == true;

    /// <summary>
    /// How to start <c>reliability ingest</c> of <paramref name="csvPath"/> on the database <paramref name="connectionString"/>
    /// (in its environment), its output and errors redirected; no pause unless <paramref name="pauseAt"/> names one.
    /// </summary>
    public ProcessStartInfo Ingest(Provider provider, string connectionString, string csvPath, string? strategy = null, string? pauseAt = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var start = Command(connectionString, ["ingest", "--provider", provider.Name, "--input", csvPath, .. strategy is null ? [] : new[] { "--strategy", strategy }]);
        if (pauseAt is not null)
        {
            start.Environment[PauseVariable] = pauseAt;
        }

        return start;
    }

    /// <summary>How to start <c>reliability</c> with <paramref name="arguments"/> on the database <paramref name="connectionString"/> (in its environment), its output and errors redirected, no pause.</summary>
    public ProcessStartInfo Command(string connectionString, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(FileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Arguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[ConnectionVariable] = connectionString;
        start.Environment.Remove(PauseVariable);
        return start;
    }
}

/// <summary>What a SIGKILLed ingest left, read from a fresh connection.</summary>
/// <param name="KillAt">A pause point (<c>before-first-write</c>, <c>after-row:N</c>, <c>before-commit</c>) or <c>random:MS</c>.</param>
/// <param name="Killed">The process was killed before it exited on its own.</param>
/// <param name="Input">The file's payments.</param>
/// <param name="After">The table after the kill (it was empty before).</param>
/// <param name="IntegrityProblem">What the engine's consistency check found (SQLite's integrity_check), if anything.</param>
/// <param name="Elapsed">From the child's start to its end (killed or not).</param>
public sealed record ProcessKillObservation(string Strategy, string KillAt, bool Killed, IReadOnlyList<Payment> Input, IReadOnlyList<StoredPayment> After, string? IntegrityProblem, TimeSpan Elapsed)
{
    /// <summary><c>clean</c>: nothing written; <c>complete</c>: all of it (the kill came after COMMIT); <c>partial</c>: some.</summary>
    public string Outcome =>
        After.Count == 0 ? "clean"
        : After.Select(r => r.Payment).SequenceEqual(Input.OrderBy(p => p.PaymentId, StringComparer.Ordinal)) ? "complete"
        : "partial";
}

/// <summary>
/// Real crashes, first kind: the ingest is the <c>reliability</c> process itself, killed with SIGKILL. At a named
/// point the child pauses (<see cref="ChildCommand.PauseVariable"/>) and says so, and is killed exactly there; at a random
/// moment it is killed wherever it is. The robust strategy must leave nothing or everything, never part.
/// </summary>
public static class ProcessKillScenario
{
    public const string Id = "process-kill";

    /// <summary>The longest the child may take to reach its pause point or finish.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    public static async Task<ProcessKillObservation> RunAsync(Provider provider, string connectionString, ChildCommand reliability, IIngestStrategy strategy,
        string csvPath, string killAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(reliability);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(killAt);
        var input = new List<Payment>();
        await foreach (var record in PaymentCsv.ReadAsync(csvPath, cancellationToken))
        {
            input.Add(record.Payment);
        }

        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        provider.Dialect.ClearPools();

        var random = killAt.StartsWith("random:", StringComparison.Ordinal);
        var start = reliability.Ingest(provider, connectionString, csvPath, strategy.Name, random ? null : killAt);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {reliability.FileName}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = new List<string>();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(Bound);
        try
        {
            if (random)
            {
                var stderr = process.StandardError.ReadToEndAsync(bound.Token);
                var exited = process.WaitForExitAsync(bound.Token);
                await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(int.Parse(killAt["random:".Length..], System.Globalization.CultureInfo.InvariantCulture)), bound.Token));
            }
            else
            {
                // Read what the child says until it pauses (then kill it there) or ends (then there is nothing to kill).
                while (await process.StandardError.ReadLineAsync(bound.Token) is { } line)
                {
                    errors.Add(line);
                    if (ChildCommand.IsPausedLine(line))
                    {
                        break;
                    }
                }
            }

            var killed = !process.HasExited;
            if (killed)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no handler runs, no rollback is sent
            }

            await process.WaitForExitAsync(bound.Token);
            var elapsed = clock.Elapsed;
            await output;
            if (!random && !killed)
            {
                throw new InvalidOperationException($"the child never paused at {killAt}; it exited with {process.ExitCode}: {string.Join(" / ", errors)}");
            }

            var after = await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken);
            await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
            var integrity = await provider.Engine.IntegrityProblemAsync(connection, cancellationToken);
            return new ProcessKillObservation(strategy.Name, killAt, killed, input, after, integrity, elapsed);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
