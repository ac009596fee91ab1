using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// The engines the suite runs on: every provider of the CLI's catalog, or the specs HARNESS_ENGINES names. A fixture that runs on every engine
/// takes <c>[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]</c>; its runs are named by
/// engine (<c>CrashRollbackTests(PostgreSql)</c>), so <c>--filter "FullyQualifiedName~PostgreSql"</c> selects one.
/// A fixture whose tests apply only to engines with some capability takes the source named for it: an engine
/// without it gets no run (a check that does not apply is not a skipped test), so what is skipped in a run is only
/// an engine that is not provided.
/// </summary>
public static class EngineCatalog
{
    public static IEnumerable<TestFixtureData> All => Where(_ => true);

    /// <summary>Servers, whose process can crash apart from the client's (an embedded engine's crash is the process kill).</summary>
    public static IEnumerable<TestFixtureData> Servers => Where(p => !p.IsEmbedded);

    /// <summary>Engines with a server session another connection can end (<see cref="Dialect.TerminateSessionSql"/>).</summary>
    public static IEnumerable<TestFixtureData> WithSessionsToSever => Where(p => p.Dialect.TerminateSessionSql is not null);

    /// <summary>
    /// Engines where a writer that meets another's lock fails within about a second instead of waiting
    /// (<see cref="Dialect.WithShortLockWait"/> is not null). A dialect's answer says what its connection strings can
    /// say, not which database one names, so it is asked with an empty one.
    /// </summary>
    public static IEnumerable<TestFixtureData> WithShortLockWait => Where(p => p.Dialect.WithShortLockWait(string.Empty) is not null);

    /// <summary>Servers whose clients' protocol the statement proxy reads (<see cref="ServerEngine.Wire"/> is not null).</summary>
    /// <summary>Engines that offer SERIALIZABLE (DuckDB offers snapshot isolation only).</summary>
    public static IEnumerable<TestFixtureData> WithSerializable => Where(p => p.Dialect.IsolationLevels.Contains(System.Data.IsolationLevel.Serializable));

    public static IEnumerable<TestFixtureData> WithWireProtocol => Where(p => p.Engine is ServerEngine { Wire: not null });

    /// <summary>The variable naming the engines to run, as specs (<c>sqlite,postgresql@13,postgresql@18</c>); unset: every provider.</summary>
    public const string EnginesVariable = "HARNESS_ENGINES";

    /// <summary>
    /// The engines of this run: those <see cref="EnginesVariable"/> names, each a fixture named by its spec
    /// (<c>CrashRollbackTests(PostgreSql@13)</c>) reaching its engine through its own variable (<c>HARNESS_POSTGRESQL_13</c>);
    /// else every provider of the catalog. A spec the catalog cannot make fails the run's discovery with the reason.
    /// </summary>
    public static IReadOnlyList<Provider> Engines { get; } =
        Environment.GetEnvironmentVariable(EnginesVariable) is { Length: > 0 } specs
            ? [.. specs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(spec =>
                ProviderCatalog.Find(spec) ?? throw new ArgumentException($"{EnginesVariable}: unknown engine '{spec}'"))]
            : ProviderCatalog.All;

    private static IEnumerable<TestFixtureData> Where(Func<Provider, bool> capable) =>
        Engines.Where(capable).Select(provider => new TestFixtureData(provider).SetArgDisplayNames(provider.DisplayName));
}
