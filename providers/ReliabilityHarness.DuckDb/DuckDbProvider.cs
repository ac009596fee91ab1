using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>DuckDB: embedded, a database is a file; added by following docs/adding-a-provider.md.</summary>
public static class DuckDbProvider
{
    public static Provider Create()
    {
        var dialect = new DuckDbDialect();
        return new Provider(dialect, new DuckDbEngine(dialect), new DuckDbBulkWriter(dialect), new DuckDbHandIdiom(dialect));
    }
}
