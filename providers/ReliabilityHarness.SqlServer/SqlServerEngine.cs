using System.Data.Common;
using Microsoft.Data.SqlClient;
using ReliabilityHarness.Providers;
using Testcontainers.MsSql;

namespace ReliabilityHarness.SqlServer;

/// <summary>A SQL Server: <c>HARNESS_SQLSERVER</c>, or the pinned image in Docker. A run's isolated database is a database of its own, dropped afterwards.</summary>
public sealed class SqlServerEngine(SqlServerDialect dialect, string image = SqlServerEngine.Image) : ServerEngine(dialect)
{
    /// <summary><c>sqlserver@2019</c>: Microsoft's image of that release, its latest update.</summary>
    public override EngineSource ForVersion(string version) => new SqlServerEngine(dialect, $"mcr.microsoft.com/mssql/server:{version}-latest");

    public override string? VersionFixed => null;

    /// <summary>Pinned so every user's container run sees the same engine.</summary>
    public const string Image = "mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04";

    private const string VersionSql = "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) + N' ' + CAST(SERVERPROPERTY('Edition') AS nvarchar(128));";

    private const string DurabilityQuery = "SELECT delayed_durability_desc FROM sys.databases WHERE database_id = DB_ID();";

    private const string DatabaseName = "{database}";

    private const string CreateDatabaseSql = """
        CREATE DATABASE {database};
        ALTER DATABASE {database} SET ALLOW_SNAPSHOT_ISOLATION ON;
        """;

    // SINGLE_USER WITH ROLLBACK IMMEDIATE ends sessions a test left behind, so the drop cannot be blocked by them.
    private const string DropDatabaseSql = """
        IF DB_ID(N'{database}') IS NOT NULL
        BEGIN
            ALTER DATABASE {database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
            DROP DATABASE {database};
        END;
        """;

    public override EngineContainer? Container { get; } = new(image, async cancellationToken =>
    {
        var container = new MsSqlBuilder(image).Build();
        await container.StartAsync(cancellationToken);
        return new StartedContainer(container.GetConnectionString(), container);
    });

    public override string? LocalEngineHint => null;

    public override IEnumerable<KeyValuePair<string, string>> Statements() =>
    [
        new("Version", VersionSql),
        new("Durability", DurabilityQuery),
        new("CreateDatabase", DatabaseStatement(CreateDatabaseSql, "rh_example")),
        new("DropDatabase", DatabaseStatement(DropDatabaseSql, "rh_example")),
    ];

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var name = "rh_" + Guid.NewGuid().ToString("N")[..16];
        var builder = new SqlConnectionStringBuilder(serverConnectionString) { InitialCatalog = name };
        return IsolateAsync(serverConnectionString, DatabaseStatement(CreateDatabaseSql, name), DatabaseStatement(DropDatabaseSql, name),
            builder.ConnectionString, $"database {name} on {builder.DataSource}", cancellationToken);
    }

    // Named by its release, as a spec names it (sqlserver@2022), then the build: "SQL Server 2022 (16.0.4135.4 Developer Edition)".
    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var build = await ScalarTextAsync(connection, VersionSql, cancellationToken) ?? string.Empty;
        var release = build.Split('.')[0] switch { "14" => "2017 ", "15" => "2019 ", "16" => "2022 ", "17" => "2025 ", _ => string.Empty };
        return $"SQL Server {release}({build})";
    }

    // SQL Server always hardens the log at commit unless DELAYED_DURABILITY is allowed on the database
    // (learn.microsoft.com/sql/relational-databases/logs/control-transaction-durability).
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var value = await ScalarTextAsync(connection, DurabilityQuery, cancellationToken);
        return value == "DISABLED" ? [] : [$"delayed_durability = {value}"];
    }

    // The name appears both as an identifier and inside DB_ID(N'…'); it is harness-made (rh_ and hex digits),
    // and the identifier goes through Quote like every other.
    private string DatabaseStatement(string template, string name) =>
        template.Replace($"N'{DatabaseName}'", $"N'{name}'", StringComparison.Ordinal).Replace(DatabaseName, Dialect.Quote(name), StringComparison.Ordinal);
}
