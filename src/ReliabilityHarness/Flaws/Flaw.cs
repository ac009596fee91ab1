namespace ReliabilityHarness.Flaws;

/// <summary>
/// A flaw a real pipeline could have, kept in this code on purpose, switched off, to prove the suites catch it: the
/// fault catalogue (<c>docs/faults.md</c>) seeds each one in turn and runs the property suites against it. A flaw
/// lives at exactly one place in the code, which reads <see cref="Seeded.Has"/>; nothing else changes.
/// </summary>
public enum Flaw
{
    /// <summary>No flaw: the real code.</summary>
    None,

    /// <summary>A failed run commits what it wrote instead of rolling it back.</summary>
    CommitsOnFailure,

    /// <summary>A rerun stamps a new processed_at on rows it finds identical.</summary>
    BumpsIdenticalRows,

    /// <summary>A status change keeps the old processed_at.</summary>
    KeepsProcessedAtOnStatusChange,

    /// <summary>A stored id arriving with another user, amount or currency is overwritten instead of refused.</summary>
    OverwritesAnotherPayload,

    /// <summary>Two different rows with one id in a file: the last one is written instead of the run refused.</summary>
    LastOneWinsInAFile,

    /// <summary>A constraint violation (unique key, CHECK) is taken for a transient failure and retried.</summary>
    RetriesConstraintViolations,

    /// <summary>A transient failure (deadlock, serialization failure, lock timeout, lost connection) is never retried.</summary>
    NeverRetriesTransientFailures,

    /// <summary>A staged run writes new ids but never applies a status change.</summary>
    NeverAppliesStatusChanges,

    /// <summary>The counts report updated rows as inserted.</summary>
    MiscountsUpdatesAsInserts,

    /// <summary>An amount with a fifth fractional digit is rounded to four instead of refused.</summary>
    RoundsAFifthFractionalDigit,

    /// <summary>SQL Server's MERGE statements (the single-row upsert and the staged insert) lose WITH (HOLDLOCK).</summary>
    MergeWithoutHoldlock,

    /// <summary>The unreliable strategy (a negative control) runs inside one transaction, so it no longer fails as it should.</summary>
    UnreliableInOneTransaction,

    /// <summary>The history checker's inference drops every read-write (anti-dependency) edge, so G-single and G2-item go unseen.</summary>
    DropsReadWriteEdges,
}

/// <summary>
/// Which <see cref="Flaw"/> is seeded in the current async flow: none, unless a test seeds one with
/// <see cref="Seed"/>. Flows are separate, so tests seeding different flaws can run side by side.
/// </summary>
public static class Seeded
{
    private static readonly AsyncLocal<Flaw> Current = new();

    /// <summary>Whether <paramref name="flaw"/> is seeded here.</summary>
    public static bool Has(Flaw flaw) => flaw != Flaw.None && Current.Value == flaw;

    /// <summary>Seeds <paramref name="flaw"/> in this async flow and what it starts, until disposed.</summary>
    internal static IDisposable Seed(Flaw flaw)
    {
        var previous = Current.Value;
        Current.Value = flaw;
        return new Restore(() => Current.Value = previous);
    }

    /// <summary>
    /// <paramref name="sql"/> with <paramref name="find"/> replaced by <paramref name="replacement"/>: how a flaw
    /// rewrites a statement. Throws when the statement lacks <paramref name="find"/>, so a flaw can never be seeded
    /// silently as a no-op (and look caught, or not, for the wrong reason).
    /// </summary>
    public static string Rewrite(string sql, string find, string replacement)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.Contains(find, StringComparison.Ordinal)
            ? sql.Replace(find, replacement, StringComparison.Ordinal)
            : throw new InvalidOperationException($"the seeded flaw expected '{find}' in: {sql}");
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
