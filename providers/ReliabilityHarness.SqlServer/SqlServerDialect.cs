using System.Data;
using System.Data.Common;
using Microsoft.Data.SqlClient;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.SqlServer;

/// <summary>
/// SQL Server through Microsoft.Data.SqlClient. Written from the documentation: no SQL Server runs where this
/// harness is developed, so every statement here is checked by Microsoft's own T-SQL parser (ScriptDom) in the
/// suite, and the engine tests run wherever HARNESS_SQLSERVER or Docker provides an engine.
/// </summary>
public sealed class SqlServerDialect : Dialect
{
    // decimal(19,4) is exact. Text takes a binary collation: the default ones ignore case, so 'PAY_1' and 'pay_1' would be one
    // idempotency key, unlike every other engine here. SQL Server has no CREATE TABLE IF NOT EXISTS; OBJECT_ID tests for it.
    private const string CreateTableSql = """
        IF OBJECT_ID(N'{table}', N'U') IS NULL
        CREATE TABLE {table} (
            payment_id   nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY CHECK (len(payment_id) >= 1),
            user_id      nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (len(user_id) >= 1),
            amount       decimal(19,4) NOT NULL CHECK (amount > 0),
            currency     char(3)       COLLATE Latin1_General_100_BIN2 NOT NULL,
            status       nvarchar(32)  COLLATE Latin1_General_100_BIN2 NOT NULL,
            processed_at datetime2(6)  NOT NULL
        );
        """;

    // MERGE alone is not atomic against a concurrent MERGE of the same new key: both can see "not matched" and both insert,
    // the loser failing with 2627 (learn.microsoft.com/sql/t-sql/statements/merge-transact-sql, "Concurrency considerations";
    // Dan Guzman, "UPSERT race condition with MERGE", 2009). HOLDLOCK keeps the key range locked from match to insert, so the
    // second writer waits, then matches; on hot keys that can deadlock (1205), which the robust strategy retries (Michael J.
    // Swart, "Mythbusting: concurrent update/insert solutions", 2011). WHEN MATCHED AND … writes only a changed status.
    private const string MergeSql = """
        MERGE {table} WITH (HOLDLOCK) AS p
        USING (VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at))
            AS s (payment_id, user_id, amount, currency, status, processed_at)
        ON p.payment_id = s.payment_id
        WHEN MATCHED AND p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status <> s.status THEN
            UPDATE SET status = s.status, processed_at = s.processed_at
        WHEN NOT MATCHED BY TARGET THEN
            INSERT (payment_id, user_id, amount, currency, status, processed_at)
            VALUES (s.payment_id, s.user_id, s.amount, s.currency, s.status, s.processed_at);
        """;

    // A local temporary table (#) belongs to the session and goes with it; created in the transaction, a rollback
    // removes it. The same types and binary collations as the table, so staged and stored values compare as its key.
    private const string CreateStagingSql = """
        CREATE TABLE {staging} (
            line bigint NOT NULL,
            payment_id nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
            user_id nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
            amount decimal(19,4) NOT NULL,
            currency char(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
            status nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL
        );
        """;

    private const string DropStagingSql = "IF OBJECT_ID(N'tempdb..#payments_staging') IS NOT NULL DROP TABLE {staging};";

    // UPDATE … FROM (learn.microsoft.com/sql/t-sql/queries/update-transact-sql): repeated ids are identical by then.
    private const string UpdateChangedSql = """
        UPDATE p SET p.status = s.status, p.processed_at = @processed_at
        FROM {table} AS p JOIN {staging} AS s ON p.payment_id = s.payment_id
        WHERE p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status <> s.status;
        """;

    // The upsert's insert half, race-safe as the single-row MERGE is (HOLDLOCK); DISTINCT: a MERGE may not insert a key twice.
    private const string InsertNewSql = """
        MERGE {table} WITH (HOLDLOCK) AS p
        USING (SELECT DISTINCT payment_id, user_id, amount, currency, status FROM {staging}) AS s
        ON p.payment_id = s.payment_id
        WHEN NOT MATCHED BY TARGET THEN
            INSERT (payment_id, user_id, amount, currency, status, processed_at)
            VALUES (s.payment_id, s.user_id, s.amount, s.currency, s.status, @processed_at);
        """;

    /// <summary>The classic race, kept as a named negative control: the same MERGE without the lock hint.</summary>
    public const string PlainMergeVariant = "plain-merge";

    // Without XACT_ABORT ON some run-time errors roll back only the failing statement and leave the transaction open,
    // so a later COMMIT would keep a half-done run (learn.microsoft.com/sql/t-sql/statements/set-xact-abort-transact-sql).
    public const string RobustSessionSql = "SET XACT_ABORT ON;";

