using System.Data.Common;

namespace PaymentsPipeline;

/// <summary>
/// The loader as it is often written: it commits every <see cref="BatchSize"/> payments, to keep transactions short.
/// Each batch skips stored ids, so a rerun after a crash loads what is missing and the table converges; but a crash
/// between two commits leaves the batches committed so far in the table, and a reader sees part of the day's
/// payments: not atomic.
/// </summary>
public sealed class BatchCommittingLoader(SqlDialect dialect)
{
    public const int BatchSize = 100;

    public async Task LoadAsync(DbConnection connection, IReadOnlyList<Payment> payments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        foreach (var batch in payments.Chunk(BatchSize))
        {
            await WriteConflicts.RetryAsync(dialect, async token =>
            {
                await using var transaction = await connection.BeginTransactionAsync(token);
                foreach (var rows in batch.Chunk(PaymentsInsert.RowsPerStatement))
                {
                    await PaymentsInsert.ExecuteAsync(dialect, connection, transaction, rows, token);
                }

                await transaction.CommitAsync(token);
            }, cancellationToken);
        }
    }
}
