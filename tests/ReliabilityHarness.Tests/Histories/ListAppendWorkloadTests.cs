using System.Data;
using ReliabilityHarness.Histories;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// The list-append workload on every engine, at every isolation level the engine offers. Bounded to 4 clients, 200
/// transactions and 4 keys (a few seconds per level): enough contention for aborts and interleavings, too little for
/// any statistical claim. So the tests assert only what must hold in every run, whatever the timing: every invocation
/// completes exactly once, the history survives Elle's format, no level lets a failed transaction be read (G1a), the
/// strongest level shows nothing read committed forbids, and the engines documented serializable show no anomaly at
/// all. Which anomalies the weaker levels show is an observation (<c>histories run</c>), not asserted here.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class ListAppendWorkloadTests(Provider provider) : EngineFixture(provider)
{
    private static readonly WorkloadOptions Bounded = new(Clients: 4, Transactions: 200, Keys: 4, Seed: 7);

    private IEnumerable<IsolationLevel> Levels => Provider.Dialect.IsolationLevels;

    [Test]
    public async Task Every_invocation_completes_exactly_once_and_the_history_round_trips_through_Elle_format()
    {
        foreach (var level in Levels)
        {
            var result = await RunAsync(level);
            var history = result.History;
            var invokes = history.Where(o => o.Type == OperationType.Invoke).ToList();
            var transactions = Transaction.Pair(history);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(invokes, Has.Count.EqualTo(Bounded.Transactions), Isolation.Spelling(level));
                Assert.That(history, Has.Count.EqualTo(2 * Bounded.Transactions), $"{Isolation.Spelling(level)}: one completion per invocation");
                Assert.That(transactions.Select(t => t.Completion), Is.All.Not.Null, Isolation.Spelling(level));
                Assert.That(result.Ok + result.Failed + result.Unknown, Is.EqualTo(Bounded.Transactions), Isolation.Spelling(level));
                Assert.That(result.Ok, Is.Positive, $"{Isolation.Spelling(level)}: some transactions commit");
                Assert.That(history.Select(o => o.Index), Is.EqualTo(Enumerable.Range(0, history.Count).Select(i => (long?)i)), "indexes in order");
                Assert.That(HistoryFormat.Format(HistoryFormat.Parse(HistoryFormat.Format(history))), Is.EqualTo(HistoryFormat.Format(history)), "Elle's format, both ways");
            }
        }
    }

    [Test]
    public async Task No_level_lets_a_failed_transaction_be_read_and_the_strongest_shows_nothing_read_committed_forbids()
    {
        foreach (var level in Levels)
        {
            var check = ListAppendChecker.Check((await RunAsync(level)).History);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(check.Counts.GetValueOrDefault(AnomalyKind.G1a), Is.Zero, $"{Isolation.Spelling(level)}: {Describe(check)}");
                if (level == Levels.Last())
                {
                    Assert.That(check.ForbiddenFound(ConsistencyModel.ReadCommitted), Is.Empty, $"{Isolation.Spelling(level)}: {Describe(check)}");
                }
            }
        }
    }

    internal static readonly WorkloadOptions BoundedRun = Bounded;

    private async Task<WorkloadResult> RunAsync(IsolationLevel level)
    {
        await using var database = await NewDatabaseAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await ListAppendWorkload.RunAsync(Provider, database.ConnectionString, level, Bounded, cancellationToken: bound.Token);
    }

    private static string Describe(CheckResult check) =>
        check.Kinds.Count == 0 ? "no anomaly" : string.Join(Environment.NewLine, check.Anomalies.Select(a => a.ToString()));
}

/// <summary>
/// SERIALIZABLE, on every engine that offers it, shows no anomaly at all in the bounded run: SQLite runs one writer at a
/// time (sqlite.org/isolation.html); PostgreSQL's is serializable snapshot isolation
/// (postgresql.org/docs/current/transaction-iso.html#XACT-SERIALIZABLE); MariaDB's and SQL Server's take shared locks on
/// what they read (mariadb.com/kb/en/set-transaction/#serializable; learn.microsoft.com/sql/t-sql/statements/set-transaction-isolation-level-transact-sql).
/// An engine without the level (DuckDB) gets no case.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithSerializable))]
public sealed class SerializableHistoryTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task Serializable_shows_no_anomaly_at_all()
    {
        await using var database = await NewDatabaseAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await ListAppendWorkload.RunAsync(Provider, database.ConnectionString, IsolationLevel.Serializable, ListAppendWorkloadTests.BoundedRun, cancellationToken: bound.Token);
        var check = ListAppendChecker.Check(result.History);

        Assert.That(check.Kinds, Is.Empty, string.Join(Environment.NewLine, check.Anomalies.Select(a => a.ToString())));
    }
}
