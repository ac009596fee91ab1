namespace ReliabilityHarness.Histories;

/// <summary>What the checker found in a history, and the verdict per consistency model.</summary>
/// <param name="Transactions">The history's transactions, paired.</param>
/// <param name="Anomalies">The anomalies reported: every one found, but at most <see cref="ListAppendChecker.ReportedPerKind"/> of each kind.</param>
/// <param name="Counts">How many of each kind were found: exact for the non-cycle kinds; for the cycle kinds the distinct
/// cycles the search met, which stops at the report cap in each strongly connected component (so: at least this many).</param>
/// <param name="Unfinished">The cycle kinds whose search ran out of steps somewhere (reported as <see cref="AnomalyKind.CycleSearchTimeout"/>).</param>
public sealed record CheckResult(IReadOnlyList<Transaction> Transactions, IReadOnlyList<Anomaly> Anomalies, IReadOnlyDictionary<AnomalyKind, int> Counts, IReadOnlyList<AnomalyKind>? Unfinished = null)
{
    /// <summary>The kinds found, in <see cref="AnomalyKind"/> order.</summary>
    public IReadOnlyList<AnomalyKind> Kinds => [.. Counts.Where(c => c.Value > 0).Select(c => c.Key).Order()];

    /// <summary>
    /// The kinds found that <paramref name="model"/> forbids. A search that stopped counts against the models that forbid
    /// the kind it was looking for: a G2-item search cut short says nothing against snapshot isolation, which allows G2-item.
    /// </summary>
    public IReadOnlyList<AnomalyKind> ForbiddenFound(ConsistencyModel model)
    {
        var forbidden = ConsistencyModels.Forbidden(model);
        var stopped = (Unfinished ?? []).Any(forbidden.Contains);
        return [.. Kinds.Intersect(forbidden).Where(k => k != AnomalyKind.CycleSearchTimeout || stopped)];
    }

    /// <summary>Whether the history is consistent with <paramref name="model"/>: none of the anomalies it forbids was found.</summary>
    public bool IsValid(ConsistencyModel model) => ForbiddenFound(model).Count == 0;
}