    /// <param name="readCommittedSnapshot">The <c>+rcsi</c> variant: each database with READ_COMMITTED_SNAPSHOT ON.</param>
    public SqlServerDialect(bool readCommittedSnapshot = false) => ReadCommittedSnapshot = readCommittedSnapshot;

    public bool ReadCommittedSnapshot { get; }

    // READ COMMITTED then reads the last committed version, not waiting on locks; Hermitage (test_snap1) found the same lost update,
    // read skew and write skew outcomes as locking READ COMMITTED, so the profile is shared (github.com/ept/hermitage, sqlserver.md).
    public override string? DatabaseSetupSql => ReadCommittedSnapshot ? ReadCommittedSnapshotSql : null;

    public const string ReadCommittedSnapshotSql = "ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;";

    public override IReadOnlyList<string> Variants => ["rcsi"];
    public override Dialect? ForVariant(string variant) => variant == "rcsi" ? new SqlServerDialect(readCommittedSnapshot: true) : null;

    private const string SessionIdQuery = "SELECT @@SPID;";

    private const string BlockersQuery = "SELECT blocking_session_id FROM sys.dm_exec_requests WHERE session_id = @session AND blocking_session_id <> 0;";

    private const string TerminateQuery = "DECLARE @kill nvarchar(40) = N'KILL ' + CAST(CAST(@session AS int) AS nvarchar(11)); EXEC (@kill);";

    // SqlConfigurableRetryFactory's baseline transient errors (connection resets, failovers, resource limits), less the three named below.
    private static readonly HashSet<int> OtherTransientNumbers =
        [1204, 49918, 49919, 49920, 4060, 4221, 40143, 40613, 40501, 40540, 40197, 10929, 10928, 10060, 10054, 10053, 233, 64, 20];

    private PaymentsSql? sql;
    private StagingSql? staging;

    // The seeded flaw (fault catalogue): every MERGE, the staged one too, without its lock hint.
    public override StagingSql Staging => Seeded.Has(Flaw.MergeWithoutHoldlock)
        ? StagedSql with { InsertNew = Seeded.Rewrite(StagedSql.InsertNew, Holdlock, string.Empty) }
        : StagedSql;

    public override PaymentsSql Sql => Seeded.Has(Flaw.MergeWithoutHoldlock)
        ? PaymentSql with { Upsert = Seeded.Rewrite(PaymentSql.Upsert, Holdlock, string.Empty) }
        : PaymentSql;

    private const string Holdlock = " WITH (HOLDLOCK)";

    private StagingSql StagedSql => staging ??= StagingSql.For(Quote("#payments_staging"), Quote(PaymentsSql.TableName),
        CreateStagingSql, DropStagingSql, InsertNewSql, updateChanged: UpdateChangedSql, terminator: ";");

    // 300 rows of 6 parameters: a request carries at most 2,100 (learn.microsoft.com/sql/sql-server/maximum-capacity-specifications-for-sql-server).
    public override int RowsPerInsert => 300;

    public override string DisplayName => "SqlServer";

