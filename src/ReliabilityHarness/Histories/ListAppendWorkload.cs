using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Histories;

/// <summary>How much a list-append run does.</summary>
/// <param name="Clients">Clients running at once, each on a connection of its own (K).</param>
/// <param name="Transactions">Transactions in all, over every client (N).</param>
/// <param name="Keys">Keys, each a list (M): fewer keys, more contention.</param>
/// <param name="MaxMicroOps">Micro-operations per transaction at most (each has 1 to this many).</param>
/// <param name="Seed">Seeds what each client asks for and when a fault strikes; the interleaving is the engine's.</param>
public sealed record WorkloadOptions(int Clients = 8, int Transactions = 2_000, int Keys = 16, int MaxMicroOps = 4, int Seed = 0)
{
    /// <summary>The issue's defaults: 8 clients, 2,000 transactions, 16 keys, 1–4 micro-operations.</summary>
    public static WorkloadOptions Default { get; } = new();
}

/// <summary>What disturbs a list-append run while it runs.</summary>
public enum HistoryFault
{
    /// <summary>Nothing: the clients run undisturbed.</summary>
    None,

    /// <summary>Every so often one client's session is ended from another connection, as an operator would (server engines).</summary>
    Sever,

    /// <summary>The clients run in a child <c>reliability histories client</c> process, SIGKILLed twice during the run and started again.</summary>
    Kill,

    /// <summary>The server is crashed once during the run and started again (its <c>HARNESS_&lt;ENGINE&gt;_CRASH</c>/<c>_START</c> commands).</summary>
    Crash,
}

/// <summary>A fault to inject into a run, and what it needs: the server's crash and start commands, or how to start a child.</summary>
public sealed record WorkloadFault(HistoryFault Kind, ServerControl? Server = null, ChildCommand? Reliability = null)
{
    public static WorkloadFault None { get; } = new(HistoryFault.None);

    /// <summary>The fault's name as <c>--faults</c> spells it.</summary>
    public string Name => Kind.ToString().ToLowerInvariant();

    /// <summary>Why the fault does not apply to <paramref name="provider"/>'s engine; null when it does.</summary>
    public static string? NotApplicable(HistoryFault kind, Provider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return kind switch
        {
            HistoryFault.Sever when provider.Dialect.TerminateSessionSql is null =>
                $"{provider.DisplayName} has no server session to sever (--faults kill kills the clients that hold the file)",
            HistoryFault.Crash when provider.IsEmbedded =>
                $"{provider.DisplayName} is a library in the client process: there is no server to crash (--faults kill crashes it with its clients)",
            _ => null,
        };
    }
}

/// <summary>What a run recorded: the history in Elle's shape, and how its transactions ended.</summary>
/// <param name="History">Every :invoke and its completion, in the order they happened, :index 0, 1, 2, …</param>
/// <param name="Faults">How many times the fault struck: sessions severed, client processes killed, server crashes.</param>
public sealed record WorkloadResult(IReadOnlyList<Operation> History, int Ok, int Failed, int Unknown, TimeSpan Elapsed, int Faults = 0)
{
    /// <summary>A recorded history with its completions counted.</summary>
    public static WorkloadResult Of(IReadOnlyList<Operation> history, TimeSpan elapsed, int faults)
    {
        ArgumentNullException.ThrowIfNull(history);
        return new(history, history.Count(o => o.Type == OperationType.Ok), history.Count(o => o.Type == OperationType.Fail),
            history.Count(o => o.Type == OperationType.Info), elapsed, faults);
    }
}

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
/// A fault (<see cref="HistoryFault"/>) strikes after a seeded number of completed transactions, so a run's faults
/// scale with its length; what it leaves in doubt is recorded as :info, never guessed.
/// </remarks>
public static class ListAppendWorkload
{
    public const string TableName = "lists";

    /// <summary>Client processes are killed this many times in a <see cref="HistoryFault.Kill"/> run (the last child runs to the end).</summary>
    public const int Kills = 2;

    /// <summary>Runs the workload in the database of <paramref name="connectionString"/>, (re)creating its <c>lists</c> table.</summary>
    /// <exception cref="NotSupportedException">The fault does not apply to the engine (<see cref="WorkloadFault.NotApplicable"/>).</exception>
    public static async Task<WorkloadResult> RunAsync(Provider provider, string connectionString, IsolationLevel level, WorkloadOptions? options = null,
        WorkloadFault? fault = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        options ??= WorkloadOptions.Default;
        fault ??= WorkloadFault.None;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Clients, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Keys, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMicroOps, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Transactions, nameof(options));
        if (WorkloadFault.NotApplicable(fault.Kind, provider) is { } reason)
        {
            throw new NotSupportedException(reason);
        }

