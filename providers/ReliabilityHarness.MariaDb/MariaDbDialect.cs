using System.Data;
using System.Data.Common;
using MySqlConnector;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.MariaDb;

/// <summary>MariaDB (InnoDB) through MySqlConnector; MySQL speaks the same protocol and dialect for everything here.</summary>
public sealed class MariaDbDialect : Dialect
{
    // DECIMAL(19,4) is exact. utf8mb4_bin compares ids byte for byte: the default collations ignore case (and
    // trailing spaces), which would make 'PAY_1' and 'pay_1' one idempotency key. InnoDB for transactions.
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS {table} (
            payment_id   VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY CHECK (CHAR_LENGTH(payment_id) >= 1),
            user_id      VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (CHAR_LENGTH(user_id) >= 1),
            amount       DECIMAL(19,4) NOT NULL CHECK (amount > 0),
            currency     CHAR(3)       CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            status       VARCHAR(32)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            processed_at DATETIME(6)   NOT NULL
        ) ENGINE = InnoDB
        """;

    // ON DUPLICATE KEY UPDATE (dev.mysql.com/doc/refman/8.0/en/insert-on-duplicate.html) has no WHERE: each
    // assignment keeps the old value unless the payload is the same and the status differs. processed_at comes
    // first because assignments run left to right and see the columns already assigned. With UseAffectedRows
    // the statement reports 1 for an insert, 2 for an update and 0 when nothing changed, so "more than zero"
    // means written here as on every other engine.
    private const string UpsertSql = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at)
        ON DUPLICATE KEY UPDATE
            processed_at = IF(user_id = VALUES(user_id) AND amount = VALUES(amount) AND currency = VALUES(currency) AND status <> VALUES(status), VALUES(processed_at), processed_at),
            status = IF(user_id = VALUES(user_id) AND amount = VALUES(amount) AND currency = VALUES(currency) AND status <> VALUES(status), VALUES(status), status)
        """;

    // CREATE/DROP TEMPORARY TABLE do not commit the transaction (mariadb.com/kb/en/create-table/#create-temporary-table);
    // a pooled session may still hold one, hence the DROP first. The same types and binary collation as the table,
    // so staged and stored values compare as the table's key does. A temporary table may appear only once in a
    // query (ER_CANT_REOPEN_TABLE): every statement here and in the core reads it once.
    private const string CreateStagingSql = """
        CREATE TEMPORARY TABLE {staging} (
            line BIGINT NOT NULL,
            payment_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            user_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            amount DECIMAL(19,4) NOT NULL,
            currency CHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            status VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
        ) ENGINE = InnoDB
        """;

    // Multi-table UPDATE (mariadb.com/kb/en/update/); with UseAffectedRows the count is the rows really changed.
    private const string UpdateChangedSql = """
        UPDATE {table} AS p JOIN {staging} AS s ON p.payment_id = s.payment_id
        SET p.status = s.status, p.processed_at = @processed_at
        WHERE p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status <> s.status
        """;

