using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Sqlite;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite: embedded, always available, a temporary file per isolated database
/// (not :memory:, so several connections share it).
/// </summary>
public sealed class SqliteProvider : Provider
{
    private PaymentsSql? sql;

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

    // SQLite has no TRUNCATE: DELETE without WHERE takes the "truncate optimization" and rolls back like any
    // other DML (sqlite.org/lang_delete.html §4), so Truncate is null and the scenarios say "unsupported".
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

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

    private StagingSql? staging;

    public override string Name => "sqlite";

    public override string DisplayName => "Sqlite";

    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, Truncate(Quote(PaymentsSql.TableName)));

    public override StagingSql Staging => staging ??= StagingSql.For("temp." + Quote("payments_staging"), Quote(PaymentsSql.TableName),
        CreateStagingSql, "DROP TABLE IF EXISTS {staging}", InsertNewSql);

    // 100 rows of 6 parameters per INSERT, far below SQLITE_MAX_VARIABLE_NUMBER (32,766 since 3.32).
    protected override int StagingRowsPerStatement => 100;

    // The portable writer binds parameters by name, and SQLite finds a name by scanning the statement's list
    // (sqlite3_bind_parameter_index), which for a 600-parameter statement costs more than the insert. This writer
    // prepares the same multi-row INSERT once on the connection's own handle and binds by position, as the sqlite3
    // shell's .import does; it runs inside the connection's transaction like any other statement.
    public override async Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await CreateStagingAsync(connection, transaction, cancellationToken);
        return new PositionalStagingWriter((SqliteConnection)connection, Staging, StagingRowsPerStatement, null);
    }

    // A first load inserts into the payments table itself with the same kind of statement: one writer at a time
    // (BEGIN IMMEDIATE), and the primary key fails a repeated id at once with SQLITE_CONSTRAINT_PRIMARYKEY.
    public override bool LoadsEmptyTableDirectly => true;

    public override Task<StagingWriter> BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Task.FromResult<StagingWriter>(new PositionalStagingWriter((SqliteConnection)connection, Staging, StagingRowsPerStatement,
            (string)TimestampParameter(processedAt)));

    // The table has a rowid (it is not WITHOUT ROWID), and rows get rowids in the order they are inserted, so
    // "ORDER BY rowid" is a plain scan in load order (sqlite.org/lang_createtable.html#rowid). Stopping early just
    // resets the statement.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadInRowidOrderAsync(connection, transaction, cancellationToken);

    private async IAsyncEnumerable<Payment> ReadInRowidOrderAsync(DbConnection connection, DbTransaction transaction, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT payment_id, user_id, amount, currency, status FROM {Quote(PaymentsSql.TableName)} ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new Payment(reader.GetString(0), reader.GetString(1), ReadAmount(reader, 2), reader.GetString(3), reader.GetString(4));
        }
    }

    /// <summary>Multi-row INSERTs bound by position: into the staging table (line first), or, given processed_at, into the payments table (it last).</summary>
    private sealed class PositionalStagingWriter : BufferedStagingWriter
    {
        private readonly SqliteConnection connection;
        private readonly StagingSql staging;
        private readonly string? processedAt;
        private readonly sqlite3_stmt full;

        public PositionalStagingWriter(SqliteConnection connection, StagingSql staging, int rowsPerStatement, string? processedAt)
            : base(rowsPerStatement)
        {
            (this.connection, this.staging, this.processedAt) = (connection, staging, processedAt);
            full = Prepare(rowsPerStatement);
        }

        public override ValueTask DisposeAsync()
        {
            full.Dispose();
            return base.DisposeAsync();
        }

        // Binds the rows by position (1-based, six per row), runs the statement once, and resets it. Text is bound as
        // the string's own UTF-16 (sqlite3_bind_text16; SQLite converts it as it stores it): binding a string as
        // UTF-8 makes the driver allocate and encode a copy of every value first, which measured ~15 % slower.
        protected override ValueTask SendAsync(ReadOnlyMemory<(long Line, Payment Payment)> rows, CancellationToken cancellationToken)
        {
            var statement = rows.Length == RowsPerStatement ? full : Prepare(rows.Length);
            try
            {
                var at = 1;
                foreach (var (line, payment) in rows.Span)
                {
                    if (processedAt is null)
                    {
                        Check(raw.sqlite3_bind_int64(statement, at++, line));
                    }

                    Check(raw.sqlite3_bind_text16(statement, at++, payment.PaymentId));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.UserId));
                    Check(raw.sqlite3_bind_text16(statement, at++, Amount.ToCanonicalString(payment.Amount)));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.Currency));
                    Check(raw.sqlite3_bind_text16(statement, at++, payment.Status));
                    if (processedAt is not null)
                    {
                        Check(raw.sqlite3_bind_text16(statement, at++, processedAt));
                    }
                }

                var rc = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc);
                return ValueTask.CompletedTask;
            }
            finally
            {
                if (statement != full)
                {
                    statement.Dispose();
                }
            }
        }

        private sqlite3_stmt Prepare(int rows)
        {
            Check(raw.sqlite3_prepare_v2(connection.Handle, processedAt is null ? staging.InsertRows(rows) : staging.LoadRows(rows), out var statement));
            return statement;
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }
        }
    }

    private const string Transactions = "sqlite.org/lang_transaction.html";

    // One writer at a time, in the default rollback-journal mode: a second session that tries to write while
    // another holds the write lock, or to commit while another still reads, gets SQLITE_BUSY once the busy
    // timeout runs out. Every anomaly is prevented that way; so is the first-insert race, for either strategy.
    public override ExpectationProfile Expectations { get; } = new(
        new("isolation", "lost-update@serializable", "busy", Transactions),
        new("isolation", "read-skew@serializable", "busy", Transactions + " (a writer cannot commit while a reader holds its SHARED lock)"),
        new("isolation", "write-skew@serializable", "busy", Transactions),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "busy", Transactions),
        new("concurrent-writers", "first-insert:upsert@serializable", "busy", Transactions),
        new("severed-connection", "robust", "unsupported", "embedded: no server session to sever"),
        new("severed-connection", "unreliable", "unsupported", "embedded: no server session to sever"),
        new("truncate-vs-delete", "truncate-rollback", "unsupported", NoTruncate),
        new("truncate-vs-delete", "truncate-implicit-commit", "unsupported", NoTruncate),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate unsupported", "sqlite.org/autoinc.html"),
        new("truncate-vs-delete", "fk-referenced", "unsupported", NoTruncate),
        new("truncate-vs-delete", "delete-triggers", "unsupported", NoTruncate));

    private const string NoTruncate = "sqlite.org/lang.html (no TRUNCATE statement); sqlite.org/lang_delete.html §4, the truncate optimization";

    public override bool IsEmbedded => true;

    public override string? ContainerImage => null;

    public override string Quote(string identifier) => SqlIdentifier.Quote(identifier, '"', '"');

    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    // BeginTransaction() is BEGIN IMMEDIATE: the write lock is taken up front, so a second writer waits
    // (busy_timeout, the command timeout) instead of failing later with SQLITE_BUSY on its first write
    // (learn.microsoft.com/dotnet/standard/data/sqlite/transactions).
    public override Task<DbTransaction> BeginTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    // Microsoft.Data.Sqlite retries a BUSY statement until the command timeout (Default Timeout, 30 s).
    public override string? WithShortLockWait(string connectionString) =>
        new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 1 }.ToString();

    // SQLite transactions are always serializable; a deferred BEGIN takes its locks as it reads and writes, which
    // is how an application that asks for a transaction gets one (sqlite.org/lang_transaction.html).
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } = [IsolationLevel.Serializable];

    public override Task<DbTransaction> BeginIsolatedAsync(DbConnection connection, IsolationLevel level, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(level, deferred: true));

    // synchronous below FULL lets a power loss undo commits in WAL mode, or corrupt the file with a rollback
    // journal (sqlite.org/pragma.html#pragma_synchronous).
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        var level = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return level >= 2 ? [] : [$"synchronous = {level} (FULL is 2)"];
    }

    public override async Task<string?> IntegrityProblemAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var result = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return result == "ok" ? null : result;
    }

    public override void ClearPools() => SqliteConnection.ClearAllPools();

    public override string? Truncate(string quotedTable) => null;

    // AUTOINCREMENT: ids are never reused, even after a DELETE of every row (sqlite.org/autoinc.html).
    public override string IdentityColumn => "id INTEGER PRIMARY KEY AUTOINCREMENT";

    public override IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
        [$"CREATE TRIGGER {Quote(name)} AFTER DELETE ON {quotedTable} BEGIN INSERT INTO {quotedLog} (note) VALUES ('deleted'); END"];

    public override string Fill(string quotedTable) =>
        $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count) INSERT INTO {quotedTable} (label) SELECT 'row' FROM n";

    public override object AmountParameter(decimal amount) => Amount.ToCanonicalString(amount);

    public override decimal ReadAmount(DbDataReader reader, int ordinal) =>
        decimal.Parse(reader.GetString(ordinal), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    public override object TimestampParameter(DateTimeOffset at) => at.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

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

    public override string? ErrorCode(Exception exception) => exception is SqliteException e
        ? $"SQLITE {e.SqliteExtendedErrorCode}"
        : null;

    public override Task<StartedContainer> StartContainerAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("SQLite is embedded: it needs no container");

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("reliability-sqlite-");
        var builder = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory.FullName, "payments.db") };
        var connectionString = builder.ToString();
        return Task.FromResult(new IsolatedDatabase(connectionString, builder.DataSource, () =>
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
            return ValueTask.CompletedTask;
        }));
    }

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        // Reading the schema version makes SQLite read the file's header, so a file that is not a database
        // (SQLITE_NOTADB) is found when connecting, not half-way through a run.
        command.CommandText = "SELECT sqlite_version() FROM pragma_schema_version";
        return $"SQLite {await command.ExecuteScalarAsync(cancellationToken)}";
    }
}
