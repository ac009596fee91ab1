using System.Data.Common;
using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// DuckDB's appender (duckdb.org/docs/stable/data/appender) fills a table column by column, in the connection's
/// transaction: a ROLLBACK removes what it appended. Multi-row INSERTs with parameters manage about 16,000 rows a
/// second here; the appender several hundred thousand.
/// </summary>
public sealed class DuckDbBulkWriter(DuckDbDialect dialect) : BulkPath
{
    public override Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new AppenderWriter(
            ((DuckDBConnection)connection).CreateAppender("temp", DuckDbDialect.StagingSchema, DuckDbDialect.StagingName), null));

    // A first load appends into the payments table itself, in input order: the key refuses a repeated id (when the
    // appender flushes, at the latest when it closes), which aborts the transaction, and the run goes staged anew.
    public override Task<StagingWriter>? BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new AppenderWriter(
            ((DuckDBConnection)connection).CreateAppender(PaymentsSql.TableName), processedAt.UtcDateTime));

    // A plain scan returns a table's rows in their insertion order (preserve_insertion_order is on by default,
    // duckdb.org/docs/stable/configuration/overview): for a table one first load appended, the input's order. A table
    // written by INSERT … SELECT … ON CONFLICT is in another order (that statement does not keep it, even under
    // ORDER BY), and the comparison stops at its first row. Streaming hands rows over as they are read: stopping
    // early reads no more.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadPaymentsAsync(ScanCommand((DuckDBConnection)connection, transaction), dialect, cancellationToken);

    private DuckDBCommand ScanCommand(DuckDBConnection connection, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.UseStreamingMode = true;
        command.CommandText = $"SELECT {StoredPaymentColumns} FROM {dialect.Quote(PaymentsSql.TableName)}";
        return command;
    }

    /// <summary>
    /// Rows through the appender, into the staging table (line first) or, given processed_at, into the payments table
    /// (it last); buffered rows reach the table when it flushes or closes, where a failure shows.
    /// </summary>
    private sealed class AppenderWriter(DuckDBAppender appender, DateTime? processedAt) : StagingWriter
    {
        private bool completed;

        public override ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(payment);
            cancellationToken.ThrowIfCancellationRequested();
            var row = appender.CreateRow();
            if (processedAt is null)
            {
                row.AppendValue(line);
            }

            row.AppendValue(payment.PaymentId)
                .AppendValue(payment.UserId)
                .AppendValue(payment.Amount)
                .AppendValue(payment.Currency)
                .AppendValue(payment.Status);
            if (processedAt is { } at)
            {
                row.AppendValue(at);
            }

            row.EndRow();
            return ValueTask.CompletedTask;
        }

        public override ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            appender.Close();
            completed = true;
            return ValueTask.CompletedTask;
        }

        // After CompleteAsync this only frees the appender. Otherwise the run failed or stopped early and rolls back:
        // the buffered rows are dropped unsent, and a failure here must not hide the run's own error.
        public override ValueTask DisposeAsync()
        {
            try
            {
                if (!completed)
                {
                    appender.Clear();
                }

                appender.Dispose();
            }
            catch (Exception e) when (!completed && e is DuckDBException or InvalidOperationException)
            {
                // The transaction is rolled back either way.
            }

            return base.DisposeAsync();
        }
    }
}