    // The ON DUPLICATE KEY UPDATE sets the key to itself: a stored (or repeated, or concurrently inserted) id is left
    // as it is and, with UseAffectedRows, counts 0, so the affected rows are the rows inserted. INSERT IGNORE
    // would also turn other errors into warnings, so it is not used.
    private const string InsertNewSql = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        SELECT s.payment_id, s.user_id, s.amount, s.currency, s.status, @processed_at FROM {staging} AS s
        ON DUPLICATE KEY UPDATE payment_id = {table}.payment_id
        """;

    private StagingSql? staging;
    private PaymentsSql? sql;

    private const string Hermitage = "github.com/ept/hermitage/blob/master/mysql.md (InnoDB)";
    private const string IsolationDocs = "mariadb.com/kb/en/set-transaction/";
    private const string TruncateDocs = "mariadb.com/kb/en/truncate-table/; dev.mysql.com/doc/refman/8.0/en/truncate-table.html";
    private const string UpsertDocs = "dev.mysql.com/doc/refman/8.0/en/insert-on-duplicate.html";

    public override string DisplayName => "MariaDb";

    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, Truncate(Quote(PaymentsSql.TableName)));

    /// <summary>The staging table's name, for the bulk loader.</summary>
    internal const string StagingName = "payments_staging";

    public override StagingSql Staging => staging ??= StagingSql.For(Quote(StagingName), Quote(PaymentsSql.TableName),
        CreateStagingSql, "DROP TEMPORARY TABLE IF EXISTS {staging}", InsertNewSql, updateChanged: UpdateChangedSql);

    // 500 rows per INSERT: MySqlConnector writes the values into the statement text, well under max_allowed_packet.
    public override int RowsPerInsert => 500;

    // A first load goes straight into the table (LOAD DATA LOCAL, see MariaDbBulkWriter): a load that refused a row
    // fails as a duplicate key would, the run rolls back to its savepoint and goes the staged way
    // (mariadb.com/kb/en/savepoint/).
    public override bool LoadsEmptyTableDirectly => true;

    // REPEATABLE READ (InnoDB's default) reads a snapshot but writes the latest row, so a read-modify-write loses
    // the other writer's update; SERIALIZABLE turns plain reads into shared locks, and two writers then deadlock
    // (1213). TRUNCATE is DDL: it commits the transaction before it runs and cannot be rolled back.
    private static readonly Expectation[] Default =
    [
        new("isolation", "lost-update@read-committed", "lost-update", Hermitage),
        new("isolation", "lost-update@repeatable-read", "lost-update", Hermitage),
        new("isolation", "lost-update@serializable", "deadlock", Hermitage),
        new("isolation", "read-skew@read-committed", "read-skew", Hermitage),
        new("isolation", "read-skew@repeatable-read", "consistent", Hermitage),
        new("isolation", "read-skew@serializable", "consistent", Hermitage),
        new("isolation", "write-skew@read-committed", "write-skew", Hermitage),
        new("isolation", "write-skew@repeatable-read", "write-skew", Hermitage),
        new("isolation", "write-skew@serializable", "deadlock", Hermitage),
        new("random-histories", "read-committed", "read-committed", IsolationDocs + " (READ COMMITTED: each consistent read sees its own fresh snapshot)"),
        new("random-histories", "repeatable-read", "read-committed", Hermitage + ": REPEATABLE READ loses updates (no G1, but G-single allowed; not snapshot isolation); jepsen.io/analyses/mysql-8.0.34 (G-single and G2-item at REPEATABLE READ); observed on MariaDB 10.11 with innodb_snapshot_isolation OFF, its default before 11.6.2"),
        new("random-histories", "serializable", "serializable", IsolationDocs + " (SERIALIZABLE: plain SELECTs become SELECT … LOCK IN SHARE MODE); " + Hermitage),
        new("concurrent-writers", "first-insert:check-then-insert@read-committed", "unique-violation", Hermitage),
        new("concurrent-writers", "first-insert:check-then-insert@repeatable-read", "unique-violation", Hermitage),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "deadlock", Hermitage + " (SERIALIZABLE reads take gap locks)"),
        new("concurrent-writers", "first-insert:upsert@read-committed", "both-succeed", UpsertDocs),
        new("concurrent-writers", "first-insert:upsert@repeatable-read", "both-succeed", UpsertDocs),
        new("concurrent-writers", "first-insert:upsert@serializable", "both-succeed", UpsertDocs),
        new("truncate-vs-delete", "truncate-rollback", "not-restored", TruncateDocs + " (implicit commit; cannot be rolled back)"),
        new("truncate-vs-delete", "truncate-implicit-commit", "committed", TruncateDocs + " (causes an implicit commit)"),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate restarts", TruncateDocs + " (AUTO_INCREMENT is reset)"),
        new("truncate-vs-delete", "fk-referenced", "refused", TruncateDocs + " (error 1701)"),
        new("truncate-vs-delete", "delete-triggers", "not-fired", TruncateDocs + " (DELETE triggers are not invoked)"),
    ];

    // What innodb_snapshot_isolation=ON changes: a locking read or write of a row another transaction changed after
    // this one's snapshot fails with 1020 (ER_CHECKREAD) instead of seeing the newer row; observed here on 10.11.19,
    // where the variable exists and is OFF by default.
    private static readonly Expectation[] SnapshotIsolation =
    [
        new("isolation", "lost-update@repeatable-read", "serialization-failure", SnapshotDocs + " (a write to a row changed after the snapshot fails with 1020)"),
        new("random-histories", "repeatable-read", "snapshot-isolation", SnapshotDocs + " (REPEATABLE READ becomes snapshot isolation: no lost update, G-single)"),
        new("concurrent-writers", "first-insert:check-then-insert@repeatable-read", "serialization-failure", SnapshotDocs + "; observed on MariaDB 10.11.19 (1020 where OFF gives 1062)"),
        new("concurrent-writers", "first-insert:upsert@serializable", "serialization-failure", SnapshotDocs + "; observed on MariaDB 10.11.19 (1020 where OFF lets both succeed)"),
    ];

    private const string SnapshotDocs = "mariadb.com/kb/en/innodb-system-variables/#innodb_snapshot_isolation (MDEV-32898)";

    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } =
        [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable];

    /// <param name="snapshotIsolation">The <c>+snapshot-isolation</c> variant: every session with innodb_snapshot_isolation ON.</param>
    public MariaDbDialect(bool snapshotIsolation = false)
    {
        SnapshotIsolationOn = snapshotIsolation;
        Expectations = new(snapshotIsolation ? [.. Default, .. SnapshotIsolation] : Default);
    }

    /// <summary>Whether sessions set innodb_snapshot_isolation ON (<c>mariadb+snapshot-isolation</c>).</summary>
    public bool SnapshotIsolationOn { get; }

    public override ExpectationProfile Expectations { get; }

    public override IReadOnlyList<string> Variants => ["snapshot-isolation"];

    public override Dialect? ForVariant(string variant) => variant == "snapshot-isolation" ? new MariaDbDialect(snapshotIsolation: true) : null;

    // A session variable (ON by default from 11.6.2; 10.6.18, 10.11.8 and 11.4 have it, OFF), set either way so a
    // spec means one behaviour on every version: plain mariadb is OFF (what its expectations say), the variant ON. A
    // server without it refuses the SET with 1193 (unknown system variable): it behaves as OFF, and the variant cannot
    // run there.
    public override async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = await base.OpenAsync(connectionString, cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = SnapshotIsolationOn ? "SET SESSION innodb_snapshot_isolation = ON" : "SET SESSION innodb_snapshot_isolation = OFF";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch (MySqlException e) when (e.Number == 1193 && !SnapshotIsolationOn)
        {
            return connection;
        }
        catch (MySqlException e) when (e.Number == 1193)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"this server has no innodb_snapshot_isolation (MariaDB {connection.ServerVersion}): mariadb+snapshot-isolation needs 10.6.18, 10.11.8, 11.4 or later", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override string? SessionIdSql => "SELECT CONNECTION_ID()";

    // InnoDB's lock waits (mariadb.com/kb/en/information-schema-innodb_lock_waits-table/); needs PROCESS.
    public override string? BlockersSql => """
        SELECT b.trx_mysql_thread_id
        FROM information_schema.INNODB_LOCK_WAITS w
        JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
        JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
        WHERE r.trx_mysql_thread_id = @session
        """;

    // MySqlConnector sends parameters as literals in the text (client-side), which KILL needs. The killed client
    // sees its connection end ("Failed to read the result set", an end of stream underneath).
    public override string? TerminateSessionSql => "KILL @session";

    // TEXT holds at most 65,535 bytes (mariadb.com/kb/en/text/); a long history's list outgrows it.
    public override string UnboundedTextType => "longtext";

    public override string Quote(string identifier) => SqlIdentifier.Quote(identifier, '`', '`');

    // UseAffectedRows: report rows changed, not rows matched (MySqlConnector's default), so an upsert that
    // changes nothing reports 0; AllowLoadLocalInfile: the bulk path's LOAD DATA LOCAL INFILE, which reads only the
    // stream the harness hands it (mysqlconnector.net/connection-options).
    public override DbConnection CreateConnection(string connectionString) =>
        new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { UseAffectedRows = true, AllowLoadLocalInfile = true }.ConnectionString);

    public override IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
        [$"CREATE TABLE {quotedTable} (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(20) NOT NULL)"];

    // Ten digits crossed six times (a recursion of ten, far below max_recursive_iterations) and cut to @count.
    public override string Fill(string quotedTable) =>
        $"INSERT INTO {quotedTable} (label) WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 9) SELECT 'row' FROM d a, d b, d c, d e, d f, d g LIMIT @count";

    public override void ClearPools() => MySqlConnection.ClearAllPools();

    // InnoDB's default is REPEATABLE READ, where a plain SELECT reads the transaction's first snapshot: the read
    // that decides whether a row is new would not see a row another writer committed since, while ON DUPLICATE
    // KEY UPDATE (a locking read) would. READ COMMITTED lets both see the same committed row, as on PostgreSQL.
    public override async Task<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    // innodb_lock_wait_timeout is a session variable; MySqlConnector has no connection-string keyword for it.
    public override string? WithShortLockWait(string connectionString) => null;

    // Error numbers (mariadb.com/kb/en/mariadb-error-code-reference/): 1213 deadlock (the transaction is rolled
    // back); 1205 lock wait timeout — a deadlock number on SQL Server, a timeout here; 1062 duplicate key;
    // 4025 CHECK failed, 1451/1452 foreign keys, 1048 NULL; 1927 connection killed. A connection MySqlConnector
    // lost says so with IsTransient, or with "Failed to read the result set" around the read that found it gone: an
    // end of stream, or, when the session is killed during LOAD DATA LOCAL (the bulk path), the connection marked Broken.
    public override DbErrorKind Recognize(Exception exception) => exception switch
    {
        RowsRefusedException => DbErrorKind.UniqueViolation,
        MySqlException { Number: 1213 } => DbErrorKind.Deadlock,
        // ER_CHECKREAD, "Record has changed since last read": with innodb_snapshot_isolation (ON by default since
        // 11.6.2) a REPEATABLE READ write to a row changed after the snapshot fails so (mariadb.com/kb/en/innodb-system-variables/).
        MySqlException { Number: 1020 } => DbErrorKind.SerializationFailure,
        MySqlException { Number: 1205 } => DbErrorKind.LockTimeout,
        MySqlException { Number: 1062 } => DbErrorKind.UniqueViolation,
        MySqlException { Number: 4025 or 3819 or 1451 or 1452 or 1048 } => DbErrorKind.OtherConstraint,
        MySqlException { Number: 1927 } => DbErrorKind.OtherTransient,
        MySqlException { InnerException: IOException or System.Net.Sockets.SocketException } => DbErrorKind.OtherTransient,
        MySqlException { InnerException: InvalidOperationException inner } when inner.Message.Contains("Broken", StringComparison.Ordinal) => DbErrorKind.OtherTransient,
        MySqlException { IsTransient: true } => DbErrorKind.OtherTransient,
        MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost } => DbErrorKind.OtherTransient,
        _ => DbErrorKind.Unrecognised,
    };

    public override string? ErrorCode(Exception exception) => exception is MySqlException e ? $"MariaDB error {e.Number}" : null;
}
