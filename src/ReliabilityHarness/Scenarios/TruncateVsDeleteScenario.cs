using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios;

/// <summary>One check's observation: what the engine did, in the words the expectation profiles use.</summary>
/// <param name="Check">The check, e.g. <c>truncate-rollback</c>.</param>
/// <param name="Observed">What happened.</param>
/// <param name="Detail">What else is worth knowing (the engine's message, a timing); why, for a check that does not apply.</param>
public sealed record CheckObservation(string Check, string Observed, string? Detail = null)
{
    /// <summary>The check does not apply to the engine, and why (the engine's own words where it refused a statement).</summary>
    public static CheckObservation NotApplicable(string check, string reason) => new(check, Expectation.NotApplicable, reason);
}

/// <summary>
/// TRUNCATE against DELETE, observed on the engine: whether each rolls back, whether TRUNCATE commits what the
/// transaction wrote before it, whether it restarts the identity, whether a foreign key stops it, whether it
/// fires DELETE triggers, and how long each takes on 100,000 rows (a figure, not an expectation). Every statement
/// is sent to the engine, even where the engine is documented not to have it (SQLite's TRUNCATE, DuckDB's
/// triggers): its refusal, in its own words, is the observation, and a check that depends on a refused statement
/// is reported as not applicable with that refusal as the reason, never as a pass.
/// </summary>
public static class TruncateVsDeleteScenario
{
    public const string Id = "truncate-vs-delete";

    /// <summary>The checks with expectations (timing is a figure only).</summary>
    public static IReadOnlyList<string> Checks { get; } =
        ["delete-rollback", "truncate-rollback", "truncate-implicit-commit", "identity-reset", "fk-referenced", "delete-triggers"];

    public const string Timing = "timing";

    public const int TimingRows = 100_000;

    /// <summary>What <c>truncate-rollback</c> and <c>identity-reset</c> observe of a TRUNCATE the engine refused.</summary>
    public const string Refused = "refused";

    public static async Task<IReadOnlyList<CheckObservation>> RunAsync(Provider provider, string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        var run = new Run(provider, connection, cancellationToken);
        return
        [
            await run.DeleteRollbackAsync(),
            .. await run.TruncateRollbackAsync(),
            await run.IdentityResetAsync(),
            await run.ForeignKeyAsync(),
            await run.DeleteTriggersAsync(),
            await run.TimingAsync(),
        ];
    }

    private sealed class Run(Provider provider, DbConnection connection, CancellationToken cancellationToken)
    {
        private readonly string probe = provider.Dialect.Quote("tvd_probe");
        private readonly string log = provider.Dialect.Quote("tvd_log");
        private readonly string truncate = provider.Dialect.Truncate(provider.Dialect.Quote("tvd_probe"));

        /// <summary>What the engine said refusing a TRUNCATE of a table nothing references; null where it ran.</summary>
        private string? truncateRefused;

        public async Task<CheckObservation> DeleteRollbackAsync()
        {
            await ResetAsync(rows: 3);
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await ExecuteAsync($"DELETE FROM {probe}", transaction);
                await transaction.RollbackAsync(cancellationToken);
            }

            return new("delete-rollback", await CountAsync(probe) == 3 ? "restored" : "not-restored");
        }

        public async Task<IReadOnlyList<CheckObservation>> TruncateRollbackAsync()
        {
            await ResetAsync(rows: 3);

            // The transaction writes elsewhere first, then truncates, then rolls back: an engine that commits
            // before a TRUNCATE keeps that earlier write.
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await ExecuteAsync($"INSERT INTO {log} (note) VALUES (@note)", transaction, ("@note", "before"));
                truncateRefused = await RefusalAsync(truncate, transaction);
                await transaction.RollbackAsync(cancellationToken);
            }

            if (truncateRefused is not null)
            {
                return
                [
                    new("truncate-rollback", Refused, $"the engine said: {truncateRefused}"),
                    CheckObservation.NotApplicable("truncate-implicit-commit", $"TRUNCATE was refused ({truncateRefused}): nothing ran that could commit"),
                ];
            }

