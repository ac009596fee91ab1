using System.Data;
using System.Data.Common;
using System.Text;
using DuckDB.NET.Data;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// DuckDB's connection, speaking the harness's parameter style. DuckDB names parameters <c>$name</c> (or <c>?</c>,
/// <c>$1</c>) and takes a parameter's name without its sigil; <c>@name</c> is not a parameter there (it parses as
/// a column, duckdb.org/docs/stable/sql/query_syntax/prepared_statements). Every statement the core writes uses
/// <c>@name</c>, so the commands of this connection write each <c>@name</c> outside quotes as <c>$name</c>, and
/// each parameter's name without the <c>@</c>. Nothing else changes: values stay parameters.
/// </summary>
public sealed class DuckDbConnection(string connectionString) : DuckDBConnection(connectionString)
{
    protected override DbCommand CreateDbCommand() => CreateCommand();

    /// <summary>Opens the database, first making its file whole where none exists yet (<see cref="DuckDbFile"/>).</summary>
    public override void Open()
    {
        if (State == ConnectionState.Closed && WritableFile(ConnectionString) is { } path)
        {
            DuckDbFile.EnsureExists(path, CreateDatabase);
        }

        base.Open();
    }

    /// <summary>
    /// The file a connection string opens for writing; null for an in-memory database, a read-only one (DuckDB
    /// never creates a file then) and a path DuckDB resolves itself (<c>md:</c>, a URL).
    /// </summary>
    public static string? WritableFile(string connectionString)
    {
        var builder = new DuckDBConnectionStringBuilder { ConnectionString = connectionString };
        var path = builder.DataSource;
        var readOnly = builder.TryGetValue("access_mode", out var mode) && string.Equals(mode?.ToString(), "READ_ONLY", StringComparison.OrdinalIgnoreCase);
        return string.IsNullOrEmpty(path) || readOnly || path.StartsWith(":memory:", StringComparison.OrdinalIgnoreCase)
            || path.StartsWith("md:", StringComparison.OrdinalIgnoreCase) || path.Contains("://", StringComparison.Ordinal)
            ? null
            : path;
    }

    // The new database has this connection's options (block size, storage version …) and is closed before it is
    // linked: the driver closes a database with its last connection, and DuckDB syncs its headers when it makes it.
    private void CreateDatabase(string path)
    {
        var builder = new DuckDBConnectionStringBuilder { ConnectionString = ConnectionString, DataSource = path };
        using var connection = new DuckDBConnection(builder.ConnectionString);
        connection.Open();
    }

    // DuckDBConnection.CreateCommand is itself virtual: a caller that holds a DuckDBConnection gets the same command.
    public override DuckDBCommand CreateCommand() => new Command { Connection = this };

    /// <summary>
    /// <paramref name="sql"/> with every <c>@name</c> written <c>$name</c>, except inside string literals, quoted
    /// names, comments (<c>--</c> to the end of the line, <c>/* … */</c>), a run of <c>@</c>s (<c>@@name</c>) and an <c>@</c> inside a word.
    /// </summary>
    public static string DollarParameters(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var text = new StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            var end = c switch
            {
                '\'' or '"' => sql.IndexOf(c, i + 1),
                '-' when At(sql, i, "--") => sql.IndexOf('\n', i + 2),
                '/' when At(sql, i, "/*") => sql.IndexOf("*/", i + 2, StringComparison.Ordinal) is var close and >= 0 ? close + 1 : -1,
                _ => i,
            };
            if (end != i)
            {
                // Copied as it is, to its end (or the text's, where it is not closed).
                end = end < 0 ? sql.Length - 1 : end;
                text.Append(sql, i, end - i + 1);
                i = end;
                continue;
            }

            var parameter = c == '@' && i + 1 < sql.Length && (char.IsLetter(sql[i + 1]) || sql[i + 1] == '_') && (i == 0 || !(sql[i - 1] == '@' || sql[i - 1] == '_' || char.IsLetterOrDigit(sql[i - 1])));
            text.Append(parameter ? '$' : c);
        }

        return text.ToString();
    }

    private static bool At(string text, int index, string what) => string.CompareOrdinal(text, index, what, 0, what.Length) == 0;

    private sealed class Command : DuckDBCommand
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public override string CommandText
        {
            get => base.CommandText;
            set => base.CommandText = DollarParameters(value ?? string.Empty);
        }

        protected override DbParameter CreateDbParameter() => new Parameter();
    }

    private sealed class Parameter : DuckDBParameter
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public override string ParameterName
        {
            get => base.ParameterName;
            set => base.ParameterName = value?.TrimStart('@') ?? string.Empty;
        }
    }
}
