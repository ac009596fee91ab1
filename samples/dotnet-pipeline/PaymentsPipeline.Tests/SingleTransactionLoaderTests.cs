using System.Data.Common;
using NUnit.Framework;
using ReliabilityHarness.NUnit;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Providers;

namespace PaymentsPipeline.Tests;

/// <summary>The fixed loader: one transaction, the same statements. Every property holds, on every engine.</summary>
[TestFixtureSource(typeof(PipelineEngines), nameof(PipelineEngines.All))]
public sealed class SingleTransactionLoaderTests(Provider provider) : PipelineFixture(provider)
{
    protected override IReadOnlyList<string> Tables => [PaymentsTable.Name];

    protected override Task SetUpAsync(DbConnection connection, CancellationToken cancellationToken) =>
        PaymentsTable.ResetAsync(PaymentsTable.DialectOf(Provider), connection, cancellationToken);

    protected override async Task RunPipelineAsync(PipelineDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await new SingleTransactionLoader(PaymentsTable.DialectOf(Provider)).LoadAsync(connection, SamplePayments.All, cancellationToken);
    }
}
