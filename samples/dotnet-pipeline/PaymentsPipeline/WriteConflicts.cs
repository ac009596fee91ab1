using System.Data.Common;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace PaymentsPipeline;

/// <summary>
/// A transaction that lost a race with another loader writing the same payments is run again, whole, a few times:
/// its statements skip stored ids, so the new attempt sees the other's commit and adds only what is missing. Nothing
/// else is retried: a lost connection (or a crash) ends the run, and the next run converges.
/// </summary>
public static class WriteConflicts
{
    public const int MaxAttempts = 5;

    /// <summary>Runs <paramref name="transaction"/> (begin to commit) until it commits without a write conflict, at most <see cref="MaxAttempts"/> times.</summary>
    public static async Task RetryAsync(SqlDialect dialect, Func<CancellationToken, Task> transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await transaction(cancellationToken);
                return;
            }
            catch (DbException e) when (attempt < MaxAttempts && IsWriteConflict(dialect, e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt), cancellationToken);
            }
        }
    }

    // PostgreSQL and MariaDB report a serialization failure or a deadlock as SQLSTATE 40001 (PostgreSQL's deadlock:
    // 40P01; postgresql.org/docs/current/errcodes-appendix.html, mariadb.com/kb/en/mariadb-error-code-reference).
    // DuckDB's concurrency is optimistic (duckdb.org/docs/stable/connect/concurrency): a key another transaction
    // inserted and committed after this one began fails ON CONFLICT DO NOTHING with a duplicate-key Constraint error,
    // and a key both inserted fails the later COMMIT with a Transaction error. SQLite's one writer waits
    // (Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout), and never conflicts.
    private static bool IsWriteConflict(SqlDialect dialect, DbException e) => dialect switch
    {
        SqlDialect.PostgreSql or SqlDialect.MariaDb => e.SqlState is "40001" or "40P01",
        SqlDialect.DuckDb => e is DuckDBException duck && (duck.ErrorType == DuckDBErrorType.Transaction
            || (duck.ErrorType == DuckDBErrorType.Constraint && duck.Message.Contains("Duplicate key", StringComparison.Ordinal))),
        _ => false,
    };
}
