using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.PostgreSql;

/// <summary>
/// COPY is the engine's bulk path (postgresql.org/docs/current/sql-copy.html): rows travel as a data stream, never as
/// SQL text, in the binary format, which the server reads without parsing text (a numeric or a timestamptz from text
/// costs it more than the row's insert). The format is written by <see cref="PostgreSqlCopyWriter"/>: Npgsql's binary
/// importer resolves and binds a parameter per field, which cost the client more CPU than the whole server side of
/// the load (measured: ~2.3 s of client CPU per million rows).
/// </summary>
public sealed class PostgreSqlBulkWriter(PostgreSqlDialect dialect) : BulkPath
{
    public override async Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await PostgreSqlCopyWriter.BeginAsync((NpgsqlConnection)connection, dialect.Staging.Staging, StagingSql.Columns, null, cancellationToken);

    // A first load COPYs into the payments table itself: the column types (varchar(64), numeric(19,4), char(3))
    // and checks judge each row as the server receives it, and a stored id fails the COPY with 23505.
    public override Task<StagingWriter>? BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        PostgreSqlCopyWriter.BeginAsync((NpgsqlConnection)connection, dialect.Staging.Table, StagingSql.LoadColumns, processedAt, cancellationToken);

    // A cursor (postgresql.org/docs/current/sql-declare.html) reads the table in its scan order, 10,000 rows per
    // FETCH: a rerun that stops at its first difference has read only that far, and CLOSE ends the scan. The
    // cursor lives in the run's transaction and sees what the run's statements see. A scan of a large table starts
    // where another scan last was unless synchronize_seqscans is off (runtime-config-compatible.html), which would
    // make every rerun after the first look out of order; SET LOCAL turns it off until the transaction ends.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadByCursorAsync(connection, transaction, cancellationToken);

    private async IAsyncEnumerable<Payment> ReadByCursorAsync(DbConnection connection, DbTransaction transaction, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = dialect.Quote("payments_scan");
        await using (var declare = new NpgsqlCommand(
            $"SET LOCAL synchronize_seqscans = off; DECLARE {cursor} NO SCROLL CURSOR FOR SELECT payment_id, user_id, amount, currency, status FROM {dialect.Quote(PaymentsSql.TableName)}",
            (NpgsqlConnection)connection, (NpgsqlTransaction)transaction))
        {
            await declare.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var fetch = new NpgsqlCommand($"FETCH FORWARD 10000 FROM {cursor}", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
            dialect.NoTimeout(fetch);
            for (var more = true; more;)
            {
                more = false;
                await using var reader = await fetch.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    more = true;
                    yield return new Payment(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4));
                }
            }
        }
        finally
        {
            await CloseCursorAsync(connection, transaction, cursor);
        }
    }

    private static async Task CloseCursorAsync(DbConnection connection, DbTransaction transaction, string cursor)
    {
        try
        {
            await using var close = new NpgsqlCommand($"CLOSE {cursor}", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
            await close.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The transaction failed or the connection is gone: the cursor went with it, and the run rolls back.
        }
    }
}
