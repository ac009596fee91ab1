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

    public static Provider? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
