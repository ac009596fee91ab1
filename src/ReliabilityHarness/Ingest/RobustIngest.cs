using System.Data.Common;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// The robust strategy: one transaction, the dialect's upsert, rollback on any failure. A crash leaves the table
/// as it was; a rerun writes nothing; the same key with another payload is refused, never overwritten. A
/// transient failure (deadlock, serialization failure, busy, lock timeout) reruns the whole transaction after a
/// jittered pause, up to <see cref="IngestOptions.MaxAttempts"/> times; never half of it, and never a constraint
/// violation. Rerunning is safe even when a COMMIT's outcome is unknown: the run is idempotent.
/// <paramref name="payments"/> is enumerated once per attempt.
/// </summary>
internal sealed class RobustIngest : IIngestStrategy
{
    public string Name => "robust";

    public async Task<IngestResult> RunAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        for (var attempt = 1; ; attempt++)
        {
            var result = await AttemptAsync(provider, connectionString, payments, options, attempt, cancellationToken);
            if (result.Failure is { Kind: FailureKind.Transient } failure && attempt < options.MaxAttempts)
            {
                options.OnRetry?.Invoke(attempt, failure);
                await Task.Delay(IngestOptions.Backoff(attempt), options.Time ?? TimeProvider.System, cancellationToken);
                continue;
            }

            return result with { Attempts = attempt };
        }
    }

    private async Task<IngestResult> AttemptAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, int attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(payments);
        var counts = new Counts();
        var committing = false;
        try
        {
            await using var connection = await provider.OpenAsync(connectionString, cancellationToken);
            await PaymentsTable.EnsureAsync(provider, connection, cancellationToken);
            var run = new RunPoints(options, attempt, await PaymentsTable.SessionIdAsync(provider, connection, options, cancellationToken));
            await using var transaction = await provider.BeginTransactionAsync(connection, cancellationToken);
            try
            {
                await run.ReachAsync(IngestCheckpoint.BeforeFirstWrite, 0, cancellationToken);
                await WriteAsync(provider, connection, transaction, payments, run, counts, cancellationToken);
                options.CrashIfDue(counts.Rows);
                await run.ReachAsync(IngestCheckpoint.BeforeCommit, counts.Rows, cancellationToken);
                committing = true;
                await transaction.CommitAsync(cancellationToken);
                return new IngestResult(Name, counts.Snapshot(), null);
            }
            catch when (!committing)
            {
                await RollbackQuietlyAsync(transaction);
                throw;
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or InputException))
        {
            var failure = Failures.Describe(provider, e, connectionString, rolledBack: !committing);
            return new IngestResult(Name, counts.Snapshot(), committing
                ? failure with { Message = $"{failure.Message} (during COMMIT: the engine either rolled the transaction back or never received the commit)" }
                : failure);
        }
    }

    private static async Task WriteAsync(Provider provider, DbConnection connection, DbTransaction transaction, IAsyncEnumerable<PaymentRecord> payments, RunPoints run, Counts counts, CancellationToken cancellationToken)
    {
        var options = run.Options;
        await using var select = PaymentsTable.Command(provider, connection, transaction, provider.Sql.SelectById, PaymentsSql.PaymentId);
        await using var upsert = PaymentsTable.WriteCommand(provider, connection, transaction, provider.Sql.Upsert);
        var now = options.Now();
        var firstLineOf = new Dictionary<string, long>(StringComparer.Ordinal);

        await foreach (var (incoming, line) in payments.WithCancellation(cancellationToken))
        {
            options.CrashIfDue(counts.Rows);
            if (counts.Rows > 0)
            {
                await run.ReachAsync(IngestCheckpoint.AfterRow, counts.Rows, cancellationToken);
            }

            counts.Rows++;
            var stored = await PaymentsTable.FindAsync(provider, select, incoming.PaymentId, cancellationToken);

            if (firstLineOf.TryGetValue(incoming.PaymentId, out var firstLine))
            {
                // The table already holds what the first occurrence asked for: anything else is a conflict.
                if (stored is not null && stored.IdenticalTo(incoming))
                {
                    counts.Duplicates++;
                    continue;
                }

                throw new IdempotencyConflictException(incoming.PaymentId, line,
                    $"line {firstLine} has the same id with {Describe(stored)}; this line has {Describe(incoming)}");
            }

            firstLineOf[incoming.PaymentId] = line;
            PaymentsTable.Bind(provider, upsert, incoming, now);

            // The upsert is the write, and it is race-safe on its own; the read before it only decides what to
            // report. If another writer commits the id between the two, the upsert affects no row: read again.
            for (var attempt = 1; ; attempt++)
            {
                if (stored is not null && !stored.SamePayloadAs(incoming))
                {
                    throw new IdempotencyConflictException(incoming.PaymentId, line,
                        $"the table has {Describe(stored)}; this line has {Describe(incoming)}; refusing to overwrite");
                }

                if (stored is not null && stored.Status == incoming.Status)
                {
                    counts.Unchanged++;
                    break;
                }

                if (await upsert.ExecuteNonQueryAsync(cancellationToken) > 0)
                {
                    _ = stored is null ? counts.Inserted++ : counts.Updated++;
                    break;
                }

                if (attempt == 2)
                {
                    throw new InvalidOperationException($"the upsert of payment_id '{incoming.PaymentId}' (line {line}) wrote nothing twice while the row kept changing");
                }

                stored = await PaymentsTable.FindAsync(provider, select, incoming.PaymentId, cancellationToken);
            }
        }
    }

    private static string Describe(Payment? payment) => payment is null
        ? "no row"
        : $"user_id '{payment.UserId}', amount {Amount.ToCanonicalString(payment.Amount)} {payment.Currency}, status '{payment.Status}'";

    private static async Task RollbackQuietlyAsync(DbTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // The connection is gone or the engine already aborted the transaction: either way nothing committed.
        }
    }

    private sealed class Counts
    {
        public long Rows;
        public long Inserted;
        public long Updated;
        public long Unchanged;
        public long Duplicates;

        public IngestCounts Snapshot() => new(Rows, Inserted, Updated, Unchanged, Duplicates);
    }
}
