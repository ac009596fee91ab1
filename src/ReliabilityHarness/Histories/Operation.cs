namespace ReliabilityHarness.Histories;

/// <summary>What an operation map says happened: invoked, then ok, failed (definitely not applied) or info (unknown).</summary>
public enum OperationType
{
    Invoke,
    Ok,
    Fail,
    Info,
}

/// <summary>
/// A list-append key as the history wrote it: an integer, a string or a keyword, kept as its EDN text (<c>5</c>,
/// <c>"a"</c>, <c>:a</c>) so that it is written back exactly as it was read.
/// </summary>
public readonly record struct HistoryKey(string Edn)
{
    public static HistoryKey Of(long key) => new(key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string ToString() => Edn;
}

/// <summary>One micro-operation of a list-append transaction.</summary>
public abstract record MicroOp(HistoryKey Key);

/// <summary><c>[:append k v]</c>: appends the unique value <paramref name="Value"/> to the list at <paramref name="Key"/>.</summary>
public sealed record Append(HistoryKey Key, long Value) : MicroOp(Key)
{
    public override string ToString() => $"[:append {Key} {Value}]";
}

/// <summary><c>[:r k [v …]]</c>: reads the list at <paramref name="Key"/>; <paramref name="Values"/> is null when not known (an invocation).</summary>
public sealed record Read(HistoryKey Key, IReadOnlyList<long>? Values) : MicroOp(Key)
{
    /// <summary>Equal when the key and the list are (element by element), so that two reads of one history compare.</summary>
    public bool Equals(Read? other) =>
        other is not null && Key == other.Key
        && (Values is null ? other.Values is null : other.Values is not null && Values.SequenceEqual(other.Values));

    public override int GetHashCode() => HashCode.Combine(Key, Values?.Count);

    public override string ToString() => $"[:r {Key} {(Values is null ? "nil" : $"[{string.Join(' ', Values)}]")}]";
}

/// <summary>
/// One operation map of an Elle list-append history: <c>{:type :ok, :f :txn, :value [[:append 5 1] [:r 5 [1]]], :process 0, :index 1}</c>.
/// </summary>
/// <param name="Type">:invoke, :ok, :fail or :info.</param>
/// <param name="Function">The <c>:f</c> keyword without its colon (<c>txn</c>), or null when the map has none.</param>
/// <param name="Value">The transaction's micro-operations.</param>
/// <param name="Process">The client process that ran it; null when the map has no <c>:process</c> (Elle's own examples
/// omit it: their operations then pair in order, one at a time).</param>
/// <param name="Index">The <c>:index</c>, when present.</param>
/// <param name="Time">The <c>:time</c> (nanoseconds in Jepsen), when present.</param>
/// <param name="Line">The line of the history file it starts on (1-based; 0 when built in code), for messages.</param>
public sealed record Operation(OperationType Type, string? Function, IReadOnlyList<MicroOp> Value, long? Process, long? Index = null, long? Time = null, int Line = 0)
{
    public override string ToString() => HistoryFormat.Format(this);
}
