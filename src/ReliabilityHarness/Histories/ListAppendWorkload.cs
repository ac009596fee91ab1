using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Histories;

/// <summary>How much a list-append run does.</summary>
/// <param name="Clients">Clients running at once, each on a connection of its own (K).</param>
/// <param name="Transactions">Transactions in all, over every client (N).</param>
/// <param name="Keys">Keys, each a list (M): fewer keys, more contention.</param>
/// <param name="MaxMicroOps">Micro-operations per transaction at most (each has 1 to this many).</param>
/// <param name="Seed">Seeds what each client asks for; the interleaving is the engine's.</param>
public sealed record WorkloadOptions(int Clients = 8, int Transactions = 2_000, int Keys = 16, int MaxMicroOps = 4, int Seed = 0)
{
    /// <summary>The issue's defaults: 8 clients, 2,000 transactions, 16 keys, 1–4 micro-operations.</summary>
    public static WorkloadOptions Default { get; } = new();
}

/// <summary>What a run recorded: the history in Elle's shape, and how its transactions ended.</summary>
/// <param name="History">Every :invoke and its completion, in the order they happened, :index 0, 1, 2, …</param>
public sealed record WorkloadResult(IReadOnlyList<Operation> History, int Ok, int Failed, int Unknown, TimeSpan Elapsed);

/// <summary>
/// Elle's list-append workload run against an engine through its dialect: <see cref="WorkloadOptions.Clients"/>
/// clients, each on its own connection, run random transactions of appends (a value unique over the run, in
/// increasing order) and reads over a few keys at one isolation level, and every transaction is recorded as an
/// :invoke and then :ok (with what the reads saw), :fail (definitely not applied) or :info (unknown). The history is
/// then the checker's to judge (<see cref="ListAppendChecker"/>); the workload itself judges nothing.
/// </summary>
/// <remarks>
/// A list is a text column of comma-separated values, appended to with <c>CONCAT(v, ',', @x)</c> (PostgreSQL, MariaDB,
/// SQL Server, DuckDB and SQLite since 3.44 all have it); every key is inserted empty first, so that an append is
/// always an UPDATE and never races an INSERT. After an :info the client takes a new process id and a new connection:
/// a process with an operation of unknown outcome never issues another (Elle's convention; jepsen-io/elle README).
/// </remarks>
public static class ListAppendWorkload
{
    public const string TableName = "lists";

    /// <summary>Runs the workload in the database of <paramref name="connectionString"/>, (re)creating its <c>lists</c> table.</summary>
    public static async Task<WorkloadResult> RunAsync(Provider provider, string connectionString, IsolationLevel level, WorkloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        options ??= WorkloadOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Clients, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Keys, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMicroOps, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Transactions, nameof(options));

