using System.Data.Common;
using System.Runtime.CompilerServices;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Providers;

/// <summary>
/// An engine's fast way in (and out) for the robust strategy, where it has one: PostgreSQL's COPY, SQL Server's bulk
/// copy, SQLite's statements bound by position. Without one, rows go in multi-row INSERTs
/// (<see cref="BatchedInsertStagingWriter"/>) and reruns are recognised by one query after staging.
/// </summary>
public abstract class BulkPath
{
    /// <summary>The writer that fills the staging table (already created in <paramref name="transaction"/>), line first.</summary>
    public abstract Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// The writer of a first load: every row into the payments table with processed_at = <paramref name="processedAt"/>,
    /// an id that is stored failing with the engine's duplicate-key error; null where the portable multi-row INSERTs serve.
    /// </summary>
    public virtual Task<StagingWriter>? BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) => null;

    /// <summary>
    /// The stored payments in the order a plain scan of the table returns them (for a table loaded by one run and not
    /// changed since, the order of that run's input), read in batches so that stopping early costs nothing; null
    /// where the engine cannot read them so. A rerun of the input the table was loaded from is then recognised by
    /// comparing the two in step, without staging.
    /// </summary>
    public virtual IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => null;

    /// <summary>
    /// The payments <paramref name="command"/> reads, in the order it returns them: its query selects
    /// <c>payment_id, user_id, amount, currency, status</c> (<see cref="StoredPaymentColumns"/>). Disposes the command.
    /// </summary>
    protected static async IAsyncEnumerable<Payment> ReadPaymentsAsync(DbCommand command, Dialect dialect, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(dialect);
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                yield return new Payment(reader.GetString(0), reader.GetString(1), dialect.ReadAmount(reader, 2), reader.GetString(3), reader.GetString(4));
            }
        }
    }

    /// <summary>The columns <see cref="ReadPaymentsAsync"/> expects, in its order.</summary>
    protected const string StoredPaymentColumns = "payment_id, user_id, amount, currency, status";
}
