using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Cli;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// <c>reliability check</c> on a server engine, through the statement proxy: the engine's own command-line client
/// (psql, mariadb) runs a SQL script as the pipeline, with the database in the variables it reads (PG*, MYSQL_*),
/// never on its command line. A script of autocommitted INSERTs is seen failing; the same rows in one transaction with
/// the engine's upsert hold every property. The crash points are the statements the client sends.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithWireProtocol))]
[NonParallelizable] // each check runs dozens of client processes against the shared server
public sealed class ServerCheckTests(Provider provider) : EngineFixture(provider)
{
    private const string Table = "lesson_payments";

    [Test]
    public async Task Autocommitted_inserts_are_seen_failing_at_a_statement_named_in_the_evidence()
    {
        var verdicts = await CheckAsync(Script(upsert: false, transaction: false), expectedCode: 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts[PipelineProperty.CleanRun].Ok, Is.True);
            Assert.That(verdicts[PipelineProperty.RerunIdempotent].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.Atomic].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.Atomic].Evidence, Has.Some.Match(@"^first mixed state: crash at statement \d+ of \d+: INSERT INTO lesson_payments VALUES \('p2'"), string.Join("\n", verdicts[PipelineProperty.Atomic].Evidence));
            Assert.That(verdicts[PipelineProperty.Recovers].Ok, Is.False);
            Assert.That(verdicts[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.False);
        }
    }

    [Test]
    public async Task One_transaction_with_the_engines_upsert_holds_every_property()
    {
        var verdicts = await CheckAsync(Script(upsert: true, transaction: true), expectedCode: 0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts.Values.Select(v => v.Ok), Is.All.True);
            Assert.That(verdicts[PipelineProperty.Atomic].Trials, Is.GreaterThanOrEqualTo(5), "BEGIN, three INSERTs and COMMIT: a cut before each");
            Assert.That(verdicts[PipelineProperty.CleanRun].Evidence, Has.Some.EqualTo($"nondeterministic columns (compared by presence across runs): {Table}.processed_at"));
        }
    }

    private async Task<Dictionary<string, CheckCommandTests.Verdict>> CheckAsync(string pipelineSql, int expectedCode)
    {
        var client = Provider.Name == "postgresql" ? "psql" : "mariadb";
        if (!File.Exists($"/usr/bin/{client}"))
        {
            Assert.Ignore($"{client} is not installed (it comes with the engine's Debian packages, which scripts/engines.sh installs)");
        }

        await using var database = await NewDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("reliability-server-check-").FullName;
        var setup = Path.Combine(folder, "setup.sql");
        var pipeline = Path.Combine(folder, "pipeline.sql");
        await File.WriteAllTextAsync(setup, $"""
            DROP TABLE IF EXISTS {Table};
            CREATE TABLE {Table} (payment_id varchar(20) PRIMARY KEY, amount decimal(12,2) NOT NULL, processed_at timestamp(6) NOT NULL);
            INSERT INTO {Table} VALUES ('p0', 1.00, '2024-01-01 00:00:00');
            """);
        await File.WriteAllTextAsync(pipeline, pipelineSql);

        var run = await CliRun.InProcessAsync(
            ["check", "--provider", Provider.Name, "--connection", database.ConnectionString, "--table", Table, "--format", "json",
             "--setup", Client(setup), "--", "/bin/sh", "-c", Client(pipeline)]);
        Directory.Delete(folder, recursive: true);
        Assert.That(run.Code, Is.EqualTo(expectedCode), run.Output + run.Error);
        return CheckCommandTests.Parse(run.Output);
    }

    /// <summary>The client reading a script, stopping at the first error, its connection from the environment only.</summary>
    private string Client(string script) => Provider.Name == "postgresql"
        ? $"psql -q -v ON_ERROR_STOP=1 -f {script}"
        : $"mariadb --user=\"$MYSQL_USER\" \"$MYSQL_DATABASE\" < {script}";

    private string Script(bool upsert, bool transaction)
    {
        var rows = new[] { ("p1", "10.00"), ("p2", "20.00"), ("p3", "30.00") }.Select(r =>
            $"INSERT INTO {Table} VALUES ('{r.Item1}', {r.Item2}, CURRENT_TIMESTAMP(6))" + (!upsert ? string.Empty
                : Provider.Name == "postgresql" ? " ON CONFLICT (payment_id) DO NOTHING" : " ON DUPLICATE KEY UPDATE payment_id = payment_id") + ";");
        var statements = transaction ? ["BEGIN;", .. rows, "COMMIT;"] : rows.ToArray();
        return string.Join(Environment.NewLine, statements) + Environment.NewLine;
    }
}
