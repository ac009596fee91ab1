using System.Data;
using System.Data.Common;
using System.Globalization;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Interleavings;

/// <summary>What one interleaving did, summed up in one word, with every step for the report.</summary>
/// <param name="Scenario">The scenario id: <c>isolation</c> or <c>concurrent-writers</c>.</param>
/// <param name="Check">What was run, e.g. <c>lost-update@read-committed</c>.</param>
/// <param name="Outcome">
/// The anomaly when it happened (<c>lost-update</c>, <c>read-skew</c>, <c>write-skew</c>); else the error that
/// prevented it (<c>serialization-failure</c>, <c>deadlock</c>, <c>busy</c>, <c>unique-violation</c>, …); else
/// <c>consistent</c> (or, for a race, <c>both-succeed</c>).
/// </param>
/// <param name="Trace">Every step and what it did.</param>
/// <param name="NotApplicableReason">Why the check does not apply to this engine (then <paramref name="Outcome"/> is <see cref="Expectation.NotApplicable"/> and nothing ran).</param>
public sealed record InterleavingObservation(string Scenario, string Check, string Outcome, IReadOnlyList<StepResult> Trace, string? NotApplicableReason = null)
{
    public override string ToString() => $"{Scenario} {Check}: {Outcome}{(NotApplicableReason is null ? string.Empty : $" ({NotApplicableReason})")}{Environment.NewLine}{string.Join(Environment.NewLine, Trace)}";
}

/// <summary>
/// Isolation anomalies from Hermitage's catalogue (github.com/ept/hermitage), each a fixed script of two
/// sessions on a two-row table (1, 10), (2, 20), run at an isolation level the engine offers:
/// <list type="bullet">
/// <item><c>lost-update</c> (P4): both read row 1, both write it from what they read, both commit.</item>
/// <item><c>read-skew</c> (G-single): T1 reads row 1; T2 changes rows 1 and 2 and commits; T1 reads row 2.</item>
/// <item><c>write-skew</c> (G2-item): both read both rows; each writes a different row; both commit.</item>
/// </list>
/// </summary>
public static class IsolationScenario
{
    public const string Id = "isolation";

    public const string Table = "isolation_probe";

    public static IReadOnlyList<string> Anomalies { get; } = ["lost-update", "read-skew", "write-skew"];

    public static string Check(string anomaly, IsolationLevel level) => $"{anomaly}@{Isolation.Spelling(level)}";

    public static async Task<InterleavingObservation> RunAsync(Provider provider, string connectionString, string anomaly, IsolationLevel level, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var table = provider.Dialect.Quote(Table);
        await ResetAsync(provider, connectionString, table, cancellationToken);

        ScriptStep Read(int session, int id) => new(session, $"read id={id}", async (s, ct) =>
        {
            await using var command = s.Command($"SELECT value FROM {table} WHERE id = @id", ("@id", id));
            return [Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture)];
        });

        ScriptStep Write(int session, int id, int value) => new(session, $"write id={id} value={value}", async (s, ct) =>
        {
            await using var command = s.Command($"UPDATE {table} SET value = @value WHERE id = @id", ("@value", value), ("@id", id));
            await command.ExecuteNonQueryAsync(ct);
            return null;
        });

        ScriptStep Begin(int session) => Scheduler.Begin(provider, session, level);

        IReadOnlyList<ScriptStep> script = anomaly switch
        {
            "lost-update" =>
            [
                Begin(1), Begin(2),
                Read(1, 1), Read(2, 1),
                Write(1, 1, 11), Write(2, 1, 11),
                Scheduler.Commit(1), Scheduler.Commit(2),
            ],
            "read-skew" =>
            [
                Begin(1), Begin(2),
                Read(1, 1), Read(2, 1), Read(2, 2),
                Write(2, 1, 12), Write(2, 2, 18), Scheduler.Commit(2),
                Read(1, 2), Scheduler.Commit(1),
            ],
            "write-skew" =>
            [
                Begin(1), Begin(2),
                Read(1, 1), Read(1, 2), Read(2, 1), Read(2, 2),
                Write(1, 1, 11), Write(2, 2, 21),
                Scheduler.Commit(1), Scheduler.Commit(2),
            ],
            _ => throw new ArgumentException($"unknown anomaly '{anomaly}'; known: {string.Join(", ", Anomalies)}", nameof(anomaly)),
        };

        var trace = await Scheduler.RunAsync(provider, connectionString, 2, script, cancellationToken);
        return new InterleavingObservation(Id, Check(anomaly, level), Summarize(anomaly, trace), trace);
    }

    private static string Summarize(string anomaly, IReadOnlyList<StepResult> trace)
    {
        bool Committed(int session) => trace.Any(r => r.Session == session && r.Action == "commit" && r.Error is null && !r.Skipped);
        var firstError = trace.FirstOrDefault(r => r.Error is not null)?.Error;

        var happened = anomaly switch
        {
            "lost-update" => Committed(1) && Committed(2),
            "write-skew" => Committed(1) && Committed(2),
            // T1 read row 1 before T2's change and row 2 after it: 10 + 18, a total that never existed.
            "read-skew" => Committed(1) && trace.Where(r => r.Session == 1 && r.Values is not null).SelectMany(r => r.Values!).SequenceEqual([10L, 18L]),
            _ => false,
        };

        return happened ? anomaly : firstError?.Spelling() ?? "consistent";
    }

    private static async Task ResetAsync(Provider provider, string connectionString, string table, CancellationToken cancellationToken)
    {
        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        foreach (var sql in new[]
        {
            $"DROP TABLE IF EXISTS {table}",
            $"CREATE TABLE {table} (id INTEGER NOT NULL PRIMARY KEY, value INTEGER NOT NULL)",
            $"INSERT INTO {table} (id, value) VALUES (1, 10)",
            $"INSERT INTO {table} (id, value) VALUES (2, 20)",
        })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
