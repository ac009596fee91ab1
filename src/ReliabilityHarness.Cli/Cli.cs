using System.CommandLine;
using System.Data.Common;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability</c>: the harness's command line. Every failure a user can cause or meet ends in one line on
/// standard error and a documented exit code (<see cref="ExitCodes"/>); stack traces only for the harness's own
/// bugs, and only with RELIABILITY_DEBUG=1.
/// </summary>
public static class Cli
{
    public const string Usage = """
        usage: reliability <command> [options]

          demo    [--provider P] [--connection CS]     the payments lesson, step by step, with what each step shows
          setup   [--provider P] [--connection CS]     create or reset the payments table
          ingest  [--provider P] [--connection CS] --input FILE.csv [--strategy robust|unreliable|check-then-insert]
                  [--crash-after N]
          matrix  [--providers a,b,…] [--format table|markdown|json] [--output FILE] [--against RECORD.json]
                                                       every scenario on every engine, against each engine's expectations
                                                       and, with --against, against a recorded matrix (drift: exit 1)
          matrix  --from A.json[,B.json…] [--format …] [--output FILE] [--against RECORD.json]
                                                       recorded runs merged into one report, no engine run
          bench   [--providers a,b,…] [--rows N]       ingest speed and memory against the engine's own bulk idiom
                                                       (psql \copy, sqlite3 .import, DuckDB COPY), first load and rerun;
                                                       default sqlite,postgresql and 1,000,000 rows
          bench   [--providers a,b,…] --check N        how long reliability check takes: an N-statement .NET delegate
                                                       under every crash point, then the Python lesson's pipelines
          check   --provider P [--connection CS] --table T[,T…] [--setup "CMD"] [--volatile COL[,COL…]]
                  [--kills N] [--concurrency K] [--timeout SECONDS] [--format table|markdown|json] [--output FILE]
                  -- COMMAND [ARGS…]                   your own pipeline (any program) under every crash point, a rerun
                                                       and K copies at once: atomic, recovers, rerun-idempotent,
                                                       concurrent-exactly-once
          histories run [--providers a,b,…] [--levels read-committed,repeatable-read,serializable,snapshot]
                  [--clients K] [--txns N] [--keys M] [--seed S] [--faults none|sever|kill|crash]
                  [--format table|markdown|json] [--output FILE] [--history-dir DIR]
                                                       K clients run N random list-append transactions over M keys at
                                                       each level the engine offers, each history checked; a row per
                                                       engine and level (an observation: exit 0)
          histories check FILE.edn [--model read-committed|snapshot-isolation|repeatable-read|serializable]
                  [--format table|markdown|json]       a list-append history (Elle's EDN) checked for anomalies;
                                                       exit 0 valid for the model, 1 it is not, 2 malformed

        providers: engine specs name[@version][+variant] (postgresql@16, sqlite+wal, mariadb+snapshot-isolation):
                   sqlite (default, Data Source=payments.db), duckdb (Data Source=payments.duckdb),
                   postgresql (HARNESS_POSTGRESQL, else Docker), sqlserver (HARNESS_SQLSERVER, else Docker),
                   mariadb (HARNESS_MARIADB, else Docker)
        reliability <command> --help describes the command and each of its options.
        exit codes: 0 success; 1 the run failed (robust: rolled back), or for matrix: an engine behaved other
                    than expected or drifted from --against, or for check: a property does not hold; 2 bad input
                    or usage, nothing written; 3 engine unavailable or unreachable (check: or strace missing)
        """;

    /// <param name="interactive">Standard error is a terminal a person watches: long ingests show their progress there.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, bool interactive = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is [] or ["help" or "--help" or "-h"])
        {
            await (args.Length == 0 ? error : output).WriteLineAsync(Usage);
            return args.Length == 0 ? ExitCodes.BadInput : ExitCodes.Success;
        }

