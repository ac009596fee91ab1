using System.Diagnostics;
using System.Globalization;
using Npgsql;
using ReliabilityHarness.Cli;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// psql through the statement proxy: a pipeline in another language, on libpq, which asks for TLS first (sslmode
/// prefer) and sends each statement of a script as one simple Query.
/// </summary>
public sealed class StatementProxyPsqlTests() : EngineFixture(ProviderCatalog.Find("postgresql")!)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly string[] Script =
    [
        "BEGIN;",
        "INSERT INTO proxy_psql VALUES (1);",
        "INSERT INTO proxy_psql VALUES (2);",
        "COMMIT;",
    ];

    [SetUp]
    public void RequirePsql()
    {
        if (Provider.HandIdiom?.Unavailable is { } reason)
        {
            Assert.Ignore(reason);
        }
    }

    [Test]
    public async Task Psql_sends_one_query_per_statement_and_the_proxy_counts_each()
    {
        await using var database = await NewDatabaseAsync();
        await using var proxy = StartProxy(database);

        string[] script = ["CREATE TABLE proxy_psql (id int PRIMARY KEY);", .. Script];

        var (exitCode, errors) = await RunPsqlAsync(proxy, database, script);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.Zero, errors);
            Assert.That(proxy.StatementTexts, Is.EqualTo(script));
            Assert.That(await CountRowsAsync(database), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Psql_cut_before_the_second_insert_fails_and_the_server_rolls_its_transaction_back()
    {
        await using var database = await NewDatabaseAsync();
        await using (var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TABLE proxy_psql (id int PRIMARY KEY)";
            await command.ExecuteNonQueryAsync();
        }

        await using var proxy = StartProxy(database, cutBefore: 3);
        var (exitCode, errors) = await RunPsqlAsync(proxy, database, Script);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.Not.Zero, "psql must see its connection lost");
            Assert.That(errors, Does.Contain("connection").IgnoreCase);
            Assert.That(proxy.CutStatement, Is.EqualTo(Script[2]));
            Assert.That(await CountRowsAsync(database), Is.Zero);
        }
    }

    private static StatementProxy StartProxy(IsolatedDatabase database, int? cutBefore = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        return StatementProxy.Start(WireProtocol.PostgreSql, builder.Host!, builder.Port, cutBefore);
    }

    /// <summary>Runs the script on psql's standard input, the connection in libpq's variables (the password never on a command line).</summary>
    private static async Task<(int ExitCode, string Errors)> RunPsqlAsync(StatementProxy proxy, IsolatedDatabase database, IEnumerable<string> script)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var start = new ProcessStartInfo("psql")
        {
            ArgumentList = { "-X", "-q", "-v", "ON_ERROR_STOP=1" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGHOST"] = "127.0.0.1";
        start.Environment["PGPORT"] = proxy.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = builder.Database;
        start.Environment["PGUSER"] = builder.Username;
        start.Environment["PGPASSWORD"] = builder.Password;
        start.Environment["PGSSLMODE"] = "prefer";
        start.Environment["PGOPTIONS"] = $"-c search_path={builder.SearchPath}";

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardInput.WriteAsync(string.Join('\n', script) + "\n");
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await output;
            return (process.ExitCode, await errors);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
    }

    private async Task<long> CountRowsAsync(IsolatedDatabase database)
    {
        await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM proxy_psql";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
