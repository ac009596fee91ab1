using System.Data;
using System.Data.Common;
using Npgsql;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.PostgreSql;

/// <summary>PostgreSQL through Npgsql.</summary>
public sealed class PostgreSqlDialect : Dialect
{
    // numeric(19,4) is exact: what goes in as 12.34 comes out as 12.3400, never a binary fraction.
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS {table} (
            payment_id   varchar(64)   PRIMARY KEY CHECK (length(payment_id) >= 1),
            user_id      varchar(64)   NOT NULL CHECK (length(user_id) >= 1),
            amount       numeric(19,4) NOT NULL CHECK (amount > 0),
            currency     char(3)       NOT NULL,
            status       varchar(32)   NOT NULL,
            processed_at timestamptz   NOT NULL
        )
        """;

    // ON CONFLICT guarantees an atomic insert-or-update outcome under concurrency at READ COMMITTED
    // (postgresql.org/docs/current/sql-insert.html, "ON CONFLICT Clause"). The WHERE leaves unchanged rows
    // unwritten (no new row version, processed_at kept) and never overwrites a different payload.
    private const string UpsertSql = """
        INSERT INTO {table} AS p (payment_id, user_id, amount, currency, status, processed_at)
        VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at)
        ON CONFLICT (payment_id) DO UPDATE
            SET status = EXCLUDED.status, processed_at = EXCLUDED.processed_at
            WHERE p.user_id = EXCLUDED.user_id AND p.amount = EXCLUDED.amount
              AND p.currency = EXCLUDED.currency AND p.status IS DISTINCT FROM EXCLUDED.status
        """;

    // The staging table lives in the session's own temporary schema and disappears with the transaction (ON COMMIT
    // DROP; a rolled-back CREATE leaves nothing either). Its columns have the payments table's types, which every
    // validated row fits, so comparing a staged row with a stored one needs no casts.
    private const string CreateStagingSql = """
        CREATE TEMP TABLE {staging} (
            line bigint NOT NULL, payment_id varchar(64) NOT NULL, user_id varchar(64) NOT NULL,
            amount numeric(19,4) NOT NULL, currency char(3) NOT NULL, status varchar(32) NOT NULL
        ) ON COMMIT DROP
        """;

    // The comparison of the other columns is one boolean test, which the planner keeps as a filter: the hash join
    // then hashes payment_id alone instead of all five columns (~15 % less time for a rerun of 1,000,000 rows).
    private const string CountIdenticalSql = """
        SELECT COUNT(*) FROM {staging} s JOIN {table} p ON p.payment_id = s.payment_id
        WHERE (p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status = s.status) IS TRUE
        """;

    // DO NOTHING skips an id that is stored, one inserted earlier by this statement (a repeat), and one another
    // writer inserts concurrently (it waits for that writer's outcome), so the row count is what this run inserted.
    private const string InsertNewSql = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, @processed_at FROM {staging}
        ON CONFLICT (payment_id) DO NOTHING
        """;

    // MERGE (PostgreSQL 15+) as an upsert, kept as a negative control: its NOT MATCHED branch is a plain INSERT. A key
    // another transaction inserts after this statement's snapshot is not seen as MATCHED, so the INSERT meets it in
    // the unique index, waits for that writer and then fails with 23505: "MERGE does not attempt to avoid such
    // errors by restarting evaluation of MATCHED conditions" (postgresql.org/docs/current/transaction-iso.html
    // §13.2.1; the Notes of postgresql.org/docs/current/sql-merge.html point to INSERT … ON CONFLICT instead).
    private const string MergeSql = """
        MERGE INTO {table} AS p
        USING (VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at))
            AS s (payment_id, user_id, amount, currency, status, processed_at)
        ON p.payment_id = s.payment_id
        WHEN MATCHED AND p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status IS DISTINCT FROM s.status THEN
            UPDATE SET status = s.status, processed_at = s.processed_at
        WHEN NOT MATCHED THEN
            INSERT (payment_id, user_id, amount, currency, status, processed_at)
            VALUES (s.payment_id, s.user_id, s.amount, s.currency, s.status, s.processed_at)
        """;

    /// <summary>The MERGE upsert, a named negative control (PostgreSQL 15+).</summary>
    public const string MergeVariant = "merge";

    private PaymentsSql? sql;
    private StagingSql? staging;
    private Dictionary<string, string>? unreliable;

    public override string DisplayName => "PostgreSql";

    public override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);

    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, Truncate(Quote(PaymentsSql.TableName)));

    public override StagingSql Staging => staging ??= StagingSql.For("pg_temp." + Quote("payments_staging"), Quote(PaymentsSql.TableName),
        CreateStagingSql, null, InsertNewSql, countIdentical: CountIdenticalSql);

    public override IReadOnlyDictionary<string, string> UnreliableUpserts => unreliable ??= new()
    {
        [MergeVariant] = MergeSql.Replace(PaymentsSql.Table, Quote(PaymentsSql.TableName), StringComparison.Ordinal),
    };

    // MERGE came with PostgreSQL 15 (postgresql.org/docs/15/release-15.html); the server reports its version when a
    // connection opens, so nothing is sent to learn it.
    public override string? UpsertUnavailable(DbConnection connection, string variant) =>
        variant == MergeVariant && ((NpgsqlConnection)connection).PostgreSqlVersion is { Major: < 15 } version
            ? $"PostgreSQL {version} has no MERGE (it came with 15)"
            : null;

    // The barrier race, which SQL Server's MERGE needs, run here too: PostgreSQL's MERGE fails it with 23505 and
    // ON CONFLICT never does, so the one race mechanism is seen to tell them apart on an engine this repository has.
    public override IReadOnlyList<string> RacedUpserts => ["upsert", MergeVariant];

    private const string Hermitage = "github.com/ept/hermitage/blob/master/postgres.md";
    private const string IsolationDocs = "postgresql.org/docs/current/transaction-iso.html";
    private const string InsertDocs = "postgresql.org/docs/current/sql-insert.html";
    private const string MergeDocs = "postgresql.org/docs/current/transaction-iso.html §13.2.1 (MERGE: a duplicate inserted concurrently raises a uniqueness violation; MATCHED is not re-evaluated); postgresql.org/docs/current/sql-merge.html (Notes)";

    // READ COMMITTED takes a new snapshot per statement, so a read-modify-write loses the other writer's update;
    // REPEATABLE READ and SERIALIZABLE fail the second writer with 40001; only SERIALIZABLE also stops write skew.
    // ON CONFLICT waits for the first writer and then updates (or, with our WHERE, leaves) its row at READ
    // COMMITTED, but above it fails with 40001 when the conflicting row is newer than the snapshot.
    public override ExpectationProfile Expectations { get; } = new(
        new("isolation", "lost-update@read-committed", "lost-update", Hermitage),
        new("isolation", "lost-update@repeatable-read", "serialization-failure", Hermitage),
        new("isolation", "lost-update@serializable", "serialization-failure", Hermitage),
        new("isolation", "read-skew@read-committed", "read-skew", Hermitage),
        new("isolation", "read-skew@repeatable-read", "consistent", Hermitage),
        new("isolation", "read-skew@serializable", "consistent", Hermitage),
        new("isolation", "write-skew@read-committed", "write-skew", Hermitage),
        new("isolation", "write-skew@repeatable-read", "write-skew", Hermitage),
        new("isolation", "write-skew@serializable", "serialization-failure", Hermitage),
        new("random-histories", "read-committed", "read-committed", IsolationDocs + " §13.2.1 (each statement sees only data committed before it began)"),
        new("random-histories", "repeatable-read", "snapshot-isolation", IsolationDocs + " §13.2.2 (Repeatable Read is implemented as Snapshot Isolation: G2-item allowed, G-single not); jepsen.io/analyses/postgresql-12.3"),
        new("random-histories", "serializable", "serializable", IsolationDocs + " §13.2.3 (Serializable Snapshot Isolation); jepsen.io/analyses/postgresql-12.3 (G2-item under SERIALIZABLE in 12.3, fixed in 12.4 and 13)"),
        new("concurrent-writers", "first-insert:check-then-insert@read-committed", "unique-violation", IsolationDocs),
        new("concurrent-writers", "first-insert:check-then-insert@repeatable-read", "unique-violation", IsolationDocs),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "serialization-failure", IsolationDocs + " §13.2.3"),
        new("concurrent-writers", "first-insert:upsert@read-committed", "both-succeed", InsertDocs + " (ON CONFLICT)"),
        new("concurrent-writers", "first-insert:upsert@repeatable-read", "serialization-failure", IsolationDocs + " §13.2.2"),
        new("concurrent-writers", "first-insert:upsert@serializable", "serialization-failure", IsolationDocs + " §13.2.3"),
        new("concurrent-writers", "first-insert:merge@read-committed", "unique-violation", MergeDocs, Since: "15"),
        new("concurrent-writers", "first-insert:merge@repeatable-read", "unique-violation",
            "postgresql.org/docs/current/mvcc-serialization-failure-handling.html (§13.5: a key another transaction inserted concurrently fails with 23505, \"effectively a serialization failure\" the server does not report as one; unlike ON CONFLICT's 40001); observed on PostgreSQL 15.18", Since: "15"),
        new("concurrent-writers", "first-insert:merge@serializable", "serialization-failure", IsolationDocs + " §13.2.3 (SSI: the lookup found no row the other transaction then wrote); observed on PostgreSQL 15.18", Since: "15"),
        new("concurrent-writers", "first-insert-race:merge", "unique-violation", MergeDocs, Since: "15"),
        new("concurrent-writers", "first-insert-race:upsert", "no-unique-violation", InsertDocs + " (ON CONFLICT: an atomic insert-or-update outcome under concurrency)"),
        new("truncate-vs-delete", "truncate-rollback", "restored", TruncateDocs + " (TRUNCATE is transaction-safe)"),
        new("truncate-vs-delete", "truncate-implicit-commit", "rolled-back", TruncateDocs),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate continues", TruncateDocs + " (CONTINUE IDENTITY is the default)"),
        new("truncate-vs-delete", "fk-referenced", "refused", TruncateDocs + " (unless CASCADE or the referencing table is truncated too)"),
        new("truncate-vs-delete", "delete-triggers", "not-fired", TruncateDocs + " (ON TRUNCATE triggers fire, ON DELETE triggers do not)"));

    private const string TruncateDocs = "postgresql.org/docs/current/sql-truncate.html";

    // READ UNCOMMITTED behaves as READ COMMITTED in PostgreSQL (postgresql.org/docs/current/transaction-iso.html).
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } =
        [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable];

    // SQLSTATE (postgresql.org/docs/current/errcodes-appendix.html): 40001 serialization_failure and 40P01
    // deadlock_detected succeed when the whole transaction is retried, as does 55P03 lock_not_available (a
    // lock_timeout); so does a new connection after 57P01-57P03 (the session was terminated, the server is shutting
    // down or starting) or a class 08 connection failure. 23505 is unique_violation, the rest of class 23 other
    // integrity violations. A connection Npgsql lost on its side says so with IsTransient.
    public override DbErrorKind Recognize(Exception exception) => exception switch
    {
        PostgresException e => e.SqlState switch
        {
            "40001" => DbErrorKind.SerializationFailure,
            "40P01" => DbErrorKind.Deadlock,
            "55P03" => DbErrorKind.LockTimeout,
            "23505" => DbErrorKind.UniqueViolation,
            "57P01" or "57P02" or "57P03" => DbErrorKind.OtherTransient,
            _ when e.SqlState.StartsWith("08", StringComparison.Ordinal) => DbErrorKind.OtherTransient,
            _ when e.SqlState.StartsWith("23", StringComparison.Ordinal) => DbErrorKind.OtherConstraint,
            _ => DbErrorKind.Unrecognised,
        },
        NpgsqlException { IsTransient: true } => DbErrorKind.OtherTransient,
        _ => DbErrorKind.Unrecognised,
    };

    public override string? ErrorCode(Exception exception) => exception switch
    {
        PostgresException e => $"SQLSTATE {e.SqlState}",
        NpgsqlException => "connection lost",
        _ => null,
    };

    public override void ClearPools() => NpgsqlConnection.ClearAllPools();

    // Options passes server settings at connection start; lock_timeout makes a lock wait fail with 55P03.
    public override string? WithShortLockWait(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c lock_timeout=500" }.ConnectionString;

    public override string? SessionIdSql => "SELECT pg_backend_pid()";

    // pg_blocking_pids: the sessions holding the locks the session waits for (postgresql.org/docs/current/functions-info.html).
    public override string? BlockersSql => "SELECT unnest(pg_blocking_pids(@session))";

    public override string? TerminateSessionSql => "SELECT pg_terminate_backend(@session)";

    // A duplicate key fails only the statement: after ROLLBACK TO SAVEPOINT the transaction goes on
    // (postgresql.org/docs/current/sql-rollback-to.html).
    public override bool LoadsEmptyTableDirectly => true;

    public override IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
        [$"CREATE TABLE {quotedTable} (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label varchar(20) NOT NULL)"];

    public override IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
    [
        $"CREATE FUNCTION {Quote(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO {quotedLog} (note) VALUES ('deleted'); RETURN OLD; END $$",
        $"CREATE TRIGGER {Quote(name)} AFTER DELETE ON {quotedTable} FOR EACH ROW EXECUTE FUNCTION {Quote(name)}()",
    ];

    public override string Fill(string quotedTable) => $"INSERT INTO {quotedTable} (label) SELECT 'row' FROM generate_series(1, @count)";
}
