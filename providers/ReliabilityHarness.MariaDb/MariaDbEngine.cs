using System.Data.Common;
using MySqlConnector;
using ReliabilityHarness.Providers;
using Testcontainers.MySql;

namespace ReliabilityHarness.MariaDb;

/// <summary>A MariaDB server: <c>HARNESS_MARIADB</c>, or the pinned image in Docker. A run's isolated database is a database of its own, dropped afterwards.</summary>
public sealed class MariaDbEngine(MariaDbDialect dialect, string image = MariaDbEngine.Image) : ServerEngine(dialect)
{
    /// <summary>Pinned so every user's container run sees the same engine.</summary>
    public const string Image = "mariadb:10.11.11";

    /// <summary><c>mariadb@11.4</c>: the official image of that version.</summary>
    public override EngineSource ForVersion(string version) => new MariaDbEngine(dialect, $"mariadb:{version}");

    public override string? VersionFixed => null;

    public override EngineContainer? Container { get; } = new(image, async cancellationToken =>
    {
        var container = new MySqlBuilder(image).Build();
        await container.StartAsync(cancellationToken);
        return new StartedContainer(container.GetConnectionString(), container);
    });

    public override WireProtocol? Wire => WireProtocol.MySql;

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var name = "rh_" + Guid.NewGuid().ToString("N")[..16];
        var builder = new MySqlConnectionStringBuilder(serverConnectionString) { Database = name };
        return IsolateAsync(serverConnectionString, $"CREATE DATABASE {Dialect.Quote(name)} CHARACTER SET utf8mb4", $"DROP DATABASE IF EXISTS {Dialect.Quote(name)}",
            builder.ConnectionString, $"database {name} on {builder.Server}:{builder.Port}", cancellationToken);
    }

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        $"MariaDB {await ScalarTextAsync(connection, "SELECT VERSION()", cancellationToken)}";

    // innodb_flush_log_at_trx_commit = 1 writes and flushes the redo log at every commit; 0 and 2 can lose
    // about a second of commits in a crash (mariadb.com/kb/en/innodb-system-variables/).
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var value = await ScalarTextAsync(connection, "SELECT @@innodb_flush_log_at_trx_commit", cancellationToken);
        return value == "1" ? [] : [$"innodb_flush_log_at_trx_commit = {value}"];
    }
}
