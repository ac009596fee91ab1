using System.Data.Common;
using System.Text;

namespace PaymentsPipeline;

/// <summary>
/// The statement both loaders send: a multi-row INSERT of up to <see cref="RowsPerStatement"/> payments that skips
/// every payment_id already stored, so sending it again changes nothing (a rerun converges, a concurrent copy adds
/// nothing). A stored payment is never overwritten: a payment is a fact, its id says which.
/// </summary>
public static class PaymentsInsert
{
    /// <summary>
    /// Rows per statement: 300 payments are 30 statements, so a crash before each one is about 30 trials, not 300.
    /// Measured here for the fixed loader's fixture: one row a statement took 8 s on SQLite, 30 s on PostgreSQL and
    /// 386 s on DuckDB (301 crash trials each); ten rows a statement (31 trials), 0.5 s, 1 s and 8 s.
    /// </summary>
    public const int RowsPerStatement = 10;

    private const string Columns = "payment_id, customer_id, amount, currency, booked_on";

    /// <summary>Writes <paramref name="rows"/> (at most <see cref="RowsPerStatement"/>) in <paramref name="transaction"/>.</summary>
    public static async Task ExecuteAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, IReadOnlyList<Payment> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows.Count, RowsPerStatement);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder($"INSERT INTO payments ({Columns}) VALUES ");
        for (var i = 0; i < rows.Count; i++)
        {
            var p = rows[i];
            sql.Append(i == 0 ? "" : ", ").Append('(')
                .Append(Parameter(dialect, command, $"id{i}", p.PaymentId)).Append(", ")
                .Append(Parameter(dialect, command, $"customer{i}", p.CustomerId)).Append(", ")
                .Append(Parameter(dialect, command, $"amount{i}", p.Amount)).Append(", ")
                .Append(Parameter(dialect, command, $"currency{i}", p.Currency)).Append(", ")
                .Append(Parameter(dialect, command, $"booked{i}", p.BookedOn)).Append(')');
        }

        command.CommandText = sql.Append(' ').Append(SkipStored(dialect)).ToString();
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // ON CONFLICT (payment_id) DO NOTHING is PostgreSQL's (postgresql.org/docs/current/sql-insert.html), taken by
    // SQLite (sqlite.org/lang_upsert.html) and DuckDB (duckdb.org/docs/stable/sql/statements/insert). MariaDB has no
    // ON CONFLICT: ON DUPLICATE KEY UPDATE that sets the key to itself skips a stored id and nothing else
    // (mariadb.com/kb/en/insert-on-duplicate-key-update); INSERT IGNORE would also turn other errors (a value too
    // long, a NOT NULL) into warnings and load the row anyway.
    private static string SkipStored(SqlDialect dialect) => dialect switch
    {
        SqlDialect.Sqlite or SqlDialect.PostgreSql or SqlDialect.DuckDb => "ON CONFLICT (payment_id) DO NOTHING",
        SqlDialect.MariaDb => "ON DUPLICATE KEY UPDATE payment_id = payment_id",
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, null),
    };

    // A parameter is named without a sigil (every driver here matches "id0" to its placeholder); the placeholder is
    // $id0 on DuckDB, where @id0 is not a parameter (duckdb.org/docs/stable/sql/query_syntax/prepared_statements),
    // and @id0 on the others (Npgsql and MySqlConnector take no $name).
    private static string Parameter(SqlDialect dialect, DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return (dialect == SqlDialect.DuckDb ? "$" : "@") + name;
    }
}
