using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// The robust strategy never retries a constraint violation. That it does retry a transient failure is
/// <see cref="LockWaitRetryTests"/>.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class RetryTests(Provider provider) : EngineFixture(provider)
{
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
