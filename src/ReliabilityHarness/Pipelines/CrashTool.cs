using System.Text.RegularExpressions;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// How a program's crash points are enumerated and struck, with no change to the program: on an embedded engine,
/// strace counts its writes to the database file and its journal/WAL and kills it (SIGKILL) at the k-th, before the
/// write happens; on a server, a loopback proxy between it and the engine counts the statements it sends and cuts the
/// connection just before the k-th.
/// </summary>
public abstract partial class CrashTool
{
    /// <summary>No enumerated points: runs as they are (random kills still apply).</summary>
    public static CrashTool None { get; } = new NoPoints("none");

    /// <summary>For the report.</summary>
    public abstract string Method { get; }

    /// <summary>Prepares one run: counting the points it passes (<paramref name="crashAt"/> null), or crashing at one.</summary>
    public abstract Task<Launch> PrepareAsync(Provider provider, string connectionString, CrashPoint? crashAt, CancellationToken cancellationToken);

    /// <summary>
    /// The tool for <paramref name="provider"/>: strace for an embedded engine (null with <paramref name="unavailable"/>
    /// set when strace is not installed), the statement proxy for a server whose protocol the harness parses, else
    /// no points (random kills only).
    /// </summary>
    public static CrashTool? For(Provider provider, string connectionString, out string? unavailable)
    {
        ArgumentNullException.ThrowIfNull(provider);
        unavailable = null;
        if (provider.IsEmbedded)
        {
            var path = PipelineEnvironment.FilePath(connectionString);
            var strace = ProgramPath.Find("strace");
            if (path is null || strace is null)
            {
                unavailable = path is null
                    ? $"the connection string names no database file for {provider.Name} (Data Source=FILE)"
                    : "strace is needed to crash an embedded engine's pipeline at each of its writes: install it (apt-get install strace)";
                return null;
            }

            return new StraceWrites(strace, RealPath(path));
        }

        return (provider.Engine as ServerEngine)?.Wire is { } wire
            ? new ProxiedStatements(wire)
            : new NoPoints($"no enumerated points: the harness has no statement proxy for {provider.Name}'s protocol; only --kills crash it");
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link among its folders resolved: strace's <c>-P</c> matches the path a
    /// descriptor really has, and the journal and WAL it must match do not exist yet, so strace cannot resolve them itself.
    /// </summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetPathRoot(full)!;
        foreach (var part in Path.GetDirectoryName(full)![folder.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = new DirectoryInfo(Path.Combine(folder, part));
            folder = next.LinkTarget is not null && next.ResolveLinkTarget(returnFinalTarget: true) is { } target ? RealPath(Path.Combine(target.FullName, ".")) : next.FullName;
        }

        return Path.Combine(folder, Path.GetFileName(full));
    }

    /// <summary>One prepared run: what goes before the command (strace), the connection string it gets, what it passed.</summary>
    public abstract class Launch : IAsyncDisposable
    {
        /// <summary>The program and arguments the command runs under (strace …), or empty.</summary>
        public virtual IReadOnlyList<string> Prefix => [];

        /// <summary>The connection string the pipeline gets (the proxy's, on a proxied server).</summary>
        public required string ConnectionString { get; init; }

        /// <summary>After a counting run: the points it passed, in order.</summary>
        public virtual IReadOnlyList<CrashPoint> Points() => [];

        /// <summary>After a crash run: whether the crash struck (the run reached its point).</summary>
        public virtual bool Crashed(RunOutcome outcome) => false;

        public virtual ValueTask DisposeAsync()
        {
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoPoints(string method) : CrashTool
    {
        public override string Method => method;

        public override Task<Launch> PrepareAsync(Provider provider, string connectionString, CrashPoint? crashAt, CancellationToken cancellationToken) =>
            Task.FromResult<Launch>(new Plain { ConnectionString = connectionString });

        private sealed class Plain : Launch;
    }

    /// <summary>
    /// strace (Debian's) follows the pipeline and its children, traces only the write calls on the database's files
    /// (<c>-P</c>), and for a crash run injects SIGKILL at the k-th call of one write syscall (<c>-e inject=…:when=k</c>;
    /// strace counts per syscall, so each syscall's calls are enumerated on their own, all of them together covering every write).
    /// </summary>
    private sealed partial class StraceWrites(string strace, string path) : CrashTool
    {
        private const string Syscalls = "write,pwrite64,writev,pwritev,pwritev2";

        public override string Method => $"strace kills the pipeline (SIGKILL) at its k-th write to {Path.GetFileName(path)} or its journal/WAL, before the write, for each k";

        public override Task<Launch> PrepareAsync(Provider provider, string connectionString, CrashPoint? crashAt, CancellationToken cancellationToken)
        {
            var trace = Path.Combine(Path.GetTempPath(), $"reliability-strace-{Guid.NewGuid():N}.txt");
            // Not --seccomp-bpf, though it would stop the pipeline only at traced calls: strace 6.1 then injected nothing.
            // -D: strace runs as a detached grandchild, so the process the harness waits for is the pipeline itself (its
            // exit code, its end) and not strace, which would wait for every child the pipeline left in the background.
            // strace writes each call's line as the call returns, so the trace is complete when the pipeline has ended.
            List<string> prefix = [strace, "-D", "-f", "-qq", "-e", "signal=none", "-o", trace, "-e", $"trace={Syscalls}"];
            foreach (var suffix in PipelineEnvironment.WrittenBeside.Prepend(string.Empty))
            {
                prefix.AddRange(["-P", path + suffix]);
            }

            if (crashAt is WritePoint write)
            {
                prefix.AddRange(["-e", $"inject={write.Syscall}:signal=KILL:when={write.Ordinal}"]);
            }

            prefix.Add("--");
            return Task.FromResult<Launch>(new Traced(prefix, trace) { ConnectionString = connectionString });
        }

        private sealed class Traced(IReadOnlyList<string> prefix, string trace) : Launch
        {
            public override IReadOnlyList<string> Prefix => prefix;

            public override IReadOnlyList<CrashPoint> Points()
            {
                var calls = Lines().Select(line => WriteCall().Match(line)).Where(m => m.Success).Select(m => m.Groups["syscall"].Value).ToList();
                var totals = calls.GroupBy(c => c, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                return calls.Select(call => (CrashPoint)new WritePoint(call, seen[call] = seen.GetValueOrDefault(call) + 1, totals[call])).ToList();
            }

            // The injected call never returns: strace shows it as "= ?", and the tracee (strace with it) ends by SIGKILL.
            public override bool Crashed(RunOutcome outcome) => outcome.ExitCode == 128 + 9 || Lines().Any(line => WriteCall().IsMatch(line) && line.EndsWith("= ?", StringComparison.Ordinal));

            public override ValueTask DisposeAsync()
            {
                File.Delete(trace);
                return base.DisposeAsync();
            }

            private IEnumerable<string> Lines() => File.Exists(trace) ? File.ReadLines(trace) : [];
        }

        // "1234  pwrite64(3, …" — a call's start; "<... pwrite64 resumed>" lines are its end, not another call.
        [GeneratedRegex(@"^\d+\s+(?<syscall>write|pwrite64|writev|pwritev|pwritev2)\(")]
        private static partial Regex WriteCall();
    }

    /// <summary>The loopback statement proxy (<see cref="StatementProxy"/>) between the pipeline and the engine.</summary>
    private sealed class ProxiedStatements(WireProtocol wire) : CrashTool
    {
        public override string Method => "a loopback proxy between the pipeline and the engine cuts the connection just before its k-th statement, for each k";

        public override Task<Launch> PrepareAsync(Provider provider, string connectionString, CrashPoint? crashAt, CancellationToken cancellationToken)
        {
            var (host, port) = PipelineEnvironment.Endpoint(connectionString, wire);
            var proxy = StatementProxy.Start(wire, host, port, crashAt is StatementPoint statement ? statement.Ordinal : null);
            return Task.FromResult<Launch>(new Proxied(proxy) { ConnectionString = PipelineEnvironment.Redirected(connectionString, "127.0.0.1", proxy.Port) });
        }

        private sealed class Proxied(StatementProxy proxy) : Launch
        {
            public override IReadOnlyList<CrashPoint> Points()
            {
                var texts = proxy.StatementTexts;
                return texts.Select((text, i) => (CrashPoint)new StatementPoint(i + 1, texts.Count, text)).ToList();
            }

            public override bool Crashed(RunOutcome outcome) => proxy.CutStatement is not null;

            public override async ValueTask DisposeAsync()
            {
                await proxy.DisposeAsync();
                await base.DisposeAsync();
            }
        }
    }
}
