using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios;

/// <summary>Three runs of the same input and the table after each.</summary>
public sealed record RerunObservation(
    string Strategy,
    IngestResult First,
    IngestResult Second,
    IngestResult Third,
    IReadOnlyList<StoredPayment> AfterFirst,
    IReadOnlyList<StoredPayment> AfterSecond,
    IReadOnlyList<StoredPayment> AfterThird)
{
    public bool SecondLeftTableIdentical => Snapshots.Same(AfterFirst, AfterSecond);

    public bool ThirdLeftTableIdentical => Snapshots.Same(AfterSecond, AfterThird);

    /// <summary>
    /// <c>unchanged</c>: the reruns succeeded, wrote nothing and left the table identical; <c>constraint-violation</c>:
    /// a rerun failed on a key; <c>changed</c>: a rerun succeeded but altered the table; else the failure kind.
    /// </summary>
    public string Outcome => (Second.Failure ?? Third.Failure) switch
    {
        { Kind: FailureKind.ConstraintViolation } => "constraint-violation",
        { } failure => failure.Kind.ToString(),
        null when SecondLeftTableIdentical && ThirdLeftTableIdentical
            && Second.Counts.Inserted + Second.Counts.Updated + Third.Counts.Inserted + Third.Counts.Updated == 0 => "unchanged",
        null => "changed",
    };
}

/// <summary>
/// Rerun idempotency: running the same input again must change nothing and charge no one twice. Every run
/// stamps a later processed_at (<see cref="SteppingClock"/>), so a rerun that wrote anything shows.
/// </summary>
public static class RerunIdempotencyScenario
{
    public const string Id = "rerun-idempotency";

    public static async Task<RerunObservation> RunAsync(Provider provider, string connectionString, IIngestStrategy strategy,
        IReadOnlyList<PaymentRecord> input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var options = new IngestOptions(Time: new SteppingClock());
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);

        async Task<(IngestResult, IReadOnlyList<StoredPayment>)> RunOnceAsync() =>
            (await strategy.RunAsync(provider, connectionString, input.AsStream(), options, cancellationToken),
             await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken));

        var (first, afterFirst) = await RunOnceAsync();
        var (second, afterSecond) = await RunOnceAsync();
        var (third, afterThird) = await RunOnceAsync();
        return new RerunObservation(strategy.Name, first, second, third, afterFirst, afterSecond, afterThird);
    }
}
