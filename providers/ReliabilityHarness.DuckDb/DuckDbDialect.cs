using System.Data;
using System.Data.Common;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>DuckDB through DuckDB.NET: embedded, one writing process per file, optimistic concurrency inside it.</summary>
public sealed class DuckDbDialect : Dialect
{
    // DECIMAL(19,4) is exact (duckdb.org/docs/stable/sql/data_types/numeric). A decimal wider than 18 digits is
    // stored as a 128-bit integer; the harness sends it as a .NET decimal, never as text.
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS {table} (
            payment_id   VARCHAR       PRIMARY KEY CHECK (length(payment_id) BETWEEN 1 AND 64),
            user_id      VARCHAR       NOT NULL CHECK (length(user_id) BETWEEN 1 AND 64),
            amount       DECIMAL(19,4) NOT NULL CHECK (amount > 0),
            currency     VARCHAR       NOT NULL CHECK (length(currency) = 3),
            status       VARCHAR       NOT NULL CHECK (length(status) <= 32),
            processed_at TIMESTAMPTZ   NOT NULL
        )
        """;

    // INSERT … ON CONFLICT … DO UPDATE … WHERE, PostgreSQL's form (duckdb.org/docs/stable/sql/statements/insert):
    // the WHERE leaves an unchanged row unwritten and never overwrites a different payload; the statement reports
    // one row when it inserts or updates and none otherwise.
    private const string UpsertSql = """
        INSERT INTO {table} AS p (payment_id, user_id, amount, currency, status, processed_at)
        VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at)
        ON CONFLICT (payment_id) DO UPDATE
            SET status = EXCLUDED.status, processed_at = EXCLUDED.processed_at
            WHERE p.user_id = EXCLUDED.user_id AND p.amount = EXCLUDED.amount
              AND p.currency = EXCLUDED.currency AND p.status <> EXCLUDED.status
        """;

    // A temporary table is the connection's own (schema temp.main) and a rolled-back CREATE leaves none; DuckDB
    // keeps it until the connection closes (only ON COMMIT PRESERVE ROWS exists), hence the DROP first.
    private const string CreateStagingSql = """
        CREATE TEMP TABLE {staging} (
            line BIGINT NOT NULL, payment_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL,
            amount DECIMAL(19,4) NOT NULL, currency VARCHAR NOT NULL, status VARCHAR NOT NULL
        )
        """;

    // DO NOTHING keeps the first of ids repeated within the statement and skips stored ones; the count is what was
    // inserted. An id another transaction inserts meanwhile is not seen here: if that one commits first, this
    // statement fails with a duplicate-key constraint error (the core retries it: the statement skips stored ids, so
    // such a key can only be a concurrent writer's); if it is still open, the later COMMIT fails (a transaction error).
    private const string InsertNewSql = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, @processed_at FROM {staging}
        ON CONFLICT (payment_id) DO NOTHING
        """;

    private const string Concurrency = "duckdb.org/docs/stable/connect/concurrency (optimistic concurrency control: a conflicting writer fails, nobody waits)";
    private const string TruncateDocs = "duckdb.org/docs/stable/sql/statements/delete (TRUNCATE: a DELETE of every row, transactional)";
    private const string Embedded = "embedded: the engine is a library in the process; there is no server session to end or server to crash (process-kill covers both)";

    private PaymentsSql? sql;
    private StagingSql? staging;

    public override string DisplayName => "DuckDb";

    public override DbConnection CreateConnection(string connectionString) => new DuckDbConnection(connectionString);

    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, Truncate(Quote(PaymentsSql.TableName)));

    public override StagingSql Staging => staging ??= StagingSql.For("temp." + Quote(StagingName), Quote(PaymentsSql.TableName),
        CreateStagingSql, "DROP TABLE IF EXISTS {staging}", InsertNewSql);

    // Snapshot isolation under optimistic concurrency: a transaction reads the snapshot of its first statement, and
    // writing a row another transaction changed since fails at once ("Conflict on update"), so a lost update is
    // refused, reads never skew, and write skew (two writers of different rows) commits. Two inserts of one new key
    // both succeed until the later COMMIT, which fails. TRUNCATE is a DELETE of every row: transactional, refused
    // while another table references a row, and it leaves sequences where they were. DuckDB has no triggers.
    public override ExpectationProfile Expectations { get; } = new(
        new("isolation", "lost-update@snapshot", "serialization-failure", Concurrency),
        new("isolation", "read-skew@snapshot", "consistent", Concurrency + "; duckdb.org/docs/stable/sql/statements/transactions"),
        new("isolation", "write-skew@snapshot", "write-skew", Concurrency + " (conflicts are per row written; rows only read are not checked)"),
        new("random-histories", "snapshot", "snapshot-isolation", Concurrency + "; duckdb.org/docs/stable/sql/statements/transactions (each transaction reads a snapshot; write-write conflicts abort; G2-item allowed)"),
        new("concurrent-writers", "second-process", "refused", "duckdb.org/docs/stable/connect/concurrency (one process may open a database file for writing)"),
        new("concurrent-writers", "first-insert:check-then-insert@snapshot", "serialization-failure", Concurrency + " (the later COMMIT fails on the key)"),
        new("concurrent-writers", "first-insert:upsert@snapshot", "serialization-failure", Concurrency + " (ON CONFLICT cannot see an uncommitted insert; the later COMMIT fails)"),
        new("severed-connection", "robust", Expectation.NotApplicable, Embedded),
        new("severed-connection", "unreliable", Expectation.NotApplicable, Embedded),
        new("server-crash", "robust", Expectation.NotApplicable, Embedded),
        new("truncate-vs-delete", "truncate-rollback", "restored", TruncateDocs),
        new("truncate-vs-delete", "truncate-implicit-commit", "rolled-back", TruncateDocs + "; duckdb.org/docs/stable/sql/statements/transactions"),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate continues", "duckdb.org/docs/stable/sql/statements/create_sequence (no identity columns; a sequence is never reset by a DELETE)"),
        new("truncate-vs-delete", "fk-referenced", "allowed", "duckdb.org/docs/stable/sql/constraints#foreign-keys (keys are checked row by row: a table whose referencing rows are gone can be emptied)"),
        new("truncate-vs-delete", "delete-triggers", Expectation.NotApplicable, "duckdb.org/docs/stable/sql/statements/overview (no CREATE TRIGGER: the standard's is sent, and refused)"));

    // DuckDB.NET accepts only Unspecified and Snapshot (any other level throws); both are DuckDB's one level.
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } = [IsolationLevel.Snapshot];

    // Error types (DuckDBException.ErrorType): a Transaction error is a conflict with a concurrent transaction — a
    // row written by both, or a key both inserted, found at COMMIT — and the transaction is aborted; retrying it whole
    // sees the other's commit. A Constraint error is the statement's own: a stored key, or a CHECK. Another process
    // holding the file is an IO error at open, worth retrying like SQLite's BUSY.
    public override DbErrorKind Recognize(Exception exception) => exception switch
    {
        DuckDBException { ErrorType: DuckDBErrorType.Transaction } => DbErrorKind.SerializationFailure,
        DuckDBException { ErrorType: DuckDBErrorType.Constraint } e when IsDuplicateKey(e.Message) => DbErrorKind.UniqueViolation,
        DuckDBException { ErrorType: DuckDBErrorType.Constraint } => DbErrorKind.OtherConstraint,
        DuckDBException e when e.Message.Contains("Could not set lock on file", StringComparison.Ordinal) => DbErrorKind.Busy,
        _ => DbErrorKind.Unrecognised,
    };

    public override string? ErrorCode(Exception exception) => exception is DuckDBException e ? $"DuckDB {e.ErrorType}" : null;

    // A first load appends straight into the empty table. DuckDB has no SAVEPOINT, and a duplicate key aborts the
    // transaction (duckdb.org/docs/stable/sql/statements/transactions): a load that meets one is rolled back whole
    // and the run goes the staged way in a new transaction.
    public override bool LoadsEmptyTableDirectly => true;

    public override bool HasSavepoints => false;

    // Nobody waits for a lock: a writer that meets another transaction's change fails at once
    // (duckdb.org/docs/stable/connect/concurrency), so any connection string already ends a lock wait at once.
    public override string? WithShortLockWait(string connectionString) => connectionString;

    // Optimistic concurrency: ON CONFLICT DO NOTHING fails on a key committed after the transaction's snapshot. Only
    // the primary key's duplicate is that; one on another unique index of the user's is a real violation.
    public override bool IsUnseenKey(Exception exception) =>
        Recognize(exception) == DbErrorKind.UniqueViolation && exception.Message.Contains("violates primary key constraint", StringComparison.Ordinal);

    /// <summary>The staging table's schema and name (in the connection's temp catalog), for the appender.</summary>
    internal const string StagingSchema = "main", StagingName = "payments_staging";

    public override IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
    [
        // No identity columns: a sequence gives the numbers (duckdb.org/docs/stable/sql/statements/create_sequence).
        $"CREATE OR REPLACE SEQUENCE {Quote(name)}",
        $"CREATE TABLE {quotedTable} (id INTEGER PRIMARY KEY DEFAULT nextval('{name}'), label VARCHAR NOT NULL)",
    ];

    public override string Fill(string quotedTable) => $"INSERT INTO {quotedTable} (label) SELECT 'row' FROM range(@count)";

    private static bool IsDuplicateKey(string message) =>
        message.Contains("Duplicate key", StringComparison.Ordinal) || message.Contains("PRIMARY KEY or UNIQUE constraint", StringComparison.Ordinal);
}
