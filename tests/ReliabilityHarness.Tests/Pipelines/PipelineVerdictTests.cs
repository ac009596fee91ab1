using System.Data.Common;
using System.Globalization;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// Verdicts that only a comparison of the tables' values can give, on every engine, each with a small .NET pipeline
/// made to break one property in a way a weaker check would miss: updates that keep the row count, a change of one
/// byte, one ten-thousandth or one microsecond, a rerun that succeeds without finishing, a rerun that restamps a
/// column the two clean runs taught the check to compare by presence. Concurrent copies are not asked (they decide
/// nothing here, and cost a run).
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class PipelineVerdictTests(Provider provider) : EngineFixture(provider)
{
    private const string Table = "verdict_rows";

    private static readonly CheckOptions NotConcurrent = new(Concurrency: 0);

    private string Quoted => Provider.Dialect.Quote(Table);

    [Test]
    public async Task Updates_of_existing_rows_in_separate_commits_are_not_atomic_though_every_state_has_the_same_row_count()
    {
        // Both rows exist before and after: only their values tell the crash between the two commits apart.
        var report = await CheckAsync(
            [(1, "new"), (2, "new")],
            async (db, token) =>
            {
                await using var connection = await db.OpenAsync(token);
                foreach (var id in new[] { 1, 2 })
                {
                    await ExecuteAsync(connection, $"UPDATE {Quoted} SET status = @status WHERE id = @id", token, ("@status", "paid"), ("@id", id));
                }
            });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.False, Describe(report));
            // A crash before each UPDATE; only the one before the last leaves row 1 paid and row 2 new.
            Assert.That(report[PipelineProperty.Atomic].Trials, Is.EqualTo(2), "a crash before each of the two statements, the last included");
            Assert.That(report[PipelineProperty.Atomic].Failures, Is.EqualTo(1));
            Assert.That(report[PipelineProperty.Atomic].Evidence, Has.Some.Contains("  extra   (id=2, status=new").Or.Some.Contains("status paid → new"), "row 2 still new (a changed row where the driver reports the key, else a missing and an extra one)");
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.True, Describe(report));
        }
    }

    [Test]
    public async Task A_rerun_that_succeeds_without_finishing_what_a_crash_left_does_not_recover()
    {
        // The pipeline takes any row in the table as a sign that it already ran: after a crash between its two
        // commits, the rerun succeeds at once and leaves one row of two.
        var report = await CheckAsync([], async (db, token) =>
        {
            await using var connection = await db.OpenAsync(token);
            await using (var count = DbCommands.Create(connection, null, $"SELECT COUNT(*) FROM {Quoted}"))
            {
                if (Convert.ToInt64(await count.ExecuteScalarAsync(token), CultureInfo.InvariantCulture) > 0)
                {
                    return;
                }
            }

            foreach (var id in new[] { 1, 2 })
            {
                await ExecuteAsync(connection, $"INSERT INTO {Quoted} (id, status) VALUES (@id, @status)", token, ("@id", id), ("@status", "paid"));
            }
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.True, "a rerun on the after-state changes nothing: " + Describe(report));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.False, Describe(report));
            // Crashes before the COUNT and before the first INSERT leave nothing, and the rerun does all; the crash
            // before the second INSERT leaves row 1, and the rerun, succeeding, leaves it so.
            Assert.That(report[PipelineProperty.Recovers].Trials, Is.EqualTo(3));
            Assert.That(report[PipelineProperty.Recovers].Failures, Is.EqualTo(1));
            Assert.That(report[PipelineProperty.Recovers].Evidence, Has.Some.Contains("the rerun succeeded"));
            Assert.That(report[PipelineProperty.Recovers].Evidence, Has.Some.Contains("1 row(s) missing"));
        }
    }

    [Test]
    public async Task A_rerun_that_restamps_processed_at_on_identical_rows_is_not_idempotent_though_the_column_was_learned_nondeterministic()
    {
        var report = await CheckAsync([], Restamping());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, Describe(report));
            Assert.That(report.Nondeterministic.ToString(), Is.EqualTo($"{Table}.processed_at"), "the two clean runs stamp different times");
            // Learned columns are compared by presence between runs from the before-state, whose stamps must differ; a
            // rerun on the after-state that rewrites them changed rows nobody asked it to change.
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Evidence, Has.Some.Contains("processed_at"));
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True, Describe(report));
        }
    }

    [Test]
    public async Task The_same_restamping_rerun_is_idempotent_when_processed_at_is_named_volatile()
    {
        var report = await CheckAsync([], Restamping(), new CheckOptions(Volatile: ["processed_at"], Concurrency: 0));

        Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.True, Describe(report));
    }

    /// <summary>
    /// A change smaller than any text a careless comparison would make of the value: the last byte of a blob, the 4th
    /// decimal of an exact number, one microsecond of a timestamp. The pipeline steps the column of row 1, then of
    /// row 2, each in its own commit: a crash between leaves a mix, a rerun steps them again, and a rerun after the
    /// crash steps row 1 twice.
    /// </summary>
    [TestCase("payload")]
    [TestCase("amount")]
    [TestCase("stamped_at")]
    public async Task A_change_of_the_smallest_step_in_a_non_text_column_is_a_change(string column)
    {
        var report = await CheckAsync([(1, "new"), (2, "new")], async (db, token) =>
        {
            await using var connection = await db.OpenAsync(token);
            foreach (var id in new[] { 1, 2 })
            {
                object value;
                await using (var read = DbCommands.Create(connection, null, $"SELECT {Provider.Dialect.Quote(column)} FROM {Quoted} WHERE id = @id", ("@id", id)))
                {
                    value = (await read.ExecuteScalarAsync(token))!;
                }

                await ExecuteAsync(connection, $"UPDATE {Quoted} SET {Provider.Dialect.Quote(column)} = @value WHERE id = @id", token, ("@value", NextStep(value)), ("@id", id));
            }
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.CleanRun].Ok, Is.True, Describe(report));
            Assert.That(report.Nondeterministic.ToString(), Is.EqualTo("none"), "two clean runs from the same before-state step to the same values");
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Evidence, Has.Some.Contains($"{column} ").Or.Some.Contains("2 row(s) missing, 2 extra"), "both rows stepped again");
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.False, Describe(report));
        }
    }

    /// <summary>Every run upserts the same two rows, stamping them with a time of its own, identical rows included.</summary>
    private Func<PipelineDatabase, CancellationToken, Task> Restamping()
    {
        var runs = 0;
        return async (db, token) =>
        {
            // A stamp per run, from a counter, not the clock: two runs never stamp the same time.
            var stamp = new DateTime(2026, 1, 1, 9, 0, 0, DateTimeKind.Utc).AddSeconds(Interlocked.Increment(ref runs)).ToString("O", CultureInfo.InvariantCulture);
            await using var connection = await db.OpenAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            foreach (var id in new[] { 1, 2 })
            {
                await using var update = DbCommands.Create(connection, transaction, $"UPDATE {Quoted} SET processed_at = @at WHERE id = @id", ("@at", stamp), ("@id", id));
                if (await update.ExecuteNonQueryAsync(token) == 0)
                {
                    await using var insert = DbCommands.Create(connection, transaction, $"INSERT INTO {Quoted} (id, status, processed_at) VALUES (@id, @status, @at)", ("@id", id), ("@status", "paid"), ("@at", stamp));
                    await insert.ExecuteNonQueryAsync(token);
                }
            }

            await transaction.CommitAsync(token);
        };
    }

    /// <summary>The value one smallest step on, whatever type the driver read it as (SQLite keeps a timestamp as text, a decimal as a double).</summary>
    private static object NextStep(object value) => value switch
    {
        byte[] bytes => (byte[])[.. bytes[..^1], (byte)(bytes[^1] + 1)],
        Stream stream => NextStep(Bytes(stream)), // DuckDB.NET reads a BLOB as a stream
        decimal number => number + 0.0001m,
        double number => (decimal)number + 0.0001m,
        DateTime time => time.AddTicks(10),
        string time => DateTime.Parse(time, CultureInfo.InvariantCulture).AddTicks(10),
        _ => throw new InvalidOperationException($"no step for a {value.GetType().Name}"),
    };

    private static byte[] Bytes(Stream stream)
    {
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The engine's types for the non-text columns: bytes, an exact decimal, a timestamp to the microsecond.</summary>
    private (string Bytes, string Timestamp) Types => Provider.Dialect.Name switch
    {
        "postgresql" => ("bytea", "timestamp(6)"),
        "mariadb" => ("varbinary(16)", "datetime(6)"),
        "sqlserver" => ("varbinary(16)", "datetime2(7)"),
        _ => ("BLOB", "TIMESTAMP"), // SQLite, DuckDB (SQLite keeps the timestamp as the text it is given)
    };

    private async Task<CheckReport> CheckAsync(IReadOnlyList<(int Id, string Status)> rows, Func<PipelineDatabase, CancellationToken, Task> pipeline, CheckOptions? options = null)
    {
        var database = await NewDatabaseAsync();
        await using (database)
        {
            var (bytes, timestamp) = Types;
            using var before = BeforeState.Setup(async token =>
            {
                await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, token);
                await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Quoted}", token);
                await ExecuteAsync(connection, $"CREATE TABLE {Quoted} (id int PRIMARY KEY, status varchar(20) NOT NULL, payload {bytes} NULL, amount decimal(18,4) NULL, stamped_at {timestamp} NULL, processed_at varchar(40) NULL)", token);
                foreach (var (id, status) in rows)
                {
                    await ExecuteAsync(connection, $"INSERT INTO {Quoted} (id, status, payload, amount, stamped_at) VALUES (@id, @status, @payload, @amount, @at)", token,
                        ("@id", id), ("@status", status), ("@payload", new byte[] { 0x00, 0x01, 0x02, (byte)id }), ("@amount", 1.2345m * id),
                        ("@at", new DateTime(2026, 1, 1, 9, 0, 0, DateTimeKind.Unspecified).AddTicks(1_234_560 * id)));
                }
            }, "create the table");
            var runner = new DelegatePipeline(Provider, database.ConnectionString, pipeline, "a verdict pipeline", TimeSpan.FromSeconds(60));
            return await new PipelineCheck(Provider.Dialect, database.ConnectionString, [new TableName(null, Table)], before, runner, options ?? NotConcurrent).RunAsync();
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken token, params (string Name, object Value)[] parameters)
    {
        await using var command = DbCommands.Create(connection, null, sql, parameters);
        await command.ExecuteNonQueryAsync(token);
    }

    private static string Describe(CheckReport report) => string.Join(Environment.NewLine, CheckFormats.Details(report));
}
