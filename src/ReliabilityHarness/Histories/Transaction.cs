namespace ReliabilityHarness.Histories;

/// <summary>How a transaction ended, as far as the history knows.</summary>
public enum Outcome
{
    /// <summary>Committed: its completion is :ok.</summary>
    Ok,

    /// <summary>Definitely not applied: its completion is :fail.</summary>
    Fail,

    /// <summary>Unknown: its completion is :info, or it has none (the process never said).</summary>
    Info,
}

/// <summary>
/// One transaction: an invocation and its completion on the same process. Its micro-operations are the completion's
/// when it is ok (the reads' lists are known), the invocation's otherwise (what it meant to do).
/// </summary>
public sealed record Transaction(int Id, Operation Invoke, Operation? Completion, Outcome Outcome)
{
    /// <summary>The micro-operations; a read whose list is nil in an ok completion read the empty list.</summary>
    public IReadOnlyList<MicroOp> Ops { get; } = Outcome == Outcome.Ok && Completion is not null
        ? [.. Completion.Value.Select(m => m is Read { Values: null } r ? r with { Values = [] } : m)]
        : Invoke.Value;

    public long? Process => Invoke.Process;

    /// <summary>Its name in reports: T and the invocation's :index (its position in the history when it has none).</summary>
    public string Name => $"T{Invoke.Index ?? Id}";

    public override string ToString() =>
        $"{Name} (process {Process?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nil"}, {Outcome.ToString().ToLowerInvariant()}{(Invoke.Index is { } i ? $", index {i}" : string.Empty)}): [{string.Join(' ', Ops)}]";

    /// <summary>
    /// The transactions of a history: each invocation paired with the next completion on its process. An invocation
    /// with none is <see cref="Outcome.Info"/>. A completion without an invocation, or a second invocation before the
    /// first completed, is not a history (a process runs one operation at a time).
    /// </summary>
    /// <exception cref="HistoryFormatException">The history pairs badly: says the line.</exception>
    public static IReadOnlyList<Transaction> Pair(IReadOnlyList<Operation> history, string file = "history.edn")
    {
        ArgumentNullException.ThrowIfNull(history);
        // Keyed by process, a missing :process being one more (nil) process.
        var open = new Dictionary<(bool, long), (Operation Invoke, int Id)>();
        var slots = new List<Transaction?>();
        for (var position = 0; position < history.Count; position++)
        {
            var operation = history[position];
            var process = (operation.Process.HasValue, operation.Process ?? 0);
            var processName = operation.Process?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nil";
            if (operation.Type == OperationType.Invoke)
            {
                if (open.ContainsKey(process))
                {
                    throw new HistoryFormatException(file, operation.Line, 1, $"expected a completion for process {processName}'s open invocation, got another :invoke");
                }

                open[process] = (operation, position);
                slots.Add(null);
                continue;
            }

            if (!open.Remove(process, out var invoked))
            {
                throw new HistoryFormatException(file, operation.Line, 1, $"expected an :invoke on process {processName} before this :{operation.Type.ToString().ToLowerInvariant()}");
            }

            var outcome = operation.Type switch { OperationType.Ok => Outcome.Ok, OperationType.Fail => Outcome.Fail, _ => Outcome.Info };
            slots.Add(new Transaction(invoked.Id, invoked.Invoke, operation, outcome));
        }

        foreach (var (invoke, id) in open.Values)
        {
            slots.Add(new Transaction(id, invoke, null, Outcome.Info));
        }

        return [.. slots.OfType<Transaction>().OrderBy(t => t.Id)];
    }
}
