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

        var (host, port, user, password, database) = (Get(builder, HostKeys) ?? "localhost", Get(builder, PortKeys), Get(builder, UserKeys), Get(builder, PasswordKeys), Get(builder, DatabaseKeys));
        var credentials = user is null ? string.Empty : Uri.EscapeDataString(user) + (password is null ? string.Empty : ":" + Uri.EscapeDataString(password)) + "@";
        switch ((provider.Engine as ServerEngine)?.Wire)
        {
            case WireProtocol.PostgreSql:
                variables["DATABASE_URL"] = $"postgresql://{credentials}{host}:{port ?? "5432"}/{Uri.EscapeDataString(database ?? string.Empty)}";
                Put(variables, "PGHOST", host);
                Put(variables, "PGPORT", port ?? "5432");
                Put(variables, "PGUSER", user);
                Put(variables, "PGPASSWORD", password);
                Put(variables, "PGDATABASE", database);
                // A schema the connection string puts first (Npgsql's Search Path: the harness's isolated runs) reaches
                // libpq's clients as a session option.
                if (Get(builder, ["Search Path", "SearchPath"]) is { } searchPath)
                {
                    variables["PGOPTIONS"] = $"-c search_path={searchPath}";
                    variables["DATABASE_URL"] += "?options=" + Uri.EscapeDataString(variables["PGOPTIONS"]);
                }

                break;
            case WireProtocol.MySql:
                variables["DATABASE_URL"] = $"mysql://{credentials}{host}:{port ?? "3306"}/{Uri.EscapeDataString(database ?? string.Empty)}";
                Put(variables, "MYSQL_HOST", host);
                Put(variables, "MYSQL_TCP_PORT", port ?? "3306");
                Put(variables, "MYSQL_PWD", password);
                Put(variables, "MYSQL_USER", user);
                Put(variables, "MYSQL_DATABASE", database);
                break;
        }

        return variables;
    }

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
        var port = Get(builder, PortKeys) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : wire == WireProtocol.PostgreSql ? 5432 : 3306;
        return (host, port);
    }

    private static string? Get(DbConnectionStringBuilder builder, string[] keys) =>
        keys.Where(builder.ContainsKey).Select(k => Convert.ToString(builder[k], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static void Put(Dictionary<string, string> variables, string name, string? value)
    {
        if (value is not null)
        {
            variables[name] = value;
        }
    }
}
