using System.Data;
using System.Data.Common;
using Dapper;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The fault-injecting connection on every engine, under a small pipeline written against ADO.NET: a CREATE TABLE,
/// then a transaction of three parameterized inserts and its COMMIT, five statements in all. COMMIT is the last
/// statement, so no fault falls after it: wherever the fault strikes, the table must be found as it was before the
/// transaction (absent when the fault was the CREATE itself), never with some of the rows. Each trial writes a table
/// of its own, so the trials of one test share a database without seeing each other's rows.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class FaultInjectingConnectionTests(Provider provider) : EngineFixture(provider)
{
    private static readonly string[] Labels = ["one", "two", "three"];

    [Test]
    public async Task Counting_only_numbers_every_statement_in_order_the_commit_last()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults();

        await RunPipelineAsync(database, "counted", faults);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(faults.Statements, Is.EqualTo(5), "CREATE TABLE, three INSERTs, COMMIT");
            Assert.That(faults.StatementTexts, Is.EqualTo(new[] { CreateTable("counted") }.Concat(Enumerable.Repeat(Insert("counted"), 3)).Append("COMMIT")));
            Assert.That(faults.FaultedStatement, Is.Null);
            Assert.That(await ReadLabelsAsync(database, "counted"), Is.EqualTo(Labels));
        }
    }

    [Test]
    public async Task A_fault_at_any_statement_fails_the_run_and_leaves_the_table_as_before_the_transaction([Values] FaultMode mode)
    {
        await using var database = await NewDatabaseAsync();
        var counted = new StatementFaults();
        await RunPipelineAsync(database, "counted", counted);

        using (Assert.EnterMultipleScope())
        {
            for (var k = 1; k <= counted.Statements; k++)
            {
                var table = $"trial_{k}";
                var faults = new StatementFaults(k, mode);

                var fault = await Assert.ThrowsAsync<InjectedFaultException>(() => RunPipelineAsync(database, table, faults));

                Assert.That(fault?.Statement, Is.EqualTo(k));
                Assert.That(fault?.Mode, Is.EqualTo(mode));
                Assert.That(faults.Statements, Is.EqualTo(k), "the run stops at the fault");
                Assert.That(faults.FaultedStatement, Is.EqualTo(counted.StatementTexts[k - 1].Replace("counted", table, StringComparison.Ordinal)));
                Assert.That(await ReadLabelsAsync(database, table), k == 1 ? Is.Null : Is.Empty, $"{mode} at statement {k} ({faults.FaultedStatement})");
            }
        }
    }

    [Test]
    public async Task Every_kind_of_execution_sync_or_async_is_one_statement()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults();
        await using var connection = await OpenWrappedAsync(database, faults);
        var table = Provider.Dialect.Quote("kinds");

        Execute(connection, null, CreateTable("kinds"), c => c.ExecuteNonQuery());
        using (var transaction = connection.BeginTransaction())
        {
            Execute(connection, transaction, $"INSERT INTO {table} (id, label) VALUES (1, 'one')", c => c.ExecuteNonQuery());
            Execute(connection, transaction, $"SELECT COUNT(*) FROM {table}", c => c.ExecuteScalar());
            Execute(connection, transaction, $"SELECT label FROM {table}", c => c.ExecuteReader(CommandBehavior.Default).Dispose());
            transaction.Commit();
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var insert = DbCommands.Create(connection, transaction, $"INSERT INTO {table} (id, label) VALUES (2, 'two')");
            await insert.ExecuteNonQueryAsync();
            await using var count = DbCommands.Create(connection, transaction, $"SELECT COUNT(*) FROM {table}");
            await count.ExecuteScalarAsync();
            await using var select = DbCommands.Create(connection, transaction, $"SELECT label FROM {table}");
            await (await select.ExecuteReaderAsync()).DisposeAsync();
            await transaction.RollbackAsync();
        }

        Assert.That(faults.StatementTexts.Select(t => t.Split(' ')[0]),
            Is.EqualTo(new[] { "CREATE", "INSERT", "SELECT", "SELECT", "COMMIT", "INSERT", "SELECT", "SELECT" }), "a rollback is not a statement");
    }

    [Test]
    public async Task A_failed_statement_is_not_sent_and_the_transaction_goes_on()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults(3, FaultMode.Fail);
        await using var connection = await OpenWrappedAsync(database, faults);

        await using (var create = DbCommands.Create(connection, null, CreateTable("failed")))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            for (var i = 0; i < Labels.Length; i++)
            {
                await using var insert = DbCommands.Create(connection, transaction, Insert("failed"), ("@id", i + 1), ("@label", Labels[i]));
                try
                {
                    await insert.ExecuteNonQueryAsync();
                }
                catch (DbException e) when (e is InjectedFaultException { Statement: 3 })
                {
                    // The pipeline's own catch (DbException): the insert of "two" is lost, the others go on.
                }
            }

            await transaction.CommitAsync();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(connection.State, Is.EqualTo(ConnectionState.Open));
            Assert.That(await ReadLabelsAsync(database, "failed"), Is.EqualTo(new[] { "one", "three" }));
            Assert.That(faults.Statements, Is.EqualTo(5));
            Assert.That(faults.FaultedStatement, Is.EqualTo(Insert("failed")));
        }
    }

    [Test]
    public async Task A_severed_connection_refuses_every_statement_until_it_is_opened_again()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults(2, FaultMode.Sever);
        await using var connection = await OpenWrappedAsync(database, faults);
        await using (var create = DbCommands.Create(connection, null, CreateTable("severed")))
        {
            await create.ExecuteNonQueryAsync();
        }

        var transaction = await connection.BeginTransactionAsync();
        await using var insert = DbCommands.Create(connection, transaction, Insert("severed"), ("@id", 1), ("@label", "one"));
        var severed = await Assert.ThrowsAsync<InjectedFaultException>(() => insert.ExecuteNonQueryAsync());
        var stateAfterSever = connection.State;
        var refused = await Assert.ThrowsAsync<InjectedFaultException>(() => insert.ExecuteNonQueryAsync());
        await Assert.DoesNotThrowAsync(() => transaction.RollbackAsync(), "the engine rolled it back when the session ended");
        await transaction.DisposeAsync();

        await connection.CloseAsync();
        await connection.OpenAsync();
        await using var count = DbCommands.Create(connection, null, $"SELECT COUNT(*) FROM {Provider.Dialect.Quote("severed")}");
        var rows = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(severed?.IsTransient, Is.True);
            Assert.That(severed?.SqlState, Is.EqualTo("08006"));
            Assert.That(stateAfterSever, Is.EqualTo(ConnectionState.Broken));
            Assert.That(refused?.Message, Does.Contain("severed at statement 2"));
            Assert.That(rows, Is.Zero);
            Assert.That(faults.Statements, Is.EqualTo(3), "CREATE, the severed INSERT, the count after reopening: the refused statement never reached the engine");
        }
    }

    [Test]
    public async Task A_severed_session_holds_no_lock_even_while_the_pipeline_still_holds_its_transaction()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults(4, FaultMode.Sever);
        await using var connection = await OpenWrappedAsync(database, faults);
        await connection.ExecuteAsync(CreateTable("locked"));
        await connection.ExecuteAsync(Insert("locked"), new { id = 1, label = "one" });
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(Relabel("locked"), new { id = 1, label = "uno" }, transaction);
        await Assert.ThrowsAsync<InjectedFaultException>(() => connection.ExecuteAsync(Insert("locked"), new { id = 2, label = "two" }, transaction));

        // The pipeline has not rolled back or disposed anything yet. Were its session still open, holding its update
        // of row 1, another update of that row would wait for it (PostgreSQL, MariaDB, SQL Server), fail busy (SQLite)
        // or conflict (DuckDB); the timeout bounds the wait.
        await using (var other = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None))
        {
            await other.ExecuteAsync(Relabel("locked"), new { id = 1, label = "again" }, commandTimeout: 10);
        }

        Assert.That(await ReadLabelsAsync(database, "locked"), Is.EqualTo(new[] { "again" }));
    }

    [Test]
    public async Task One_counter_numbers_the_statements_of_every_connection_it_wraps()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults(3, FaultMode.Fail);
        await using var first = await OpenWrappedAsync(database, faults);
        await using var second = await OpenWrappedAsync(database, faults);

        await first.ExecuteAsync(CreateTable("shared"));
        await second.ExecuteAsync(Insert("shared"), new { id = 1, label = "one" });
        var fault = await Assert.ThrowsAsync<InjectedFaultException>(() => first.ExecuteAsync(Insert("shared"), new { id = 2, label = "two" }));
        await second.ExecuteAsync(Insert("shared"), new { id = 3, label = "three" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fault?.Statement, Is.EqualTo(3));
            Assert.That(faults.Statements, Is.EqualTo(4));
            Assert.That(await ReadLabelsAsync(database, "shared"), Is.EqualTo(new[] { "one", "three" }));
        }
    }

    [Test]
    public async Task The_wrapper_offers_no_batches_so_a_pipeline_sends_counted_commands()
    {
        await using var database = await NewDatabaseAsync();
        await using var connection = await OpenWrappedAsync(database, new StatementFaults());

        Assert.That(connection.CanCreateBatch, Is.False);
    }

    [Test]
    public async Task Dapper_statements_through_the_wrapper_are_counted_one_by_one()
    {
        await using var database = await NewDatabaseAsync();
        var faults = new StatementFaults();

        var labels = await RunDapperPipelineAsync(database, "dapper", faults);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(labels, Is.EqualTo(Labels));
            Assert.That(faults.StatementTexts, Is.EqualTo(new[] { CreateTable("dapper") }.Concat(Enumerable.Repeat(Insert("dapper"), 3)).Append("COMMIT").Append(SelectLabels("dapper"))),
                "Execute with a list of three runs the insert three times");
        }
    }

    [Test]
    public async Task A_fault_at_any_Dapper_statement_before_the_commit_takes_effect_leaves_no_row([Values] FaultMode mode)
    {
        await using var database = await NewDatabaseAsync();

        using (Assert.EnterMultipleScope())
        {
            // Statements 1 to 5: CREATE, the three inserts, COMMIT; the sixth, the query, is after the commit.
            for (var k = 1; k <= 5; k++)
            {
                var table = $"dapper_{k}";
                var faults = new StatementFaults(k, mode);

                var fault = await Assert.ThrowsAsync<InjectedFaultException>(() => RunDapperPipelineAsync(database, table, faults));

                Assert.That(fault?.Statement, Is.EqualTo(k));
                Assert.That(await ReadLabelsAsync(database, table), k == 1 ? Is.Null : Is.Empty, $"{mode} at statement {k} ({faults.FaultedStatement})");
            }

            var afterCommit = new StatementFaults(6, mode);
            await Assert.ThrowsAsync<InjectedFaultException>(() => RunDapperPipelineAsync(database, "dapper_6", afterCommit));
            Assert.That(await ReadLabelsAsync(database, "dapper_6"), Is.EqualTo(Labels), "a fault after the commit leaves every row");
        }
    }

    /// <summary>The pipeline under trial: raw ADO.NET, async, as the harness's own code writes it.</summary>
    private async Task RunPipelineAsync(IsolatedDatabase database, string table, StatementFaults faults)
    {
        await using var connection = await OpenWrappedAsync(database, faults);
        await using (var create = DbCommands.Create(connection, null, CreateTable(table)))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < Labels.Length; i++)
        {
            await using var insert = DbCommands.Create(connection, transaction, Insert(table), ("@id", i + 1), ("@label", Labels[i]));
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    /// <summary>The same pipeline through Dapper, then a query of what it wrote.</summary>
    private async Task<IReadOnlyList<string>> RunDapperPipelineAsync(IsolatedDatabase database, string table, StatementFaults faults)
    {
        await using var connection = await OpenWrappedAsync(database, faults);
        await connection.ExecuteAsync(CreateTable(table));
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            connection.Execute(Insert(table), Labels.Select((label, i) => new { id = i + 1, label }), transaction);
            await transaction.CommitAsync();
        }

        return [.. await connection.QueryAsync<string>(SelectLabels(table))];
    }

    private async Task<FaultInjectingConnection> OpenWrappedAsync(IsolatedDatabase database, StatementFaults faults) =>
        FaultInjectingConnection.Wrap(await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None), faults);

    private static void Execute(DbConnection connection, DbTransaction? transaction, string sql, Action<DbCommand> execute)
    {
        using var command = DbCommands.Create(connection, transaction, sql);
        execute(command);
    }

    private string CreateTable(string table) => $"CREATE TABLE {Provider.Dialect.Quote(table)} (id integer PRIMARY KEY, label varchar(20) NOT NULL)";

    private string Insert(string table) => $"INSERT INTO {Provider.Dialect.Quote(table)} (id, label) VALUES (@id, @label)";

    private string Relabel(string table) => $"UPDATE {Provider.Dialect.Quote(table)} SET label = @label WHERE id = @id";

    private string SelectLabels(string table) => $"SELECT label FROM {Provider.Dialect.Quote(table)} ORDER BY id";

    /// <summary>The labels stored in <paramref name="table"/>, read on a fresh connection of the real driver; null when there is no such table.</summary>
    private async Task<IReadOnlyList<string>?> ReadLabelsAsync(IsolatedDatabase database, string table)
    {
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await using var select = DbCommands.Create(connection, null, SelectLabels(table));
        DbDataReader reader;
        try
        {
            reader = await select.ExecuteReaderAsync();
        }
        catch (DbException)
        {
            return null;
        }

        var labels = new List<string>();
        await using (reader)
        {
            while (await reader.ReadAsync())
            {
                labels.Add(reader.GetString(0));
            }
        }

        return labels;
    }
}
