using System.Data;
using System.Data.Common;
using Microsoft.Data.SqlClient;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.SqlServer;

// SqlBulkCopy is the engine's bulk path (learn.microsoft.com/sql/connect/ado-net/sql/bulk-copy-operations-sql-server):
// rows travel as a bulk load, not as statements, into the run's temporary table, inside the run's transaction
// (SqlBulkCopy with the external SqlTransaction). They go in batches held in one reused DataTable, so memory
// stays flat. No SQL Server runs on the build machine: this path is exercised wherever one is provided.
public sealed class SqlServerBulkWriter(SqlServerDialect dialect) : BulkPath
{
    public override Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new BulkCopyStagingWriter((SqlConnection)connection, (SqlTransaction)transaction, dialect.Staging.Staging));

    private sealed class BulkCopyStagingWriter : BufferedStagingWriter
    {
        private const int BatchRows = 10_000;
        private readonly SqlBulkCopy bulkCopy;
        private readonly DataTable rows = new();

        public BulkCopyStagingWriter(SqlConnection connection, SqlTransaction transaction, string staging)
            : base(BatchRows)
        {
            bulkCopy = new SqlBulkCopy(connection, SqlBulkCopyOptions.Default, transaction) { DestinationTableName = staging, BulkCopyTimeout = 0 };
            rows.Columns.Add(StagingSql.Columns[0], typeof(long));
            rows.Columns.Add(StagingSql.Columns[1], typeof(string));
            rows.Columns.Add(StagingSql.Columns[2], typeof(string));
            rows.Columns.Add(StagingSql.Columns[3], typeof(decimal));
            rows.Columns.Add(StagingSql.Columns[4], typeof(string));
            rows.Columns.Add(StagingSql.Columns[5], typeof(string));
            foreach (var column in StagingSql.Columns)
            {
                bulkCopy.ColumnMappings.Add(column, column);
            }
        }

        protected override async ValueTask SendAsync(ReadOnlyMemory<(long Line, Payment Payment)> batch, CancellationToken cancellationToken)
        {
            rows.Clear();
            foreach (var (line, payment) in batch.Span)
            {
                rows.Rows.Add(line, payment.PaymentId, payment.UserId, payment.Amount, payment.Currency, payment.Status);
            }

            await bulkCopy.WriteToServerAsync(rows, cancellationToken);
        }

        public override async ValueTask DisposeAsync()
        {
            ((IDisposable)bulkCopy).Dispose();
            rows.Dispose();
            await base.DisposeAsync();
        }
    }
}
