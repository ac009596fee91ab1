using System.Data;
using ReliabilityHarness.Histories;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// Shared by the fault tests: what must hold in every faulted run, whatever the timing. Every invocation completes
/// exactly once (a transaction the fault left in doubt as :info, never dropped and never guessed); a process with an
/// :info issues nothing more; ok + fail + info is every transaction asked; and the unknown outcomes cause no false
/// positive: at the engine's strongest level the history shows no anomaly at all when that level is serializable, and
/// nothing read committed forbids otherwise.
/// </summary>
internal static class FaultedHistory
{
    public static void AssertSound(WorkloadResult result, WorkloadOptions options, Provider provider, IsolationLevel level)
    {
        var transactions = Transaction.Pair(result.History);
        var check = ListAppendChecker.Check(result.History);
        var describe = check.Kinds.Count == 0 ? "no anomaly" : string.Join(Environment.NewLine, check.Anomalies.Select(a => a.ToString()));
        var lastOfProcess = result.History.GroupBy(o => o.Process ?? -1).ToDictionary(g => g.Key, g => g.Last());

        Assert.That(result.History.Count(o => o.Type == OperationType.Invoke), Is.EqualTo(options.Transactions), "every transaction asked was invoked once");
        Assert.That(transactions.Select(t => t.Completion), Is.All.Not.Null, "every invocation completed");
        Assert.That(result.History, Has.Count.EqualTo(2 * options.Transactions), "one completion per invocation");
        Assert.That(result.Ok + result.Failed + result.Unknown, Is.EqualTo(options.Transactions), "every transaction accounted for");
        Assert.That(result.History.Where(o => o.Type == OperationType.Info).Select(o => lastOfProcess[o.Process ?? -1]), Is.All.Matches<Operation>(o => o?.Type == OperationType.Info),
            "a process whose outcome is unknown issues nothing more");
        Assert.That(result.History.Select(o => o.Index), Is.EqualTo(Enumerable.Range(0, result.History.Count).Select(i => (long?)i)), "indexes in order");
        Assert.That(level == IsolationLevel.Serializable ? check.Kinds : check.ForbiddenFound(ConsistencyModel.ReadCommitted), Is.Empty,
            $"{provider.Name} {Isolation.Spelling(level)}: {describe}");
    }
}

/// <summary>
/// <c>--faults kill</c>: the clients run in a child <c>reliability histories client</c> process that is SIGKILLed twice
/// and started again, on every engine (an embedded engine dies with it and recovers its file on the next open).
/// Bounded to 4 clients, 200 transactions, 4 keys at the engine's strongest level. The kills come after a quarter to a
/// half of the transactions left have completed, which the parent reads from the child's output within microseconds
/// of their being written while the rest take tens of milliseconds at least, so every run is killed at least once;
/// and with 4 clients almost always inside a transaction, a kill leaves at least one of them unknown.
/// </summary>
[NonParallelizable] // kills processes that hold a database file or connections
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class KilledClientHistoryTests(Provider provider) : EngineFixture(provider)
{
    private static readonly WorkloadOptions Bounded = new(Clients: 4, Transactions: 200, Keys: 4, Seed: 3);

    [Test]
    public async Task Killed_client_processes_leave_their_transactions_unknown_and_the_history_sound()
    {
        var level = Provider.Dialect.IsolationLevels[^1];
        await using var database = await NewDatabaseAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var result = await ListAppendWorkload.RunAsync(Provider, database.ConnectionString, level, Bounded,
            new WorkloadFault(HistoryFault.Kill, Reliability: ChildCommand.InDirectory(AppContext.BaseDirectory)), bound.Token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Faults, Is.InRange(1, ListAppendWorkload.Kills), "client processes killed");
            Assert.That(result.Unknown, Is.GreaterThanOrEqualTo(1), "a kill leaves what was under way unknown (:info)");
            Assert.That(result.History.Select(o => o.Process).Distinct().Count(), Is.GreaterThan(Bounded.Clients), "each new child takes new process ids");
            FaultedHistory.AssertSound(result, Bounded, Provider, level);
        }
    }
}

