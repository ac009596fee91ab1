namespace PaymentsPipeline;

/// <summary>One payment to load. <see cref="PaymentId"/> is the idempotency key; money is a decimal, never a double.</summary>
public sealed record Payment(string PaymentId, string CustomerId, decimal Amount, string Currency, DateOnly BookedOn);
