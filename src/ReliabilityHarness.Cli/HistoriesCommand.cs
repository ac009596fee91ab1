using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ReliabilityHarness.Histories;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability histories check FILE.edn [--model M] [--format …]</c>: a list-append history in Elle's format, checked
/// from the history alone (<see cref="ListAppendChecker"/>). Exit 0 when it is valid for the model (default
/// serializable), 1 when it shows an anomaly the model forbids, 2 when the file is malformed (its line and column said).
/// </summary>
internal static class HistoriesCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> CheckAsync(Arguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var path = arguments.Argument("file") ?? throw new UsageException("'histories check' needs the history file: reliability histories check FILE.edn");
        var modelName = arguments.Get("model") ?? "serializable";
        if (!ConsistencyModels.TryParse(modelName, out var model))
        {
            throw new UsageException($"unknown model '{modelName}'; expected read-committed, snapshot-isolation, repeatable-read or serializable");
        }

        var format = arguments.Get("format") ?? "table";
        if (format is not ("table" or "markdown" or "json"))
        {
            throw new UsageException($"unknown format '{format}'; expected table, markdown or json");
        }

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
