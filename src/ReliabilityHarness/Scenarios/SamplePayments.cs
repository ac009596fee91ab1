using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Scenarios;

/// <summary>Inputs the scenarios and the demo share.</summary>
public static class SamplePayments
{
    /// <summary>
    /// The three payments of the data-engineering lesson the harness grew from: a CSV of payments loaded into a table
    /// by a script, first the unreliable way (autocommit, a plain INSERT per row), then the robust way (one transaction,
    /// an upsert). samples/python-sqlite holds that lesson's scripts, written afresh.
    /// </summary>
    public static IReadOnlyList<PaymentRecord> Lesson { get; } =
    [
        new(new Payment("pay_001", "user_alice", 120.50m, "USD", "captured"), 2),
        new(new Payment("pay_002", "user_bob", 75.25m, "EUR", "captured"), 3),
        new(new Payment("pay_003", "user_carol", 9.99m, "GBP", "captured"), 4),
    ];

    /// <summary>
    /// <paramref name="count"/> distinct payments, line numbers as in a CSV with a header, amounts spread over
    /// 0 to 4 fractional digits and up to 10^12 (deterministic for a given <paramref name="seed"/>).
    /// </summary>
    public static IEnumerable<PaymentRecord> Generate(int count, int seed = 42, string prefix = "pay")
    {
        var random = new Random(seed);
        string[] currencies = ["USD", "EUR", "GBP", "JPY", "CHF", "SEK"];
        for (var i = 0; i < count; i++)
        {
            var scale = i % 5;
            var units = random.NextInt64(1, 1_000_000_000_000L);
            var fraction = scale == 0 ? 0 : random.NextInt64(0, (long)Math.Pow(10, scale));
            var amount = units + (fraction / (decimal)Math.Pow(10, scale));
            yield return new PaymentRecord(
                new Payment($"{prefix}_{i:D7}", $"user_{random.Next(1, 5000):D4}", amount, currencies[i % currencies.Length], "captured"),
                i + 2);
        }
    }

    /// <summary>The header line of the CSVs written here, with its line break.</summary>
    public const string CsvHeader = "payment_id,user_id,amount,currency,status\n";

    /// <summary>One payment as a CSV line with its line break (the samples need no quoting).</summary>
    public static string CsvLine(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return $"{payment.PaymentId},{payment.UserId},{Amount.ToCanonicalString(payment.Amount)},{payment.Currency},{payment.Status}\n";
    }

    /// <summary>Writes <paramref name="records"/> as a payments CSV (header with status, amounts in canonical form), streaming.</summary>
    public static async Task WriteCsvAsync(this IEnumerable<PaymentRecord> records, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteAsync(CsvHeader.AsMemory(), cancellationToken).ConfigureAwait(false);
            foreach (var (payment, _) in records)
            {
                await writer.WriteAsync(CsvLine(payment).AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Payments as the async stream the strategies read.</summary>
    public static async IAsyncEnumerable<PaymentRecord> AsStream(this IEnumerable<PaymentRecord> records)
    {
        foreach (var record in records)
        {
            yield return record;
        }

        await Task.CompletedTask;
    }
}
