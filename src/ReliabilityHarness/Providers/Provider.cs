using System.Data;
using System.Data.Common;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Providers;

/// <summary>
/// One engine's dialect and how to reach it. A provider is a small sealed class in its own project under
/// providers/: its SQL, its error codes, its expectation profile, and its engine source. The core never
/// references a driver; everything engine-specific comes through here.
/// </summary>
public abstract class Provider
{
    /// <summary>The CLI and environment spelling: <c>sqlite</c>, <c>postgresql</c>, <c>sqlserver</c>, <c>mariadb</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The class-prefix spelling, also the name of the engine's test runs: <c>Sqlite</c>, <c>PostgreSql</c>.</summary>
    public abstract string DisplayName { get; }

    /// <summary>The variable that hands the harness a running engine, e.g. <c>HARNESS_POSTGRESQL</c>.</summary>
    public string EnvironmentVariable => "HARNESS_" + Name.ToUpperInvariant();

    public abstract PaymentsSql Sql { get; }

    public abstract ExpectationProfile Expectations { get; }

    /// <summary>Quotes an identifier for this dialect, through <see cref="SqlIdentifier.Quote"/>.</summary>
    public abstract string Quote(string identifier);

    public abstract DbConnection CreateConnection(string connectionString);

    /// <summary>
    /// Named variants of the upsert that are known to be unsafe (negative controls), such as SQL Server's MERGE
    /// without a lock hint. Empty where the dialect's upsert has no such twin.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> UnreliableUpserts { get; } = new Dictionary<string, string>();

    /// <summary>
    /// Every statement this provider can send, by name: the payments statements, the unreliable variants, and
    /// the provider's own (session setup, isolated databases). Checks that need no engine read them all here.
    /// </summary>
    public virtual IEnumerable<KeyValuePair<string, string>> Statements() =>
        Sql.Named()
            .Concat(UnreliableUpserts.Select(v => new KeyValuePair<string, string>($"unreliable:{v.Key}", v.Value)))
            .Concat(Staging.Named());

    /// <summary>The statements of the robust strategy's set-based path: a staging table and the writes from it.</summary>
    public abstract StagingSql Staging { get; }

    /// <summary>Rows per INSERT of the portable staging writer; the engine's limit on parameters bounds it.</summary>
    protected virtual int StagingRowsPerStatement => 100;

