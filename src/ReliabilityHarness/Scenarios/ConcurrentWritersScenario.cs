using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios;

/// <summary>What K writers ingesting overlapping payments at once left behind.</summary>
/// <param name="Strategy">The strategy every writer used.</param>
/// <param name="Results">Each writer's result, in writer order.</param>
/// <param name="Expected">Every distinct payment of all inputs: what one serial run would leave.</param>
/// <param name="Table">The table afterwards.</param>
public sealed record ConcurrentWritersObservation(string Strategy, IReadOnlyList<IngestResult> Results, IReadOnlyList<Payment> Expected, IReadOnlyList<StoredPayment> Table)
{
    /// <summary>The table holds exactly the payments a serial run would: each once, with its exact amount.</summary>
    public bool TableMatchesSerialRun =>
        Table.Select(r => r.Payment).SequenceEqual(Expected.OrderBy(p => p.PaymentId, StringComparer.Ordinal));

    public int Attempts => Results.Sum(r => r.Attempts);

    /// <summary>
    /// <c>all-succeed</c> when every writer succeeded and the table is what a serial run leaves; otherwise the
    /// kind of the first failure (<c>unique-violation</c>, <c>busy</c>, …) or <c>wrong-table</c>.
    /// </summary>
    public string Outcome =>
        Results.FirstOrDefault(r => r.Failure is not null)?.Failure is { } failure
            ? failure.ErrorKind?.Spelling() ?? failure.Kind.ToString()
            : TableMatchesSerialRun ? "all-succeed" : "wrong-table";
}

/// <summary>
/// Concurrent writers: K sessions ingest overlapping sets of payments into one table at the same moment, each
/// in its own shuffled order (so robust writers can deadlock and must retry). The robust strategy must leave
/// what a serial run leaves, every writer succeeding; the unreliable ones show what they do instead.
/// </summary>
public static class ConcurrentWritersScenario
{
    public const string Id = "concurrent-writers";

    public static string Check(IIngestStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return $"stress:{strategy.Name}";
    }

    /// <param name="writers">How many writers run at once.</param>
    /// <param name="perWriter">Payments per writer; neighbouring writers share half of theirs.</param>
    public static async Task<ConcurrentWritersObservation> RunAsync(Provider provider, string connectionString, IIngestStrategy strategy,
        int writers = 4, int perWriter = 200, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);

        var universe = SamplePayments.Generate(perWriter / 2 * (writers + 1), seed: 7).ToList();
        var inputs = Enumerable.Range(0, writers).Select(w =>
        {
            var share = universe.Skip(w * perWriter / 2).Take(perWriter).ToList();
            new Random(w).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(share));
            return share;
        }).ToList();

        // Every writer is ready (connection pool warm, input built) before any starts: they begin together.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = inputs.Select(async input =>
        {
            await start.Task;
            return await strategy.RunAsync(provider, connectionString, input.AsStream(), new IngestOptions(), cancellationToken);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(3), cancellationToken);

        var expected = inputs.SelectMany(i => i).Select(r => r.Payment).DistinctBy(p => p.PaymentId).ToList();
        var table = await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken);
        return new ConcurrentWritersObservation(strategy.Name, results, expected, table);
    }
}
