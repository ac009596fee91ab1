using System.Globalization;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability check … -- COMMAND [ARGS…]</c>: the user's own pipeline (any program) under every crash point,
/// a rerun and concurrent copies (<see cref="PipelineCheck"/>). Progress goes to standard error; the report to
/// standard output or <c>--output</c>. Exit 0 when every property asked holds, 1 when one does not or was not decided, 2 for bad use (no
/// command, an unknown table, a setup command that fails), 3 when the engine or strace is not there.
/// </summary>
internal static class CheckCommand
{
    public const int DefaultTimeoutSeconds = 300;

    public static async Task<int> RunAsync(Arguments arguments, IReadOnlyList<string>? pipelineCommand, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var provider = Target.ProviderNamed(arguments.Get("provider") ?? "sqlite");
        var tables = arguments.Required("table").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Table).ToList();
        if (tables.Count == 0)
        {
            throw new UsageException("--table names no table: give the tables the pipeline writes, comma-separated");
        }

        var volatileColumns = arguments.Get("volatile")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var kills = Count(arguments, "kills", 0);
        var concurrency = Count(arguments, "concurrency", 2);
        var bound = TimeSpan.FromSeconds(Count(arguments, "timeout", DefaultTimeoutSeconds, least: 1));
        var format = arguments.OneOf("format", CheckFormats.Names);

        if (pipelineCommand is null or [])
        {
            throw new UsageException("'check' needs the pipeline to run after '--': reliability check --provider P --table T [options] -- COMMAND [ARGS…]");
        }

        if (ProgramPath.Find(pipelineCommand[0]) is not { } program)
        {
            throw new UsageException($"cannot find the pipeline's program '{pipelineCommand[0]}' (not a file, nor on PATH)");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(program) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw new UsageException($"the pipeline's program '{program}' is not executable (chmod +x it, or run it through its interpreter: -- python3 {pipelineCommand[0]})");
        }

        if (arguments.Get("output") is { } destination && Path.GetDirectoryName(Path.GetFullPath(destination)) is { } folder && !Directory.Exists(folder))
        {
            throw new UsageException($"--output {destination}: the folder {folder} does not exist");
        }

        await using var target = await Target.ResolveAsync(provider, Target.Connection(arguments, environment), environment, error, cancellationToken);
        var tool = CrashTool.For(provider, target.ConnectionString, out var unavailable)
            ?? throw new EngineUnavailableException($"cannot check a pipeline on {provider.Name}: {unavailable}");

        BeforeState? before = null;
        CheckReport report;
        try
        {
            if (arguments.Get("setup") is { } setup)
            {
                var shell = new ProcessPipeline(provider, target.ConnectionString, ["/bin/sh", "-c", setup], bound, CrashTool.None);
                before = BeforeState.Setup(async token =>
                {
                    var ran = await shell.RunAsync(token);
                    if (!ran.Succeeded)
                    {
                        throw new SetupFailedException($"the setup command {ran.Describe()}: {setup}" + (ran.Output.Length > 0 ? Environment.NewLine + ran.Output : string.Empty));
                    }
                }, setup);
            }
            else
            {
                before = provider.IsEmbedded
                    ? await BeforeState.FileCopyAsync(provider.Dialect, PipelineEnvironment.FilePath(target.ConnectionString)!, cancellationToken)
                    : await BeforeState.RowsAsync(provider.Dialect, target.ConnectionString, tables, cancellationToken);
            }

            var pipeline = new ProcessPipeline(provider, target.ConnectionString, pipelineCommand, bound, tool);
            var check = new PipelineCheck(provider.Dialect, target.ConnectionString, tables, before, pipeline, new CheckOptions(volatileColumns, kills, concurrency));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            report = await check.RunAsync(line => error.WriteLine($"check: [{clock.Elapsed.TotalSeconds,5:0.0} s] {line}"), cancellationToken);
        }
        catch (Exception e) when (e is SetupFailedException or PipelineNotStartedException)
        {
            throw new UsageException(e.Message);
        }
        catch (TableUnreadableException e)
        {
            throw new UsageException($"{e.Message} (in {provider.Name} at {target.Description}; --table names the tables the pipeline writes)");
        }
        finally
        {
            before?.Dispose();
        }

        var rendered = format switch
        {
            "json" => CheckFormats.Json(report),
            "markdown" => CheckFormats.Markdown(report),
            _ => CheckFormats.Header(report) + Environment.NewLine
                + TextTable.Render(["property", "verdict", "trials", "failures", "evidence"], CheckFormats.Grid(report), indent: string.Empty)
                + string.Join(Environment.NewLine, CheckFormats.Details(report)) + Environment.NewLine,
        };
        if (arguments.Get("output") is { } path)
        {
            await File.WriteAllTextAsync(path, rendered, cancellationToken);
            await error.WriteLineAsync($"check: written to {path}");
        }
        else
        {
            await output.WriteAsync(rendered);
        }

        return report.AllHold ? ExitCodes.Success : ExitCodes.RunFailed;
    }

    private static TableName Table(string text)
    {
        try
        {
            return TableName.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--table: {e.Message}");
        }
    }

    private static int Count(Arguments arguments, string name, int fallback, int least = 0) =>
        arguments.Get(name) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= least ? value
        : throw new UsageException($"--{name} must be a whole number of at least {least}, not '{text}'");
}
