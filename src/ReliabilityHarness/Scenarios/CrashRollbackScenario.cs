using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios;

/// <summary>What a crashed run left behind.</summary>
/// <param name="Strategy">The strategy that crashed.</param>
/// <param name="CrashAfter">Rows handled before the crash.</param>
/// <param name="Result">The run's result (a simulated-crash failure, unless something else failed first).</param>
/// <param name="Before">The table before the run.</param>
/// <param name="After">The table after the crash, read on a fresh connection.</param>
public sealed record CrashRollbackObservation(string Strategy, long CrashAfter, IngestResult Result, IReadOnlyList<StoredPayment> Before, IReadOnlyList<StoredPayment> After)
{
    public bool TableUnchanged => Snapshots.Same(Before, After);

    /// <summary><c>clean</c>: the table is exactly as before; <c>partial</c>: the crash left writes behind.</summary>
    public string Outcome => TableUnchanged ? "clean" : "partial";
}

/// <summary>
/// Crash rollback: a run that crashes part-way must leave no partial state. The robust strategy's table is
/// byte-for-byte what it was; the unreliable strategy keeps what it wrote (the negative control).
/// </summary>
public static class CrashRollbackScenario
{
    public const string Id = "crash-rollback";

    /// <param name="existing">Rows committed before the crashing run (so a crash is also tested against updates).</param>
    /// <param name="crashAfter">Input rows handled before the crash (<see cref="IngestOptions.CrashAfterRows"/>).</param>
    /// <param name="crashAt">Or the named point of the run's first attempt to crash at (<see cref="IngestCheckpoint"/>), such as <see cref="IngestCheckpoint.AfterInserts"/>.</param>
    public static async Task<CrashRollbackObservation> RunAsync(Provider provider, string connectionString, IIngestStrategy strategy,
        IReadOnlyList<PaymentRecord> existing, IReadOnlyList<PaymentRecord> input, long crashAfter, string? crashAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var clock = new SteppingClock();
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        if (existing.Count > 0)
        {
            var seeded = await IngestStrategies.Robust.RunAsync(provider, connectionString, existing.AsStream(), new IngestOptions(Time: clock), cancellationToken);
            if (!seeded.Succeeded)
            {
                throw new InvalidOperationException($"seeding the table failed: {seeded.Failure!.Message}");
            }
        }

        var before = await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken);
        var options = crashAt is null
            ? new IngestOptions(crashAfter, clock)
            : new IngestOptions(Time: clock, Checkpoint: (checkpoint, _) => checkpoint.Attempt == 1 && checkpoint.Point == crashAt
                ? throw new SimulatedCrashException(checkpoint.RowsHandled)
                : Task.CompletedTask);
        var result = await strategy.RunAsync(provider, connectionString, input.AsStream(), options, cancellationToken);
        var after = await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken);
        return new CrashRollbackObservation(strategy.Name, crashAfter, result, before, after);
    }
}

/// <summary>Comparisons of table snapshots.</summary>
public static class Snapshots
{
    /// <summary>Same rows with every column as the driver returned it: byte-for-byte as far as a client can see.</summary>
    public static bool Same(IReadOnlyList<StoredPayment> a, IReadOnlyList<StoredPayment> b) =>
        a.Select(r => r.Raw).SequenceEqual(b.Select(r => r.Raw), StringComparer.Ordinal);
}
