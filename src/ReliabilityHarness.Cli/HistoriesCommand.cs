using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ReliabilityHarness.Histories;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Scenarios.Interleavings;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability histories run --providers … --levels …</c>: the list-append workload (<see cref="ListAppendWorkload"/>)
/// on each engine at each level asked that the engine offers, each in a database of its own, every history checked;
/// a row per engine and level. Exit 0: the run is an observation (the matrix holds it to expectations), 2 bad use, 3 an
/// engine unavailable (the others still run).
/// <c>reliability histories check FILE.edn [--model M] [--format …]</c>: a list-append history in Elle's format, checked
/// from the history alone (<see cref="ListAppendChecker"/>). Exit 0 when it is valid for the model (default
/// serializable), 1 when it shows an anomaly the model forbids, 2 when the file is malformed (its line and column said).
/// </summary>
internal static class HistoriesCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] LevelNames = ["read-committed", "repeatable-read", "serializable", "snapshot"];

    private static readonly string[] FaultNames = [.. Enum.GetValues<HistoryFault>().Select(f => f.ToString().ToLowerInvariant())];

    /// <summary>One row of <c>histories run</c>: an engine at a level, run and checked, or why not.</summary>
    private sealed record RunRow(string Engine, string Level, WorkloadResult? Result, CheckResult? Check, string? NotRun)
    {
        public string Transactions => Result is { } r ? $"{r.Ok}/{r.Failed}/{r.Unknown}" : "–";

        public string Anomalies => Check is null ? "–" : Check.Kinds.Count == 0 ? "none" : string.Join(", ", Check.Kinds.Select(k => $"{Anomaly.NameOf(k)} ×{Check.Counts[k]}"));

        public IReadOnlyList<string> ValidFor => Check is null ? [] : [.. Enum.GetValues<ConsistencyModel>().Where(Check.IsValid).Select(ConsistencyModels.NameOf)];

        public string Seconds => Result is { } r ? r.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "–";

        public string Faults => Result is { } r ? r.Faults.ToString(CultureInfo.InvariantCulture) : "–";
    }

    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var providers = Target.ProvidersNamed(arguments.Get("providers") ?? "sqlite");
        var levels = (arguments.Get("levels") ?? string.Join(',', LevelNames)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (levels.Count == 0 || levels.Any(l => !LevelNames.Contains(l)))
        {
            throw new UsageException($"unknown level '{levels.FirstOrDefault(l => !LevelNames.Contains(l))}'; expected a comma-separated list of {string.Join(", ", LevelNames)}");
        }

        var defaults = WorkloadOptions.Default;
        var options = new WorkloadOptions(
            Clients: Count(arguments, "clients", defaults.Clients, minimum: 1),
            Transactions: Count(arguments, "txns", defaults.Transactions, minimum: 1),
            Keys: Count(arguments, "keys", defaults.Keys, minimum: 1),
            Seed: Count(arguments, "seed", defaults.Seed, minimum: int.MinValue));
        var format = arguments.OneOf("format", CheckFormats.Names);

        var fault = Enum.Parse<HistoryFault>(arguments.OneOf("faults", FaultNames), ignoreCase: true);

        var historyDirectory = arguments.Get("history-dir");
        if (historyDirectory is not null)
        {
            Directory.CreateDirectory(historyDirectory);
        }

        var rows = new List<RunRow>();
        var unavailable = false;
        foreach (var provider in providers)
        {
            try
            {
                if (WorkloadFault.NotApplicable(fault, provider) is { } reason)
                {
                    rows.Add(new RunRow(provider.Name, "–", null, null, $"not applicable: {reason}"));
                    continue;
                }

                WorkloadFault workloadFault = fault switch
                {
                    HistoryFault.Kill => new(fault, Reliability: ChildCommand.InDirectory(AppContext.BaseDirectory)),
                    HistoryFault.Crash => new(fault, Server: ServerControl.From(provider, environment)
                        ?? throw new EngineUnavailableException($"--faults crash needs {provider.EnvironmentVariable}_CRASH and {provider.EnvironmentVariable}_START (the commands that crash and start the server; scripts/engines.sh prints them)")),
                    _ => new(fault),
                };

                // An embedded engine's run needs no server: its database is a fresh temporary file, and resolving the
                // default target would leave a payments file in the current directory.
                await using var target = provider.IsEmbedded ? null : await Target.ResolveAsync(provider, null, environment, error, cancellationToken);
                foreach (var name in levels)
                {
                    if (Offered(provider, name) is not { } level)
                    {
                        rows.Add(new RunRow(provider.Name, name, null, null, $"not offered (offers {string.Join(", ", provider.Dialect.IsolationLevels.Select(Isolation.Spelling))})"));
                        continue;
                    }

                    await error.WriteLineAsync($"{provider.Name} {name}: {options.Transactions} transactions, {options.Clients} clients, {options.Keys} keys, seed {options.Seed}{(fault == HistoryFault.None ? string.Empty : $", faults {workloadFault.Name}")}…");
                    await using var database = await provider.CreateIsolatedDatabaseAsync(target?.ConnectionString ?? string.Empty, cancellationToken);
                    WorkloadResult result;
                    try
                    {
                        result = await ListAppendWorkload.RunAsync(provider, database.ConnectionString, level, options, workloadFault, cancellationToken);
                    }
                    catch (InvalidOperationException e) when (fault is HistoryFault.Crash or HistoryFault.Kill)
                    {
                        // The fault could not be carried out (a crash or start command that failed, a client process
                        // that died on its own): the engine could not be disturbed as asked, said in one line.
                        throw new EngineUnavailableException($"{provider.Name} {name}: --faults {workloadFault.Name} could not be carried out: {e.Message.Split('\n')[0]}");
                    }

                    if (historyDirectory is not null)
                    {
                        await File.WriteAllTextAsync(Path.Combine(historyDirectory, $"{provider.Name}-{name}.edn"), HistoryFormat.Format(result.History), cancellationToken);
                    }

                    rows.Add(new RunRow(provider.Name, name, result, ListAppendChecker.Check(result.History, $"{provider.Name}-{name}.edn"), null));
                }
            }
            catch (EngineUnavailableException e)
            {
                unavailable = true;
                rows.Add(new RunRow(provider.Name, "–", null, null, $"unavailable: {e.Message}"));
            }
        }

        var rendered = format switch
        {
            "json" => RunJson(options, fault, rows),
            _ => RunText(options, fault, rows, markdown: format == "markdown"),
        };
        if (arguments.Get("output") is { } path)
        {
            await File.WriteAllTextAsync(path, rendered, cancellationToken);
        }
        else
        {
            await output.WriteAsync(rendered);
        }

        return unavailable ? ExitCodes.EngineUnavailable : ExitCodes.Success;
    }

    private static int Count(Arguments arguments, string name, int fallback, int minimum) =>
        arguments.Get(name) is not { } given ? fallback
        : int.TryParse(given, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum ? value
        : throw new UsageException($"--{name} must be an integer{(minimum == int.MinValue ? string.Empty : $" of at least {minimum}")}, not '{given}'");

    private static string RunText(WorkloadOptions options, HistoryFault fault, List<RunRow> rows, bool markdown)
    {
        var text = new StringBuilder();
        text.AppendLine($"list-append: {options.Transactions} transactions per run, {options.Clients} clients, {options.Keys} keys, 1–{options.MaxMicroOps} micro-ops, seed {options.Seed}, faults {FaultNames[(int)fault]}");
        string[] headers = ["engine", "level", "ok/fail/info", "anomalies", "valid for", .. fault == HistoryFault.None ? Array.Empty<string>() : [FaultColumn(fault)], "seconds"];
        var cells = rows.Select(r => (IReadOnlyList<string>)[r.Engine, r.Level, r.Transactions, r.NotRun is null ? r.Anomalies : $"– {r.NotRun}",
            r.Check is null ? "–" : r.ValidFor.Count == 0 ? "none" : string.Join(", ", r.ValidFor), .. fault == HistoryFault.None ? Array.Empty<string>() : [r.Faults], r.Seconds]).ToList();
        if (markdown)
        {
            text.AppendLine().AppendLine($"| {string.Join(" | ", headers)} |").AppendLine($"|{string.Concat(headers.Select(_ => "---|"))}");
            foreach (var row in cells)
            {
                text.AppendLine($"| {string.Join(" | ", row)} |");
            }
        }
        else
        {
            text.Append(TextTable.Render(headers, cells, indent: string.Empty));
        }

        return text.ToString();
    }

    private static string FaultColumn(HistoryFault fault) => fault switch
    {
        HistoryFault.Sever => "severed",
        HistoryFault.Kill => "killed",
        _ => "crashes",
    };

    private static string RunJson(WorkloadOptions options, HistoryFault fault, List<RunRow> rows) =>
        JsonSerializer.Serialize(new
        {
            options = new { clients = options.Clients, transactions = options.Transactions, keys = options.Keys, maxMicroOps = options.MaxMicroOps, seed = options.Seed, faults = FaultNames[(int)fault] },
            runs = rows.Select(r => new
            {
                engine = r.Engine,
                level = r.Level,
                notRun = r.NotRun,
                ok = r.Result?.Ok,
                failed = r.Result?.Failed,
                unknown = r.Result?.Unknown,
                seconds = r.Result?.Elapsed.TotalSeconds,
                faults = r.Result?.Faults,
                counts = r.Check?.Kinds.ToDictionary(Anomaly.NameOf, k => r.Check.Counts[k]),
                validFor = r.ValidFor,
                anomalies = r.Check?.Anomalies.Select(a => a.ToString()),
            }),
        }, JsonOptions) + Environment.NewLine;

    /// <summary>
    /// <c>histories client</c>: a <c>--faults kill</c> run's clients, in the process its parent kills; each operation
    /// written to <paramref name="output"/> as it happens, one EDN map per line (the parent reads them as they come).
    /// </summary>
    public static async Task<int> ClientAsync(Arguments arguments, TextWriter output, string? connectionString, CancellationToken cancellationToken)
    {
        var provider = Target.ProvidersNamed(arguments.Required("provider")) is [var one] ? one : throw new UsageException("--provider names one engine");
        var levelName = arguments.Required("level");
        var level = Offered(provider, levelName) ?? throw new UsageException($"{provider.Name} does not offer {levelName}");

        var options = new WorkloadOptions(
            Clients: Count(arguments, "clients", 1, minimum: 1),
            Transactions: Count(arguments, "txns", 1, minimum: 1),
            Keys: Count(arguments, "keys", 1, minimum: 1),
            Seed: Count(arguments, "seed", 0, minimum: int.MinValue));
        var database = connectionString ?? throw new UsageException($"'histories client' works in the database {ChildCommand.ConnectionVariable} names");
        await ListAppendWorkload.RunClientsAsync(provider, database, level, options, Long(arguments, "values-after"), Long(arguments, "first-process"),
            operation => output.Write(HistoryFormat.Format(operation) + "\n"), cancellationToken);
        await output.FlushAsync(cancellationToken);
        return ExitCodes.Success;
    }

    /// <summary>The level spelled <paramref name="name"/> if <paramref name="provider"/>'s engine offers it.</summary>
    private static IsolationLevel? Offered(Providers.Provider provider, string name) =>
        provider.Dialect.IsolationLevels.Where(l => Isolation.Spelling(l) == name).Select(l => (IsolationLevel?)l).FirstOrDefault();

    private static long Long(Arguments arguments, string name) =>
        long.TryParse(arguments.Required(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"--{name} must be a count");

    public static async Task<int> CheckAsync(Arguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var path = arguments.Argument("file") ?? throw new UsageException("'histories check' needs the history file: reliability histories check FILE.edn");
        var modelName = arguments.Get("model") ?? "serializable";
        if (!ConsistencyModels.TryParse(modelName, out var model))
        {
            throw new UsageException($"unknown model '{modelName}'; expected read-committed, snapshot-isolation, repeatable-read or serializable");
        }

        var format = arguments.OneOf("format", CheckFormats.Names);

        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: no such file");
        }

        CheckResult result;
        try
        {
            result = ListAppendChecker.Check(HistoryFormat.ReadFile(path), Path.GetFileName(path));
        }
        catch (HistoryFormatException e)
        {
            // Malformed: where and what was expected, in one line (file:line:column: …).
            await error.WriteLineAsync($"reliability: {e.Message}");
            return ExitCodes.BadInput;
        }

        var models = Enum.GetValues<ConsistencyModel>().Select(m => (Model: m, Forbidden: result.ForbiddenFound(m))).ToList();
        await output.WriteAsync(format switch
        {
            "json" => Json(path, result, models),
            _ => Text(path, result, models, model, markdown: format == "markdown"),
        });
        cancellationToken.ThrowIfCancellationRequested();
        return result.IsValid(model) ? ExitCodes.Success : ExitCodes.RunFailed;
    }

    private static string Text(string path, CheckResult result, List<(ConsistencyModel Model, IReadOnlyList<AnomalyKind> Forbidden)> models, ConsistencyModel asked, bool markdown)
    {
        var text = new StringBuilder();
        var found = result.Kinds.Count == 0 ? "none" : string.Join(", ", result.Kinds.Select(k => $"{Anomaly.NameOf(k)} ×{result.Counts[k]}"));
        text.AppendLine($"{path}: {result.Transactions.Count} transactions; anomalies: {found}");
        var rows = models.Select(m => (IReadOnlyList<string>)[ConsistencyModels.NameOf(m.Model), m.Forbidden.Count == 0 ? "✓ valid" : "✗ invalid",
            m.Forbidden.Count == 0 ? "–" : string.Join(", ", m.Forbidden.Select(Anomaly.NameOf))]);
        if (markdown)
        {
            text.AppendLine().AppendLine("| model | verdict | forbidden anomalies found |").AppendLine("|---|---|---|");
            foreach (var row in rows)
            {
                text.AppendLine($"| {row[0]} | {row[1]} | {row[2]} |");
            }

            text.AppendLine().AppendLine("```");
        }
        else
        {
            text.Append(TextTable.Render(["model", "verdict", "forbidden anomalies found"], rows, indent: string.Empty));
        }

        foreach (var anomaly in result.Anomalies)
        {
            text.AppendLine(anomaly.ToString());
        }

        if (markdown)
        {
            text.AppendLine("```");
        }

        text.AppendLine(result.IsValid(asked)
            ? $"valid for {ConsistencyModels.NameOf(asked)}"
            : $"NOT valid for {ConsistencyModels.NameOf(asked)}: {string.Join(", ", result.ForbiddenFound(asked).Select(Anomaly.NameOf))}");
        return text.ToString();
    }

    private static string Json(string path, CheckResult result, List<(ConsistencyModel Model, IReadOnlyList<AnomalyKind> Forbidden)> models) =>
        JsonSerializer.Serialize(new
        {
            file = path,
            transactions = result.Transactions.Count,
            counts = result.Kinds.ToDictionary(Anomaly.NameOf, k => result.Counts[k]),
            models = models.Select(m => new { model = ConsistencyModels.NameOf(m.Model), valid = m.Forbidden.Count == 0, forbiddenFound = m.Forbidden.Select(Anomaly.NameOf) }),
            anomalies = result.Anomalies.Select(a => new
            {
                kind = Anomaly.NameOf(a.Kind),
                explanation = a.Explanation,
                transactions = a.Transactions.Select(t => t.ToString()),
                cycle = a.Cycle.Select(e => new { from = e.From.Name, to = e.To.Name, kind = e.Kind.ToString().ToLowerInvariant(), why = e.Why }),
            }),
        }, JsonOptions) + Environment.NewLine;
}