        // Lock waits end in about a second with the engine's lock-timeout or busy error (a :fail), instead of the
        // driver's 30 s: SQLite's deferred transactions meet BUSY whenever two of them want to write.
        var waiting = provider.Dialect.WithShortLockWait(connectionString) ?? connectionString;
        await CreateTableAsync(provider.Dialect, waiting, options.Keys, cancellationToken);
        if (fault.Kind == HistoryFault.Kill)
        {
            return await KilledClients.RunAsync(provider, connectionString, level, options,
                fault.Reliability ?? throw new ArgumentException("a kill run needs the command that starts a client process", nameof(fault)), cancellationToken);
        }

        using var run = new Run(provider.Dialect, waiting, level, options, fault);
        return await run.RunAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the clients only, on a table <see cref="RunAsync"/> created: what a child <c>reliability histories client</c>
    /// does, telling <paramref name="record"/> of every operation as it happens. Values start after
    /// <paramref name="valuesAfter"/> and process ids at <paramref name="firstProcess"/>, so a run continued in a new
    /// process repeats neither.
    /// </summary>
    public static async Task<WorkloadResult> RunClientsAsync(Provider provider, string connectionString, IsolationLevel level, WorkloadOptions options,
        long valuesAfter, long firstProcess, Action<Operation> record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        var waiting = provider.Dialect.WithShortLockWait(connectionString) ?? connectionString;
        using var run = new Run(provider.Dialect, waiting, level, options, WorkloadFault.None, valuesAfter, firstProcess, record);
        return await run.RunAsync(cancellationToken);
    }