/// <summary>
/// <c>--faults sever</c>: a client's session ended from another connection every N/10 to N/5 transactions, on the
/// engines with sessions to end, at their weakest and strongest levels. The nemesis watches the completed count every
/// 5 ms and the clients take about a second for 200 transactions, so it strikes several times in every run; every
/// sever leaves the client's transaction (or its next BEGIN on the dead connection) unknown.
/// </summary>
[NonParallelizable] // ends sessions on the shared server
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithSessionsToSever))]
public sealed class SeveredHistoryTests(Provider provider) : EngineFixture(provider)
{
    private static readonly WorkloadOptions Bounded = new(Clients: 4, Transactions: 200, Keys: 4, Seed: 5);

    [Test]
    public async Task Severed_sessions_leave_their_transactions_unknown_and_the_history_sound()
    {
        foreach (var level in new[] { Provider.Dialect.IsolationLevels[0], Provider.Dialect.IsolationLevels[^1] })
        {
            await using var database = await NewDatabaseAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var result = await ListAppendWorkload.RunAsync(Provider, database.ConnectionString, level, Bounded, new WorkloadFault(HistoryFault.Sever), bound.Token);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(result.Faults, Is.GreaterThanOrEqualTo(1), $"{Isolation.Spelling(level)}: sessions severed");
                Assert.That(result.Unknown, Is.GreaterThanOrEqualTo(1), $"{Isolation.Spelling(level)}: a severed session's transaction is unknown (:info)");
                FaultedHistory.AssertSound(result, Bounded, Provider, level);
            }
        }
    }
}

/// <summary>
/// <c>--faults crash</c>: the server crashed once (its <c>HARNESS_&lt;ENGINE&gt;_CRASH</c> command) and started again
/// during a SERIALIZABLE run, the clients reconnecting. 2,000 transactions: the crash comes after a quarter to a half
/// of them, and the rest take seconds, while the crash command acts within a fraction of one, so it strikes mid-run. A
/// SERIALIZABLE history across a crash must still show no anomaly: an acknowledged commit lost, or one rolled back
/// and then read, would show as one.
/// </summary>
[NonParallelizable] // stops the engine itself: nothing else may run meanwhile
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.Servers))]
public sealed class CrashedServerHistoryTests(Provider provider) : EngineFixture(provider)
{
    private static readonly WorkloadOptions Long = new(Clients: 8, Transactions: 2_000, Keys: 8, Seed: 11);

    [Test]
    public async Task A_server_crash_mid_run_leaves_a_serializable_history_without_anomalies()
    {
        var control = RequireServerControl();

        await using var database = await NewDatabaseAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var result = await ListAppendWorkload.RunAsync(Provider, database.ConnectionString, IsolationLevel.Serializable, Long, new WorkloadFault(HistoryFault.Crash, Server: control), bound.Token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Faults, Is.EqualTo(1), "the crash struck while the clients ran");
            Assert.That(result.Unknown, Is.GreaterThanOrEqualTo(1), "what the crash cut is unknown (:info)");
            FaultedHistory.AssertSound(result, Long, Provider, IsolationLevel.Serializable);
        }
    }
}

/// <summary>A fault that does not apply to an engine is refused with the reason, before anything runs.</summary>
public sealed class HistoryFaultApplicabilityTests
{
    [Test]
    public async Task Sever_and_crash_do_not_apply_to_an_embedded_engine_and_kill_does()
    {
        var sqlite = ReliabilityHarness.Sqlite.SqliteProvider.Create();
        var duckdb = ReliabilityHarness.DuckDb.DuckDbProvider.Create();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(WorkloadFault.NotApplicable(HistoryFault.Sever, sqlite), Does.Contain("no server session to sever"));
            Assert.That(WorkloadFault.NotApplicable(HistoryFault.Crash, duckdb), Does.Contain("no server to crash"));
            Assert.That(WorkloadFault.NotApplicable(HistoryFault.Kill, sqlite), Is.Null);
            Assert.That(WorkloadFault.NotApplicable(HistoryFault.Sever, ReliabilityHarness.PostgreSql.PostgreSqlProvider.Create()), Is.Null);
            await Assert.ThatAsync(() => ListAppendWorkload.RunAsync(sqlite, "Data Source=:memory:", IsolationLevel.Serializable, fault: new WorkloadFault(HistoryFault.Sever)),
                Throws.TypeOf<NotSupportedException>());
        }
    }
}
