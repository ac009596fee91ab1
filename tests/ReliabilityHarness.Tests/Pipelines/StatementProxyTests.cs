using System.Data.Common;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The statement proxy between a driver and a real engine: what it counts, and what a cut before one statement does
/// to the client and to the server's open transaction. The driver is the provider's own, at its default settings
/// (Npgsql's SslMode=Prefer, MySqlConnector's SslMode=Preferred), as a user's pipeline would have it.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithWireProtocol))]
public sealed class StatementProxyTests(Provider provider) : EngineFixture(provider)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private string Table => Provider.Dialect.Quote("proxy_rows");

    [Test]
    public async Task Statements_through_the_proxy_succeed_and_are_counted_with_their_text()
    {
        await using var database = await NewDatabaseAsync();
        await using var proxy = StartProxy(database);
        string[] sent =
        [
            $"CREATE TABLE {Table} (id int PRIMARY KEY, note varchar(20))",
            $"INSERT INTO {Table} VALUES (1, 'one')",
            $"INSERT INTO {Table} VALUES (2, 'two')",
            $"SELECT count(*) FROM {Table}",
        ];

        await using var connection = await OpenThroughAsync(proxy, database);
        var atConnect = proxy.Statements;
        object? count = null;
        foreach (var sql in sent)
        {
            count = await ExecuteAsync(connection, sql);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Convert.ToInt32(count, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(2));
            Assert.That(proxy.Statements, Is.EqualTo(atConnect + sent.Length));
            Assert.That(proxy.StatementTexts.Skip(atConnect), Is.EqualTo(sent));
            Assert.That(proxy.CutStatement, Is.Null);
        }
    }

    [Test]
    public async Task A_cut_before_a_statement_fails_it_and_the_server_rolls_the_open_transaction_back()
    {
        await using var database = await NewDatabaseAsync();
        await CreateTableAsync(database);

        // As reliability check does: a clean run shows the statements, then a run is cut before one of them.
        var clean = await CleanRunAsync(database);
        var second = IndexOfInsert(clean, 2);
        await using var proxy = StartProxy(database, cutBefore: second + 1);

        var failure = await Assert.CatchAsync(() => InsertThreeRowsAsync(ConnectionStringThrough(proxy, database)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failure, Is.InstanceOf<DbException>().Or.InstanceOf<IOException>(), () => $"a connection error, not {failure}");
            Assert.That(proxy.CutStatement, Is.EqualTo(clean[second]));
            Assert.That(proxy.Statements, Is.EqualTo(second + 1));
            Assert.That(proxy.StatementTexts, Is.EqualTo(clean.Take(second + 1)), "the cut run sends what the clean run did, up to the cut");
        }

        Assert.That(await CountRowsAsync(database), Is.Zero, "the server must roll back the transaction whose client vanished");
    }

    [Test]
    public async Task After_the_cut_a_reconnecting_pipeline_is_forwarded_and_not_cut_again()
    {
        await using var database = await NewDatabaseAsync();
        await CreateTableAsync(database);
        var clean = await CleanRunAsync(database);
        var first = IndexOfInsert(clean, 1);
        await using var proxy = StartProxy(database, cutBefore: first + 1);

        await Assert.CatchAsync(() => InsertThreeRowsAsync(ConnectionStringThrough(proxy, database)));
        await InsertThreeRowsAsync(ConnectionStringThrough(proxy, database));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await CountRowsAsync(database), Is.EqualTo(3));
            Assert.That(proxy.CutStatement, Is.EqualTo(clean[first]));
            Assert.That(proxy.Statements, Is.GreaterThan(first + 3), "the second run's statements are counted too");
        }
    }

    [Test]
    public async Task Statements_of_two_open_connections_are_counted_in_the_order_they_arrive()
    {
        await using var database = await NewDatabaseAsync();
        await CreateTableAsync(database);
        await using var proxy = StartProxy(database);
        await using var a = await OpenThroughAsync(proxy, database);
        await using var b = await OpenThroughAsync(proxy, database);
        var atConnect = proxy.Statements;

        string[] sent =
        [
            $"INSERT INTO {Table} VALUES (1, 'a')",
            $"INSERT INTO {Table} VALUES (2, 'b')",
            $"INSERT INTO {Table} VALUES (3, 'a')",
            $"INSERT INTO {Table} VALUES (4, 'b')",
        ];
        for (var i = 0; i < sent.Length; i++)
        {
            await ExecuteAsync(i % 2 == 0 ? a : b, sent[i]);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(proxy.Statements, Is.EqualTo(atConnect + sent.Length));
            Assert.That(proxy.StatementTexts.Skip(atConnect), Is.EqualTo(sent));
        }
    }

    [Test]
    public async Task Statements_sent_at_once_on_several_connections_are_all_counted()
    {
        const int Connections = 4, Each = 10;
        await using var database = await NewDatabaseAsync();
        await CreateTableAsync(database);
        await using var proxy = StartProxy(database);
        var connections = new List<DbConnection>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                connections.Add(await OpenThroughAsync(proxy, database));
            }

            var atConnect = proxy.Statements;
            await Task.WhenAll(connections.Select(async (connection, c) =>
            {
                for (var i = 0; i < Each; i++)
                {
                    await ExecuteAsync(connection, $"INSERT INTO {Table} VALUES ({(c * Each) + i}, 'c{c}')");
                }
            })).WaitAsync(Bound);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(proxy.Statements, Is.EqualTo(atConnect + (Connections * Each)));
                Assert.That(await CountRowsAsync(database), Is.EqualTo(Connections * Each));
                for (var c = 0; c < Connections; c++)
                {
                    var own = proxy.StatementTexts.Where(t => t.EndsWith($"'c{c}')", StringComparison.Ordinal)).ToList();
                    Assert.That(own, Is.EqualTo(Enumerable.Range(c * Each, Each).Select(i => $"INSERT INTO {Table} VALUES ({i}, 'c{c}')")), "each connection's statements in its own order");
                }
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_prepared_statement_is_counted_once_per_execution()
    {
        await using var database = await NewDatabaseAsync();
        await CreateTableAsync(database);
        await using var proxy = StartProxy(database);
        await using var connection = await OpenThroughAsync(proxy, database);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {Table} (id, note) VALUES (@id, @note)";
        var id = Parameter(command, "@id", 0);
        var note = Parameter(command, "@note", "prepared");
        await command.PrepareAsync();
        var atPrepare = proxy.Statements;

        for (var i = 1; i <= 3; i++)
        {
            id.Value = i;
            await command.ExecuteNonQueryAsync();
        }

        var executed = proxy.StatementTexts.Skip(atPrepare).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(executed, Has.Count.EqualTo(3));
            Assert.That(executed.Distinct(), Has.Exactly(1).Contains("INSERT INTO"), "each execution carries the prepared statement's SQL");
            Assert.That(await CountRowsAsync(database), Is.EqualTo(3));
        }
    }

    /// <summary>A proxy in front of the engine that <paramref name="database"/> is on.</summary>
    private StatementProxy StartProxy(IsolatedDatabase database, int? cutBefore = null)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = database.ConnectionString };
        var host = (string)builder[HostKey(builder)];
        var port = builder.TryGetValue("Port", out var given) ? Convert.ToInt32(given, System.Globalization.CultureInfo.InvariantCulture) : DefaultPort;
        return StatementProxy.Start(Wire, host, port, cutBefore);
    }

    /// <summary>
    /// <paramref name="database"/>'s connection string with the proxy as its server. Unpooled: a connection the proxy
    /// cut must not wait in a pool for a later test whose proxy gets the same port.
    /// </summary>
    private static string ConnectionStringThrough(StatementProxy proxy, IsolatedDatabase database)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = database.ConnectionString };
        builder[HostKey(builder)] = "127.0.0.1";
        builder["Port"] = proxy.Port;
        builder["Pooling"] = false;
        return builder.ConnectionString;
    }

    private static string HostKey(DbConnectionStringBuilder builder) => builder.ContainsKey("Host") ? "Host" : "Server";

    private WireProtocol Wire => ((ServerEngine)Provider.Engine).Wire!.Value;

    private int DefaultPort => Wire == WireProtocol.PostgreSql ? 5432 : 3306;

    private Task<DbConnection> OpenThroughAsync(StatementProxy proxy, IsolatedDatabase database) =>
        Provider.Dialect.OpenAsync(ConnectionStringThrough(proxy, database), CancellationToken.None).WaitAsync(Bound);

    /// <summary>The pipeline the cut tests crash: three inserts in one transaction, with parameters.</summary>
    private async Task InsertThreeRowsAsync(string connectionString)
    {
        await using var connection = await Provider.Dialect.OpenAsync(connectionString, CancellationToken.None).WaitAsync(Bound);
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 1; i <= 3; i++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO {Table} (id, note) VALUES (@id, @note)";
            Parameter(command, "@id", i);
            Parameter(command, "@note", "row");
            await command.ExecuteNonQueryAsync().WaitAsync(Bound);
        }

        await transaction.CommitAsync();
    }

    /// <summary>Runs the pipeline through a proxy that cuts nothing, empties the table again, and returns what the proxy saw.</summary>
    private async Task<IReadOnlyList<string>> CleanRunAsync(IsolatedDatabase database)
    {
        await using var proxy = StartProxy(database);
        await InsertThreeRowsAsync(ConnectionStringThrough(proxy, database));
        Assert.That(await CountRowsAsync(database), Is.EqualTo(3), "the clean run commits its rows");
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await ExecuteAsync(connection, $"DELETE FROM {Table}");
        return proxy.StatementTexts;
    }

    /// <summary>Where the <paramref name="nth"/> INSERT (from 1) is among <paramref name="texts"/>.</summary>
    private static int IndexOfInsert(IReadOnlyList<string> texts, int nth) =>
        texts.Select((text, index) => (text, index)).Where(t => t.text.StartsWith("INSERT", StringComparison.Ordinal)).ElementAt(nth - 1).index;

    private async Task CreateTableAsync(IsolatedDatabase database)
    {
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await ExecuteAsync(connection, $"CREATE TABLE {Table} (id int PRIMARY KEY, note varchar(20))");
    }

    private async Task<long> CountRowsAsync(IsolatedDatabase database)
    {
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        return Convert.ToInt64(await ExecuteAsync(connection, $"SELECT count(*) FROM {Table}"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<object?> ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync().WaitAsync(Bound);
    }

    private static DbParameter Parameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
