using ReliabilityHarness.Providers;

namespace ReliabilityHarness.SqlServer;

/// <summary>SQL Server: a server, found through <c>HARNESS_SQLSERVER</c> or Testcontainers; written from the documentation, never run here.</summary>
public static class SqlServerProvider
{
    public static Provider Create()
    {
        var dialect = new SqlServerDialect();
        return new Provider(dialect, new SqlServerEngine(dialect), new SqlServerBulkWriter(dialect));
    }
}
