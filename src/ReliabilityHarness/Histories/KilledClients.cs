using System.Data;
using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Scenarios.Interleavings;

namespace ReliabilityHarness.Histories;

/// <summary>
/// The <see cref="HistoryFault.Kill"/> run: the clients run in a child <c>reliability histories client</c> process that
/// writes each operation to its standard output as it happens, one EDN map per line. After a seeded number of
/// completions the child is SIGKILLed (the engine with it, when it is embedded), and a new child carries on with the
/// transactions left, new process ids and values. Every transaction the dead child had invoked and not completed is an
/// :info: it may have committed, or not, and only the reads can tell.
/// </summary>
internal static class KilledClients
{
    /// <summary>The longest one child may run.</summary>
    private static readonly TimeSpan ChildBound = TimeSpan.FromMinutes(10);

    /// <summary>The exit code .NET reports for a process SIGKILL ended (128 + 9).</summary>
    private const int SigKillExit = 137;

    public static async Task<WorkloadResult> RunAsync(Provider provider, string connectionString, IsolationLevel level, WorkloadOptions options,
        ChildCommand reliability, CancellationToken cancellationToken)
    {
        // The child opens the database itself: nothing of this process may hold it (an embedded engine's file).
        provider.Dialect.ClearPools();
        var history = new List<Operation>();
        var random = new Random(ListAppendWorkload.SeedFor(options.Seed, -2));
        var clock = Stopwatch.StartNew();
        var remaining = options.Transactions;
        var kills = 0;
        for (var child = 0; remaining > 0; child++)
        {
            var killAfter = kills < ListAppendWorkload.Kills ? random.Next(Math.Max(remaining / 4, 1), Math.Max(remaining / 2, 1) + 1) : int.MaxValue;
            var (invoked, killed) = await RunChildAsync(provider, connectionString, level, options with { Transactions = remaining, Seed = ListAppendWorkload.SeedFor(options.Seed, 1_000 + child) },
                reliability, history, killAfter, clock, cancellationToken);
            remaining -= invoked;
            kills += killed ? 1 : 0;
            if (invoked == 0 && !killed)
            {
                throw new InvalidOperationException("a client process ended without running a transaction");
            }
        }

        return WorkloadResult.Of(history, clock.Elapsed, kills);
    }

    private static async Task<(int Invoked, bool Killed)> RunChildAsync(Provider provider, string connectionString, IsolationLevel level, WorkloadOptions options,
        ChildCommand reliability, List<Operation> history, int killAfter, Stopwatch clock, CancellationToken cancellationToken)
    {
        var valuesAfter = history.SelectMany(o => o.Value).OfType<Append>().Select(a => a.Value).DefaultIfEmpty(0).Max();
        var firstProcess = history.Count == 0 ? 0 : (history.Max(o => o.Process) ?? 0) + 1;
        var start = reliability.Command(connectionString,
        [
            "histories", "client", "--provider", provider.Name, "--level", Isolation.Spelling(level),
            "--clients", Text(options.Clients), "--txns", Text(options.Transactions), "--keys", Text(options.Keys), "--seed", Text(options.Seed),
            "--values-after", Text(valuesAfter), "--first-process", Text(firstProcess),
        ]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {reliability.FileName}");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(ChildBound);
        var errors = process.StandardError.ReadToEndAsync(bound.Token);
        var open = new Dictionary<long, Operation>();   // the child always writes :process
        var invoked = 0;
        var completions = 0;
        var killed = false;
        try
        {
            while (await process.StandardOutput.ReadLineAsync(bound.Token) is { } line)
            {
                if (Parse(line) is not { } operation)
                {
                    // The last line, cut by the kill: nothing was run on its account (a client writes its invocation before it acts).
                    continue;
                }

                history.Add(operation with { Index = history.Count, Time = (long)clock.Elapsed.TotalNanoseconds, Line = 0 });
                if (operation.Type == OperationType.Invoke)
                {
                    open[operation.Process ?? -1] = operation;
                    invoked++;
                }
                else
                {
                    open.Remove(operation.Process ?? -1);
                    if (++completions == killAfter)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
            }

            await process.WaitForExitAsync(bound.Token);

            // Killed only if the signal found it running (it may have finished while its last lines were read).
            killed = process.ExitCode == SigKillExit;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        if (!killed && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the client process exited with {process.ExitCode}: {(await errors).Trim()}");
        }

        // What the dead child had under way may or may not have happened.
        foreach (var invocation in open.Values.OrderBy(o => o.Index))
        {
            history.Add(invocation with { Type = OperationType.Info, Index = history.Count, Time = (long)clock.Elapsed.TotalNanoseconds });
        }

        return (invoked, killed);
    }

    private static Operation? Parse(string line)
    {
        try
        {
            return HistoryFormat.Parse(line, "client output") is [var operation] ? operation : null;
        }
        catch (HistoryFormatException)
        {
            return null;
        }
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
