using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// The seed's script, kept as the negative control: autocommit, one plain INSERT per row. A crash after N rows
/// leaves N rows; a rerun fails on the primary key. The suite shows both, so the robust strategy's guarantees
/// are seen to matter.
/// </summary>
internal sealed class UnreliableIngest : IIngestStrategy
{
    public string Name => "unreliable";

    public async Task<IngestResult> RunAsync(Provider provider, string connectionString, IAsyncEnumerable<PaymentRecord> payments, IngestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(options);
        long rows = 0;
        try
        {
            await using var connection = await provider.OpenAsync(connectionString, cancellationToken);
            await PaymentsTable.EnsureAsync(provider, connection, cancellationToken);
            await using var insert = PaymentsTable.WriteCommand(provider, connection, null, provider.Sql.Insert);
            var now = options.Now();
            await foreach (var record in payments.WithCancellation(cancellationToken))
            {
                options.CrashIfDue(rows);
                PaymentsTable.Bind(provider, insert, record.Payment, now);
                await insert.ExecuteNonQueryAsync(cancellationToken);
                rows++;
            }

            options.CrashIfDue(rows);
            return new IngestResult(Name, new IngestCounts(rows, rows, 0, 0, 0), null);
        }
        catch (Exception e) when (e is not (OperationCanceledException or InputException))
        {
            return new IngestResult(Name, new IngestCounts(rows, rows, 0, 0, 0),
                Failures.Describe(provider, e, connectionString, rolledBack: false));
        }
    }
}
