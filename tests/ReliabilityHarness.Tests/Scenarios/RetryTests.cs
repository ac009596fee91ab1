using System.Data.Common;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// The robust strategy retries a transient failure by running the whole transaction again, and never retries a
/// constraint violation. The transient failure is made on purpose: another session holds the lock the run needs,
/// with a short lock wait, and lets go when told the first attempt failed.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class RetryTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task A_transient_failure_reruns_the_whole_transaction_and_the_attempts_are_counted()
    {
        await using var database = await NewDatabaseAsync();
        if (Provider.Dialect.WithShortLockWait(database.ConnectionString) is not { } shortWait)
        {
            Assert.Ignore($"{Provider.DisplayName} cannot be given a short lock wait through its connection string");
            return;
        }

        await IngestAsync(database, IngestStrategies.Robust, SamplePayments.Seed);

        // The blocker writes pay_002 in a transaction it keeps open: the run's update of pay_002 must wait for it.
        await using var blocker = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None);
        await using var blocking = await Provider.Dialect.BeginTransactionAsync(blocker, CancellationToken.None);
        await using (var hold = blocker.CreateCommand())
        {
            hold.Transaction = blocking;
            hold.CommandText = $"UPDATE {Provider.Dialect.Quote(PaymentsSql.TableName)} SET status = status WHERE payment_id = {PaymentsSql.PaymentId}";
            var id = hold.CreateParameter();
            id.ParameterName = PaymentsSql.PaymentId;
            id.Value = "pay_002";
            hold.Parameters.Add(id);
            Assert.That(await hold.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        var retried = new List<IngestFailure>();
        var refund = SamplePayments.Seed.Select(r => r.Payment.PaymentId == "pay_002" ? r with { Payment = r.Payment with { Status = "refunded" } } : r);
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

    // A rule of the user's own schema beside the primary key, one payment per user: a second payment of a user breaks
    // it whatever the timing, so a retry can only fail again. Unique-key violations are constraint violations too.
    [Test]
    public async Task A_unique_key_violation_other_than_the_payment_id_is_not_retried()
    {
        await using var database = await NewDatabaseAsync();
        await IngestAsync(database, IngestStrategies.Robust, [Row("pay_1", "user_1", 5m)]);
        await using (var connection = await Provider.Dialect.OpenAsync(database.ConnectionString, CancellationToken.None))
        await using (var index = DbCommands.Create(connection, null,
            $"CREATE UNIQUE INDEX {Provider.Dialect.Quote("payments_one_per_user")} ON {Provider.Dialect.Quote(PaymentsSql.TableName)} (user_id)"))
        {
            await index.ExecuteNonQueryAsync();
        }

        var before = await ReadTableAsync(database);
        var retried = 0;
        var result = await IngestStrategies.Robust.RunAsync(Provider, database.ConnectionString,
            new[] { Row("pay_2", "user_2", 1m), Row("pay_3", "user_1", 7m, line: 3) }.AsStream(),
            new IngestOptions(Time: new SteppingClock(), OnRetry: (_, _) => retried++));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.ConstraintViolation), () => $"{result.Failure?.ErrorCode}: {result.Failure?.Message}");
            Assert.That(result.Failure?.ErrorKind, Is.EqualTo(DbErrorKind.UniqueViolation));
            Assert.That(result.Attempts, Is.EqualTo(1));
            Assert.That(retried, Is.Zero);
            Assert.That((await ReadTableAsync(database)).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)), "pay_2 is rolled back with the run");
        }
    }

    [Test]
    public async Task A_constraint_violation_is_not_retried()
    {
        await using var database = await NewDatabaseAsync();
        var retried = 0;

        // A negative amount never passes the CSV reader; written directly, the table's CHECK refuses it.
        var result = await IngestStrategies.Robust.RunAsync(Provider, database.ConnectionString,
            new[] { Row("pay_1", "user_1", 5m), Row("pay_2", "user_2", -5m, line: 3) }.AsStream(),
            new IngestOptions(OnRetry: (_, _) => retried++));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure?.Kind, Is.EqualTo(FailureKind.ConstraintViolation), () => $"{result.Failure?.ErrorCode}: {result.Failure?.Message}");
            Assert.That(result.Attempts, Is.EqualTo(1));
            Assert.That(retried, Is.Zero);
            Assert.That(await ReadTableAsync(database), Is.Empty);
        }
    }
}
