using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using NpgsqlTypes;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;
using Testcontainers.PostgreSql;

namespace ReliabilityHarness.PostgreSql;

/// <summary>
/// PostgreSQL through Npgsql. An isolated database is a schema of its own on the server, reached through the
/// connection's search_path, and dropped with everything in it afterwards.
/// </summary>
public sealed class PostgreSqlProvider : Provider
{
    private PaymentsSql? sql;

    /// <summary>Pinned so every user's container run sees the same engine.</summary>
    public const string Image = "postgres:17.6";

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

    private StagingSql? staging;

    public override string Name => "postgresql";

    public override string DisplayName => "PostgreSql";

    public override PaymentsSql Sql => sql ??= PaymentsSql.For(Quote(PaymentsSql.TableName), CreateTableSql, UpsertSql, Truncate(Quote(PaymentsSql.TableName)));

    public override StagingSql Staging => staging ??= StagingSql.For("pg_temp." + Quote("payments_staging"), Quote(PaymentsSql.TableName),
        CreateStagingSql, null, InsertNewSql, countIdentical: CountIdenticalSql);

    // COPY is the engine's bulk path (postgresql.org/docs/current/sql-copy.html): rows travel as a data stream,
    // never as SQL text, in the binary format, which the server reads without parsing text (a numeric or a
    // timestamptz from text costs it more than the row's insert). The format is written here (CopyWriter):
    // Npgsql's binary importer resolves and binds a parameter per field, which cost the client more CPU than the
    // whole server side of the load (measured: ~2.3 s of client CPU per million rows).
    public override async Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await CreateStagingAsync(connection, transaction, cancellationToken);
        return await CopyWriter.BeginAsync((NpgsqlConnection)connection, Staging.Staging, StagingSql.Columns, null, cancellationToken);
    }

    // A first load COPYs into the payments table itself: the column types (varchar(64), numeric(19,4), char(3))
    // and checks judge each row as the server receives it, and a stored id fails the COPY with 23505.
    public override bool LoadsEmptyTableDirectly => true;

    public override async Task<StagingWriter> BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        await CopyWriter.BeginAsync((NpgsqlConnection)connection, Staging.Table, StagingSql.LoadColumns, processedAt, cancellationToken);

    // A cursor (postgresql.org/docs/current/sql-declare.html) reads the table in its scan order, 10,000 rows per
    // FETCH: a rerun that stops at its first difference has read only that far, and CLOSE ends the scan. The
    // cursor lives in the run's transaction and sees what the run's statements see. A scan of a large table starts
    // where another scan last was unless synchronize_seqscans is off (runtime-config-compatible.html), which would
    // make every rerun after the first look out of order; SET LOCAL turns it off until the transaction ends.
    public override IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ReadByCursorAsync(connection, transaction, cancellationToken);

    private async IAsyncEnumerable<Payment> ReadByCursorAsync(DbConnection connection, DbTransaction transaction, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = Quote("payments_scan");
        await using (var declare = new NpgsqlCommand(
            $"SET LOCAL synchronize_seqscans = off; DECLARE {cursor} NO SCROLL CURSOR FOR SELECT payment_id, user_id, amount, currency, status FROM {Quote(PaymentsSql.TableName)}",
            (NpgsqlConnection)connection, (NpgsqlTransaction)transaction))
        {
            await declare.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var fetch = new NpgsqlCommand($"FETCH FORWARD 10000 FROM {cursor}", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
            NoTimeout(fetch);
            for (var more = true; more;)
            {
                more = false;
                await using var reader = await fetch.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    more = true;
                    yield return new Payment(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4));
                }
            }
        }
        finally
        {
            await CloseCursorAsync(connection, transaction, cursor);
        }
    }

    private static async Task CloseCursorAsync(DbConnection connection, DbTransaction transaction, string cursor)
    {
        try
        {
            await using var close = new NpgsqlCommand($"CLOSE {cursor}", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
            await close.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The transaction failed or the connection is gone: the cursor went with it, and the run rolls back.
        }
    }

    /// <summary>
    /// Rows in COPY's binary format (postgresql.org/docs/current/sql-copy.html, "Binary Format"): a header, then per
    /// row a field count and each field as its length and the type's binary form (the receive functions of
    /// bigint, text/varchar/char, numeric and timestamptz), then a trailer. Into the staging table (line first), or
    /// into the payments table (processed_at last).
    /// </summary>
    private sealed class CopyWriter : StagingWriter
    {
        private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

        // Microseconds between 0001-01-01 (DateTime's origin) and 2000-01-01 (PostgreSQL's).
        private static readonly long PostgresEpoch = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks / 10;

        private readonly NpgsqlRawCopyStream stream;
        private readonly long? processedAt;
        private byte[] buffer = new byte[1 << 16];
        private int used;
        private bool ended;

        private CopyWriter(NpgsqlRawCopyStream stream, long? processedAt)
        {
            (this.stream, this.processedAt) = (stream, processedAt);
            Header.CopyTo(buffer, 0);
            used = Header.Length;
        }

        public static async Task<StagingWriter> BeginAsync(NpgsqlConnection connection, string quotedTable, IEnumerable<string> columns, DateTimeOffset? processedAt, CancellationToken cancellationToken) =>
            new CopyWriter(await connection.BeginRawBinaryCopyAsync($"COPY {quotedTable} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken),
                processedAt is { } at ? (at.UtcTicks / 10) - PostgresEpoch : null);

        // A full buffer goes out synchronously: one await per row would cost more than the row.
        public override ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(payment);
            cancellationToken.ThrowIfCancellationRequested();
            // The row's largest size: count, six lengths, bigint or timestamptz, numeric (at most ten digits), text.
            var largest = 2 + (6 * 4) + 8 + 28 + Encoding.UTF8.GetMaxByteCount(
                payment.PaymentId.Length + payment.UserId.Length + payment.Currency.Length + payment.Status.Length);
            if (buffer.Length - used < largest)
            {
                stream.Write(buffer, 0, used);
                used = 0;
                if (buffer.Length < largest)
                {
                    buffer = new byte[largest];
                }
            }

            Int16(6);
            if (processedAt is null)
            {
                Int32(8);
                Int64(line);
            }

            Text(payment.PaymentId);
            Text(payment.UserId);
            Numeric(payment.Amount);
            Text(payment.Currency);
            Text(payment.Status);
            if (processedAt is { } at)
            {
                Int32(8);
                Int64(at);
            }

            return ValueTask.CompletedTask;
        }

        // The trailer, then disposing the stream ends the COPY: every row written is in the table, or the COPY's
        // error is thrown.
        public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            Int16(-1);
            ended = true;
            await stream.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
            await stream.DisposeAsync();
        }

        // Disposed without CompleteAsync, the COPY is cancelled (which ends it): nothing it sent stays.
        public override async ValueTask DisposeAsync()
        {
            if (!ended)
            {
                ended = true;
                await stream.CancelAsync();
            }

            await base.DisposeAsync();
        }

        private void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), value);
            used += 2;
        }

        private void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), value);
            used += 4;
        }

        private void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(used), value);
            used += 8;
        }

        private void Text(string value)
        {
            var length = Encoding.UTF8.GetBytes(value, buffer.AsSpan(used + 4));
            Int32(length);
            used += length;
        }

        // numeric_recv's form: digit count, weight (of the first base-10000 digit), sign, display scale, then the
        // base-10000 digits, most significant first. Any decimal is written as it is (a negative one too: the
        // table's CHECK is what refuses it); the fraction is padded to whole base-10000 digits.
        private void Numeric(decimal amount)
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(amount, bits);
            var scale = (bits[3] >> 16) & 0xFF;
            var fractionDigits = (scale + 3) / 4;
            var rest = new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]) * PowerOfTen((fractionDigits * 4) - scale);
            Span<short> digits = stackalloc short[10];
            var count = 0;
            for (; rest > 0; rest /= 10_000)
            {
                digits[count++] = (short)(ushort)(rest % 10_000);
            }

            var weight = (short)(count - fractionDigits - 1);
            var last = 0;
            while (last < count && digits[last] == 0)
            {
                last++;
            }

            Int32(8 + (2 * (count - last)));
            Int16((short)(count - last));
            Int16(count == 0 ? (short)0 : weight);
            Int16(bits[3] < 0 && count > 0 ? unchecked((short)0x4000) : (short)0);
            Int16((short)scale);
            for (var i = count - 1; i >= last; i--)
            {
                Int16(digits[i]);
            }
        }

        private static ulong PowerOfTen(int exponent)
        {
            ulong power = 1;
            for (var i = 0; i < exponent; i++)
            {
                power *= 10;
            }

            return power;
        }
    }

    private const string Hermitage = "github.com/ept/hermitage/blob/master/postgres.md";
    private const string IsolationDocs = "postgresql.org/docs/current/transaction-iso.html";
    private const string InsertDocs = "postgresql.org/docs/current/sql-insert.html";

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
        new("concurrent-writers", "first-insert:check-then-insert@read-committed", "unique-violation", IsolationDocs),
        new("concurrent-writers", "first-insert:check-then-insert@repeatable-read", "unique-violation", IsolationDocs),
        new("concurrent-writers", "first-insert:check-then-insert@serializable", "serialization-failure", IsolationDocs + " §13.2.3"),
        new("concurrent-writers", "first-insert:upsert@read-committed", "both-succeed", InsertDocs + " (ON CONFLICT)"),
        new("concurrent-writers", "first-insert:upsert@repeatable-read", "serialization-failure", IsolationDocs + " §13.2.2"),
        new("concurrent-writers", "first-insert:upsert@serializable", "serialization-failure", IsolationDocs + " §13.2.3"),
        new("truncate-vs-delete", "truncate-rollback", "restored", TruncateDocs + " (TRUNCATE is transaction-safe)"),
        new("truncate-vs-delete", "truncate-implicit-commit", "rolled-back", TruncateDocs),
        new("truncate-vs-delete", "identity-reset", "delete continues, truncate continues", TruncateDocs + " (CONTINUE IDENTITY is the default)"),
        new("truncate-vs-delete", "fk-referenced", "refused", TruncateDocs + " (unless CASCADE or the referencing table is truncated too)"),
        new("truncate-vs-delete", "delete-triggers", "not-fired", TruncateDocs + " (ON TRUNCATE triggers fire, ON DELETE triggers do not)"));

    private const string TruncateDocs = "postgresql.org/docs/current/sql-truncate.html";

    public override string? ContainerImage => Image;

    public override string? LocalEngineHint => "run scripts/engines.sh and export what it prints";

    public override string Quote(string identifier) => SqlIdentifier.Quote(identifier, '"', '"');

    public override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);

    // Options passes server settings at connection start; lock_timeout makes a lock wait fail with 55P03.
    public override string? WithShortLockWait(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c lock_timeout=500" }.ConnectionString;

    // READ UNCOMMITTED behaves as READ COMMITTED in PostgreSQL (postgresql.org/docs/current/transaction-iso.html).
    public override IReadOnlyList<IsolationLevel> IsolationLevels { get; } =
        [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable];

    public override string? SessionIdSql => "SELECT pg_backend_pid()";

    // pg_blocking_pids: the sessions holding the locks the session waits for (postgresql.org/docs/current/functions-info.html).
    public override string? BlockersSql => "SELECT unnest(pg_blocking_pids(@session))";

    public override string? TerminateSessionSql => "SELECT pg_terminate_backend(@session)";

    // Without these a committed transaction can vanish in a crash (postgresql.org/docs/current/wal-reliability.html,
    // runtime-config-wal.html). Testcontainers' module turns fsync off; the container this provider starts does not.
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var setting in new[] { "fsync", "synchronous_commit", "full_page_writes" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SHOW {setting}";
            var value = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            if (value is not ("on" or "remote_apply" or "remote_write"))
            {
                problems.Add($"{setting} = {value}");
            }
        }

        return problems;
    }

    public override void ClearPools() => NpgsqlConnection.ClearAllPools();

    public override string IdentityColumn => "id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";

    public override IReadOnlyList<string> DeleteTrigger(string quotedTable, string quotedLog, string name) =>
    [
        $"CREATE FUNCTION {Quote(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO {quotedLog} (note) VALUES ('deleted'); RETURN OLD; END $$",
        $"CREATE TRIGGER {Quote(name)} AFTER DELETE ON {quotedTable} FOR EACH ROW EXECUTE FUNCTION {Quote(name)}()",
    ];

    public override string Fill(string quotedTable) => $"INSERT INTO {quotedTable} (label) SELECT 'row' FROM generate_series(1, @count)";

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

    // Testcontainers' module starts PostgreSQL with fsync=off for speed; a crash test on such an engine proves
    // nothing, so the command is replaced with the durable defaults spelled out.
    public override async Task<StartedContainer> StartContainerAsync(CancellationToken cancellationToken)
    {
        var container = new PostgreSqlBuilder(Image)
            .WithCommand(new OverwriteEnumerable<string>(["-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"]))
            .Build();
        await container.StartAsync(cancellationToken);
        return new StartedContainer(container.GetConnectionString(), container);
    }

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var schema = "rh_" + Guid.NewGuid().ToString("N")[..16];
        var builder = new NpgsqlConnectionStringBuilder(serverConnectionString) { SearchPath = schema };
        return IsolateAsync(serverConnectionString, $"CREATE SCHEMA {Quote(schema)}", $"DROP SCHEMA IF EXISTS {Quote(schema)} CASCADE",
            builder.ConnectionString, $"schema {schema} on {builder.Host}:{builder.Port}/{builder.Database}", cancellationToken);
    }

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SHOW server_version";
        return $"PostgreSQL {await command.ExecuteScalarAsync(cancellationToken)}";
    }
}