        string? connectionString = null;
        // check's pipeline is everything after its first "--", kept away from the option parser.
        IReadOnlyList<string>? pipeline = null;
        if (args[0] == "check" && Array.IndexOf(args, "--") is var split and > 0)
        {
            pipeline = args[(split + 1)..];
            args = args[..split];
        }

        try
        {
            var root = Arguments.Define(async (arguments, token) =>
            {
                connectionString = Target.Connection(arguments, environment);
                return arguments.Command switch
                {
                    "demo" => await DemoCommand.RunAsync(arguments, output, environment, token),
                    "setup" => await SetupAsync(arguments, output, environment, token),
                    "ingest" => await IngestCommand.RunAsync(arguments, output, error, environment, interactive, token),
                    "matrix" => await MatrixCommand.RunAsync(arguments, output, error, environment, token),
                    "bench" => await BenchCommand.RunAsync(arguments, output, error, environment, token),
                    "check" => await CheckCommand.RunAsync(arguments, pipeline, output, error, environment, token),
                    "histories run" => await HistoriesCommand.RunAsync(arguments, output, error, environment, token),
                    "histories check" => await HistoriesCommand.CheckAsync(arguments, output, error, token),
                    "histories client" => await HistoriesCommand.ClientAsync(arguments, output, connectionString, token),
                    _ => throw new UsageException($"unknown command '{arguments.Command}'"),
                };
            });
            var parsed = root.Parse(args);
            var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
            if (parsed.Errors.Count == 0)
            {
                return await parsed.InvokeAsync(invocation, cancellationToken);
            }

            // The library's own report of a mistake starts with its suggestions of what was meant (a misspelt
            // option, a command close to the one given); those are kept, the rest is said the harness's way.
            using var said = new StringWriter();
            await parsed.InvokeAsync(new InvocationConfiguration { Output = said, Error = said, EnableDefaultExceptionHandler = false }, cancellationToken);
            var suggestions = said.ToString().Split(Environment.NewLine + Environment.NewLine)[0];
            // A token nobody expected (a misspelt command or option) is the mistake to name first.
            var mistake = parsed.Errors.FirstOrDefault(e => parsed.UnmatchedTokens.Any(token => e.Message.Contains($"'{token}'", StringComparison.Ordinal))) ?? parsed.Errors[0];
            throw new UsageException(mistake.Message + (suggestions.Contains("Did you mean", StringComparison.Ordinal) ? Environment.NewLine + suggestions.TrimEnd() : string.Empty));
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"reliability: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.BadInput;
        }
        catch (InputException e)
        {
            await error.WriteLineAsync($"reliability: {e.Message}");
            await error.WriteLineAsync("Nothing was written.");
            return ExitCodes.BadInput;
        }
        catch (EngineUnavailableException e)
        {
            // Built from a redacted connection string and a scrubbed driver message: printed as it is.
            await error.WriteLineAsync($"reliability: {e.Message}");
            return ExitCodes.EngineUnavailable;
        }
        catch (DbException e)
        {
            await error.WriteLineAsync($"reliability: database error: {ConnectionStrings.Scrub(e.Message.Split('\n')[0], connectionString)}");
            return ExitCodes.RunFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("reliability: cancelled");
            return ExitCodes.RunFailed;
        }
        catch (Exception e) when (environment("RELIABILITY_DEBUG") != "1")
        {
            await error.WriteLineAsync($"reliability: internal error ({e.GetType().Name}): {ConnectionStrings.Scrub(e.Message, connectionString)}");
            await error.WriteLineAsync("This is a bug in the harness; RELIABILITY_DEBUG=1 shows the stack trace.");
            return ExitCodes.RunFailed;
        }
    }

    private static async Task<int> SetupAsync(Arguments arguments, TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var target = await Target.ResolveAsync(arguments, environment, output, cancellationToken);
        await Ingest.PaymentsTable.ResetAsync(target.Provider, target.ConnectionString, cancellationToken);
        await output.WriteLineAsync($"payments table created, empty, in {target.Provider.Name} at {target.Description}");
        return ExitCodes.Success;
    }
}
