using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// The robust strategy never retries a constraint violation. That it does retry a transient failure is
/// <see cref="LockWaitRetryTests"/>.
/// </summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class RetryTests(Provider provider) : EngineFixture(provider)
{
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
