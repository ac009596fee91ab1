using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// The robust strategy retries a transient failure by running the whole transaction again. The failure is made on
/// purpose: another session holds the lock the run needs and lets go when told the first attempt failed, so the run
/// must fail fast instead of waiting — a short lock wait (SQLite's busy timeout, PostgreSQL's lock_timeout) or none
/// at all (DuckDB's conflicting writer fails at once). Engines whose connection string cannot shorten a lock wait
/// (MariaDB, SQL Server: a session variable, set by no connection-string keyword) get no run.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.WithShortLockWait))]
public sealed class LockWaitRetryTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task A_transient_failure_reruns_the_whole_transaction_and_the_attempts_are_counted()
    {
        await using var database = await NewDatabaseAsync();
        var shortWait = Provider.Dialect.WithShortLockWait(database.ConnectionString)!;

        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Lesson);

        // The blocker changes pay_002 in a transaction it keeps open: the run's update of pay_002 must wait for it, or
        // (DuckDB) fails at once. A real change: DuckDB sees no conflict with a write that leaves the value as it was.
        await using var blocker = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await using var blocking = await Provider.Dialect.BeginTransactionAsync(blocker, CancellationToken.None);
        await using (var hold = DbCommands.Create(blocker, blocking, $"UPDATE {Provider.Dialect.Quote(PaymentsSql.TableName)} SET status = {PaymentsSql.Status} WHERE payment_id = {PaymentsSql.PaymentId}",
            (PaymentsSql.Status, "held"), (PaymentsSql.PaymentId, "pay_002")))
        {
            Assert.That(await hold.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        var retried = new List<IngestFailure>();
        var refund = SamplePayments.Lesson.Select(r => r.Payment.PaymentId == "pay_002" ? r with { Payment = r.Payment with { Status = "refunded" } } : r);
        var result = await IngestStrategies.Robust.RunAsync(Provider, shortWait, refund.AsStream(),
            new IngestOptions(Time: new SteppingClock(), OnRetry: (_, failure) =>
            {
                retried.Add(failure);
                blocking.Commit(); // let go, so the next attempt can take the lock
            }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure, Is.Null, () => result.Failure!.Message);
            Assert.That(result.Attempts, Is.EqualTo(2));
            Assert.That(retried.Select(f => f.Kind), Is.EqualTo(new[] { FailureKind.Transient }), () => string.Join("; ", retried.Select(f => $"{f.ErrorCode}: {f.Message}")));
            Assert.That(result.Counts, Is.EqualTo(new IngestCounts(3, 0, 1, 2, 0)), "the second attempt starts from scratch");
            Assert.That((await ReadTableAsync(database)).Single(r => r.Payment.PaymentId == "pay_002").Payment.Status, Is.EqualTo("refunded"));
        }
    }
}
