using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Sqlite;

/// <summary>SQLite through Microsoft.Data.Sqlite.</summary>
public sealed class SqliteDialect : Dialect
{
    // STRICT makes the engine refuse a value of the wrong type instead of converting it. The amount is TEXT on
    // purpose: a column declared NUMERIC or DECIMAL has NUMERIC affinity, which turns '12.34' into the REAL
    // 12.339999999999999857891452847979962825775146484375 (sqlite.org/datatype3.html §3.1). The text is
    // Amount.ToCanonicalString, so equal amounts compare equal and sqlite3 shows exactly the decimal.
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS {table} (
            payment_id   TEXT NOT NULL PRIMARY KEY CHECK (length(payment_id) BETWEEN 1 AND 64),
            user_id      TEXT NOT NULL CHECK (length(user_id) BETWEEN 1 AND 64),
            amount       TEXT NOT NULL CHECK (amount GLOB '[0-9]*' AND amount NOT GLOB '*[^0-9.]*' AND amount <> '0'),
            currency     TEXT NOT NULL CHECK (length(currency) = 3),
            status       TEXT NOT NULL,
            processed_at TEXT NOT NULL
        ) STRICT
        """;

    // UPSERT since 3.24 (sqlite.org/lang_upsert.html). The WHERE keeps unchanged rows unwritten and refuses to
    // touch a row whose payload differs: such a row is an idempotency-key conflict the ingest reports.
    private const string UpsertSql = """
        INSERT INTO {table} AS p (payment_id, user_id, amount, currency, status, processed_at)
        VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at)
        ON CONFLICT (payment_id) DO UPDATE
            SET status = excluded.status, processed_at = excluded.processed_at
            WHERE p.user_id = excluded.user_id AND p.amount = excluded.amount
              AND p.currency = excluded.currency AND p.status <> excluded.status
        """;

    // The staging table is in the connection's temp schema (its own file, never synced, invisible to other
    // connections); created inside the transaction, so a rolled-back run leaves none. A pooled connection keeps
    // one a committed run dropped only if the DROP failed, hence the DROP IF EXISTS first.
    private const string CreateStagingSql = """
        CREATE TEMP TABLE {staging} (
            line INTEGER NOT NULL, payment_id TEXT NOT NULL, user_id TEXT NOT NULL,
            amount TEXT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL
        )
        """;

    // "WHERE true" tells the parser the ON CONFLICT belongs to the INSERT, not to a join (sqlite.org/lang_upsert.html §2.2).
    private const string InsertNewSql = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, @processed_at FROM {staging} WHERE true
        ON CONFLICT (payment_id) DO NOTHING
        """;

    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private PaymentsSql? sql;
    private StagingSql? staging;

    /// <param name="wal">The <c>+wal</c> variant: every database in write-ahead-log mode (sqlite.org/wal.html).</param>
    public SqliteDialect(bool wal = false)
    {
        Wal = wal;
        Expectations = new(wal ? [.. RollbackJournal, .. WriteAheadLog] : RollbackJournal);
    }

    /// <summary>Whether connections put their database in WAL mode (<c>sqlite+wal</c>).</summary>
    public bool Wal { get; }

    public override string DisplayName => "Sqlite";

    public override ExpectationProfile Expectations { get; }

    public override IReadOnlyList<string> Variants => ["wal"];

    public override Dialect? ForVariant(string variant) => variant == "wal" ? new SqliteDialect(wal: true) : null;

    // journal_mode=WAL is kept in the database file: the first connection switches it, the others find it so. The
    // answer is the mode now in force; an in-memory database, say, cannot have WAL and answers "memory".
    public override async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = await base.OpenAsync(connectionString, cancellationToken);
        if (!Wal)
        {
            return connection;
        }

        string? mode;
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL";
            mode = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        if (mode != "wal")
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"SQLite would not switch {connection.DataSource} to WAL mode (journal_mode is {mode})");
        }

        return connection;
    }

    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    // SQLite has no TRUNCATE: DELETE without WHERE takes the "truncate optimization" and rolls back like any
    // other DML (sqlite.org/lang_delete.html §4). The payments statements name none.
    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, truncate: null);

    public override StagingSql Staging => staging ??= StagingSql.For("temp." + Quote("payments_staging"), Quote(PaymentsSql.TableName),
        CreateStagingSql, "DROP TABLE IF EXISTS {staging}", InsertNewSql);

    private const string Transactions = "sqlite.org/lang_transaction.html";
    private const string NoTruncate = "sqlite.org/lang.html (no TRUNCATE among SQLite's statements: the parser refuses it); sqlite.org/lang_delete.html §4, the truncate optimization";
    private const string Embedded = "embedded: the engine is a library in the process; there is no server session to end or server to crash (process-kill covers both)";

    // One writer at a time, in the default rollback-journal mode: a second session that tries to write while
    // another holds the write lock, or to commit while another still reads, gets SQLITE_BUSY once the busy
    // timeout runs out. Every anomaly is prevented that way; so is the first-insert race, for either strategy.
    // TRUNCATE is sent all the same, and SQLite's syntax error is the observation; what depends on a TRUNCATE
    // having run does not apply.
    private static readonly Expectation[] RollbackJournal =
    [
        new("isolation", "lost-update@serializable", "busy", Transactions),
        new("isolation", "read-skew@serializable", "busy", Transactions + " (a writer cannot commit while a reader holds its SHARED lock)"),
        new("isolation", "write-skew@serializable", "busy", Transactions),
        new("random-histories", "serializable", "serializable", "sqlite.org/isolation.html (SQLite implements serializable transactions: writes are one at a time)"),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "busy", Transactions),
        new("concurrent-writers", "first-insert:upsert@serializable", "busy", Transactions),
        new("severed-connection", "robust", Expectation.NotApplicable, Embedded),
        new("severed-connection", "unreliable", Expectation.NotApplicable, Embedded),
        new("server-crash", "robust", Expectation.NotApplicable, Embedded),
        new("truncate-vs-delete", "truncate-rollback", "refused", NoTruncate),
        new("truncate-vs-delete", "truncate-implicit-commit", Expectation.NotApplicable, NoTruncate),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate refused", "sqlite.org/autoinc.html (AUTOINCREMENT ids are never reused); " + NoTruncate),
        new("truncate-vs-delete", "fk-referenced", Expectation.NotApplicable, NoTruncate),
        new("truncate-vs-delete", "delete-triggers", Expectation.NotApplicable, NoTruncate),
    ];

    // What write-ahead logging changes: a reader keeps the snapshot of its first read and no longer blocks a writer,
    // so the read-skew writer commits and the reader still sees the old row; a reader that then writes after another
    // commit still gets BUSY (SQLITE_BUSY_SNAPSHOT), which the lost-update and write-skew checks show unchanged.
    private const string WalDocs = "sqlite.org/wal.html (readers do not block writers; each reader sees the database as of its first read); sqlite.org/isolation.html";

    private static readonly Expectation[] WriteAheadLog =
    [
        new("isolation", "read-skew@serializable", "consistent", WalDocs),
    ];

    // SQLite transactions are always serializable; a deferred BEGIN takes its locks as it reads and writes, which
    // is how an application that asks for a transaction gets one (sqlite.org/lang_transaction.html).
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } = [IsolationLevel.Serializable];

    // Result codes (sqlite.org/rescode.html): 5 BUSY and 6 LOCKED can succeed on retry (extended codes such as
    // 517 BUSY_SNAPSHOT keep the primary code in their low byte); 19 CONSTRAINT cannot, and its extended codes
    // 1555 (PRIMARYKEY) and 2067 (UNIQUE) are the duplicate keys.
    public override DbErrorKind Recognize(Exception exception) => exception is SqliteException e
        ? (e.SqliteErrorCode & 0xFF, e.SqliteExtendedErrorCode) switch
        {
            (5 or 6, _) => DbErrorKind.Busy,
            (19, 1555 or 2067) => DbErrorKind.UniqueViolation,
            (19, _) => DbErrorKind.OtherConstraint,
            _ => DbErrorKind.Unrecognised,
        }
        : DbErrorKind.Unrecognised;

    public override string? ErrorCode(Exception exception) => exception is SqliteException e ? $"SQLITE {e.SqliteExtendedErrorCode}" : null;

    // BeginTransaction() is BEGIN IMMEDIATE: the write lock is taken up front, so a second writer waits
    // (busy_timeout, the command timeout) instead of failing later with SQLITE_BUSY on its first write
    // (learn.microsoft.com/dotnet/standard/data/sqlite/transactions).
    public override Task<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override Task<DbTransaction> BeginIsolatedAsync(DbConnection connection, IsolationLevel level, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(level, deferred: true));

    public override void ClearPools() => SqliteConnection.ClearAllPools();

    // One RESERVED lock at a time, in either journal mode (sqlite.org/lockingv3.html; sqlite.org/wal.html: "there
    // can only be one writer at a time").
    public override bool OneWriterAtATime => true;

    // Microsoft.Data.Sqlite retries a BUSY statement until the command timeout (Default Timeout, 30 s), so the
    // timeout is how long a busy database is waited for: it is shortened here and never lifted.
    public override string? WithShortLockWait(string connectionString) =>
        new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 1 }.ToString();

    protected override bool LiftsCommandTimeout => false;

    // 100 rows of 6 parameters per INSERT, far below SQLITE_MAX_VARIABLE_NUMBER (32,766 since 3.32). A first load
    // inserts into the table itself: one writer at a time (BEGIN IMMEDIATE), and the primary key fails a repeated
    // id at once with SQLITE_CONSTRAINT_PRIMARYKEY, leaving the transaction usable (sqlite.org/lang_savepoint.html).
    public override bool LoadsEmptyTableDirectly => true;

    public override object AmountParameter(decimal amount) => Amount.ToCanonicalString(amount);

    public override decimal ReadAmount(DbDataReader reader, int ordinal) =>
        decimal.Parse(reader.GetString(ordinal), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    public override object TimestampParameter(DateTimeOffset at) => at.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // AUTOINCREMENT: ids are never reused, even after a DELETE of every row (sqlite.org/autoinc.html).
    public override IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
        [$"CREATE TABLE {quotedTable} (id INTEGER PRIMARY KEY AUTOINCREMENT, label VARCHAR(20) NOT NULL)"];

    public override IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
        [$"CREATE TRIGGER {Quote(name)} AFTER DELETE ON {quotedTable} BEGIN INSERT INTO {quotedLog} (note) VALUES ('deleted'); END"];
}