            var rows = await CountAsync(probe);
            var earlier = await CountAsync(log);
            return
            [
                new("truncate-rollback", rows == 3 ? "restored" : "not-restored", $"{rows} of 3 rows after ROLLBACK"),
                new("truncate-implicit-commit", earlier == 1 ? "committed" : "rolled-back",
                    earlier == 1 ? "the write made before TRUNCATE in the same transaction survived the ROLLBACK" : "the earlier write was rolled back with it"),
            ];
        }

        public async Task<CheckObservation> IdentityResetAsync()
        {
            await ResetAsync(rows: 3);
            await ExecuteAsync($"DELETE FROM {probe}");
            var afterDelete = await NextIdAsync() == 1 ? "restarts" : "continues";
            var refused = await RefusalAsync(truncate);
            var afterTruncate = refused is null ? await NextIdAsync() == 1 ? "restarts" : "continues" : Refused;
            return new("identity-reset", $"delete {afterDelete}, truncate {afterTruncate}", refused is null ? null : $"TRUNCATE: {refused}");
        }

        public async Task<CheckObservation> ForeignKeyAsync()
        {
            var parent = provider.Dialect.Quote("tvd_parent");
            var child = provider.Dialect.Quote("tvd_child");
            await ExecuteAsync($"DROP TABLE IF EXISTS {child}");
            await ExecuteAsync($"DROP TABLE IF EXISTS {parent}");
            await ExecuteAsync($"CREATE TABLE {parent} (id INTEGER NOT NULL PRIMARY KEY)");
            await ExecuteAsync($"CREATE TABLE {child} (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER REFERENCES {parent} (id))");
            await ExecuteAsync($"INSERT INTO {parent} (id) VALUES (@id)", null, ("@id", 1));
            var refusal = await RefusalAsync(provider.Dialect.Truncate(parent));
            if (refusal is not null && truncateRefused is not null)
            {
                // Refused whether or not a key references the table: the key is not what stops it.
                return CheckObservation.NotApplicable("fk-referenced", $"TRUNCATE is refused on a table no key references too ({truncateRefused}); here: {refusal}");
            }

            return refusal is null
                ? new("fk-referenced", "allowed", "the referenced table was truncated (its referencing table is empty)")
                : new("fk-referenced", Refused, refusal);
        }

        public async Task<CheckObservation> DeleteTriggersAsync()
        {
            await ResetAsync(rows: 3);
            foreach (var statement in provider.Dialect.DeleteTrigger(probe, log, "tvd_on_delete"))
            {
                if (await RefusalAsync(statement) is { } noTrigger)
                {
                    return CheckObservation.NotApplicable("delete-triggers", $"CREATE TRIGGER was refused: {noTrigger}");
                }
            }

            if (await RefusalAsync(truncate) is { } noTruncate)
            {
                return CheckObservation.NotApplicable("delete-triggers", $"TRUNCATE was refused: {noTruncate}");
            }

            var logged = await CountAsync(log);
            return new("delete-triggers", logged == 0 ? "not-fired" : "fired", $"{logged} trigger row(s) for 3 truncated rows");
        }

        public async Task<CheckObservation> TimingAsync()
        {
            await ResetAsync(rows: 0);
            await ExecuteAsync(provider.Dialect.Fill(probe), null, ("@count", TimingRows));
            var delete = await TimeAsync($"DELETE FROM {probe}");
            await ExecuteAsync(provider.Dialect.Fill(probe), null, ("@count", TimingRows));
            var clock = Stopwatch.StartNew();
            if (await RefusalAsync(truncate) is { } refused)
            {
                return new(Timing, "figure", $"DELETE of {TimingRows:N0} rows {delete.TotalMilliseconds:0} ms; TRUNCATE refused ({refused})");
            }

            var truncated = clock.Elapsed;
            return new(Timing, "figure",
                $"DELETE of {TimingRows:N0} rows {delete.TotalMilliseconds:0} ms, TRUNCATE {truncated.TotalMilliseconds:0} ms ({delete.TotalMilliseconds / Math.Max(truncated.TotalMilliseconds, 0.1):0.#}×)");
        }

        private async Task<TimeSpan> TimeAsync(string sql)
        {
            var clock = Stopwatch.StartNew();
            await ExecuteAsync(sql);
            return clock.Elapsed;
        }

        private async Task ResetAsync(int rows)
        {
            IEnumerable<string> statements =
            [
                $"DROP TABLE IF EXISTS {probe}",
                $"DROP TABLE IF EXISTS {log}",
                .. provider.Dialect.CreateNumberedTable(probe, "tvd_probe_id"),
                $"CREATE TABLE {log} (note VARCHAR(20) NOT NULL)",
            ];
            foreach (var sql in statements)
            {
                await ExecuteAsync(sql);
            }

            for (var i = 0; i < rows; i++)
            {
                await ExecuteAsync($"INSERT INTO {probe} (label) VALUES (@label)", null, ("@label", $"row {i + 1}"));
            }
        }

        private async Task<long> NextIdAsync()
        {
            await ExecuteAsync($"INSERT INTO {probe} (label) VALUES (@label)", null, ("@label", "next"));
            return await ScalarAsync($"SELECT MAX(id) FROM {probe}");
        }

        private Task<long> CountAsync(string table) => ScalarAsync($"SELECT COUNT(*) FROM {table}");

        /// <summary>Null when <paramref name="sql"/> runs; else what the engine said refusing it (its code and first line).</summary>
        private async Task<string?> RefusalAsync(string sql, DbTransaction? transaction = null)
        {
            try
            {
                await ExecuteAsync(sql, transaction);
                return null;
            }
            catch (DbException e)
            {
                return $"{provider.Dialect.ErrorCode(e)}: {e.Message.Split('\n')[0].Trim()}";
            }
        }

        private async Task<long> ScalarAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        private async Task ExecuteAsync(string sql, DbTransaction? transaction = null, params (string Name, object Value)[] parameters)
        {
            await using var command = DbCommands.Create(connection, transaction, sql, parameters);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
