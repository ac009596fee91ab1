namespace ReliabilityHarness.Payments;

/// <summary>One payment as the CSV contract defines it. <see cref="PaymentId"/> is the idempotency key.</summary>
public sealed record Payment(string PaymentId, string UserId, decimal Amount, string Currency, string Status)
{
    /// <summary>
    /// Whether <paramref name="other"/> carries the same idempotency-protected payload (who, how much, which
    /// currency). A different status is an allowed update; a different payload under the same key is a conflict.
    /// </summary>
    public bool SamePayloadAs(Payment other) =>
        UserId == other.UserId && Amount == other.Amount && Currency == other.Currency;

    /// <summary>Same payload and same status: re-ingesting it must write nothing.</summary>
    public bool IdenticalTo(Payment other) => SamePayloadAs(other) && Status == other.Status;
}

/// <summary>A payment and the line of the input it came from (for error messages).</summary>
public sealed record PaymentRecord(Payment Payment, long Line);
