using ReliabilityHarness.Cli;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Tests.Histories;
using ReliabilityHarness.Tests.Ingest;
using ReliabilityHarness.Tests.Input;
using ReliabilityHarness.Tests.Scenarios;
using ReliabilityHarness.Tests.SqlServer;

namespace ReliabilityHarness.Tests.Faults;

/// <summary>
/// One entry of the fault catalogue: a <see cref="Flaw"/> seeded into the real code, the property suites it is
/// run through, and the engines it applies to. It must turn at least one test of those suites red on every engine
/// it applies to; <see cref="Flaw.None"/> (the real code) must turn none red.
/// </summary>
/// <param name="Name">Its name in <c>docs/faults.md</c> and in the test's name.</param>
/// <param name="Flaw">The flaw, as the code reads it.</param>
/// <param name="Suites">The property suites (fixtures of this assembly) it runs through.</param>
/// <param name="AppliesTo">The engines where the flaw can exist; null: every engine. Engine-free suites take no engine.</param>
/// <param name="Note">What the page should say beside the tests: where the flaw cannot be seen, and why.</param>
public sealed record Fault(string Name, Flaw Flaw, IReadOnlyList<Type> Suites, Func<Provider, bool>? AppliesTo = null, string? Note = null)
{
    /// <summary>Whether its suites run without an engine (one run, not one per engine).</summary>
    public bool EngineFree => Suites.All(s => !typeof(Engines.EngineFixture).IsAssignableFrom(s));

    public override string ToString() => Name;
}

/// <summary>The catalogue: adding a fault is one line here (and the flaw at its one place in the code).</summary>
public static class FaultCatalog
{
    /// <summary>The ingest property suites: atomicity, idempotency, staging, first loads, retries (and their negative controls).</summary>
    public static readonly IReadOnlyList<Type> Ingest =
    [
        typeof(CrashRollbackTests), typeof(RerunIdempotencyTests), typeof(StagedIngestTests), typeof(FirstLoadTests), typeof(RetryTests),
        typeof(LockWaitRetryTests), typeof(SeveredConnectionTests),
    ];

    /// <summary>The engine-free suites of the input and of SQL Server's statements.</summary>
    public static readonly IReadOnlyList<Type> EngineFree = [typeof(AmountTests), typeof(PaymentCsvTests), typeof(SqlServerStatementTests)];

    /// <summary>The history checker's negative controls: one hand-built history per anomaly (engine-free).</summary>
    public static readonly IReadOnlyList<Type> Histories = [typeof(ListAppendCheckerTests)];

    public static readonly IReadOnlyList<Fault> All =
    [
        new("commits-on-failure", Flaw.CommitsOnFailure, Ingest, Note:
            "Caught at every crash point after which the engine holds a write of the run: after the inserts, before COMMIT, and mid-way "
            + "through a first load whose rows reach the engine as they stream (SQLite's 100-row INSERTs, MariaDB's LOAD DATA). Where nothing "
            + "reached the engine yet (the set-based way's crash points before its first write, a first load on PostgreSQL, whose interrupted "
            + "COPY aborts the transaction so the COMMIT rolls back, and on DuckDB, whose appender was not flushed) a commit leaves the table "
            + "exactly as a rollback would: the flaw does no harm there to be seen."),
        new("bumps-processed-at-on-identical-rows", Flaw.BumpsIdenticalRows, Ingest),
        new("keeps-processed-at-on-a-status-change", Flaw.KeepsProcessedAtOnStatusChange, Ingest),
        new("overwrites-another-payload", Flaw.OverwritesAnotherPayload, Ingest),
        new("last-one-wins-in-a-file", Flaw.LastOneWinsInAFile, Ingest),
        new("retries-constraint-violations", Flaw.RetriesConstraintViolations, Ingest),
        new("never-retries-transient-failures", Flaw.NeverRetriesTransientFailures, Ingest),
        new("never-applies-status-changes", Flaw.NeverAppliesStatusChanges, Ingest),
        new("miscounts-updates-as-inserts", Flaw.MiscountsUpdatesAsInserts, Ingest),
        new("unreliable-in-one-transaction", Flaw.UnreliableInOneTransaction, Ingest),
        new("rounds-a-fifth-fractional-digit", Flaw.RoundsAFifthFractionalDigit, EngineFree),
        new("merge-without-holdlock", Flaw.MergeWithoutHoldlock, EngineFree),
        new("drops-read-write-edges", Flaw.DropsReadWriteEdges, Histories, Note:
            "Without anti-dependencies no cycle has an rw edge: G-single and G2-item go unseen, and a history with read or write "
            + "skew is judged serializable."),
    ];

    /// <summary>The real code through every suite the catalogue uses: the control, which must stay green.</summary>
    public static readonly Fault RealCode = new("none (the real code)", Flaw.None, [.. Ingest, .. EngineFree, .. Histories]);

    /// <summary>One case per fault and engine it applies to (one for an engine-free fault), and the control per engine and engine-free.</summary>
    public static IEnumerable<TestFixtureData> Cases()
    {
        foreach (var fault in All.Append(RealCode))
        {
            if (fault.Suites.Any(s => !typeof(Engines.EngineFixture).IsAssignableFrom(s)))
            {
                var engineFree = fault.Suites.Where(s => !typeof(Engines.EngineFixture).IsAssignableFrom(s)).ToList();
                yield return new TestFixtureData(fault with { Suites = engineFree }, null).SetArgDisplayNames(fault.Name, "engine-free");
            }

            var onEngines = fault.Suites.Where(s => typeof(Engines.EngineFixture).IsAssignableFrom(s)).ToList();
            if (onEngines.Count == 0)
            {
                continue;
            }

            foreach (var provider in ProviderCatalog.All.Where(p => fault.AppliesTo?.Invoke(p) ?? true))
            {
                // Each suite on the engines its own fixture source gives it (severed sessions only where there are sessions).
                var suites = onEngines.Where(s => RunsOn(s, provider)).ToList();
                yield return new TestFixtureData(fault with { Suites = suites }, provider).SetArgDisplayNames(fault.Name, provider.DisplayName);
            }
        }
    }

    /// <summary>Whether the suite's own <c>TestFixtureSource</c> gives it a run on <paramref name="provider"/>'s engine.</summary>
    private static bool RunsOn(Type suite, Provider provider)
    {
        var source = suite.GetCustomAttributes(typeof(TestFixtureSourceAttribute), inherit: false).Cast<TestFixtureSourceAttribute>().Single();
        var fixtures = (IEnumerable<TestFixtureData>)source.SourceType!.GetProperty(source.SourceName!)!.GetValue(null)!;
        return fixtures.Any(f => f.Arguments[0] is Provider p && p.Name == provider.Name);
    }
}
