namespace ReliabilityHarness.Ingest;

/// <summary>The crash <c>--crash-after N</c> injects, as the lesson's unreliable script would be: thrown where a real failure could strike.</summary>
public sealed class SimulatedCrashException(long rowsHandled)
    : Exception($"simulated crash after {rowsHandled} row(s)")
{
    public long RowsHandled { get; } = rowsHandled;
}

/// <summary>
/// An input row the engine skipped without an error: after the run's inserts its id is not stored. MariaDB's
/// <c>ON DUPLICATE KEY</c> skips a row that breaks any unique key of the table, not only payment_id's; a constraint
/// violation, never retried.
/// </summary>
public sealed class UnwrittenRowException(string paymentId, long line)
    : Exception($"payment_id '{paymentId}' (line {line}) was not written: the engine skipped it on a unique key of the table other than payment_id")
{
    public string PaymentId { get; } = paymentId;

    public long Line { get; } = line;
}

/// <summary>The same idempotency key with another payload: refused, never overwritten.</summary>
public sealed class IdempotencyConflictException(string paymentId, long line, string detail)
    : Exception($"idempotency-key conflict on payment_id '{paymentId}' at line {line}: {detail}")
{
    public string PaymentId { get; } = paymentId;

    public long Line { get; } = line;
}

/// <summary>
/// The transaction ran into another writer in a way a whole rerun resolves: a statement that skips stored keys met
/// a duplicate key another writer committed after this transaction's snapshot (DuckDB reports it as a constraint
/// error, <see cref="Providers.Dialect.IsUnseenKey"/>), or a first load could not be rolled back to go the
/// staged way. Nothing in the input is wrong; it is retried.
/// </summary>
public sealed class TransientConflictException(string message, Exception inner) : Exception(message, inner);
