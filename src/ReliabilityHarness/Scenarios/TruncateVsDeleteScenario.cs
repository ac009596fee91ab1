using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios;

/// <summary>One check's observation: what the engine did, in the words the expectation profiles use.</summary>
/// <param name="Check">The check, e.g. <c>truncate-rollback</c>.</param>
/// <param name="Observed">What happened.</param>
/// <param name="Detail">What else is worth knowing (the engine's message, a timing).</param>
public sealed record CheckObservation(string Check, string Observed, string? Detail = null);

/// <summary>
/// TRUNCATE against DELETE, observed on the engine: whether each rolls back, whether TRUNCATE commits what the
/// transaction wrote before it, whether it restarts the identity, whether a foreign key stops it, whether it
/// fires DELETE triggers, and how long each takes on 100,000 rows (a figure, not an expectation).
/// </summary>
public static class TruncateVsDeleteScenario
{
    public const string Id = "truncate-vs-delete";

    /// <summary>The checks with expectations (timing is a figure only).</summary>
    public static IReadOnlyList<string> Checks { get; } =
        ["delete-rollback", "truncate-rollback", "truncate-implicit-commit", "identity-reset", "fk-referenced", "delete-triggers"];

    public const string Timing = "timing";

    public const int TimingRows = 100_000;

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
        private readonly string? truncate = provider.Dialect.Truncate(provider.Dialect.Quote("tvd_probe"));

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
            if (truncate is null)
            {
                var said = await RefusalAsync($"TRUNCATE TABLE {probe}");
                return
                [
                    new("truncate-rollback", "unsupported", $"the engine said: {said}"),
                    new("truncate-implicit-commit", "unsupported", "no TRUNCATE to commit anything"),
                ];
            }

            // The transaction writes elsewhere first, then truncates, then rolls back: an engine that commits
            // before a TRUNCATE keeps that earlier write.
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await ExecuteAsync($"INSERT INTO {log} (note) VALUES (@note)", transaction, ("@note", "before"));
                await ExecuteAsync(truncate, transaction);
                await transaction.RollbackAsync(cancellationToken);
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
            var afterDelete = await NextIdAsync();
            string afterTruncate;
            if (truncate is null)
            {
                afterTruncate = "unsupported";
            }
            else
            {
                await ExecuteAsync(truncate);
                afterTruncate = await NextIdAsync() == 1 ? "restarts" : "continues";
            }

            return new("identity-reset", $"delete {(afterDelete == 1 ? "restarts" : "continues")}, truncate {afterTruncate}");
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
            if (provider.Dialect.Truncate(parent) is not { } truncateParent)
            {
                return new("fk-referenced", "unsupported", "no TRUNCATE");
            }

            var refusal = await RefusalAsync(truncateParent);
            return refusal is null
                ? new("fk-referenced", "allowed", "the referenced table was truncated (its referencing table is empty)")
                : new("fk-referenced", "refused", refusal);
        }

        public async Task<CheckObservation> DeleteTriggersAsync()
        {
            await ResetAsync(rows: 3);
            if (truncate is null)
            {
                return new("delete-triggers", "unsupported", "no TRUNCATE; DELETE FROM fires them like any DELETE");
            }

            if (provider.Dialect.DeleteTrigger(probe, log, "tvd_on_delete") is not { } trigger)
            {
                return new("delete-triggers", "unsupported", "the engine has no triggers");
            }

            foreach (var statement in trigger)
            {
                await ExecuteAsync(statement);
            }

            await ExecuteAsync(truncate);
            var logged = await CountAsync(log);
            return new("delete-triggers", logged == 0 ? "not-fired" : "fired", $"{logged} trigger row(s) for 3 truncated rows");
        }

        public async Task<CheckObservation> TimingAsync()
        {
            await ResetAsync(rows: 0);
            await ExecuteAsync(provider.Dialect.Fill(probe), null, ("@count", TimingRows));
            var delete = await TimeAsync($"DELETE FROM {probe}");
            if (truncate is null)
            {
                return new(Timing, "figure", $"DELETE of {TimingRows:N0} rows {delete.TotalMilliseconds:0} ms; no TRUNCATE");
            }

            await ExecuteAsync(provider.Dialect.Fill(probe), null, ("@count", TimingRows));
            var truncated = await TimeAsync(truncate);
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

        /// <summary>Null when <paramref name="sql"/> runs; else what the engine said refusing it.</summary>
        private async Task<string?> RefusalAsync(string sql)
        {
            try
            {
                await ExecuteAsync(sql);
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
