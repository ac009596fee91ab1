using System.Diagnostics;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Faults;

/// <summary>
/// How to crash and restart an engine the harness manages: shell commands, from
/// <c>HARNESS_&lt;ENGINE&gt;_CRASH</c> and <c>HARNESS_&lt;ENGINE&gt;_START</c> (scripts/engines.sh prints them).
/// </summary>
public sealed record ServerControl(string CrashCommand, string StartCommand)
{
    public static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(90);

    /// <summary>The control for <paramref name="provider"/>'s engine, or null when the environment names none.</summary>
    public static ServerControl? From(Provider provider, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(environment);
        // The commands of the server the harness connects to: the first variable of the engine that names one (for a
        // variant without its own, the unvaried engine's), never another's.
        return provider.EnvironmentVariables.FirstOrDefault(variable => environment(variable) is { Length: > 0 }) is { } used
            && environment(used + "_CRASH") is { Length: > 0 } crash && environment(used + "_START") is { Length: > 0 } start
            ? new ServerControl(crash, start)
            : null;
    }

    public Task CrashAsync(CancellationToken cancellationToken) => RunAsync(CrashCommand, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => RunAsync(StartCommand, cancellationToken);

    private static async Task RunAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {command}");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(CommandBound);
        var output = process.StandardOutput.ReadToEndAsync(bound.Token);
        var error = process.StandardError.ReadToEndAsync(bound.Token);
        await process.WaitForExitAsync(bound.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited with {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
        }
    }
}

/// <summary>What survived a server crash.</summary>
/// <param name="NonDurableSettings">Settings that make commits non-durable; when any, the crash was not even tried.</param>
/// <param name="Acknowledged">Payment ids whose COMMIT returned success before the crash.</param>
/// <param name="InDoubt">The id whose commit was under way when the crash came: it may or may not have survived.</param>
/// <param name="Found">Payment ids in the table after the restart.</param>
public sealed record ServerCrashObservation(IReadOnlyList<string> NonDurableSettings, IReadOnlyList<string> Acknowledged, string? InDoubt, IReadOnlyList<string> Found)
{
    /// <summary>Acknowledged commits that the crash lost: a durability failure.</summary>
    public IReadOnlyList<string> Missing => Acknowledged.Except(Found, StringComparer.Ordinal).ToList();

    /// <summary>Rows that no commit was acknowledged for and that were not in doubt either.</summary>
    public IReadOnlyList<string> Unexpected => Found.Except(Acknowledged, StringComparer.Ordinal).Where(id => id != InDoubt).ToList();

    /// <summary><c>durable</c>, <c>not-durable</c> (settings off), <c>lost-commits</c> or <c>unexpected-rows</c>.</summary>
    public string Outcome =>
        NonDurableSettings.Count > 0 ? "not-durable"
        : Missing.Count > 0 ? "lost-commits"
        : Unexpected.Count > 0 ? "unexpected-rows"
        : "durable";
}

/// <summary>
/// Real crashes, third kind: the server itself dies while an ingest commits one payment after another, and is
/// started again. Every commit that was acknowledged must be there, and nothing else (the one commit under way
/// may go either way). The engine's durability settings are checked first: a crash test on an engine that does
/// not flush its log proves nothing.
/// </summary>
public static class ServerCrashScenario
{
    public const string Id = "server-crash";

    public static async Task<ServerCrashObservation> RunAsync(Provider provider, string connectionString, ServerControl control,
        int crashAfterCommits = 40, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(control);
        await using (var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken))
        {
            if (await provider.Engine.NonDurableSettingsAsync(connection, cancellationToken) is { Count: > 0 } settings)
            {
                return new ServerCrashObservation(settings, [], null, []);
            }
        }

        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        var acknowledged = new List<string>();
        string? inDoubt = null;
        var crashNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashed = false;
        try
        {
            // One payment per transaction, committed one after another, until the server is gone.
            var writer = Task.Run(async () =>
            {
                foreach (var record in SamplePayments.Generate(100_000, seed: 5, prefix: "crash"))
                {
                    var result = await IngestStrategies.Robust.RunAsync(provider, connectionString, new[] { record }.AsStream(), new IngestOptions(MaxAttempts: 1), cancellationToken);
                    if (!result.Succeeded)
                    {
                        inDoubt = record.Payment.PaymentId;
                        return;
                    }

                    acknowledged.Add(record.Payment.PaymentId);
                    if (acknowledged.Count == crashAfterCommits)
                    {
                        crashNow.SetResult();
                    }
                }
            }, cancellationToken);

            await Task.WhenAny(crashNow.Task, writer).Unwrap().WaitAsync(ServerControl.CommandBound, cancellationToken);
            crashed = true;
            await control.CrashAsync(cancellationToken);
            await writer.WaitAsync(ServerControl.CommandBound, cancellationToken);
        }
        finally
        {
            if (crashed)
            {
                // Never leave the engine down, whatever failed above.
                await control.StartAsync(CancellationToken.None);
                provider.Dialect.ClearPools();
                await WaitUntilAcceptingAsync(provider, connectionString, cancellationToken);
            }
        }

        var found = (await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken)).Select(r => r.Payment.PaymentId).ToList();
        return new ServerCrashObservation([], acknowledged, inDoubt, found);
    }

    private static async Task WaitUntilAcceptingAsync(Provider provider, string connectionString, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (await EngineAcquisition.TryConnectAsync(provider, connectionString, cancellationToken) is { } problem)
        {
            if (clock.Elapsed > ServerControl.CommandBound)
            {
                throw new TimeoutException($"{provider.DisplayName} did not accept connections {ServerControl.CommandBound.TotalSeconds:0} s after its restart: {problem}");
            }

            provider.Dialect.ClearPools();
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
