using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;
using SQLitePCL;

namespace ReliabilityHarness.Sqlite;

/// <summary>
/// SQLite's fast path. The portable writer binds parameters by name, and SQLite finds a name by scanning the
/// statement's list (sqlite3_bind_parameter_index), which for a 600-parameter statement costs more than the insert.
/// This writer prepares the same multi-row INSERT once on the connection's own handle and binds by position, as the
/// sqlite3 shell's .import does; it runs inside the connection's transaction like any other statement.
/// </summary>
public sealed class SqliteBulkWriter(SqliteDialect dialect) : BulkPath
{
    public override Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new PositionalStagingWriter((SqliteConnection)connection, dialect.Staging, dialect.RowsPerInsert, null));

    public override Task<StagingWriter>? BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new PositionalStagingWriter((SqliteConnection)connection, dialect.Staging, dialect.RowsPerInsert,
            (string)dialect.TimestampParameter(processedAt)));

    // The table has a rowid (it is not WITHOUT ROWID), and rows get rowids in the order they are inserted, so
    // "ORDER BY rowid" is a plain scan in load order (sqlite.org/lang_createtable.html#rowid). Stopping early just
    // resets the statement.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadPaymentsAsync(
            DbCommands.Create(connection, transaction, $"SELECT {StoredPaymentColumns} FROM {dialect.Quote(PaymentsSql.TableName)} ORDER BY rowid"),
            dialect, cancellationToken);

    /// <summary>Multi-row INSERTs bound by position: into the staging table (line first), or, given processed_at, into the payments table (it last).</summary>
    private sealed class PositionalStagingWriter : BufferedStagingWriter
    {
        private readonly SqliteConnection connection;
        private readonly StagingSql staging;
        private readonly string? processedAt;
        private readonly sqlite3_stmt full;

        public PositionalStagingWriter(SqliteConnection connection, StagingSql staging, int rowsPerStatement, string? processedAt)
            : base(rowsPerStatement)
        {
            (this.connection, this.staging, this.processedAt) = (connection, staging, processedAt);
            full = Prepare(rowsPerStatement);
        }

        public override ValueTask DisposeAsync()
        {
            full.Dispose();
            return base.DisposeAsync();
        }

        // Binds the rows by position (1-based, six per row), runs the statement once, and resets it. Text is bound as
        // the string's own UTF-16 (sqlite3_bind_text16; SQLite converts it as it stores it): binding a string as
        // UTF-8 makes the driver allocate and encode a copy of every value first, which measured ~15 % slower.
        protected override ValueTask SendAsync(ReadOnlyMemory<(long Line, Payment Payment)> rows, CancellationToken cancellationToken)
        {
            var statement = rows.Length == RowsPerStatement ? full : Prepare(rows.Length);
            try
            {
                var at = 1;
                foreach (var (line, payment) in rows.Span)
                {
                    if (processedAt is null)
                    {
                        Check(raw.sqlite3_bind_int64(statement, at++, line));
                    }

                    Check(raw.sqlite3_bind_text16(statement, at++, payment.PaymentId));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.UserId));
                    Check(raw.sqlite3_bind_text16(statement, at++, Amount.ToCanonicalString(payment.Amount)));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.Currency));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.Status));
                    if (processedAt is not null)
                    {
                        Check(raw.sqlite3_bind_text16(statement, at++, processedAt));
                    }
                }

                var rc = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc);
                return ValueTask.CompletedTask;
            }
            finally
            {
                if (statement != full)
                {
                    statement.Dispose();
                }
            }
        }

        private sqlite3_stmt Prepare(int rows)
        {
            Check(raw.sqlite3_prepare_v2(connection.Handle, processedAt is null ? staging.InsertRows(rows) : staging.LoadRows(rows), out var statement));
            return statement;
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }
        }
    }
}
