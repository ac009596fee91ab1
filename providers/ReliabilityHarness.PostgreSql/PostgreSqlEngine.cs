using System.Data.Common;
using System.Globalization;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using ReliabilityHarness.Providers;
using Testcontainers.PostgreSql;

namespace ReliabilityHarness.PostgreSql;

/// <summary>
/// A PostgreSQL server: <c>HARNESS_POSTGRESQL</c>, or the pinned image in Docker. A run's isolated database is a schema
/// of its own, reached through the connection's search_path and dropped with everything in it afterwards.
/// </summary>
public sealed class PostgreSqlEngine(PostgreSqlDialect dialect, string image = PostgreSqlEngine.Image) : ServerEngine(dialect)
{
    /// <summary>Pinned so every user's container run sees the same engine.</summary>
    public const string Image = "postgres:17.6";

    public override EngineContainer? Container { get; } = new(image, cancellationToken => StartContainerAsync(image, cancellationToken));

    /// <summary><c>postgresql@16</c>: the official image of that version.</summary>
    public override EngineSource ForVersion(string version) => new PostgreSqlEngine(dialect, $"postgres:{version}");

    public override string? VersionFixed => null;

    public override WireProtocol? Wire => WireProtocol.PostgreSql;

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var schema = "rh_" + Guid.NewGuid().ToString("N")[..16];
        var builder = new NpgsqlConnectionStringBuilder(serverConnectionString) { SearchPath = schema };
        return IsolateAsync(serverConnectionString, $"CREATE SCHEMA {Dialect.Quote(schema)}", $"DROP SCHEMA IF EXISTS {Dialect.Quote(schema)} CASCADE",
            builder.ConnectionString, $"schema {schema} on {builder.Host}:{builder.Port}/{builder.Database}", cancellationToken);
    }

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        $"PostgreSQL {await ScalarTextAsync(connection, "SHOW server_version", cancellationToken)}";

    // Without these a committed transaction can vanish in a crash (postgresql.org/docs/current/wal-reliability.html,
    // runtime-config-wal.html). Testcontainers' module turns fsync off; the container this provider starts does not.
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var setting in new[] { "fsync", "synchronous_commit", "full_page_writes" })
        {
            var value = await ScalarTextAsync(connection, $"SHOW {setting}", cancellationToken);
            if (value is not ("on" or "remote_apply" or "remote_write"))
            {
                problems.Add($"{setting} = {value}");
            }
        }

        return problems;
    }

    // Testcontainers' module starts PostgreSQL with fsync=off for speed; a crash test on such an engine proves
    // nothing, so the command is replaced with the durable defaults spelled out.
    private static async Task<StartedContainer> StartContainerAsync(string image, CancellationToken cancellationToken)
    {
        var container = new PostgreSqlBuilder(image)
            .WithCommand(new OverwriteEnumerable<string>(["-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"]))
            .Build();
        await container.StartAsync(cancellationToken);
        return new StartedContainer(container.GetConnectionString(), container);
    }
}
