namespace ReliabilityHarness.Ingest;

/// <summary>The crash <c>--crash-after N</c> injects, as the seed's script did: thrown where a real failure could strike.</summary>
public sealed class SimulatedCrashException(long rowsHandled)
    : Exception($"simulated crash after {rowsHandled} row(s)")
{
    public long RowsHandled { get; } = rowsHandled;
}

/// <summary>The same idempotency key with another payload: refused, never overwritten.</summary>
public sealed class IdempotencyConflictException(string paymentId, long line, string detail)
    : Exception($"idempotency-key conflict on payment_id '{paymentId}' at line {line}: {detail}")
{
    public string PaymentId { get; } = paymentId;

    public long Line { get; } = line;
}

/// <summary>
/// A statement that skips stored keys (the staged insert of new ids) met a duplicate key anyway: a key another writer
/// committed that this transaction's snapshot cannot see (DuckDB reports it as a constraint error). Nothing in the
/// input is wrong; rerunning the whole transaction sees the other writer's row and skips it, so it is retried.
/// </summary>
public sealed class ConcurrentKeyException(Exception inner)
    : Exception($"another writer committed a payment id this transaction could not see: {inner.Message.Split('\n', 2)[0].Trim()}", inner);
