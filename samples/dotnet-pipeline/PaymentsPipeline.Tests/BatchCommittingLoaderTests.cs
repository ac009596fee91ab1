using System.Data.Common;
using NUnit.Framework;
using ReliabilityHarness.NUnit;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Providers;

namespace PaymentsPipeline.Tests;

/// <summary>
/// The flawed loader: it commits every 100 payments, so a crash after a commit leaves part of the day loaded. Its
/// Atomic test passes only while the harness sees that happen (a negative control); every other property holds.
/// </summary>
[TestFixtureSource(typeof(PipelineEngines), nameof(PipelineEngines.All))]
public sealed class BatchCommittingLoaderTests(Provider provider) : PipelineFixture(provider)
{
    protected override IReadOnlyList<string> Tables => [PaymentsTable.Name];

    protected override IReadOnlyCollection<string> KnownViolations => [PipelineProperty.Atomic];

    protected override Task SetUpAsync(DbConnection connection, CancellationToken cancellationToken) =>
        PaymentsTable.ResetAsync(PaymentsTable.DialectOf(Provider), connection, cancellationToken);

    protected override async Task RunPipelineAsync(PipelineDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await new BatchCommittingLoader(PaymentsTable.DialectOf(Provider)).LoadAsync(connection, SamplePayments.All, cancellationToken);
    }
}