        // Lock waits end in about a second with the engine's lock-timeout or busy error (a :fail), instead of the
        // driver's 30 s: SQLite's deferred transactions meet BUSY whenever two of them want to write.
        var run = new Run(provider.Dialect, provider.Dialect.WithShortLockWait(connectionString) ?? connectionString, level, options);
        await run.CreateTableAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => run.ClientAsync(client, clock, cancellationToken)));
        return new WorkloadResult(run.History, run.Count(OperationType.Ok), run.Count(OperationType.Fail), run.Count(OperationType.Info), clock.Elapsed);
    }

    /// <summary>A list as the column stores it, <c>,3,7,12</c>, as values: the empty string is the empty list.</summary>
    public static IReadOnlyList<long> ParseList(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return [.. stored.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))];
    }

    private sealed class Run(Dialect dialect, string connectionString, IsolationLevel level, WorkloadOptions options)
    {
        private readonly List<Operation> history = [];
        private readonly string table = dialect.Quote(TableName);
        private int started;
        private long lastValue;

        public IReadOnlyList<Operation> History
        {
            get
            {
                lock (history)
                {
                    return [.. history];
                }
            }
        }

        public int Count(OperationType type)
        {
            lock (history)
            {
                return history.Count(o => o.Type == type);
            }
        }

        private string Append => $"UPDATE {table} SET {dialect.Quote("v")} = CONCAT({dialect.Quote("v")}, ',', @x) WHERE {dialect.Quote("k")} = @k";

        private string ReadList => $"SELECT {dialect.Quote("v")} FROM {table} WHERE {dialect.Quote("k")} = @k";

        public async Task CreateTableAsync(CancellationToken cancellationToken)
        {
            await using var connection = await dialect.OpenAsync(connectionString, cancellationToken);
            string[] statements =
            [
                $"DROP TABLE IF EXISTS {table}",
                $"CREATE TABLE {table} ({dialect.Quote("k")} integer PRIMARY KEY, {dialect.Quote("v")} {dialect.UnboundedTextType} NOT NULL)",
            ];
            foreach (var sql in statements)
            {
                await using var command = DbCommands.Create(connection, null, sql);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            for (var key = 0; key < options.Keys; key++)
            {
                await using var insert = DbCommands.Create(connection, null, $"INSERT INTO {table} ({dialect.Quote("k")}, {dialect.Quote("v")}) VALUES (@k, '')", ("k", key));
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        public async Task ClientAsync(int client, Stopwatch clock, CancellationToken cancellationToken)
        {
            var random = new Random(HashCode.Combine(options.Seed, client));
            long process = client;
            var connection = await dialect.OpenAsync(connectionString, cancellationToken);
            try
            {
                while (Interlocked.Increment(ref started) <= options.Transactions)
                {
                    var intent = Generate(random);
                    Record(new Operation(OperationType.Invoke, "txn", intent, process), clock);
                    var (type, done) = await TransactAsync(connection, intent, cancellationToken);
                    Record(new Operation(type, "txn", done, process), clock);
                    if (type == OperationType.Info)
                    {
                        // Unknown outcome: this process may still be running it, so it never issues another.
                        process += options.Clients;
                        await connection.DisposeAsync();
                        connection = await dialect.OpenAsync(connectionString, cancellationToken);
                    }
                }
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }

        private MicroOp[] Generate(Random random)
        {
            var ops = new List<MicroOp>();
            for (var i = random.Next(1, options.MaxMicroOps + 1); i > 0; i--)
            {
                var key = HistoryKey.Of(random.Next(options.Keys));
                ops.Add(random.Next(2) == 0 ? new Read(key, null) : new Append(key, Interlocked.Increment(ref lastValue)));
            }

            return [.. ops];
        }

        private async Task<(OperationType Type, IReadOnlyList<MicroOp> Value)> TransactAsync(DbConnection connection, MicroOp[] intent, CancellationToken cancellationToken)
        {
            DbTransaction? transaction = null;
            try
            {
                transaction = await dialect.BeginIsolatedAsync(connection, level, cancellationToken);
                var done = new List<MicroOp>(intent.Length);
                foreach (var op in intent)
                {
                    done.Add(await ApplyAsync(connection, transaction, op, cancellationToken));
                }

                await transaction.CommitAsync(cancellationToken);
                return (OperationType.Ok, done);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
            {
                return (await AbortedAsync(transaction, e) ? OperationType.Fail : OperationType.Info, intent);
            }
            finally
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync();
                }
            }
        }

        /// <summary>
        /// Whether the transaction definitely did not apply: the engine said it aborted it (a serialization failure, a
        /// deadlock, a lock timeout, busy, a constraint) and the rollback went through. Anything else (a connection
        /// lost, an error nobody recognises, a rollback that fails) leaves the outcome unknown: an :info.
        /// </summary>
        private async Task<bool> AbortedAsync(DbTransaction? transaction, Exception exception)
        {
            var kind = dialect.Recognize(exception);
            if (kind is not (DbErrorKind.SerializationFailure or DbErrorKind.Deadlock or DbErrorKind.LockTimeout or DbErrorKind.Busy
                or DbErrorKind.UniqueViolation or DbErrorKind.OtherConstraint))
            {
                return false;
            }

            if (transaction is null)
            {
                // BEGIN itself was refused: nothing ran.
                return true;
            }

            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return true;
            }
            catch (InvalidOperationException)
            {
                // The driver refuses a rollback of a transaction it already ended: the engine answered with the abort
                // recognised above, so nothing was applied.
                return true;
            }
            catch (Exception e) when (e is DbException or IOException)
            {
                return false;
            }
        }

        private async Task<MicroOp> ApplyAsync(DbConnection connection, DbTransaction transaction, MicroOp op, CancellationToken cancellationToken)
        {
            var key = long.Parse(op.Key.Edn, CultureInfo.InvariantCulture);
            switch (op)
            {
                case Append append:
                {
                    await using var command = DbCommands.Create(connection, transaction, Append, ("x", append.Value), ("k", key));
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    return op;
                }

                default:
                {
                    await using var command = DbCommands.Create(connection, transaction, ReadList, ("k", key));
                    var stored = await command.ExecuteScalarAsync(cancellationToken);
                    return new Read(op.Key, stored is string text ? ParseList(text) : []);
                }
            }
        }

        private void Record(Operation operation, Stopwatch clock)
        {
            lock (history)
            {
                history.Add(operation with { Index = history.Count, Time = (long)clock.Elapsed.TotalNanoseconds });
            }
        }
    }
}
