using ReliabilityHarness.Histories;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// Builds a list-append history in code: each transaction an invocation (its reads nil) followed at once by its
/// completion, on a process of its own unless told, with :index counting up. <c>A(k, v)</c> appends, <c>R(k, …)</c> reads.
/// </summary>
public sealed class HistoryBuilder
{
    private readonly List<Operation> operations = [];

    public IReadOnlyList<Operation> Operations => operations;

    public static Append A(long key, long value) => new(HistoryKey.Of(key), value);

    public static Read R(long key, params long[] values) => new(HistoryKey.Of(key), values);

    /// <summary>A committed transaction; returns its name in reports (T and its invocation's index).</summary>
    public string Ok(params MicroOp[] ops) => Add(OperationType.Ok, ops);

    public string Fail(params MicroOp[] ops) => Add(OperationType.Fail, ops);

    /// <summary>A transaction whose outcome is unknown: completed with :info.</summary>
    public string Info(params MicroOp[] ops) => Add(OperationType.Info, ops);

    /// <summary>A transaction invoked and never completed (its process crashed): unknown outcome too.</summary>
    public string Invoked(params MicroOp[] ops)
    {
        var index = operations.Count;
        operations.Add(new Operation(OperationType.Invoke, "txn", Invocation(ops), 1000 + index, index));
        return $"T{index}";
    }

    public CheckResult Check() => ListAppendChecker.Check(operations);

    private string Add(OperationType type, MicroOp[] ops)
    {
        var index = operations.Count;
        var process = index;
        operations.Add(new Operation(OperationType.Invoke, "txn", Invocation(ops), process, index));
        operations.Add(new Operation(type, "txn", type == OperationType.Ok ? ops : Invocation(ops), process, index + 1));
        return $"T{index}";
    }

    private static MicroOp[] Invocation(MicroOp[] ops) => [.. ops.Select(m => m is Read r ? r with { Values = null } : m)];
}
