using System.Data.Common;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using MySqlConnector;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.MariaDb;

/// <summary>
/// MariaDB's bulk path: <c>LOAD DATA LOCAL INFILE</c> (mariadb.com/kb/en/load-data-infile/) fed from the run's own
/// rows through MySqlConnector's bulk loader, inside the run's transaction: the rows travel as one stream, not as
/// statements. Every field is quoted and escaped, so any id the input may hold arrives as it was. The connection
/// must allow it (<c>AllowLoadLocalInfile</c>, set by the dialect) and the server's <c>local_infile</c> must be on
/// (MariaDB's default).
/// </summary>
public sealed class MariaDbBulkWriter(MariaDbDialect dialect) : BulkPath
{
    public override Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new LoadDataWriter((MySqlConnection)connection, (MySqlTransaction)transaction, MariaDbDialect.StagingName, StagingSql.Columns, null, cancellationToken));

    // A first load goes into the payments table itself. LOAD DATA LOCAL skips a duplicate key or a row the table's
    // checks refuse with a warning instead of failing, so the writer counts: a load that took fewer rows than were
    // written, or warned at all, fails with RowsRefusedException, which the dialect reads as a duplicate key — the
    // run rolls back to its savepoint and goes the staged way, where the table's statements say what was wrong.
    public override Task<StagingWriter>? BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new LoadDataWriter((MySqlConnection)connection, (MySqlTransaction)transaction, PaymentsSql.TableName, StagingSql.LoadColumns,
            processedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture), cancellationToken));

    // InnoDB keeps a table in its primary key's order, so a plain scan reads it by payment_id: a rerun of a file
    // sorted by id is compared in step; any other order stops at its first difference and goes the staged way.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadPaymentsAsync(DbCommands.Create(connection, transaction, $"SELECT {StoredPaymentColumns} FROM {dialect.Quote(PaymentsSql.TableName)}"), dialect, cancellationToken);

    /// <summary>
    /// Rows as LOAD DATA's text: each field in double quotes, <c>\</c> and <c>"</c> escaped with <c>\</c>, fields split
    /// by commas, rows by line feeds. The load runs while the rows are written, reading them through a pipe. With
    /// LOCAL the server cannot stop the stream, so it turns a row it cannot take into a warning and goes on
    /// (mariadb.com/kb/en/load-data-infile/#local): only the staging table, which has no key and no check, is loaded
    /// so, and a load that took fewer rows than were written fails the run.
    /// </summary>
    private sealed class LoadDataWriter : StagingWriter
    {
        private readonly Pipe pipe = new(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        private readonly Task<int> load;
        private readonly MySqlConnection connection;
        private readonly MySqlTransaction transaction;
        private readonly string? processedAt;
        private long written;
        private readonly StringBuilder row = new();
        private bool completed;

        public LoadDataWriter(MySqlConnection connection, MySqlTransaction transaction, string table, IEnumerable<string> columns, string? processedAt, CancellationToken cancellationToken)
        {
            (this.connection, this.transaction, this.processedAt) = (connection, transaction, processedAt);
            var loader = new MySqlBulkLoader(connection)
            {
                Local = true,
                TableName = table,
                SourceStream = pipe.Reader.AsStream(),
                CharacterSet = "utf8mb4",
                FieldTerminator = ",",
                LineTerminator = "\n",
                FieldQuotationCharacter = '"',
                FieldQuotationOptional = false,
                EscapeCharacter = '\\',
                Timeout = 0,
            };
            loader.Columns.AddRange(columns);
            load = loader.LoadAsync(cancellationToken);
        }

        public override async ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(payment);
            row.Clear();
            if (processedAt is null)
            {
                Field(line.ToString(CultureInfo.InvariantCulture)).Append(',');
            }

            Field(payment.PaymentId).Append(',');
            Field(payment.UserId).Append(',');
            Field(Amount.ToCanonicalString(payment.Amount)).Append(',');
            Field(payment.Currency).Append(',');
            Field(payment.Status);
            if (processedAt is not null)
            {
                row.Append(',');
                Field(processedAt);
            }

            row.Append('\n');
            written++;
            var bytes = Encoding.UTF8.GetBytes(row.ToString());
            var result = await pipe.Writer.WriteAsync(bytes, cancellationToken);
            if (result.IsCompleted)
            {
                await load; // the load stopped reading: its error is the run's
            }
        }

        public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            completed = true;
            await pipe.Writer.CompleteAsync();
            var loaded = await load;
            await using var warnings = new MySqlCommand("SELECT @@warning_count", connection, transaction);
            if (loaded != written || Convert.ToInt64(await warnings.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
            {
                throw new RowsRefusedException(written, loaded);
            }
        }

        // Abandoned (the run stopped early, or failed): the stream is ended normally, because a LOCAL load whose
        // stream breaks breaks the connection; what it loaded goes with the rollback (to the savepoint, or whole).
        public override async ValueTask DisposeAsync()
        {
            if (!completed)
            {
                await pipe.Writer.CompleteAsync();
                try
                {
                    await load;
                }
                catch (Exception e) when (e is MySqlException or OperationCanceledException or IOException)
                {
                    // The run's own error is on its way; the transaction is rolled back either way.
                }
            }

            await base.DisposeAsync();
        }

        private StringBuilder Field(string value)
        {
            row.Append('"');
            foreach (var c in value)
            {
                if (c is '"' or '\\')
                {
                    row.Append('\\');
                }

                row.Append(c);
            }

            return row.Append('"');
        }
    }
}

/// <summary>LOAD DATA LOCAL took fewer rows than were sent, or warned: a duplicate key, or a row the table refused.</summary>
public sealed class RowsRefusedException(long written, long loaded)
    : Exception($"LOAD DATA took {loaded:N0} of {written:N0} rows, or warned: a repeated or stored id, or a row the table refuses");
