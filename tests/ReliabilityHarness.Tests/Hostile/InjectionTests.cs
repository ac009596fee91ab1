using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Hostile;

/// <summary>Hostile values are stored verbatim, never executed: every value is a parameter, on every engine.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class InjectionTests(Provider provider) : EngineFixture(provider)
{
    private static readonly string[] Hostile =
    [
        "'; DROP TABLE payments; --",
        "\" OR 1=1 --",
        "Robert'); DROP TABLE payments;--",
        "/* comment */ pay",
        "back\\slash\\' quote",
        "\\N", // COPY's text-format NULL
        "\\.", // COPY's text-format end of data
        "pay\\tid", // a backslash and a t, not a tab
        "`backtick` [bracket]",
        "ｐａｙ_001", // full-width lookalike of pay_001
        "pay_ОО1", // Cyrillic О
        "pay_001",
    ];

    [Test]
    public async Task Hostile_ids_and_users_are_stored_verbatim_and_lookalikes_stay_distinct_keys()
    {
        await using var database = await NewDatabaseAsync();
        var input = Hostile.Select((value, i) => Row(value, value, 1.5m + i, line: i + 2)).ToList();

        var result = await IngestAsync(database, IngestStrategies.Robust, input);
        var rerun = await IngestAsync(database, IngestStrategies.Robust, input);
        var table = await ReadTableAsync(database);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failure, Is.Null, () => result.Failure!.Message);
            Assert.That(result.Counts.Inserted, Is.EqualTo(Hostile.Length), "every lookalike is a key of its own");
            Assert.That(rerun.Counts.Unchanged, Is.EqualTo(Hostile.Length));
            Assert.That(table.Select(r => r.Payment.PaymentId), Is.EquivalentTo(Hostile));
            Assert.That(table.All(r => r.Payment.UserId == r.Payment.PaymentId), Is.True, "stored exactly as given");
        }
    }
}