    /// <summary>A list as the column stores it, <c>,3,7,12</c>, as values: the empty string is the empty list.</summary>
    public static IReadOnlyList<long> ParseList(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return [.. stored.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))];
    }

    /// <summary>A seed for one client (or the fault), the same in every process and run: <see cref="HashCode"/> is not.</summary>
    internal static int SeedFor(int seed, int stream) => unchecked((seed * 1_000_003) + (stream * 7_919) + 17);

    private static async Task CreateTableAsync(Dialect dialect, string connectionString, int keys, CancellationToken cancellationToken)
    {
        var table = dialect.Quote(TableName);
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

        for (var key = 0; key < keys; key++)
        {
            await using var insert = DbCommands.Create(connection, null, $"INSERT INTO {table} ({dialect.Quote("k")}, {dialect.Quote("v")}) VALUES (@k, '')", ("k", key));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>One run of the clients in this process, with the sever or crash fault striking from beside them.</summary>
    private sealed class Run(Dialect dialect, string connectionString, IsolationLevel level, WorkloadOptions options, WorkloadFault fault,
        long valuesAfter = 0, long firstProcess = 0, Action<Operation>? sink = null) : IDisposable
    {
        /// <summary>How long a client keeps trying to reconnect after a fault (a crashed server restarting).</summary>
        private static readonly TimeSpan ReconnectBound = TimeSpan.FromSeconds(90);

        private readonly List<Operation> history = [];
        private readonly string table = dialect.Quote(TableName);
        private readonly Dictionary<int, object> sessions = [];
        private readonly Stopwatch clock = new();
        private readonly CountdownEvent ready = new(options.Clients);
        private int started;
        private int completed;
        private int faults;
        private long lastValue = valuesAfter;

        private string Append => $"UPDATE {table} SET {dialect.Quote("v")} = CONCAT({dialect.Quote("v")}, ',', @x) WHERE {dialect.Quote("k")} = @k";

        private string ReadList => $"SELECT {dialect.Quote("v")} FROM {table} WHERE {dialect.Quote("k")} = @k";

        public void Dispose() => ready.Dispose();

        /// <summary>What the engine or the network says when a statement fails: the driver's error, or a socket the server closed (MySqlConnector lets some through unwrapped).</summary>
        private static bool IsConnectionError(Exception e) => e is DbException or IOException or System.Net.Sockets.SocketException;

        public async Task<WorkloadResult> RunAsync(CancellationToken cancellationToken)
        {
            clock.Start();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var nemesis = fault.Kind is HistoryFault.Sever or HistoryFault.Crash ? NemesisAsync(done.Token) : Task.CompletedTask;
            try
            {
                // Each client on a thread of its own, all starting together once every one is connected: an embedded
                // engine's "async" calls run synchronously, and on a few pool threads the first client would run most
                // transactions before the last one began.
                await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client =>
                    Task.Factory.StartNew(() => ClientAsync(client, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
            }
            finally
            {
                await done.CancelAsync();
                await nemesis.ContinueWith(_ => { }, TaskScheduler.Default);
            }

            await nemesis;
            lock (history)
            {
                return WorkloadResult.Of([.. history], clock.Elapsed, faults);
            }
        }

        private async Task ClientAsync(int client, CancellationToken cancellationToken)
        {
            var random = new Random(SeedFor(options.Seed, client));
            var process = firstProcess + client;
            // Still on the client's own thread: connect, and wait for every other client, without giving the thread up.
            // A client that cannot connect still counts itself in, so the others are not left waiting for it.
            DbConnection connection;
            try
            {
                connection = ConnectAsync(client, cancellationToken).GetAwaiter().GetResult();
            }
            catch
            {
                ready.Signal();
                throw;
            }

            try
            {
                ready.Signal();
                ready.Wait(cancellationToken);
                while (Interlocked.Increment(ref started) <= options.Transactions)
                {
                    var intent = Generate(random);
                    Record(new Operation(OperationType.Invoke, "txn", intent, process));
                    var (type, value) = await TransactAsync(connection, intent, cancellationToken);
                    Record(new Operation(type, "txn", value, process));
                    if (type == OperationType.Info)
                    {
                        // Unknown outcome: this process may still be running it, so it never issues another.
                        process += options.Clients;
                        await connection.DisposeAsync();
                        connection = await ConnectAsync(client, cancellationToken);
                    }
                }
            }
            finally
            {
                lock (sessions)
                {
                    sessions.Remove(client);
                }

                await connection.DisposeAsync();
            }
        }

        /// <summary>A connection for <paramref name="client"/>, its session known to the nemesis; tried again for a while when a fault is under way.</summary>
        private async Task<DbConnection> ConnectAsync(int client, CancellationToken cancellationToken)
        {
            var bound = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    var connection = await dialect.OpenAsync(connectionString, cancellationToken);
                    if (fault.Kind == HistoryFault.Sever && dialect.SessionIdSql is { } sessionSql)
                    {
                        await using var command = DbCommands.Create(connection, null, sessionSql);
                        var session = await command.ExecuteScalarAsync(cancellationToken) ?? throw new InvalidOperationException("the engine returned no session id");
                        lock (sessions)
                        {
                            sessions[client] = session;
                        }
                    }

                    return connection;
                }
                catch (Exception e) when (fault.Kind != HistoryFault.None && IsConnectionError(e)
                    && bound.Elapsed < ReconnectBound && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                }
            }
        }

        /// <summary>
        /// Strikes whenever the clients have completed a seeded number of transactions more: a sever every N/10 to N/5
        /// of them, a crash once between N/4 and N/2 (counted in <see cref="WorkloadResult.Faults"/> only if the clients
        /// were still running when the crash command returned).
        /// </summary>
        private async Task NemesisAsync(CancellationToken cancellationToken)
        {
            var random = new Random(SeedFor(options.Seed, -1));
            var n = Math.Max(options.Transactions, 4);
            var next = fault.Kind == HistoryFault.Crash ? random.Next(n / 4, (n / 2) + 1) : random.Next(Math.Max(n / 10, 1), Math.Max(n / 5, 2) + 1);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (Volatile.Read(ref completed) < next)
                {
                    continue;
                }

                if (fault.Kind == HistoryFault.Crash)
                {
                    var server = fault.Server ?? throw new InvalidOperationException("a crash run needs the server's crash and start commands");
                    await server.CrashAsync(CancellationToken.None);
                    // Counted only when it struck while clients still ran: a short run may end before the crash command acts.
                    var struck = Volatile.Read(ref completed) < options.Transactions;
                    await server.StartAsync(CancellationToken.None);
                    dialect.ClearPools();
                    faults += struck ? 1 : 0;
                    return;
                }

                object? session = null;
                lock (sessions)
                {
                    if (sessions.Count > 0)
                    {
                        var victim = sessions.Keys.ElementAt(random.Next(sessions.Count));
                        session = sessions[victim];
                        sessions.Remove(victim);
                    }
                }

                if (session is not null)
                {
                    try
                    {
                        await using var admin = await dialect.OpenAsync(connectionString, CancellationToken.None);
                        await using var command = DbCommands.Create(admin, null, dialect.TerminateSessionSql!, ("@session", session));
                        await command.ExecuteNonQueryAsync(CancellationToken.None);
                        Interlocked.Increment(ref faults);
                    }
                    catch (DbException)
                    {
                        // The session ended on its own meanwhile (KILL of a gone thread fails): not a sever, not counted.
                    }
                }

                next += random.Next(Math.Max(n / 10, 1), Math.Max(n / 5, 2) + 1);
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
            catch (Exception e) when ((e is InvalidOperationException || IsConnectionError(e)) && !cancellationToken.IsCancellationRequested)
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
            catch (Exception e) when (IsConnectionError(e))
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

        private void Record(Operation operation)
        {
            lock (history)
            {
                var recorded = operation with { Index = history.Count, Time = (long)clock.Elapsed.TotalNanoseconds };
                history.Add(recorded);
                sink?.Invoke(recorded);
                if (operation.Type != OperationType.Invoke)
                {
                    completed++;
                }
            }
        }
    }
}
