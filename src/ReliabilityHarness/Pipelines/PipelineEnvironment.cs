using System.Data.Common;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// The database in the environment of the user's pipeline (and its setup command), as each engine's usual clients
/// read it: <c>RELIABILITY_PROVIDER</c> and <c>RELIABILITY_CONNECTION</c> always; SQLite's and DuckDB's file path;
/// PostgreSQL's <c>DATABASE_URL</c> and <c>PG*</c>; MariaDB's <c>DATABASE_URL</c> and <c>MYSQL_*</c>. Never on a command line.
/// </summary>
public static class PipelineEnvironment
{
    public const string ProviderVariable = "RELIABILITY_PROVIDER";
    public const string ConnectionVariable = "RELIABILITY_CONNECTION";

    private static readonly string[] HostKeys = ["Host", "Server", "Data Source", "Address"];
    private static readonly string[] PortKeys = ["Port"];
    private static readonly string[] UserKeys = ["Username", "User ID", "User", "UserId", "UID", "User Name"];
    private static readonly string[] PasswordKeys = ["Password", "PWD"];
    private static readonly string[] DatabaseKeys = ["Database", "Initial Catalog", "DB"];

    /// <summary>The variables for <paramref name="provider"/> at <paramref name="connectionString"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(Provider provider, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ProviderVariable] = provider.Name,
            [ConnectionVariable] = connectionString,
        };
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (provider.IsEmbedded)
        {
            if (FilePath(connectionString) is { } path)
            {
                variables[$"RELIABILITY_{provider.Name.ToUpperInvariant()}_PATH"] = path;
            }

            return variables;
        }

        if ((provider.Engine as ServerEngine)?.Wire is not { } wire)
        {
            return variables;
        }

        var clients = ClientsOf(wire);
        var (host, port, user, password, database) = (Get(builder, HostKeys) ?? "localhost", Get(builder, PortKeys) ?? clients.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Get(builder, UserKeys), Get(builder, PasswordKeys), Get(builder, DatabaseKeys));
        var credentials = user is null ? string.Empty : Uri.EscapeDataString(user) + (password is null ? string.Empty : ":" + Uri.EscapeDataString(password)) + "@";
        variables["DATABASE_URL"] = $"{clients.Scheme}://{credentials}{host}:{port}/{Uri.EscapeDataString(database ?? string.Empty)}";
        foreach (var (name, value) in new[] { (clients.Host, host), (clients.Port, port), (clients.User, user), (clients.Password, password), (clients.Database, database) })
        {
            if (value is not null)
            {
                variables[name] = value;
            }
        }

        // A schema the connection string puts first (Npgsql's Search Path: the harness's isolated runs) reaches
        // libpq's clients as a session option.
        if (wire == WireProtocol.PostgreSql && Get(builder, ["Search Path", "SearchPath"]) is { } searchPath)
        {
            variables["PGOPTIONS"] = $"-c search_path={searchPath}";
            variables["DATABASE_URL"] += "?options=" + Uri.EscapeDataString(variables["PGOPTIONS"]);
        }

        return variables;
    }

    /// <summary>The files an embedded engine writes beside its database file, by suffix: SQLite's rollback journal and WAL, DuckDB's WAL.</summary>
    internal static IReadOnlyList<string> WrittenBeside { get; } = ["-journal", "-wal", ".wal"];

    /// <summary>The absolute path of an embedded engine's database file (<c>Data Source=…</c>); null when the string names none.</summary>
    public static string? FilePath(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return Get(builder, ["Data Source", "DataSource", "Filename"]) is { Length: > 0 } path && path != ":memory:" ? Path.GetFullPath(path) : null;
    }

    /// <summary><paramref name="connectionString"/> pointed at <paramref name="host"/>:<paramref name="port"/> instead (the statement proxy).</summary>
    public static string Redirected(string connectionString, string host, int port)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        builder[HostKeys.FirstOrDefault(builder.ContainsKey) ?? "Host"] = host;
        builder[PortKeys.FirstOrDefault(builder.ContainsKey) ?? "Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.ConnectionString;
    }

    /// <summary>The engine's host and port as the connection string names them (defaults: localhost and the protocol's port).</summary>
    public static (string Host, int Port) Endpoint(string connectionString, WireProtocol wire)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var host = Get(builder, HostKeys) ?? "localhost";
        var port = Get(builder, PortKeys) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : ClientsOf(wire).DefaultPort;
        return (host, port);
    }

    private static string? Get(DbConnectionStringBuilder builder, string[] keys) =>
        keys.Where(builder.ContainsKey).Select(k => Convert.ToString(builder[k], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>What the usual clients of a protocol read: libpq's (psql, psycopg2) and the mysql/mariadb client's.</summary>
    private static ClientVariables ClientsOf(WireProtocol wire) => wire switch
    {
        WireProtocol.PostgreSql => new("postgresql", 5432, "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"),
        _ => new("mysql", 3306, "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_USER", "MYSQL_PWD", "MYSQL_DATABASE"),
    };

    private sealed record ClientVariables(string Scheme, int DefaultPort, string Host, string Port, string User, string Password, string Database);
}
