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
    protected override DbCommand CreateDbCommand() => new Command { Connection = this };

    /// <summary><paramref name="sql"/> with every <c>@name</c> outside string literals and quoted names written <c>$name</c>.</summary>
    public static string DollarParameters(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var text = new StringBuilder(sql.Length);
        var quote = '\0';
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '@' && i + 1 < sql.Length && (char.IsLetter(sql[i + 1]) || sql[i + 1] == '_'))
            {
                c = '$';
            }

            text.Append(c);
        }

        return text.ToString();
    }

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
