using System.Data.Common;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The check on a .NET delegate, in-process, on every engine: a crash before each statement (commits included) by
/// severing the session. Three small pipelines of five payments, each with the one flaw it is known for, so every
/// verdict is seen both ways: one transaction with an upsert holds everything; a commit per row is not atomic but
/// recovers; plain INSERTs in one transaction are atomic but fail their rerun and their concurrent copies on the key.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class DelegateCheckTests(Provider provider) : EngineFixture(provider)
{
    private const int Rows = 5;

    [Test]
    public async Task One_transaction_with_an_upsert_holds_every_property()
    {
        var report = await CheckAsync(upsert: true, commitEachRow: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Properties.Select(p => (p.Property, p.Ok)), Is.All.Matches<(string, bool?)>(p => p.Item2 == true), Describe(report));
            Assert.That(report[PipelineProperty.Atomic].Trials, Is.EqualTo(Rows + 1), "a crash before each INSERT and before the COMMIT");
            Assert.That(report.Nondeterministic.ToString(), Is.EqualTo("check_payments.loaded_at"));
        }
    }

    [Test]
    public async Task A_commit_per_row_is_seen_not_atomic_yet_it_recovers()
    {
        var report = await CheckAsync(upsert: true, commitEachRow: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.Atomic].Evidence, Has.Some.StartsWith("first mixed state: crash at statement"));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.True, Describe(report));
            Assert.That(report.AllHold, Is.False);
        }
    }

    [Test]
    public async Task Plain_inserts_in_one_transaction_are_atomic_but_fail_the_rerun_and_the_concurrent_copies()
    {
        var report = await CheckAsync(upsert: false, commitEachRow: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report[PipelineProperty.Atomic].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.Recovers].Ok, Is.True, Describe(report));
            Assert.That(report[PipelineProperty.RerunIdempotent].Ok, Is.False, Describe(report));
            Assert.That(report[PipelineProperty.ConcurrentExactlyOnce].Ok, Is.False, Describe(report));
        }
    }

    private async Task<CheckReport> CheckAsync(bool upsert, bool commitEachRow)
    {
        await using var database = await NewDatabaseAsync();
        var table = Provider.Dialect.Quote("check_payments");
        using var before = BeforeState.Setup(async token =>
        {
            await using var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, token);
            foreach (var sql in new[] { $"DROP TABLE IF EXISTS {table}", $"CREATE TABLE {table} (payment_id varchar(20) PRIMARY KEY, amount decimal(12,2) NOT NULL, loaded_at varchar(40) NOT NULL)" })
            {
                await using var command = DbCommands.Create(connection, null, sql);
                await command.ExecuteNonQueryAsync(token);
            }
        }, "create the table");
        var insert = $"INSERT INTO {table} (payment_id, amount, loaded_at) VALUES (@id, @amount, @at)";
        var statement = !upsert ? insert : Provider.Name switch
        {
            "mariadb" => insert + " ON DUPLICATE KEY UPDATE payment_id = payment_id",
            "sqlserver" => $"IF NOT EXISTS (SELECT 1 FROM {table} WITH (UPDLOCK, HOLDLOCK) WHERE payment_id = @id) {insert}",
            _ => insert + " ON CONFLICT (payment_id) DO NOTHING",
        };

        async Task LoadAsync(PipelineDatabase db, CancellationToken token)
        {
            await using var connection = await db.OpenAsync(token);
            var at = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            DbTransaction? transaction = null;
            for (var i = 1; i <= Rows; i++)
            {
                transaction ??= await connection.BeginTransactionAsync(token);
                await using var command = DbCommands.Create(connection, transaction, statement, ("@id", $"p{i}"), ("@amount", 10m * i), ("@at", at));
                await command.ExecuteNonQueryAsync(token);
                if (commitEachRow || i == Rows)
                {
                    await transaction.CommitAsync(token);
                    await transaction.DisposeAsync();
                    transaction = null;
                }
            }
        }

        // The upsert pipelines run a transaction again when it lost a race the engine reports as one (DuckDB fails the
        // second writer of a key at its commit instead of making it wait); never after a crash the check injected.
        async Task Pipeline(PipelineDatabase db, CancellationToken token)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await LoadAsync(db, token);
                    return;
                }
                catch (System.Data.Common.DbException e) when (upsert && attempt < 5 && e is not InjectedFaultException
                    && (Provider.Dialect.IsUnseenKey(e) || Provider.Dialect.Recognize(e).IsTransient()))
                {
                }
            }
        }

        var runner = new DelegatePipeline(Provider, database.ConnectionString, Pipeline, "five payments", TimeSpan.FromSeconds(60));
        return await new PipelineCheck(Provider.Dialect, database.ConnectionString, [new TableName(null, "check_payments")], before, runner).RunAsync();
    }

    private static string Describe(CheckReport report) => string.Join(Environment.NewLine, CheckFormats.Details(report));
}