    /// <summary>
    /// Creates the run's staging table (dropping one a pooled session kept) and returns the writer that fills it.
    /// The portable writer sends multi-row INSERTs; a provider with a bulk path (COPY, bulk copy) overrides this.
    /// </summary>
    public virtual async Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await CreateStagingAsync(connection, transaction, cancellationToken);
        return new BatchedInsertStagingWriter(this, connection, transaction, StagingRowsPerStatement);
    }

    /// <summary>
    /// Whether a first load into an empty payments table skips the staging table: the rows go straight into the
    /// table (<see cref="BeginFirstLoadAsync"/>) under a savepoint, with plain INSERTs or the bulk path, so every row
    /// is new or the engine fails the write with its duplicate-key error. On that error (an id repeated in the input,
    /// or stored by another writer meanwhile) the run rolls back to the savepoint and goes the staged way. Only where
    /// a duplicate key leaves the transaction usable after ROLLBACK TO SAVEPOINT (not SQL Server under XACT_ABORT ON).
    /// </summary>
    public virtual bool LoadsEmptyTableDirectly => false;

    /// <summary>
    /// The writer of a first load: every row into the payments table with processed_at = <paramref name="processedAt"/>,
    /// an id that is stored failing with the engine's duplicate-key error. The portable writer sends multi-row
    /// INSERTs (<see cref="StagingSql.LoadRows"/>); a provider with a bulk path overrides this.
    /// </summary>
    public virtual Task<StagingWriter> BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new BatchedInsertStagingWriter(this, connection, transaction, StagingRowsPerStatement, processedAt));

    /// <summary>
    /// The stored payments in the order a plain scan of the table returns them (for a table loaded by one run and
    /// not changed since, the order of that run's input), read in batches so that stopping early costs nothing;
    /// null where the provider cannot read them so. A rerun of the input the table was loaded from is recognised
    /// by comparing the two in step, without staging.
    /// </summary>
    public virtual IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => null;

    /// <summary>Drops a staging table left in the session, if any, and creates the run's.</summary>
    protected async Task CreateStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        foreach (var sql in new[] { Staging.Drop, Staging.Create })
        {
            if (sql is not null)
            {
                await using var command = DbCommands.Create(connection, transaction, sql);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    /// <summary>Inserts every staged payment whose id is not stored (<see cref="StagingSql.InsertNew"/>); returns how many.</summary>
    public virtual Task<long> InsertStagedAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        ExecuteStagedAsync(connection, transaction, Staging.InsertNew, processedAt, cancellationToken);

    /// <summary>Updates the status of every stored payment whose staged row has its payload and another status (<see cref="StagingSql.UpdateChanged"/>); returns how many.</summary>
    public virtual Task<long> UpdateStagedAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        ExecuteStagedAsync(connection, transaction, Staging.UpdateChanged, processedAt, cancellationToken);

    /// <summary>Runs a staged write with @processed_at bound as the payments statements bind it; returns its affected rows.</summary>
    protected async Task<long> ExecuteStagedAsync(DbConnection connection, DbTransaction transaction, string sql, DateTimeOffset processedAt, CancellationToken cancellationToken)
    {
        await using var command = StagedCommand(connection, transaction, sql, processedAt);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Lifts the driver's default command timeout (30 s) from a set-based statement over a whole input, which may
    /// run longer on a large file. Not on embedded engines: there the timeout is how long a busy database is waited for.
    /// </summary>
    public void NoTimeout(DbCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!IsEmbedded)
        {
            command.CommandTimeout = 0;
        }
    }

    /// <summary>A command on <paramref name="sql"/> with @processed_at typed and bound.</summary>
    protected DbCommand StagedCommand(DbConnection connection, DbTransaction transaction, string sql, DateTimeOffset processedAt)
    {
        var command = DbCommands.Create(connection, transaction, sql);
        var parameter = command.CreateParameter();
        parameter.ParameterName = PaymentsSql.ProcessedAt;
        PrepareParameter(parameter);
        parameter.Value = TimestampParameter(processedAt);
        command.Parameters.Add(parameter);
        NoTimeout(command);
        return command;
    }

    /// <summary>
    /// <paramref name="connectionString"/> changed so that a lock wait ends within about a second with the
    /// engine's lock-timeout or busy error, for scenarios that make writers contend; null where the engine
    /// cannot be told so through its connection string.
    /// </summary>
    public abstract string? WithShortLockWait(string connectionString);

    /// <summary>Gives a parameter of the payments statements its engine type where inference is not enough (e.g. datetime2).</summary>
    public virtual void PrepareParameter(DbParameter parameter)
    {
    }

    /// <summary>Opens a connection ready for the harness (the provider may set session options).</summary>
    public virtual async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = CreateConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Begins the robust strategy's transaction the way this engine needs it to be atomic and race-safe.</summary>
    public virtual async Task<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    /// <summary>The isolation levels the engine offers, weakest first; the interleaving scenarios run at each.</summary>
    public abstract IReadOnlyList<IsolationLevel> IsolationLevels { get; }

    /// <summary>Begins a transaction at <paramref name="level"/> as the engine does it for an application that asks.</summary>
    public virtual async Task<DbTransaction> BeginIsolatedAsync(DbConnection connection, IsolationLevel level, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(level, cancellationToken);

    /// <summary>A query returning the engine's id of the current session (e.g. <c>SELECT pg_backend_pid()</c>); null where sessions cannot be watched.</summary>
    public virtual string? SessionIdSql => null;

    /// <summary>
    /// A query with parameter <c>@session</c> returning one row per session that blocks it (the lock holders it
    /// waits for), empty when it waits for none. With it, the interleaving scheduler sees a step block instead of
    /// guessing from time. Null where the engine cannot tell (SQLite: a blocked writer fails with BUSY instead).
    /// </summary>
    public virtual string? BlockersSql => null;

    /// <summary>
    /// A statement with parameter <c>@session</c> that ends that session from another connection, as an operator
    /// would (<c>pg_terminate_backend</c>, <c>KILL</c>); null where there is no server session to sever (SQLite).
    /// </summary>
    public virtual string? TerminateSessionSql => null;

    /// <summary>The engine's settings that make a commit not durable (fsync off, …), each as "setting = value"; empty when all are durable.</summary>
    public abstract Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>What the engine's own consistency check finds wrong with the database; null when it finds nothing or has no such check.</summary>
    public virtual Task<string?> IntegrityProblemAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Forgets every pooled connection (after a server restart, pooled ones are dead).</summary>
    public abstract void ClearPools();

    /// <summary>The TRUNCATE of a table (already quoted), or null where the dialect has no TRUNCATE.</summary>
    public virtual string? Truncate(string quotedTable) => $"TRUNCATE TABLE {quotedTable}";

    /// <summary>The column definition of an auto-numbered primary key named <c>id</c>.</summary>
    public abstract string IdentityColumn { get; }

    /// <summary>Statements that make every row deleted from <paramref name="quotedTable"/> add a row to <paramref name="quotedLog"/> (column <c>note</c>).</summary>
    public abstract IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name);

    /// <summary>A statement that adds @count rows to <paramref name="quotedTable"/> (column <c>label</c>) on the server, for timing.</summary>
    public abstract string Fill(string quotedTable);

    /// <summary>The parameter value that stores <paramref name="amount"/> exactly; engines with an exact decimal type take it as it is.</summary>
    public virtual object AmountParameter(decimal amount) => amount;

    /// <summary>The amount as stored; engines with an exact decimal type return it as a <see cref="decimal"/>.</summary>
    public virtual decimal ReadAmount(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal);

    /// <summary>The parameter value for processed_at: a UTC DateTime (Npgsql 6+ refuses other kinds for timestamptz).</summary>
    public virtual object TimestampParameter(DateTimeOffset at) => at.UtcDateTime;

    /// <summary>processed_at as stored; it was written in UTC, whatever kind the driver reports.</summary>
    public virtual DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    /// <summary>What <paramref name="exception"/> means, from the engine's own error codes.</summary>
    public abstract DbErrorKind Recognize(Exception exception);

    /// <summary>The engine's own code for an error (SQLSTATE, error number), for reports; null if none.</summary>
    public abstract string? ErrorCode(Exception exception);

    /// <summary>Embedded engines (SQLite) need no server: a database is a file.</summary>
    public virtual bool IsEmbedded => false;

    /// <summary>The pinned image Testcontainers starts when no connection string is given; null if none.</summary>
    public abstract string? ContainerImage { get; }

    /// <summary>How to get the engine on this machine without Docker, as the end of a sentence; null where the harness has no way.</summary>
    public virtual string? LocalEngineHint => null;

    /// <summary>Starts a throwaway engine in Docker. Throws DockerUnavailableException when no Docker engine answers.</summary>
    public abstract Task<StartedContainer> StartContainerAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A database (or schema) of its own on the server that <paramref name="serverConnectionString"/> reaches,
    /// dropped when disposed, so runs never see each other's rows. Embedded engines ignore the argument.
    /// </summary>
    public abstract Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken);

    /// <summary>
    /// A database of its own made on the server with <paramref name="create"/>, reached with
    /// <paramref name="connectionString"/>; disposing it forgets pooled connections and runs <paramref name="drop"/>.
    /// </summary>
    protected async Task<IsolatedDatabase> IsolateAsync(string serverConnectionString, string create, string drop, string connectionString, string description, CancellationToken cancellationToken)
    {
        await ExecuteAsync(serverConnectionString, create, cancellationToken);
        return new IsolatedDatabase(connectionString, description, async () =>
        {
            ClearPools();
            await ExecuteAsync(serverConnectionString, drop, CancellationToken.None);
        });
    }

    /// <summary>Runs one statement on a connection of its own.</summary>
    protected async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A one-line description of the engine's version, e.g. "PostgreSQL 15.18".</summary>
    public abstract Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken);
}
