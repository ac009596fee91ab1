using System.Diagnostics;
using System.Text;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// A program as the pipeline under check (any language): started with the database in its environment
/// (<see cref="PipelineEnvironment"/>), its standard input empty, its output kept (the last lines, for the report),
/// and killed with its whole process tree when it does not end within <see cref="Bound"/>. Crash points come from
/// its <see cref="CrashTool"/>: strace's write injection on an embedded engine, the statement proxy on a server.
/// </summary>
public sealed class ProcessPipeline : PipelineRunner
{
    private readonly IReadOnlyList<string> command;
    private readonly CrashTool tool;
    private readonly Provider provider;
    private readonly string connectionString;

    public ProcessPipeline(Provider provider, string connectionString, IReadOnlyList<string> command, TimeSpan bound, CrashTool tool)
    {
        ArgumentNullException.ThrowIfNull(command);
        (this.provider, this.connectionString, this.command, Bound, this.tool) = (provider, connectionString, command, bound, tool);
        if (command.Count == 0)
        {
            throw new ArgumentException("no command given", nameof(command));
        }
    }

    /// <summary>How long one run may take before it is killed and reported as not ending.</summary>
    public TimeSpan Bound { get; }

    public override string Description => string.Join(' ', command.Select(Shown));

    public override string CrashMethod => tool.Method;

    public override bool CanBeKilled => true;

    public override async Task<RunOutcome> RunCountingAsync(CancellationToken cancellationToken)
    {
        await using var launch = await tool.PrepareAsync(provider, connectionString, null, cancellationToken);
        var outcome = await RunOneAsync(launch, killAfter: null, cancellationToken);
        return outcome with { Points = launch.Points() };
    }

    public override async Task<RunOutcome> RunToCrashAsync(CrashPoint point, CancellationToken cancellationToken)
    {
        if (point is MomentPoint moment)
        {
            await using var plain = await CrashTool.None.PrepareAsync(provider, connectionString, null, cancellationToken);
            return await RunOneAsync(plain, moment.After, cancellationToken);
        }

        await using var launch = await tool.PrepareAsync(provider, connectionString, point, cancellationToken);
        var outcome = await RunOneAsync(launch, killAfter: null, cancellationToken);
        return outcome with { Crashed = launch.Crashed(outcome) };
    }

    public override async Task<IReadOnlyList<RunOutcome>> RunTogetherAsync(int copies, CancellationToken cancellationToken)
    {
        var launches = new List<CrashTool.Launch>();
        try
        {
            for (var i = 0; i < copies; i++)
            {
                launches.Add(await CrashTool.None.PrepareAsync(provider, connectionString, null, cancellationToken));
            }

            return await Task.WhenAll(launches.Select(l => RunOneAsync(l, killAfter: null, cancellationToken)));
        }
        finally
        {
            foreach (var launch in launches)
            {
                await launch.DisposeAsync();
            }
        }
    }

    private async Task<RunOutcome> RunOneAsync(CrashTool.Launch launch, TimeSpan? killAfter, CancellationToken cancellationToken)
    {
        // In a session of its own (setsid), so that whatever the pipeline leaves running — a child in the background, a
        // daemon — is killed with it when it ends, and no trial runs beside the last one's leftovers.
        IReadOnlyList<string> line = [.. launch.Prefix, .. command];
        if (File.Exists(SetSid))
        {
            line = [SetSid, .. line];
        }

        var start = new ProcessStartInfo(line[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in line.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in PipelineEnvironment.For(provider, launch.ConnectionString))
        {
            start.Environment[name] = value;
        }

        var output = new OutputTail();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PipelineNotStartedException($"cannot start '{start.FileName}': {e.Message}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Waits for the process itself, not for its output to close: a child left in the background may hold it open.
        var limit = killAfter ?? Bound;
        bool ended;
        using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            ended = await Task.WhenAny(exited.Task, Task.Delay(limit, timer.Token)) == exited.Task;
            await timer.CancelAsync();
        }

        var (killed, timedOut) = (!ended && killAfter is not null, !ended && killAfter is null);
        await KillSessionAsync(process);
        if (!ended)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no handler of the pipeline runs
        }

        cancellationToken.ThrowIfCancellationRequested();
        using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await process.WaitForExitAsync(drain.Token);
            }
            catch (OperationCanceledException)
            {
                // The output stays open after the kill (a grandchild outside the session): what was read is kept.
            }
        }

        var exit = process.HasExited ? process.ExitCode : -1;
        return new RunOutcome
        {
            Succeeded = !killed && !timedOut && exit == 0,
            ExitCode = killed || timedOut ? null : exit,
            Crashed = killed,
            TimedOut = timedOut,
            Duration = timedOut ? limit : clock.Elapsed,
            Output = output.ToString(),
        };
    }

    private const string SetSid = "/usr/bin/setsid";

    /// <summary>SIGKILL to every process left in the run's session (its process group: setsid made the pipeline its leader).</summary>
    private static async Task KillSessionAsync(Process process)
    {
        if (!File.Exists(SetSid))
        {
            return;
        }

        var kill = new ProcessStartInfo("/bin/kill") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-KILL", "--", $"-{process.Id}" })
        {
            kill.ArgumentList.Add(argument);
        }

        using var killer = Process.Start(kill);
        if (killer is not null)
        {
            await killer.WaitForExitAsync(CancellationToken.None); // "no such process" when nothing is left: fine
        }
    }

    private static string Shown(string argument) => argument.Any(char.IsWhiteSpace) ? $"'{argument}'" : argument;

    /// <summary>The last lines a process printed.</summary>
    private sealed class OutputTail
    {
        private readonly Queue<string> lines = new();

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Enqueue(line.Length > 300 ? line[..300] + "…" : line);
                while (lines.Count > 20)
                {
                    lines.Dequeue();
                }
            }
        }

        public override string ToString()
        {
            lock (lines)
            {
                return new StringBuilder().AppendJoin('\n', lines).ToString();
            }
        }
    }
}

/// <summary>A pipeline or setup command could not be started at all (no such program).</summary>
public sealed class PipelineNotStartedException(string message) : Exception(message);
