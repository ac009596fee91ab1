using System.Data.Common;
using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// DuckDB's appender (duckdb.org/docs/stable/data/appender) fills the staging table column by column, in the
/// connection's transaction: a ROLLBACK removes what it appended. Multi-row INSERTs with parameters manage about
/// 16,000 rows a second here; the appender over a hundred thousand.
/// </summary>
public sealed class DuckDbBulkWriter(DuckDbDialect dialect) : BulkPath
{
    public override Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new AppenderWriter(((DuckDBConnection)connection).CreateAppender("temp", "main", "payments_staging")));

    // Rows get row ids in the order they are appended or inserted, so ORDER BY rowid reads a table loaded by one run
    // in its input's order (duckdb.org/docs/stable/sql/statements/select#row-ids). Streaming mode hands the rows
    // over as they are read, so stopping early does not read the rest.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadInRowidOrderAsync((DuckDBConnection)connection, transaction, cancellationToken);

    private async IAsyncEnumerable<Payment> ReadInRowidOrderAsync(DuckDBConnection connection, DbTransaction transaction, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = (DuckDBCommand)connection.CreateCommand();
        command.Transaction = transaction;
        command.UseStreamingMode = true;
        command.CommandText = $"SELECT payment_id, user_id, amount, currency, status FROM {dialect.Quote(PaymentsSql.TableName)} ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new Payment(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4));
        }
    }

    /// <summary>Staged rows through the appender; its buffered rows reach the table when it is closed, where a failure shows.</summary>
    private sealed class AppenderWriter(DuckDBAppender appender) : StagingWriter
    {
        private bool closed;

        public override ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(payment);
            cancellationToken.ThrowIfCancellationRequested();
            appender.CreateRow()
                .AppendValue(line)
                .AppendValue(payment.PaymentId)
                .AppendValue(payment.UserId)
                .AppendValue(payment.Amount)
                .AppendValue(payment.Currency)
                .AppendValue(payment.Status)
                .EndRow();
            return ValueTask.CompletedTask;
        }

        public override ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            closed = true;
            appender.Close();
            return ValueTask.CompletedTask;
        }

        // Abandoned (the run failed and rolls back): its rows need not arrive, and a close that fails again must not
        // hide the run's own error.
        public override ValueTask DisposeAsync()
        {
            if (!closed)
            {
                closed = true;
                try
                {
                    appender.Dispose();
                }
                catch (DuckDBException)
                {
                    // The transaction is rolled back either way.
                }
            }

            return base.DisposeAsync();
        }
    }
}
