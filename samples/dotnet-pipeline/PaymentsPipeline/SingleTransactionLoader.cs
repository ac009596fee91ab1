using System.Data.Common;

namespace PaymentsPipeline;

/// <summary>
/// The fix: the same statements in one transaction, so a crash anywhere, before the commit or at it, leaves the
/// table as it was, and a rerun loads the whole day.
/// </summary>
public sealed class SingleTransactionLoader(SqlDialect dialect)
{
    public async Task LoadAsync(DbConnection connection, IReadOnlyList<Payment> payments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await WriteConflicts.RetryAsync(dialect, async token =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            foreach (var rows in payments.Chunk(PaymentsInsert.RowsPerStatement))
            {
                await PaymentsInsert.ExecuteAsync(dialect, connection, transaction, rows, token);
            }

            await transaction.CommitAsync(token);
        }, cancellationToken);
    }
}
