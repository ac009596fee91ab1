using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>Money is exact: every amount reads back as the decimal that went in, and the sums agree.</summary>
[TestFixtureSource(typeof(EngineCatalog), nameof(EngineCatalog.All))]
public sealed class MoneyTests(Provider provider) : EngineFixture(provider)
{
    [Test]
    public async Task Twenty_thousand_amounts_with_zero_to_four_decimals_up_to_a_trillion_read_back_exactly()
    {
        await using var database = await NewDatabaseAsync();
        var input = SamplePayments.Generate(20_000).ToList();

        var result = await IngestAsync(database, IngestStrategies.Robust, input);
        var table = await ReadTableAsync(database);
        var rerun = await IngestAsync(database, IngestStrategies.Robust, input);

        var expected = input.ToDictionary(r => r.Payment.PaymentId, r => r.Payment.Amount, StringComparer.Ordinal);
        var wrong = table.Where(r => r.Payment.Amount != expected[r.Payment.PaymentId]).Take(5)
            .Select(r => $"{r.Payment.PaymentId}: wrote {expected[r.Payment.PaymentId]}, read {r.Payment.Amount}").ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Counts.Inserted, Is.EqualTo(20_000));
            Assert.That(table, Has.Count.EqualTo(20_000));
            Assert.That(wrong, Is.Empty);
            Assert.That(table.Sum(r => r.Payment.Amount), Is.EqualTo(input.Sum(r => r.Payment.Amount)));
            Assert.That(input.Select(r => r.Payment.Amount.Scale).Distinct().Order(), Is.EqualTo(new byte[] { 0, 1, 2, 3, 4 }), "the input must cover every scale");
            Assert.That(rerun.Counts.Unchanged, Is.EqualTo(20_000), "staged again, every amount compares equal to the stored one");
        }
    }

    // Shapes a bulk path might encode wrongly: a zero digit group inside the number (10000, 100000000.0001), a
    // fraction alone (0.0001, 0.5), trailing zeros kept by the decimal (12.30), every digit used.
    [TestCase("12.34")]
    [TestCase("12.30")]
    [TestCase("0.0001")]
    [TestCase("0.5")]
    [TestCase("1.0001")]
    [TestCase("10000")]
    [TestCase("100000000.0001")]
    [TestCase("999999999999999.9999")]
    [TestCase("100")]
    public async Task An_amount_round_trips_through_the_engine_without_a_binary_fraction(string text)
    {
        Assert.That(Amount.TryParse(text, out var amount, out _), Is.True);
        await using var empty = await NewDatabaseAsync();
        await using var seeded = await NewDatabaseAsync();
        await IngestAsync(seeded, IngestStrategies.Robust, [Row("pay_0", "user_0", 1m)]);

        // Into an empty table (a first load), and into one with a row (through staging); then again (compared).
        var first = await IngestAsync(empty, IngestStrategies.Robust, [Row("pay_1", "user_1", amount)]);
        var staged = await IngestAsync(seeded, IngestStrategies.Robust, [Row("pay_1", "user_1", amount)]);
        var rerun = await IngestAsync(seeded, IngestStrategies.Robust, [Row("pay_1", "user_1", amount)]);
        var stored = (await ReadTableAsync(empty)).Single();
        var storedStaged = (await ReadTableAsync(seeded)).Single(r => r.Payment.PaymentId == "pay_1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Amount.ToCanonicalString(stored.Payment.Amount), Is.EqualTo(Amount.ToCanonicalString(amount)), $"first load ({first.Path})");
            Assert.That(Amount.ToCanonicalString(storedStaged.Payment.Amount), Is.EqualTo(Amount.ToCanonicalString(amount)), $"staged ({staged.Path})");
            Assert.That(staged.Path, Is.EqualTo(WritePath.Staged));
            Assert.That(rerun.Counts.Unchanged, Is.EqualTo(1), () => rerun.Failure?.Message ?? string.Empty);
        }
    }
}