    private PaymentsSql PaymentSql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, MergeSql,
        truncate: Truncate(Quote(PaymentsSql.TableName)), dropTable: "DROP TABLE IF EXISTS {table};");

    public override IReadOnlyDictionary<string, string> UnreliableUpserts => new Dictionary<string, string>
    {
        [PlainMergeVariant] = PaymentSql.Upsert.Replace(Holdlock, string.Empty, StringComparison.Ordinal),
    };

    // The plain MERGE's race lies inside one statement, between lookup and insert: whole MERGEs stepped one after another never
    // reach it, so it is raced freely, sessions released together, beside the HOLDLOCK MERGE that must never lose.
    public override IReadOnlyList<string> RacedUpserts => ["upsert", PlainMergeVariant];

    public override IReadOnlyList<string> RacedOnlyUpserts => [PlainMergeVariant];

    private const string Hermitage = "github.com/ept/hermitage/blob/master/sqlserver.md (not observed by this repository's CI)";
    private const string MergeRace = "learn.microsoft.com/sql/t-sql/statements/merge-transact-sql (Concurrency considerations); Dan Guzman, \"UPSERT race condition with MERGE\" (2009); Michael J. Swart, \"Mythbusting: concurrent update/insert solutions\" (2011) (not observed by this repository's CI)";
    private const string Reasoned = "learn.microsoft.com/sql/t-sql/statements/merge-transact-sql, reasoned from the locks each level takes (not observed by this repository's CI)";

    // Locking READ COMMITTED releases read locks at once, so nothing stops the anomalies; REPEATABLE READ and
    // SERIALIZABLE hold them, and two writers then deadlock (1205); SNAPSHOT fails a conflicting update (3960)
    // and allows write skew. A step script cannot split one MERGE's lookup from its insert, so the plain MERGE is
    // held to its documented race only by racing it: at least one 2627 within the rounds, and none with HOLDLOCK.
    public override ExpectationProfile Expectations { get; } = new(
        new("isolation", "lost-update@read-committed", "lost-update", Hermitage),
        new("isolation", "lost-update@repeatable-read", "deadlock", Hermitage),
        new("isolation", "lost-update@snapshot", "serialization-failure", Hermitage),
        new("isolation", "lost-update@serializable", "deadlock", Hermitage),
        new("isolation", "read-skew@read-committed", "read-skew", Hermitage),
        new("isolation", "read-skew@repeatable-read", "consistent", Hermitage),
        new("isolation", "read-skew@snapshot", "consistent", Hermitage),
        new("isolation", "read-skew@serializable", "consistent", Hermitage),
        new("isolation", "write-skew@read-committed", "write-skew", Hermitage),
        new("isolation", "write-skew@repeatable-read", "deadlock", Hermitage),
        new("isolation", "write-skew@snapshot", "write-skew", Hermitage),
        new("isolation", "write-skew@serializable", "deadlock", Hermitage),
        new("random-histories", "read-committed", "read-committed", Hermitage),
        new("random-histories", "repeatable-read", "repeatable-read", Hermitage + "; learn.microsoft.com/sql/t-sql/statements/set-transaction-isolation-level-transact-sql (shared locks on every row read held to the end: no item anomaly)"),
        new("random-histories", "snapshot", "snapshot-isolation", Hermitage + "; learn.microsoft.com/sql/t-sql/statements/set-transaction-isolation-level-transact-sql (SNAPSHOT: update conflicts abort with 3960)"),
        new("random-histories", "serializable", "serializable", Hermitage),
        new("concurrent-writers", "first-insert:check-then-insert@read-committed", "unique-violation", Reasoned),
        new("concurrent-writers", "first-insert:check-then-insert@repeatable-read", "unique-violation", Reasoned),
        new("concurrent-writers", "first-insert:check-then-insert@snapshot", "unique-violation", Reasoned),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "deadlock", Reasoned),
        new("concurrent-writers", "first-insert:upsert@read-committed", "both-succeed", Reasoned),
        new("concurrent-writers", "first-insert:upsert@repeatable-read", "both-succeed", Reasoned),
        new("concurrent-writers", "first-insert:upsert@snapshot", "unique-violation", Reasoned),
        new("concurrent-writers", "first-insert:upsert@serializable", "both-succeed", Reasoned),
        new("concurrent-writers", "first-insert-race:plain-merge", "unique-violation", MergeRace),
        new("concurrent-writers", "first-insert-race:upsert", "no-unique-violation", MergeRace + " (HOLDLOCK: the key range stays locked from the lookup to the insert)"),
        new("truncate-vs-delete", "truncate-rollback", "restored", TruncateDocs),
        new("truncate-vs-delete", "truncate-implicit-commit", "rolled-back", TruncateDocs),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate restarts", TruncateDocs + " (the identity is reset to its seed)"),
        new("truncate-vs-delete", "fk-referenced", "refused", TruncateDocs + " (not allowed on a table referenced by a FOREIGN KEY)"),
        new("truncate-vs-delete", "delete-triggers", "not-fired", TruncateDocs + " (TRUNCATE TABLE does not fire DELETE triggers)"));

    private const string TruncateDocs = "learn.microsoft.com/sql/t-sql/statements/truncate-table-transact-sql (not observed by this repository's CI)";

    // text is deprecated and CONCAT refuses it (learn.microsoft.com/sql/t-sql/functions/concat-transact-sql); nvarchar(max) is its successor.
    public override string UnboundedTextType => "nvarchar(max)";

    public override string Quote(string identifier) => SqlIdentifier.Quote(identifier, '[', ']');

    public override DbConnection CreateConnection(string connectionString) => new SqlConnection(connectionString);

    // sp_reset_connection, run when a pooled connection is reused, leaves the isolation level the session last set
    // (github.com/dotnet/SqlClient/issues/96, open): a connection the pool hands back after a SERIALIZABLE check would
    // start its next transaction there. Every opened connection starts at the default instead.
    public override string? SessionSetupSql => ResetIsolationSql;

    public const string ResetIsolationSql = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;";

    // sys.dm_exec_requests shows other sessions only to a login with VIEW SERVER STATE
    // (learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-requests-transact-sql, Permissions).
    // From 2022, VIEW SERVER PERFORMANCE STATE is enough; an older server does not know the name and answers NULL.
    public override string? WatchPermissionSql =>
        "SELECT CASE WHEN HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE') = 1 OR HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER PERFORMANCE STATE') = 1 THEN 1 ELSE 0 END;";

    public override string? WatchPermissionHint => "GRANT VIEW SERVER STATE (or, from 2022, VIEW SERVER PERFORMANCE STATE) TO the login: sys.dm_exec_requests shows other sessions only with it";

    public override IEnumerable<KeyValuePair<string, string>> Statements() => base.Statements().Concat(
    [
        new("RobustSession", RobustSessionSql),
        new("ResetIsolation", ResetIsolationSql),
        new("WatchPermission", WatchPermissionSql!),
        new("ReadCommittedSnapshot", ReadCommittedSnapshotSql),
        new("SessionId", SessionIdQuery),
        new("Blockers", BlockersQuery),
        new("TerminateSession", TerminateQuery),
        new("TruncateProbe", Truncate(Quote("tvd_probe"))),
        new("NumberedTable", CreateNumberedTable(Quote("tvd_probe"), "tvd_probe_id")[0]),
        new("DeleteTrigger", DeleteTrigger(Quote("tvd_probe"), Quote("tvd_log"), "tvd_trigger")[0]),
        new("Fill", Fill(Quote("tvd_probe"))),
    ]);

    public override async Task<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = RobustSessionSql;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
    }

    // Inference would send a DateTime as the old datetime type (1/300 s precision) and a decimal with the
    // precision of its value; the table's own types avoid both. Strings keep inference: a declared size would
    // make SqlClient cut a longer value silently instead of letting the engine refuse it.
    public override void PrepareParameter(DbParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var sqlParameter = (SqlParameter)parameter;
        switch (parameter.ParameterName)
        {
            case PaymentsSql.Amount:
                (sqlParameter.SqlDbType, sqlParameter.Precision, sqlParameter.Scale) = (SqlDbType.Decimal, 19, 4);
                break;
            case PaymentsSql.ProcessedAt:
                (sqlParameter.SqlDbType, sqlParameter.Scale) = (SqlDbType.DateTime2, 6);
                break;
        }
    }

    // SNAPSHOT needs ALLOW_SNAPSHOT_ISOLATION on the database, which the isolated databases switch on.
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } =
        [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Snapshot, IsolationLevel.Serializable];

    public override string? SessionIdSql => SessionIdQuery;

    // A waiting session's request names whom it waits for (learn.microsoft.com/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-requests-transact-sql).
    public override string? BlockersSql => BlockersQuery;

    // KILL takes no variable; the id comes from the engine (@@SPID), never from input.
    public override string? TerminateSessionSql => TerminateQuery;

    public override void ClearPools() => SqlConnection.ClearAllPools();

    public override string Truncate(string quotedTable) => $"TRUNCATE TABLE {quotedTable};";

    public override IReadOnlyList<string> CreateNumberedTable(string quotedTable, string name) =>
        [$"CREATE TABLE {quotedTable} (id int IDENTITY(1,1) PRIMARY KEY, label nvarchar(20) NOT NULL);"];

    public override IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
        [$"CREATE TRIGGER {Quote(name)} ON {quotedTable} AFTER DELETE AS INSERT INTO {quotedLog} (note) SELECT N'deleted' FROM deleted;"];

    // sys.all_objects has a few thousand rows; crossed with itself it has millions, of which TOP takes @count.
    public override string Fill(string quotedTable) =>
        $"INSERT INTO {quotedTable} (label) SELECT TOP (@count) N'row' FROM sys.all_objects a CROSS JOIN sys.all_objects b;";

    // SET LOCK_TIMEOUT is a session statement; SqlClient has no connection-string keyword for it.
    public override string? WithShortLockWait(string connectionString) => null;

    // 1205 deadlock victim; 3960 a SNAPSHOT transaction's row changed since it began; 1222 lock time-out; 2627/2601 unique;
    // 547 CHECK or FOREIGN KEY (learn.microsoft.com/sql/relational-databases/errors-events/database-engine-events-and-errors).
    public override DbErrorKind Recognize(Exception exception) => exception is SqlException e
        ? e.Number switch
        {
            1205 => DbErrorKind.Deadlock,
            3960 => DbErrorKind.SerializationFailure,
            1222 => DbErrorKind.LockTimeout,
            2627 or 2601 => DbErrorKind.UniqueViolation,
            547 => DbErrorKind.OtherConstraint,
            _ when OtherTransientNumbers.Contains(e.Number) => DbErrorKind.OtherTransient,
            _ => DbErrorKind.Unrecognised,
        }
        : DbErrorKind.Unrecognised;

    public override string? ErrorCode(Exception exception) => exception is SqlException e ? $"SQL Server error {e.Number}" : null;
}
