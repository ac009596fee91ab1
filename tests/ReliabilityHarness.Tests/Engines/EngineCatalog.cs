using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// The engines the suite runs on: every provider of the CLI's catalog. A fixture that runs on every engine
/// takes <c>[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]</c>; its runs are named by
/// engine (<c>CrashRollbackTests(PostgreSql)</c>), so <c>--filter "FullyQualifiedName~PostgreSql"</c> selects one.
/// </summary>
public static class EngineCatalog
{
    public static IEnumerable<TestFixtureData> All =>
        ProviderCatalog.All.Select(provider => new TestFixtureData(provider).SetArgDisplayNames(provider.DisplayName));
}
