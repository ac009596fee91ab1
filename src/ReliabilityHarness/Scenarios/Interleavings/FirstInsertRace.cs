using System.Data;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Interleavings;

/// <summary>
/// Two writers insert the same new payment id at once, each in its own transaction, forced into the worst order:
/// both look before either writes. <c>check-then-insert</c> (SELECT, then INSERT when absent) is the negative
/// control; <c>upsert</c> is the provider's dialect upsert; a provider's unreliable upsert variants run too
/// (PostgreSQL's MERGE: the first writer merges and holds its transaction, the second's MERGE blocks on its key,
/// the first commits, the second fails), except those raced only freely (<see cref="BarrierRace"/>: SQL Server's
/// MERGE without HOLDLOCK, whose race lies inside one statement).
/// </summary>
public static class FirstInsertRace
{
    public const string Id = "concurrent-writers";

    public const string CheckThenInsert = "check-then-insert";

    public const string Upsert = "upsert";

    public static IEnumerable<string> Variants(Provider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return new[] { CheckThenInsert, Upsert }.Concat(provider.Dialect.UnreliableUpserts.Keys.Except(provider.Dialect.RacedOnlyUpserts));
    }

    public static string Check(string variant, IsolationLevel level) => $"first-insert:{variant}@{Isolation.Spelling(level)}";

    public static async Task<InterleavingObservation> RunAsync(Provider provider, string connectionString, string variant, IsolationLevel level, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (await UnavailableAsync(provider, connectionString, variant, cancellationToken) is { } reason)
        {
            return new InterleavingObservation(Id, Check(variant, level), Expectation.NotApplicable, [], reason);
        }

        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        var payment = new Payment("pay_race", "user_race", 42.5m, "EUR", "captured");
        var at = new SteppingClock().GetUtcNow();

        ScriptStep Look(int session) => new(session, "select pay_race", async (s, ct) =>
        {
            await using var select = PaymentsTable.Command(provider, s.Connection, s.Transaction, provider.Dialect.Sql.SelectById, PaymentsSql.PaymentId);
            return [await PaymentsTable.FindAsync(provider, select, payment.PaymentId, ct) is null ? 0L : 1L];
        });

        ScriptStep Write(int session, string action, string sql) => new(session, action, async (s, ct) =>
        {
            await using var command = PaymentsTable.WriteCommand(provider, s.Connection, s.Transaction, sql);
            PaymentsTable.Bind(provider, command, payment, at);
            return [await command.ExecuteNonQueryAsync(ct)];
        });

        IReadOnlyList<ScriptStep> script = variant switch
        {
            CheckThenInsert =>
            [
                Scheduler.Begin(provider, 1, level), Scheduler.Begin(provider, 2, level),
                Look(1), Look(2),
                Write(1, "insert pay_race", provider.Dialect.Sql.Insert), Write(2, "insert pay_race", provider.Dialect.Sql.Insert),
                Scheduler.Commit(1), Scheduler.Commit(2),
            ],
            _ =>
            [
                Scheduler.Begin(provider, 1, level), Scheduler.Begin(provider, 2, level),
                Write(1, $"{variant} pay_race", UpsertSql(provider, variant)), Write(2, $"{variant} pay_race", UpsertSql(provider, variant)),
                Scheduler.Commit(1), Scheduler.Commit(2),
            ],
        };

        var trace = await Scheduler.RunAsync(provider, connectionString, 2, script, cancellationToken);
        var rows = (await PaymentsTable.ReadAllAsync(provider, connectionString, cancellationToken)).Count(r => r.Payment.PaymentId == payment.PaymentId);
        var bothCommitted = trace.Count(r => r.Action == "commit" && r.Error is null && !r.Skipped) == 2;
        var outcome = bothCommitted
            ? rows == 1 ? "both-succeed" : $"duplicate ({rows} rows)"
            : trace.First(r => r.Error is not null).Error!.Value.Spelling();
        return new InterleavingObservation(Id, Check(variant, level), outcome, trace);
    }

    /// <summary>The statement of an upsert variant: <c>upsert</c>, the dialect's own, or one of its unreliable variants.</summary>
    public static string UpsertSql(Provider provider, string variant)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return variant == Upsert ? provider.Dialect.Sql.Upsert
            : provider.Dialect.UnreliableUpserts.TryGetValue(variant, out var sql) ? sql
            : throw new ArgumentException($"{provider.DisplayName} has no upsert variant '{variant}'", nameof(variant));
    }

    /// <summary>Why the server cannot run <paramref name="variant"/> (its version lacks the statement), or null.</summary>
    internal static async Task<string?> UnavailableAsync(Provider provider, string connectionString, string variant, CancellationToken cancellationToken)
    {
        if (variant is CheckThenInsert or Upsert)
        {
            return null;
        }

        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        return provider.Dialect.UpsertUnavailable(connection, variant);
    }
}
