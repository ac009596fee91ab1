using System.Diagnostics;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Faults;

/// <summary>How to start the <c>reliability</c> command itself: the executable and the arguments before the command.</summary>
public sealed record ChildCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The <c>reliability</c> assembly in <paramref name="directory"/>, run by the <c>dotnet</c> host.</summary>
    public static ChildCommand InDirectory(string directory) => new("dotnet", [Path.Combine(directory, "reliability.dll")]);

    /// <summary>How to start <c>reliability</c> with <paramref name="arguments"/>, its output and errors redirected.</summary>
    public ProcessStartInfo StartInfo(params IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(FileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Arguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

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
/// point the child pauses (<c>RELIABILITY_PAUSE_AT</c>) and says so, and is killed exactly there; at a random
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

        var start = reliability.StartInfo("ingest", "--provider", provider.Name, "--connection", connectionString, "--input", csvPath, "--strategy", strategy.Name);

        var random = killAt.StartsWith("random:", StringComparison.Ordinal);
        if (!random)
        {
            start.Environment["RELIABILITY_PAUSE_AT"] = killAt;
        }

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
                    if (line.StartsWith("reliability: paused at ", StringComparison.Ordinal))
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
