using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Faults;

/// <summary>What an ingest did when the server ended its session mid-transaction.</summary>
/// <param name="Result">The run's result: the robust strategy retries on a new connection.</param>
/// <param name="Severed">The failures the sever caused (retried, for the robust strategy).</param>
/// <param name="After">The table afterwards.</param>
public sealed record SeveredConnectionObservation(string Strategy, long SeveredAfterRows, IngestResult Result, IReadOnlyList<IngestFailure> Severed, IReadOnlyList<Payment> Input, IReadOnlyList<StoredPayment> After)
{
    /// <summary>
    /// <c>retried</c>: the run failed on the severed connection, was run again and left each payment once;
    /// <c>partial</c>: it left part of the input; <c>failed-clean</c>: it failed and left nothing.
    /// </summary>
    public string Outcome =>
        Result.Succeeded && Severed.Count > 0 && After.Select(r => r.Payment).SequenceEqual(Input.OrderBy(p => p.PaymentId, StringComparer.Ordinal)) ? "retried"
        : After.Count == 0 ? "failed-clean"
        : "partial";
}

/// <summary>
/// Real crashes, second kind: the server ends the ingest's session mid-transaction, from another connection,
/// as an operator or a failover would (<c>pg_terminate_backend</c>, <c>KILL</c>). The client must fail with a
/// clear error, the engine must roll the transaction back, and the robust strategy's retry must not apply
/// anything twice.
/// </summary>
public static class SeveredConnectionScenario
{
    public const string Id = "severed-connection";

    public static async Task<SeveredConnectionObservation> RunAsync(Provider provider, string connectionString, IIngestStrategy strategy,
        IReadOnlyList<PaymentRecord> input, long severAfterRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(input);
        _ = provider.Dialect.TerminateSessionSql
            ?? throw new NotSupportedException($"{provider.DisplayName} has no server session to sever: a crash of the process that holds the database is the process-kill scenario");
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);

        var severed = new List<IngestFailure>();
        var options = new IngestOptions(
            OnRetry: (_, failure) => severed.Add(failure),
            Checkpoint: async (checkpoint, ct) =>
            {
                if (checkpoint is { Attempt: 1, Point: IngestCheckpoint.AfterRow } && checkpoint.RowsHandled == severAfterRows)
                {
                    await TerminateAsync(provider, connectionString, checkpoint, ct);
                }
            });

        var result = await strategy.RunAsync(provider, connectionString, input.AsStream(), options, cancellationToken);
        if (result.Failure is { } final)
        {
            severed.Add(final);
        }

        provider.Dialect.ClearPools();
        var after = await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken);
        return new SeveredConnectionObservation(strategy.Name, severAfterRows, result, severed, input.Select(r => r.Payment).ToList(), after);
    }

    /// <summary>Ends the session of the run at <paramref name="checkpoint"/> from another connection, as the server's operator would.</summary>
    public static async Task TerminateAsync(Provider provider, string connectionString, IngestCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var admin = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        await using var command = DbCommands.Create(admin, null,
            provider.Dialect.TerminateSessionSql ?? throw new NotSupportedException($"{provider.DisplayName} has no server session to sever"),
            ("@session", checkpoint.SessionId ?? throw new InvalidOperationException("the run's session id is unknown")));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
