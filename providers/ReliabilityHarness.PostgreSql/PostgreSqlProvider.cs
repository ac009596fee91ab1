using ReliabilityHarness.Providers;

namespace ReliabilityHarness.PostgreSql;

/// <summary>PostgreSQL: a server, found through <c>HARNESS_POSTGRESQL</c> or Testcontainers.</summary>
public static class PostgreSqlProvider
{
    public static Provider Create()
    {
        var dialect = new PostgreSqlDialect();
        return new Provider(dialect, new PostgreSqlEngine(dialect), new PostgreSqlBulkWriter(dialect), new PostgreSqlHandIdiom());
    }
}
