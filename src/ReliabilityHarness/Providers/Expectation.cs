namespace ReliabilityHarness.Providers;

/// <summary>What an engine is expected to do in one check of one scenario, and where that is documented.</summary>
/// <param name="Since">The engine version the behaviour came with (<c>15</c> for PostgreSQL's MERGE): on an older one the check does not apply.</param>
public sealed record Expectation(string Scenario, string Check, string Expected, string Source, string? Since = null)
{
    /// <summary>
    /// This expectation on an engine that says <paramref name="engineVersion"/> (<c>PostgreSQL 13.23</c>): itself, or
    /// before <see cref="Since"/> not applicable (the engine's refusal is then the observation).
    /// </summary>
    public Expectation On(string? engineVersion)
    {
        if (Since is null || engineVersion is null || EngineSpec.VersionIn(engineVersion) is not { } number)
        {
            return this;
        }

        var have = number.Split('.').Select(int.Parse).ToArray();
        var need = Since.Split('.').Select(int.Parse).ToArray();
        var older = have.Zip(need).Select(p => p.First.CompareTo(p.Second)).FirstOrDefault(c => c != 0) < 0;
        return older ? this with { Expected = NotApplicable, Source = $"{Source} (came with {Since}; {number} is older)" } : this;
    }

    /// <summary>
    /// What a check observes, and is expected to observe, where it does not apply to the engine: the engine refused
    /// the statement the check depends on (SQLite's TRUNCATE), or has no server session to sever, or no triggers. It
    /// is never a pass: the matrix shows it as –, JSON as <c>"ok": null</c> with the reason, and the suite makes no
    /// test case of it. An engine that answers such a check, or does not answer one it is expected to, is a failure.
    /// </summary>
    public const string NotApplicable = "not-applicable";

    /// <summary>Whether the check applies to the engine (it is expected to observe something).</summary>
    public bool Applies => Expected != NotApplicable;
}

/// <summary>
/// An engine's expected behaviours. Starts from <see cref="Common"/>, the contract every engine must meet, and
/// takes the provider's own entries over it, so a deviation is one line with its source.
/// </summary>
public sealed class ExpectationProfile
{
    private readonly Dictionary<(string Scenario, string Check), Expectation> entries = [];

    public ExpectationProfile(params IEnumerable<Expectation> engineSpecific)
    {
        foreach (var expectation in Common.Concat(engineSpecific))
        {
            entries[(expectation.Scenario, expectation.Check)] = expectation;
        }
    }

    /// <summary>What the harness itself promises on every engine (DESIGN.md: the payments contract).</summary>
    public static IReadOnlyList<Expectation> Common { get; } =
    [
        new("crash-rollback", "robust", "clean", "DESIGN.md: one transaction, rolled back on any failure"),
        new("crash-rollback", "unreliable", "partial", "DESIGN.md: autocommit per row keeps what was written before the crash"),
        new("rerun-idempotency", "robust", "unchanged", "DESIGN.md: identical payload → no write, processed_at kept"),
        new("rerun-idempotency", "unreliable", "constraint-violation", "DESIGN.md: a plain INSERT of an existing key fails on the primary key"),
        new("process-kill", "robust", "clean", "DESIGN.md: a run that dies before COMMIT leaves no partial state"),
        new("process-kill", "unreliable", "partial", "autocommit per row keeps every row written before the kill"),
        new("severed-connection", "robust", "retried", "the engine rolls back a session it ends; the robust strategy retries on a new connection"),
        new("severed-connection", "unreliable", "partial", "autocommit per row keeps every row written before the sever"),
        new("server-crash", "robust", "durable", "a commit the engine acknowledged survives its crash (with fsync and synchronous commit on)"),
        new("truncate-vs-delete", "delete-rollback", "restored", "DELETE is ordinary DML on every engine here: a ROLLBACK restores the rows"),
        new("concurrent-writers", "stress:robust", "all-succeed", "DESIGN.md: concurrent writers neither duplicate nor lose writes (transient failures retried)"),
        new("concurrent-writers", "second-process", "shared", "a server serves many clients; SQLite lets many processes open a file and takes their writes one at a time (sqlite.org/lockingv3.html)"),
        new("concurrent-writers", "stress:unreliable", "unique-violation", "a plain INSERT of a key another writer inserted fails on the primary key"),
    ];

    public IEnumerable<Expectation> All => entries.Values;

    public Expectation? Find(string scenario, string check) => entries.GetValueOrDefault((scenario, check));

    /// <summary>Whether <paramref name="check"/> of <paramref name="scenario"/> applies to the engine: false only where the profile says it does not.</summary>
    public bool Applies(string scenario, string check) => Find(scenario, check)?.Applies ?? true;

    public Expectation For(string scenario, string check) =>
        entries.TryGetValue((scenario, check), out var expectation)
            ? expectation
            : throw new KeyNotFoundException($"no expectation for {scenario}/{check}");
}
