namespace ReliabilityHarness.Histories;

/// <summary>The anomalies the checker finds, named as Elle names them (after Adya's taxonomy).</summary>
public enum AnomalyKind
{
    /// <summary>Write cycle: a cycle of write-write edges only.</summary>
    G0,

    /// <summary>Aborted read: a committed transaction read a value a failed transaction wrote.</summary>
    G1a,

    /// <summary>Intermediate read: a committed transaction read a value that was not its writer's last to that key.</summary>
    G1b,

    /// <summary>Circular information flow: a cycle of write-write and write-read edges, at least one write-read.</summary>
    G1c,

    /// <summary>Read skew: a cycle with exactly one read-write (anti-dependency) edge.</summary>
    GSingle,

    /// <summary>Write skew and kin: a cycle with two or more read-write edges.</summary>
    G2Item,

    /// <summary>Two reads of a key that are not one a prefix of the other: no single version order explains both.</summary>
    IncompatibleOrder,

    /// <summary>A read list holding one value twice: an append applied twice.</summary>
    DuplicateElements,

    /// <summary>A read list holding a value no transaction appended.</summary>
    GarbageRead,

    /// <summary>
    /// The search for one kind of cycle ran out of steps in a strongly connected component before it had started from
    /// every edge: a cycle of that kind may be there unseen, so no model can be said to hold (Elle's name for it).
    /// </summary>
    CycleSearchTimeout,
}

/// <summary>Why one transaction must come before another.</summary>
public enum EdgeKind
{
    /// <summary>Write-write: the later transaction appended the next value of the key after the earlier one's.</summary>
    WW,

    /// <summary>Write-read: the later transaction read the earlier one's append as the key's last value.</summary>
    WR,

    /// <summary>Read-write (anti-dependency): the earlier transaction read a state the later one's append followed.</summary>
    RW,
}

/// <summary>A dependency between two transactions and the fact in the history that makes it.</summary>
/// <param name="Why">In words: "T3 appended 7 to key 2 after T1's 6".</param>
public sealed record Edge(Transaction From, Transaction To, EdgeKind Kind, HistoryKey Key, long Value, string Why)
{
    public override string ToString() => $"{From.Name} -{Kind.ToString().ToLowerInvariant()}-> {To.Name}: {Why}";
}

/// <summary>
/// One anomaly: its kind, the transactions involved, and for a cycle its edges in order (each edge's target is
/// the next one's source, the last one's target the first one's source).
/// </summary>
public sealed record Anomaly(AnomalyKind Kind, IReadOnlyList<Transaction> Transactions, IReadOnlyList<Edge> Cycle, string Explanation)
{
    /// <summary>Elle's name: G0, G1a, G1b, G1c, G-single, G2-item, incompatible-order, duplicate-elements, garbage-read, cycle-search-timeout.</summary>
    public static string NameOf(AnomalyKind kind) => kind switch
    {
        AnomalyKind.GSingle => "G-single",
        AnomalyKind.G2Item => "G2-item",
        AnomalyKind.IncompatibleOrder => "incompatible-order",
        AnomalyKind.DuplicateElements => "duplicate-elements",
        AnomalyKind.GarbageRead => "garbage-read",
        AnomalyKind.CycleSearchTimeout => "cycle-search-timeout",
        _ => kind.ToString(),
    };

    public override string ToString() =>
        $"{NameOf(Kind)}: {Explanation}"
        + string.Concat(Transactions.Select(t => $"\n  {t}"))
        + string.Concat(Cycle.Select(e => $"\n  {e}"));
}
