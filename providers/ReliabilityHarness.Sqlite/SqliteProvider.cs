using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Sqlite;

/// <summary>SQLite: embedded, always available; the worked example of docs/adding-a-provider.md.</summary>
public static class SqliteProvider
{
    public static Provider Create()
    {
        var dialect = new SqliteDialect();
        return new Provider(dialect, new SqliteEngine(dialect), new SqliteBulkWriter(dialect), new SqliteHandIdiom());
    }
}
