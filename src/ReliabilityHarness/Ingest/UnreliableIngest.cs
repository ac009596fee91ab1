using System.Data.Common;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// The unreliable strategies, kept as negative controls; both autocommit one row at a time.
/// <c>unreliable</c> is the payments lesson's unreliable script: a plain INSERT per row, so a crash after N rows leaves N rows and a
/// rerun fails on the primary key. <c>check-then-insert</c> is the usual attempt at idempotency without the
/// dialect's upsert: SELECT the key, INSERT it if absent. A rerun then passes, but two writers can both see the
/// key absent and both insert it: the race the suite shows. Neither is ever retried.
/// </summary>
internal sealed class UnreliableIngest(string name, bool checkFirst) : IIngestStrategy
{
    public string Name { get; } = name;

    public async Task<IngestResult> RunAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(options);
        long rows = 0;
        long inserted = 0;
        DbTransaction? transaction = null;
        try
        {
            await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
            await PaymentsTable.EnsureAsync(provider, connection, cancellationToken);
            var run = new RunPoints(options, 1, await PaymentsTable.SessionIdAsync(provider, connection, options, cancellationToken));
            // The seeded flaw: the negative control made atomic, so the suites that expect it to fail must go red.
            transaction = Seeded.Has(Flaw.UnreliableInOneTransaction) ? await provider.Dialect.BeginTransactionAsync(connection, cancellationToken) : null;
            await run.ReachAsync(IngestCheckpoint.BeforeFirstWrite, 0, cancellationToken);
            await using var select = PaymentsTable.Command(provider, connection, transaction, provider.Dialect.Sql.SelectById, PaymentsSql.PaymentId);
            await using var insert = PaymentsTable.WriteCommand(provider, connection, transaction, provider.Dialect.Sql.Insert);
            var now = options.Now();
            await foreach (var record in payments.WithCancellation(cancellationToken))
            {
                options.CrashIfDue(rows);
                if (rows > 0)
                {
                    await run.ReachAsync(IngestCheckpoint.AfterRow, rows, cancellationToken);
                }

                rows++;
                if (checkFirst && await PaymentsTable.FindAsync(provider, select, record.Payment.PaymentId, cancellationToken) is not null)
                {
                    continue;
                }

                PaymentsTable.Bind(provider, insert, record.Payment, now);
                await insert.ExecuteNonQueryAsync(cancellationToken);
                inserted++;
            }

            options.CrashIfDue(rows);
            await run.ReachAsync(IngestCheckpoint.BeforeCommit, rows, cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return new IngestResult(Name, new IngestCounts(rows, inserted, 0, rows - inserted, 0), null);
        }
        catch (Exception e) when (e is not (OperationCanceledException or InputException))
        {
            // With the seeded flaw's transaction, closing the connection rolled everything back.
            return new IngestResult(Name, new IngestCounts(rows, transaction is null ? inserted : 0, 0, 0, 0),
                Failures.Describe(provider, e, connectionString, rolledBack: transaction is not null));
        }
    }
}
