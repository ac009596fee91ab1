using System.Data.Common;
using System.Globalization;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// The robust strategy: one transaction, the dialect's upsert, rollback on any failure. A crash leaves the table
/// as it was; a rerun writes nothing; the same key with another payload is refused, never overwritten. A
/// transient failure (deadlock, serialization failure, busy, lock timeout) reruns the whole transaction after a
/// jittered pause, up to <see cref="IngestOptions.MaxAttempts"/> times; never half of it, and never a constraint
/// violation. Rerunning is safe even when a COMMIT's outcome is unknown: the run is idempotent. The rows go through a
/// staging table in the engine (see <see cref="StagingSql"/>), so memory does not grow with the input.
/// An empty table is loaded without staging (<see cref="Dialect.LoadsEmptyTableDirectly"/>), and a rerun of the
/// input a table was loaded from is compared with it without staging (<see cref="Provider.ReadStoredInScanOrder"/>).
/// <paramref name="payments"/> is enumerated once per attempt; twice when either shortcut goes the staged way.
/// </summary>
internal sealed partial class RobustIngest : IIngestStrategy
{
    public string Name => "robust";

    public async Task<IngestResult> RunAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var attempts = 0;
        var result = await TransientRetry.ExecuteAsync(
            token => AttemptAsync(provider, connectionString, payments, options, ++attempts, token),
            options.MaxAttempts, options.Time,
            outcome => outcome.Result?.Failure is { Kind: FailureKind.Transient } && !Seeded.Has(Flaw.NeverRetriesTransientFailures),
            (attempt, outcome) => options.OnRetry?.Invoke(attempt, outcome.Result!.Failure!),
            cancellationToken);
        return result with { Attempts = attempts };
    }

    private async Task<IngestResult> AttemptAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, int attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(payments);
        var counts = new Counts();
        var committing = false;
        try
        {
            await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
            await PaymentsTable.EnsureAsync(provider, connection, cancellationToken);
            var run = new RunPoints(options, attempt, await PaymentsTable.SessionIdAsync(provider, connection, options, cancellationToken));
            for (var firstLoad = true; ; firstLoad = false)
            {
                await using var transaction = await provider.Dialect.BeginTransactionAsync(connection, cancellationToken);
                try
                {
                    if (firstLoad)
                    {
                        await run.ReachAsync(IngestCheckpoint.BeforeFirstWrite, 0, cancellationToken);
                    }

                    await WriteAsync(provider, connection, transaction, payments, run, counts, firstLoad, cancellationToken);
                    options.CrashIfDue(counts.Rows);
                    await run.ReachAsync(IngestCheckpoint.BeforeCommit, counts.Rows, cancellationToken);
                    committing = true;
                    await transaction.CommitAsync(cancellationToken);
                    return new IngestResult(Name, counts.Snapshot(), null, Path: counts.Path);
                }
                catch (FirstLoadAbandonedException e)
                {
                    // An engine without savepoints: the first load's whole transaction is undone, and the input goes
                    // the staged way in a new one. If the rollback itself failed, the connection is in doubt: the run
                    // fails instead (transient: a retry starts on a new connection).
                    if (!await RollbackQuietlyAsync(transaction))
                    {
                        throw new TransientConflictException("a first load met a repeated payment id, and rolling it back to go the staged way failed", e);
                    }

                    counts.StartStaged();
                }
                catch when (!committing)
                {
                    await (Seeded.Has(Flaw.CommitsOnFailure) ? CommitQuietlyAsync(transaction) : RollbackQuietlyAsync(transaction));
                    throw;
                }
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or InputException))
        {
            var failure = Failures.Describe(provider, e, connectionString, rolledBack: !committing);
            return new IngestResult(Name, counts.Snapshot(), committing
                ? failure with { Message = $"{failure.Message} (during COMMIT: the engine either rolled the transaction back or never received the commit)" }
                : failure, Path: counts.Path);
        }
    }

    // A first load into an empty table goes straight into it, and a rerun of the input a table was loaded from is
    // compared with it in step; anything else, or either of those that meets a difference, goes the set-based way.
    // Rows stream into a staging table private to the session (the engine's bulk path where it has one), then a few
    // statements write the table from it and check what they did: memory stays flat however long the input, and
    // every guarantee of the row-by-row loop holds, because all of it is one transaction.
    private static async Task WriteAsync(Provider provider, DbConnection connection, DbTransaction transaction, IAsyncEnumerable<PaymentRecord> payments, RunPoints run, Counts counts, bool firstLoad, CancellationToken cancellationToken)
    {
        var now = run.Options.Now();
        var stored = await AnyStoredAsync(provider, connection, transaction, cancellationToken);
        if (stored
            ? !Seeded.Has(Flaw.BumpsIdenticalRows) && await StoredInOrderAsync(provider, connection, transaction, payments, run, counts, cancellationToken)
            : firstLoad && await FirstLoadAsync(provider, connection, transaction, payments, run, counts, now, cancellationToken))
        {
            return;
        }

        var seen = new SeenIds();
        await using (var staging = await provider.BeginStagingAsync(connection, transaction, cancellationToken))
        {
            await StreamAsync(staging, payments, seen.Add, run, counts, stop: null, cancellationToken);
        }

        // The same id twice in the input: identical rows count once, differing rows are a conflict. When a line
        // before the first such conflict also differs from the table, that one is reported: the first bad line.
        var (duplicates, repeatConflict) = await RepeatsAsync(provider, connection, transaction, seen, cancellationToken);
        if (repeatConflict is not null && Seeded.Has(Flaw.LastOneWinsInAFile))
        {
            (duplicates, repeatConflict) = (await KeepLastLinesAsync(provider, connection, transaction, cancellationToken), null);
        }

        // Each lookup below is a statement of its own, never a pattern variable assigned inside a condition: a
        // mutant that short-circuits such a condition leaves the variable unassigned and does not compile, and the
        // mutation tool then drops every mutant of this method (Stryker.NET's "safe mode"), so none of it would be
        // measured. (A comment line that starts with the tool's name is read by it as a directive to it.)
        if (repeatConflict is not null)
        {
            var earlier = await FirstMismatchAsync(provider, connection, transaction, repeatConflict.Line, cancellationToken);
            throw earlier is null ? repeatConflict : TableConflict(earlier);
        }

        counts.Duplicates = duplicates;
        var distinct = counts.Rows - duplicates;
        // A rerun is recognised in one pass: every staged row is stored exactly so, and nothing is written. (With
        // repeats in the input, the rows counted are not the ids; the checks below sort that case out.) A table
        // found empty is asked again: another writer may have stored rows since, which is why a first load fell back.
        var identical = duplicates == 0 && (stored || await AnyStoredAsync(provider, connection, transaction, cancellationToken))
            ? await CountIdenticalAsync(provider, connection, transaction, cancellationToken)
            : 0;
        if (identical == distinct)
        {
            counts.Unchanged = distinct;
            await DropStagingAsync(provider, connection, transaction, now, cancellationToken);
            return;
        }

        // Then the new ids: on a first load that is every id, and nothing is left to look at.
        try
        {
            counts.Inserted = await ExecuteStagedAsync(provider, connection, transaction, provider.Dialect.Staging.InsertNew, now, cancellationToken);
        }
        catch (Exception e) when (provider.Dialect.IsUnseenKey(e))
        {
            // The statement skips stored ids, so a duplicate key is one another writer committed unseen: retried.
            throw new TransientConflictException($"another writer committed a payment id this transaction could not see: {e.Message.Split('\n', 2)[0].Trim()}", e);
        }

        await run.ReachAsync(IngestCheckpoint.AfterInserts, counts.Rows, cancellationToken);
        for (var round = 1; identical + counts.Inserted + counts.Updated < distinct; round++)
        {
            // Every id this run inserted or updated is as the input says. Any other is unchanged, a status to update,
            // or a conflict: the table decides, read after the writes, so a row another writer committed meanwhile
            // is seen. A rerun ends here on its first look: everything is unchanged.
            var mismatch = await FirstMismatchAsync(provider, connection, transaction, null, cancellationToken);
            if (mismatch is null)
            {
                break;
            }

            if (!mismatch.Stored.SamePayloadAs(mismatch.Incoming))
            {
                if (!Seeded.Has(Flaw.OverwritesAnotherPayload))
                {
                    throw TableConflict(mismatch);
                }

                counts.Updated += await OverwriteAsync(provider, connection, transaction, mismatch.Incoming, now, cancellationToken);
                continue;
            }

            if (Seeded.Has(Flaw.NeverAppliesStatusChanges))
            {
                break;
            }

            // Same payload, another status: update every such row, then look again (another writer may have
            // committed one meanwhile). More than a few rounds means the rows keep changing under the run.
            if (round == 3)
            {
                throw new InvalidOperationException($"payment_id '{mismatch.Incoming.PaymentId}' (line {mismatch.Line}) kept changing while the run wrote it");
            }

            counts.Updated += await ExecuteStagedAsync(provider, connection, transaction, Seeded.Has(Flaw.KeepsProcessedAtOnStatusChange)
                ? Seeded.Rewrite(provider.Dialect.Staging.UpdateChanged, "processed_at = @processed_at", "processed_at = COALESCE(processed_at, @processed_at)")
                : provider.Dialect.Staging.UpdateChanged, now, cancellationToken);
        }

        // What is neither inserted, updated nor found identical must be stored exactly so by now. An engine may have
        // skipped a row without an error (MariaDB's ON DUPLICATE KEY, on another unique key of the table): refused.
        if (identical + counts.Inserted + counts.Updated < distinct)
        {
            var unwritten = await FirstUnwrittenAsync(provider, connection, transaction, cancellationToken);
            if (unwritten is not null)
            {
                throw unwritten;
            }
        }

        counts.Unchanged = distinct - counts.Inserted - counts.Updated;
        await DropStagingAsync(provider, connection, transaction, now, cancellationToken);
    }

    private const string FirstLoadSavepoint = "first_load";

    /// <summary>
    /// Loads an empty table without staging (<see cref="Dialect.LoadsEmptyTableDirectly"/>): true when every row
    /// went in, all inserted. When an id comes twice (surely, from the ids kept exactly, which stops the load early;
    /// or as the engine's duplicate-key error) it rolls back to its savepoint and returns false, the counts as they
    /// were, for the staged way to read the input again; without savepoints (<see cref="Dialect.HasSavepoints"/>),
    /// it abandons the transaction, and the staged way runs in a new one.
    /// </summary>
    private static async Task<bool> FirstLoadAsync(Provider provider, DbConnection connection, DbTransaction transaction, IAsyncEnumerable<PaymentRecord> payments, RunPoints run, Counts counts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!provider.Dialect.LoadsEmptyTableDirectly)
        {
            return false;
        }

        counts.Path = WritePath.FirstLoad;
        var savepoints = provider.Dialect.HasSavepoints;
        if (savepoints)
        {
            await transaction.SaveAsync(FirstLoadSavepoint, cancellationToken);
        }

        try
        {
            var seen = new SeenIds(exactOnly: true);
            await using var writer = await provider.BeginFirstLoadAsync(connection, transaction, now, cancellationToken);
            if (await StreamAsync(writer, payments, seen.Add, run, counts, () => seen.SurelyRepeated, cancellationToken))
            {
                counts.Inserted = counts.Rows;
                return true;
            }
        }
        catch (Exception e) when (provider.Dialect.Recognize(e) == DbErrorKind.UniqueViolation)
        {
            // An id the input repeats past the ids kept exactly, or one another writer stored after the table was
            // found empty: the engine found it, and the staged way sorts out which.
        }

        if (!savepoints)
        {
            throw new FirstLoadAbandonedException();
        }

        await transaction.RollbackAsync(FirstLoadSavepoint, cancellationToken);
        counts.StartStaged();
        return false;
    }

    /// <summary>A first load met a repeated id on an engine without savepoints: its transaction is rolled back whole and the run goes staged in a new one.</summary>
    private sealed class FirstLoadAbandonedException : Exception
    {
        public FirstLoadAbandonedException()
            : base("a first load met a repeated payment id and could not be rolled back to go the staged way")
        {
        }
    }

    /// <summary>
    /// Recognises the commonest rerun, the input a table was loaded from, without staging: the stored rows, in the
    /// order a plain scan returns them (<see cref="Provider.ReadStoredInScanOrder"/>), are compared with the input's
    /// in step. When every input row equals the stored row at its place, every one is stored exactly so (and no id
    /// repeats: stored ids are distinct), and nothing is written: true. At the first difference (another order,
    /// another row) it stops reading both and returns false, for the staged way to read the input again.
    /// </summary>
    private static async Task<bool> StoredInOrderAsync(Provider provider, DbConnection connection, DbTransaction transaction, IAsyncEnumerable<PaymentRecord> payments, RunPoints run, Counts counts, CancellationToken cancellationToken)
    {
        if (provider.ReadStoredInScanOrder(connection, transaction, cancellationToken) is not { } storedRows)
        {
            return false;
        }

        counts.Path = WritePath.Compared;
        await using (var comparer = new InOrderComparer(storedRows.GetAsyncEnumerator(cancellationToken)))
        {
            if (await StreamAsync(comparer, payments, null, run, counts, () => comparer.Differs, cancellationToken))
            {
                counts.Unchanged = counts.Rows;
                return true;
            }
        }

        counts.StartStaged();
        return false;
    }

    /// <summary>A "writer" that compares each row with the next stored one and remembers the first difference.</summary>
    private sealed class InOrderComparer(IAsyncEnumerator<Payment> stored) : StagingWriter
    {
        public bool Differs { get; private set; }

        public override async ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
        {
            Differs = Differs || !await stored.MoveNextAsync() || stored.Current.PaymentId != payment.PaymentId || !stored.Current.IdenticalTo(payment);
        }

        public override ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public override async ValueTask DisposeAsync()
        {
            await stored.DisposeAsync();
            await base.DisposeAsync();
        }
    }

    /// <summary>
    /// Reads the input ahead (<paramref name="observe"/> sees each id on the reading thread) and writes every row,
    /// counting them and reaching the run's per-row checkpoints (not again those an earlier pass reached). Stops
    /// and returns false as soon as <paramref name="stop"/> says so (checked before each row and at the end).
    /// </summary>
    private static async Task<bool> StreamAsync(StagingWriter writer, IAsyncEnumerable<PaymentRecord> payments, Action<string>? observe, RunPoints run, Counts counts, Func<bool>? stop, CancellationToken cancellationToken)
    {
        await foreach (var (incoming, line) in payments.ReadAheadAsync(observe is null ? null : record => observe(record.Payment.PaymentId), cancellationToken: cancellationToken))
        {
            run.Options.CrashIfDue(counts.Rows);
            if (counts.Rows > counts.Reached)
            {
                counts.Reached = counts.Rows;
                await run.ReachAsync(IngestCheckpoint.AfterRow, counts.Rows, cancellationToken);
            }

            if (stop?.Invoke() == true)
            {
                return false;
            }

            counts.Rows++;
            await writer.WriteAsync(line, incoming, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
        return stop?.Invoke() != true;
    }

    private static async Task DropStagingAsync(Provider provider, DbConnection connection, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Seeded.Has(Flaw.BumpsIdenticalRows))
        {
            await BumpStagedRowsAsync(provider, connection, transaction, now, cancellationToken);
        }

        if (provider.Dialect.Staging.Drop is { } drop)
        {
            await using var command = Query(provider, connection, transaction, drop);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<bool> AnyStoredAsync(Provider provider, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await CountAsync(provider, connection, transaction, provider.Dialect.Staging.AnyStored, cancellationToken) == 1;

    private static Task<long> CountIdenticalAsync(Provider provider, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        CountAsync(provider, connection, transaction, provider.Dialect.Staging.CountIdentical, cancellationToken);

    private static async Task<long> CountAsync(Provider provider, DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Query(provider, connection, transaction, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a staged write (<see cref="StagingSql.InsertNew"/>, <see cref="StagingSql.UpdateChanged"/>) with @processed_at bound as the payments statements bind it; returns its affected rows.</summary>
    private static async Task<long> ExecuteStagedAsync(Provider provider, DbConnection connection, DbTransaction transaction, string sql, DateTimeOffset processedAt, CancellationToken cancellationToken)
    {
        await using var command = PaymentsTable.Command(provider, connection, transaction, sql, PaymentsSql.ProcessedAt);
        provider.Dialect.NoTimeout(command);
        command.Parameters[0].Value = provider.Dialect.TimestampParameter(processedAt);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A statement over the staging table, which may run long on a large input: no command timeout where the engine allows.</summary>
    private static DbCommand Query(Provider provider, DbConnection connection, DbTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = DbCommands.Create(connection, transaction, sql, parameters);
        provider.Dialect.NoTimeout(command);
        return command;
    }

    /// <summary>How many staged rows repeat an earlier identical one, and the first that repeats an id with another payload or status.</summary>
    private static async Task<(long Duplicates, IdempotencyConflictException? Conflict)> RepeatsAsync(Provider provider, DbConnection connection, DbTransaction transaction, SeenIds seen, CancellationToken cancellationToken)
    {
        if (!seen.MaybeRepeated)
        {
            return (0, null);
        }

        var ids = seen.AllRowsNeeded ? [] : seen.Suspects.ToArray();
        await using var command = Query(provider, connection, transaction, provider.Dialect.Staging.RowsById(ids.Length),
            ids.Select((id, i) => ($"@id{i.ToString(CultureInfo.InvariantCulture)}", (object)id)).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long duplicates = 0;
        (long Line, Payment Payment)? first = null;
        IdempotencyConflictException? conflict = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var (line, payment) = (reader.GetInt64(0), ReadPayment(provider, reader, 1));
            if (first is not { } earlier || earlier.Payment.PaymentId != payment.PaymentId)
            {
                first = (line, payment);
            }
            else if (earlier.Payment.IdenticalTo(payment))
            {
                duplicates++;
            }
            else if (conflict is null || line < conflict.Line)
            {
                conflict = new IdempotencyConflictException(payment.PaymentId, line,
                    $"line {earlier.Line} has the same id with {Describe(earlier.Payment)}; this line has {Describe(payment)}");
            }
        }

        return (duplicates, conflict);
    }

    private sealed record Mismatch(long Line, Payment Incoming, Payment Stored);

    /// <summary>The earliest staged row (before line <paramref name="before"/>, when given) that the table holds otherwise.</summary>
    private static async Task<Mismatch?> FirstMismatchAsync(Provider provider, DbConnection connection, DbTransaction transaction, long? before, CancellationToken cancellationToken)
    {
        var sql = provider.Dialect.Staging.Mismatches(before is not null);
        await using var command = before is { } line
            ? Query(provider, connection, transaction, sql, (StagingSql.Line, line))
            : Query(provider, connection, transaction, sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var incoming = ReadPayment(provider, reader, 1);
        var stored = new Payment(incoming.PaymentId, reader.GetString(6), provider.Dialect.ReadAmount(reader, 7), reader.GetString(8), reader.GetString(9));
        return new Mismatch(reader.GetInt64(0), incoming, stored);
    }

    private static async Task<UnwrittenRowException?> FirstUnwrittenAsync(Provider provider, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Query(provider, connection, transaction, provider.Dialect.Staging.Unwritten);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new UnwrittenRowException(reader.GetString(1), reader.GetInt64(0)) : null;
    }

    private static IdempotencyConflictException TableConflict(Mismatch mismatch) =>
        new(mismatch.Incoming.PaymentId, mismatch.Line,
            $"the table has {Describe(mismatch.Stored)}; this line has {Describe(mismatch.Incoming)}; refusing to overwrite");

    private static Payment ReadPayment(Provider provider, DbDataReader reader, int at) =>
        new(reader.GetString(at), reader.GetString(at + 1), provider.Dialect.ReadAmount(reader, at + 2), reader.GetString(at + 3), reader.GetString(at + 4));

    private static string Describe(Payment? payment) => payment is null
        ? "no row"
        : $"user_id '{payment.UserId}', amount {Amount.ToCanonicalString(payment.Amount)} {payment.Currency}, status '{payment.Status}'";

    /// <summary>Rolls back; false when the rollback failed (the connection is gone or the transaction was already ended): either way nothing committed.</summary>
    private static Task<bool> RollbackQuietlyAsync(DbTransaction transaction) => EndQuietlyAsync(transaction, commit: false);

    private static async Task<bool> EndQuietlyAsync(DbTransaction transaction, bool commit)
    {
        try
        {
            await (commit ? transaction.CommitAsync(CancellationToken.None) : transaction.RollbackAsync(CancellationToken.None));
            return true;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            return false;
        }
    }

    private sealed class Counts
    {
        public long Rows;
        public long Inserted;
        public long Updated;
        public long Unchanged;
        public long Duplicates;

        /// <summary>The last row count an after-row checkpoint was reached at: a second pass over the input does not reach them again.</summary>
        public long Reached;

        public WritePath Path = WritePath.Staged;

        /// <summary>A shortcut that did not hold: the staged way reads the input again from its first row.</summary>
        public void StartStaged() => (Rows, Path) = (0, WritePath.Staged);

        public IngestCounts Snapshot() => Seeded.Has(Flaw.MiscountsUpdatesAsInserts)
            ? new(Rows, Inserted + Updated, 0, Unchanged, Duplicates)
            : new(Rows, Inserted, Updated, Unchanged, Duplicates);
    }
}
