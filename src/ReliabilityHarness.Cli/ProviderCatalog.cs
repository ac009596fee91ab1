using ReliabilityHarness.DuckDb;
using ReliabilityHarness.MariaDb;
using ReliabilityHarness.PostgreSql;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Sqlite;
using ReliabilityHarness.SqlServer;

namespace ReliabilityHarness.Cli;

/// <summary>Every provider the harness knows: one line per engine. The CLI and the test suite both read this list.</summary>
public static class ProviderCatalog
{
    public static IReadOnlyList<Provider> All { get; } =
    [
        SqliteProvider.Create(),
        PostgreSqlProvider.Create(),
        SqlServerProvider.Create(),
        MariaDbProvider.Create(),
        DuckDbProvider.Create(),
    ];

    /// <summary>The provider an engine spec names (<c>postgresql</c>, <c>postgresql@16</c>); null when no provider has that engine name.</summary>
    /// <exception cref="FormatException">Not a spec.</exception>
    /// <exception cref="NotSupportedException">The engine cannot be had at that version or variant: says why.</exception>
    public static Provider? Find(string name)
    {
        var spec = EngineSpec.Parse(name);
        var provider = All.FirstOrDefault(p => p.Name == spec.Engine);
        return provider is null || spec == provider.Spec ? provider : provider.For(spec);
    }
}
