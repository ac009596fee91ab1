using ReliabilityHarness.Providers;

namespace ReliabilityHarness.MariaDb;

/// <summary>MariaDB (and MySQL's dialect): a server, found through <c>HARNESS_MARIADB</c> or Testcontainers.</summary>
public static class MariaDbProvider
{
    public static Provider Create()
    {
        var dialect = new MariaDbDialect();
        return new Provider(dialect, new MariaDbEngine(dialect), new MariaDbBulkWriter(dialect), new MariaDbHandIdiom());
    }
}
