using System.Diagnostics;
using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Cli;

/// <summary>One run of <c>reliability</c>: its exit code and what it printed.</summary>
public sealed record CliRun(int Code, string Output, string Error)
{
    /// <summary>Runs the CLI in this process (fast; the same code path as the executable).</summary>
    public static async Task<CliRun> InProcessAsync(string[] args, Func<string, string?>? environment = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ReliabilityHarness.Cli.Cli.RunAsync(args, output, error, environment ?? (_ => null));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built <c>reliability</c> executable as a user would, with a bounded wait.</summary>
    public static Task<CliRun> ProcessAsync(params string[] args) => RunProcessAsync(null, null, args);

    /// <summary>Runs the executable with <paramref name="environment"/> added to its environment.</summary>
    public static Task<CliRun> ProcessAsync(IReadOnlyDictionary<string, string> environment, params string[] args) => RunProcessAsync(null, environment, args);

    /// <summary>Runs the executable with <paramref name="standardInput"/> written into its standard input (a pipe), then closed.</summary>
    public static Task<CliRun> PipedAsync(string standardInput, params string[] args) => RunProcessAsync(standardInput, null, args);

    private static async Task<CliRun> RunProcessAsync(string? standardInput, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = standardInput is not null };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "reliability.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"reliability {string.Join(' ', args)} did not exit within 2 minutes");
        }

        return new CliRun(process.ExitCode, await output, await error);
    }
}
