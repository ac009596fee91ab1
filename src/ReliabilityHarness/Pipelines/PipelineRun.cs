namespace ReliabilityHarness.Pipelines;

/// <summary>Where a crash trial stops the pipeline.</summary>
public abstract record CrashPoint
{
    /// <summary>For the report: "write 12 of 40 (pwrite64)", "statement 7 of 9", "SIGKILL at 340 ms".</summary>
    public abstract string Describe();

    public sealed override string ToString() => Describe();
}

/// <summary>
/// Killed at its <paramref name="Ordinal"/>-th call of <paramref name="Syscall"/> that writes the database file or
/// its journal/WAL, before the write happens (strace's fault injection).
/// </summary>
public sealed record WritePoint(string Syscall, int Ordinal, int OfSyscall) : CrashPoint
{
    public override string Describe() => $"write {Ordinal} of {OfSyscall} ({Syscall})";
}

/// <summary>Cut off just before its <paramref name="Ordinal"/>-th statement reaches the engine (the statement proxy, or the in-process decorator).</summary>
public sealed record StatementPoint(int Ordinal, int Of, string Statement) : CrashPoint
{
    public override string Describe() => $"statement {Ordinal} of {Of}: {Statement}";
}

/// <summary>Killed (SIGKILL, the whole process tree) <paramref name="After"/> after it started.</summary>
public sealed record MomentPoint(TimeSpan After) : CrashPoint
{
    public override string Describe() => $"SIGKILL at {After.TotalMilliseconds:0} ms";
}

/// <summary>How one run of the pipeline ended.</summary>
public sealed record RunOutcome
{
    /// <summary>It ran to its end and said it succeeded (exit code 0; a delegate that returned).</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The exit code of a process; null for a delegate, or a process killed.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The crash the trial asked for happened (it reached the point before it ended).</summary>
    public bool Crashed { get; init; }

    /// <summary>It did not end within the bound and was killed.</summary>
    public bool TimedOut { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>The last lines it printed (standard output and error), or the exception a delegate threw.</summary>
    public string Output { get; init; } = string.Empty;

    /// <summary>In a counting run: the crash points it passed, in order (every write, or every statement).</summary>
    public IReadOnlyList<CrashPoint> Points { get; init; } = [];

    /// <summary>For the report: exit 0, exit 1, killed at …, timed out after ….</summary>
    public string Describe() =>
        TimedOut ? $"did not end within {Duration.TotalSeconds:0.#} s and was killed"
        : Crashed ? "crashed as asked"
        : Succeeded ? "succeeded" + (ExitCode is { } code ? $" (exit {code})" : string.Empty)
        : ExitCode is { } failed ? $"failed (exit {failed})" + LastLine()
        : "failed" + LastLine();

    private string LastLine() => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is [.., var last] ? $": {last}" : string.Empty;
}

/// <summary>
/// The pipeline under check, as something that can be run: plainly (counting the crash points it passes), or to a
/// crash point. A program (<see cref="ProcessPipeline"/>) or a .NET delegate (<see cref="DelegatePipeline"/>).
/// </summary>
public abstract class PipelineRunner
{
    /// <summary>For the report: the command, or the delegate's name.</summary>
    public abstract string Description { get; }

    /// <summary>What crash points are and how they are made, for the report.</summary>
    public abstract string CrashMethod { get; }

    /// <summary>Whether <see cref="MomentPoint"/> kills apply (a separate process can be killed; a delegate cannot).</summary>
    public abstract bool CanBeKilled { get; }

    /// <summary>Runs once to its end, counting the crash points it passes (<see cref="RunOutcome.Points"/>).</summary>
    public abstract Task<RunOutcome> RunCountingAsync(CancellationToken cancellationToken);

    /// <summary>Runs once, crashing at <paramref name="point"/> (one of a counting run's points, or a moment).</summary>
    public abstract Task<RunOutcome> RunToCrashAsync(CrashPoint point, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="copies"/> copies started together, each to its end.</summary>
    public abstract Task<IReadOnlyList<RunOutcome>> RunTogetherAsync(int copies, CancellationToken cancellationToken);

    /// <summary>Runs once to its end.</summary>
    public virtual async Task<RunOutcome> RunAsync(CancellationToken cancellationToken) => (await RunTogetherAsync(1, cancellationToken))[0];
}
