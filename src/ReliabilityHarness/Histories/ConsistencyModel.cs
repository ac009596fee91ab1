namespace ReliabilityHarness.Histories;

/// <summary>The consistency models a history is judged against.</summary>
public enum ConsistencyModel
{
    ReadCommitted,
    SnapshotIsolation,
    RepeatableRead,
    Serializable,
}

/// <summary>What each model forbids, after Adya (PL-2, PL-SI, PL-2.99, PL-3) as Elle applies it to list-append.</summary>
public static class ConsistencyModels
{
    /// <summary>
    /// Forbidden under every model: no version order explains the reads at all; or a cycle search gave up, and a
    /// verdict of valid would rest on cycles not looked for (counted against a model only when it forbids the kind
    /// searched for: <see cref="CheckResult.ForbiddenFound"/>).
    /// </summary>
    private static readonly AnomalyKind[] Always = [AnomalyKind.IncompatibleOrder, AnomalyKind.DuplicateElements, AnomalyKind.GarbageRead, AnomalyKind.CycleSearchTimeout];

    private static readonly AnomalyKind[] ReadCommitted = [.. Always, AnomalyKind.G0, AnomalyKind.G1a, AnomalyKind.G1b, AnomalyKind.G1c];

    private static readonly AnomalyKind[] SnapshotIsolation = [.. ReadCommitted, AnomalyKind.GSingle];

    // PL-2.99 forbids G2-item and so every cycle on items; list-append has only item anomalies, so repeatable read
    // forbids what serializability forbids here (Adya 2000, section 4.3; Elle's consistency-model graph agrees).
    private static readonly AnomalyKind[] Serializable = [.. SnapshotIsolation, AnomalyKind.G2Item];

    /// <summary>The anomalies <paramref name="model"/> forbids.</summary>
    public static IReadOnlyList<AnomalyKind> Forbidden(ConsistencyModel model) => model switch
    {
        ConsistencyModel.ReadCommitted => ReadCommitted,
        ConsistencyModel.SnapshotIsolation => SnapshotIsolation,
        ConsistencyModel.RepeatableRead or ConsistencyModel.Serializable => Serializable,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "not a consistency model"),
    };

    /// <summary>Elle's name: read-committed, snapshot-isolation, repeatable-read, serializable.</summary>
    public static string NameOf(ConsistencyModel model) => model switch
    {
        ConsistencyModel.ReadCommitted => "read-committed",
        ConsistencyModel.SnapshotIsolation => "snapshot-isolation",
        ConsistencyModel.RepeatableRead => "repeatable-read",
        _ => "serializable",
    };

    /// <summary>The model named <paramref name="name"/> (Elle's spelling), if any.</summary>
    public static bool TryParse(string name, out ConsistencyModel model)
    {
        foreach (var candidate in Enum.GetValues<ConsistencyModel>())
        {
            if (string.Equals(NameOf(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                model = candidate;
                return true;
            }
        }

        model = default;
        return false;
    }
}
