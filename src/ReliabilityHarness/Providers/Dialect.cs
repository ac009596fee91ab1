using System.Data;
using System.Data.Common;

namespace ReliabilityHarness.Providers;

/// <summary>
/// How the harness speaks to one engine: its SQL, its driver, its error codes, its value codecs and what it is
/// documented to do. The first seven members are what every engine must say; everything after them has a default
/// that suits a standard SQL engine and is overridden only where the engine differs, with the reason beside it.
/// </summary>
public abstract class Dialect
{
    // ── Required ────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>The class-prefix spelling, also the name of the engine's test runs: <c>Sqlite</c>, <c>PostgreSql</c>.</summary>
    public abstract string DisplayName { get; }

    /// <summary>A connection of the engine's driver; not opened.</summary>
    public abstract DbConnection CreateConnection(string connectionString);

    /// <summary>The payments statements: <c>PaymentsSql.For(Quote(PaymentsSql.TableName), createTable, upsert, Truncate(…))</c>.</summary>
    public abstract PaymentsSql Sql { get; }

    /// <summary>The robust strategy's set-based statements: a staging table private to the session and the writes from it.</summary>
    public abstract StagingSql Staging { get; }

    /// <summary>What the engine is documented to do, each with its source; <see cref="ExpectationProfile.Common"/> is included.</summary>
    public abstract ExpectationProfile Expectations { get; }

    /// <summary>The isolation levels the engine offers, weakest first; the interleaving scenarios run at each.</summary>
    public abstract IReadOnlyList<IsolationLevel> IsolationLevels { get; }

    /// <summary>What <paramref name="exception"/> means, from the engine's own error codes: transient kinds are retried, constraints never.</summary>
    public abstract DbErrorKind Recognize(Exception exception);

    // ── Names ───────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>The CLI and environment spelling: <see cref="DisplayName"/> in lower case (<c>sqlite</c>, <c>postgresql</c>).</summary>
    public string Name => DisplayName.ToLowerInvariant();

    /// <summary>Quotes an identifier through <see cref="SqlIdentifier.Quote"/>: standard SQL's double quotes unless the dialect has its own.</summary>
    public virtual string Quote(string identifier) => SqlIdentifier.Quote(identifier, '"', '"');

    /// <summary>
    /// The dialect of one of the engine's configurations, a spec's <c>+variant</c> (<c>sqlite+wal</c>): the same SQL,
    /// its sessions set up as the variant says, held to the variant's own expectations. Null when the engine has no such
    /// variant.
    /// </summary>
    public virtual Dialect? ForVariant(string variant) => null;

    /// <summary>The variants <see cref="ForVariant"/> knows, for messages.</summary>
    public virtual IReadOnlyList<string> Variants => [];

    /// <summary>The engine's own code for an error (SQLSTATE, error number), for reports; null if none.</summary>
    public virtual string? ErrorCode(Exception exception) => null;

    // ── Connections and transactions ────────────────────────────────────────────────────────────────────────────

    /// <summary>A statement run once in each database the harness makes for a run (a database option a variant needs, <c>sqlserver+rcsi</c>); null for none.</summary>
    public virtual string? DatabaseSetupSql => null;

    /// <summary>A statement every opened connection runs first (a session option the harness relies on); null for none.</summary>
    public virtual string? SessionSetupSql => null;

    /// <summary>Opens a connection ready for the harness (the dialect may set session options: <see cref="SessionSetupSql"/>).</summary>
    public virtual async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = CreateConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (SessionSetupSql is { } setup)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = setup;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

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

