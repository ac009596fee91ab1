using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>A way of writing payments into the payments table of one database.</summary>
public interface IIngestStrategy
{
    /// <summary><c>robust</c>, <c>unreliable</c> or <c>check-then-insert</c>: the CLI's <c>--strategy</c> value.</summary>
    string Name { get; }

    /// <summary>Ingests <paramref name="payments"/>; never throws for database failures or injected crashes: they are in the result.</summary>
    Task<IngestResult> RunAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, CancellationToken cancellationToken = default);
}

/// <summary>The strategies by name.</summary>
public static class IngestStrategies
{
    public static IIngestStrategy Robust { get; } = new RobustIngest();

    /// <summary>The payments lesson's unreliable script: autocommit, plain INSERT per row.</summary>
    public static IIngestStrategy Unreliable { get; } = new UnreliableIngest("unreliable", checkFirst: false);

    /// <summary>Autocommit, SELECT then INSERT when absent: rerunnable alone, racy together.</summary>
    public static IIngestStrategy CheckThenInsert { get; } = new UnreliableIngest("check-then-insert", checkFirst: true);

    public static IReadOnlyList<IIngestStrategy> All { get; } = [Robust, Unreliable, CheckThenInsert];

    public static IIngestStrategy? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
