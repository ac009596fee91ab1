using System.Data.Common;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// What the robust strategy's seeded flaws (<see cref="Flaw"/>) do where they need more than a line. None of this runs
/// unless a test seeds the flaw: see the fault catalogue (<c>docs/faults.md</c>).
/// </summary>
internal sealed partial class RobustIngest
{
    /// <summary>The seeded flaw <see cref="Flaw.OverwritesAnotherPayload"/>: the stored row takes the incoming one's every column.</summary>
    private static async Task<long> OverwriteAsync(Provider provider, DbConnection connection, DbTransaction transaction, Payment incoming, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = provider.Dialect.Staging.Table;
        await using var command = PaymentsTable.WriteCommand(provider, connection, transaction,
            $"UPDATE {table} SET user_id = {PaymentsSql.UserId}, amount = {PaymentsSql.Amount}, currency = {PaymentsSql.Currency}, status = {PaymentsSql.Status}, "
            + $"processed_at = {PaymentsSql.ProcessedAt} WHERE payment_id = {PaymentsSql.PaymentId}{provider.Dialect.Staging.Terminator}");
        PaymentsTable.Bind(provider, command, incoming, now);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The seeded flaw <see cref="Flaw.LastOneWinsInAFile"/>: of the staged rows of one id, only the last line stays; returns how many went.</summary>
    private static async Task<long> KeepLastLinesAsync(Provider provider, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = Query(provider, connection, transaction, provider.Dialect.Staging.RowsById(0)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                last[reader.GetString(1)] = reader.GetInt64(0);
            }
        }

        long removed = 0;
        foreach (var (id, line) in last)
        {
            await using var delete = Query(provider, connection, transaction,
                $"DELETE FROM {provider.Dialect.Staging.Staging} WHERE payment_id = @id0 AND line <> {StagingSql.Line}{provider.Dialect.Staging.Terminator}", ("@id0", id), (StagingSql.Line, line));
            removed += await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        return removed;
    }

    /// <summary>The seeded flaw <see cref="Flaw.BumpsIdenticalRows"/>: every stored row the input names gets the run's processed_at, changed or not.</summary>
    private static Task<long> BumpStagedRowsAsync(Provider provider, DbConnection connection, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var staging = provider.Dialect.Staging;
        return ExecuteStagedAsync(provider, connection, transaction,
            $"UPDATE {staging.Table} SET processed_at = @processed_at WHERE payment_id IN (SELECT payment_id FROM {staging.Staging}){staging.Terminator}", now, cancellationToken);
    }

    /// <summary>The seeded flaw <see cref="Flaw.CommitsOnFailure"/>: commits what a failed run wrote, as quietly as a rollback.</summary>
    private static Task<bool> CommitQuietlyAsync(DbTransaction transaction) => EndQuietlyAsync(transaction, commit: true);
}