    /// <summary>Begins a transaction at <paramref name="level"/> as the engine does it for an application that asks.</summary>
    public virtual async Task<DbTransaction> BeginIsolatedAsync(DbConnection connection, IsolationLevel level, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(level, cancellationToken);

    /// <summary>
    /// Whether the engine lets one writer at a time into a database: another connection's write waits for the
    /// writing transaction to end, or fails busy, and never commits beside it (SQLite).
    /// </summary>
    public virtual bool OneWriterAtATime => false;

    /// <summary>Forgets every pooled connection (after a server restart pooled ones are dead; a file engine releases its file).</summary>
    public virtual void ClearPools()
    {
    }

    /// <summary>
    /// <paramref name="connectionString"/> changed so that a lock wait ends within about a second with the engine's
    /// lock-timeout or busy error, for scenarios that make writers contend; null where the connection string cannot say so.
    /// </summary>
    public virtual string? WithShortLockWait(string connectionString) => null;

    /// <summary>
    /// Whether a set-based statement over a whole input should run without the driver's command timeout (30 s). Not
    /// where the timeout is how long a busy database is waited for (SQLite).
    /// </summary>
    protected virtual bool LiftsCommandTimeout => true;

    /// <summary>Lifts the driver's command timeout from a statement over a whole input, where <see cref="LiftsCommandTimeout"/>.</summary>
    public void NoTimeout(DbCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (LiftsCommandTimeout)
        {
            command.CommandTimeout = 0;
        }
    }

    // ── Watching and ending sessions (the interleaving scheduler, the severed-connection scenario) ──────────────

    /// <summary>A query returning the engine's id of the current session (e.g. <c>SELECT pg_backend_pid()</c>); null where sessions cannot be watched.</summary>
    public virtual string? SessionIdSql => null;

    /// <summary>
    /// A query with parameter <c>@session</c> returning one row per session that blocks it, empty when it waits for
    /// none; the scheduler then sees a step block instead of guessing from time. Null where the engine cannot tell
    /// (SQLite: a blocked writer fails with BUSY; DuckDB: a conflicting writer fails instead of waiting).
    /// </summary>
    public virtual string? BlockersSql => null;

    /// <summary>
    /// A query returning 1 when this login may see other sessions' lock waits (what <see cref="BlockersSql"/> reads),
    /// else 0; null where no permission is needed. Asked once before the scheduler runs: without the permission the
    /// blocker query sees nothing, and a blocked step would only time out instead of saying why.
    /// </summary>
    public virtual string? WatchPermissionSql => null;

    /// <summary>What to grant when <see cref="WatchPermissionSql"/> answers 0, as the end of a sentence.</summary>
    public virtual string? WatchPermissionHint => null;

    /// <summary>A statement with parameter <c>@session</c> that ends that session from another connection; null where there is no server session.</summary>
    public virtual string? TerminateSessionSql => null;

    // ── The robust strategy's write path ────────────────────────────────────────────────────────────────────────

    /// <summary>Rows per INSERT of the portable multi-row writer; the engine's limit on parameters bounds it.</summary>
    public virtual int RowsPerInsert => 100;

    /// <summary>
    /// Whether a first load into an empty table goes straight into it (every row new, or the engine fails the write
    /// with its duplicate-key error and the run goes the staged way: back to a savepoint, or, without
    /// <see cref="HasSavepoints"/>, in a new transaction). Not where a duplicate key dooms the transaction before
    /// the run can undo it (SQL Server under XACT_ABORT ON).
    /// </summary>
    public virtual bool LoadsEmptyTableDirectly => false;

    /// <summary>Whether the engine has SAVEPOINT and ROLLBACK TO SAVEPOINT, and a duplicate key leaves the transaction usable after them.</summary>
    public virtual bool HasSavepoints => true;

    /// <summary>
    /// Whether <paramref name="exception"/>, thrown by an insert that skips stored keys (<c>ON CONFLICT DO NOTHING</c>),
    /// is a duplicate payment id another transaction committed after this one's snapshot (optimistic concurrency, as
    /// in DuckDB). The robust strategy then retries the transaction. Any other failure, a duplicate on another unique
    /// key of the table included, is a constraint violation, never retried.
    /// </summary>
    public virtual bool IsUnseenKey(Exception exception) => false;

    /// <summary>Named variants of the upsert known to be unsafe (negative controls), such as SQL Server's MERGE without a lock hint.</summary>
    public virtual IReadOnlyDictionary<string, string> UnreliableUpserts { get; } = new Dictionary<string, string>();

    /// <summary>
    /// Why the upsert <paramref name="variant"/> (a key of <see cref="UnreliableUpserts"/>) cannot run on the server
    /// <paramref name="connection"/> (open) reaches — its version has no such statement — or null when it can.
    /// </summary>
    public virtual string? UpsertUnavailable(DbConnection connection, string variant) => null;

    /// <summary>
    /// Upserts raced freely (the barrier race: sessions released together, each an autocommit upsert of the same fresh
    /// key, round after round), by name: <c>upsert</c> for the dialect's own or a key of <see cref="UnreliableUpserts"/>.
    /// For a race that lies inside one statement, where no order of whole statements can reach it.
    /// </summary>
    public virtual IReadOnlyList<string> RacedUpserts => [];

    /// <summary>
    /// Keys of <see cref="UnreliableUpserts"/> raced only freely (<see cref="RacedUpserts"/>), never step by step: their
    /// statement reads the key under a lock, so the second session's lookup waits for the first writer and a schedule of
    /// whole statements ends well whatever the statement is worth (SQL Server's MERGE without HOLDLOCK).
    /// </summary>
    public virtual IReadOnlyList<string> RacedOnlyUpserts => [];

    // ── Values ──────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Gives a parameter of the payments statements its engine type where inference is not enough (e.g. datetime2).</summary>
    public virtual void PrepareParameter(DbParameter parameter)
    {
    }

    /// <summary>The parameter value that stores <paramref name="amount"/> exactly; engines with an exact decimal type take it as it is.</summary>
    public virtual object AmountParameter(decimal amount) => amount;

    /// <summary>The amount as stored; engines with an exact decimal type return it as a <see cref="decimal"/>.</summary>
    public virtual decimal ReadAmount(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal);

    /// <summary>The parameter value for processed_at: a UTC DateTime (Npgsql 6+ refuses other kinds for timestamptz).</summary>
    public virtual object TimestampParameter(DateTimeOffset at) => at.UtcDateTime;

    /// <summary>processed_at as stored; it was written in UTC, whatever kind the driver reports.</summary>
    public virtual DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    // ── TRUNCATE versus DELETE ──────────────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// The TRUNCATE of a table (already quoted): the SQL standard's unless the engine spells it otherwise. It is sent
    /// as it is even to an engine documented to have none (SQLite): the engine's refusal is then the observation.
    /// </summary>
    public virtual string Truncate(string quotedTable) => $"TRUNCATE TABLE {quotedTable}";

    /// <summary>
    /// Statements that create <paramref name="quotedTable"/> with an auto-numbered primary key <c>id</c> and a
    /// column <c>label</c>; <paramref name="name"/> is free for a sequence or other helper object. The default is
    /// the SQL standard's identity column.
    /// </summary>
    public virtual IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
        [$"CREATE TABLE {quotedTable} (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label varchar(20) NOT NULL)"];

    /// <summary>
    /// Statements that make every row deleted from <paramref name="quotedTable"/> add a row to <paramref name="quotedLog"/>
    /// (column <c>note</c>). The default is the SQL standard's row trigger (ISO/IEC 9075-2, &lt;trigger definition&gt;),
    /// sent as it is even to an engine without triggers (DuckDB), whose refusal is then the observation.
    /// </summary>
    public virtual IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
        [$"CREATE TRIGGER {Quote(name)} AFTER DELETE ON {quotedTable} FOR EACH ROW INSERT INTO {quotedLog} (note) VALUES ('deleted')"];

    /// <summary>
    /// The type of a text column without a practical length limit, for the list-append histories' lists: SQL's
    /// <c>text</c> unless the engine spells it otherwise (SQL Server's <c>text</c> is deprecated and CONCAT refuses it).
    /// </summary>
    public virtual string UnboundedTextType => "text";

    /// <summary>A statement that adds @count rows to <paramref name="quotedTable"/> (column <c>label</c>) on the server, for timing.</summary>
    public virtual string Fill(string quotedTable) =>
        $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count) INSERT INTO {quotedTable} (label) SELECT 'row' FROM n";

    // ── For checks that need no engine ──────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Every statement the dialect can send, by name: the payments and staging statements, the unreliable variants
    /// and the dialect's own (session setup). Checks that need no engine (SQL Server's parser) read them all here.
    /// </summary>
    public virtual IEnumerable<KeyValuePair<string, string>> Statements() =>
        Sql.Named()
            .Concat(UnreliableUpserts.Select(v => new KeyValuePair<string, string>($"unreliable:{v.Key}", v.Value)))
            .Concat(Staging.Named());
}
