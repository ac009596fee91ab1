using System.Diagnostics;
using ReliabilityHarness.Histories;
using static ReliabilityHarness.Tests.Histories.HistoryBuilder;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>How long a large history takes to check: a figure printed, not a timed assertion (machines differ).</summary>
public sealed class HistoryPerformanceTests
{
    [Test]
    public void A_100000_operation_serial_history_is_checked_and_found_valid()
    {
        var history = Serial(transactions: 50_000, keys: 1_000, seed: 18);
        var watch = Stopwatch.StartNew();
        var result = ListAppendChecker.Check(history);
        watch.Stop();
        TestContext.Out.WriteLine($"checked {history.Count} operations ({result.Transactions.Count} transactions, {1_000} keys) in {watch.Elapsed.TotalSeconds:0.00} s");
        Assert.That(history, Has.Count.EqualTo(100_000));
        Assert.That(result.Anomalies, Is.Empty);
    }

    /// <summary>
    /// A history of transactions run one after another on a real list store: 1–4 micro-operations each, appends of
    /// unique values and reads of what the store holds, so it is serializable by construction. One in twenty fails.
    /// </summary>
    internal static IReadOnlyList<Operation> Serial(int transactions, int keys, int seed)
    {
        var random = new Random(seed);
        var store = new List<long>[keys];
        for (var k = 0; k < keys; k++)
        {
            store[k] = [];
        }

        var builder = new HistoryBuilder();
        var next = 1L;
        for (var t = 0; t < transactions; t++)
        {
            var failed = random.Next(20) == 0;
            var ops = new List<MicroOp>();
            var pending = new List<(int Key, long Value)>();
            for (var m = random.Next(1, 5); m > 0; m--)
            {
                var key = random.Next(keys);
                if (random.Next(2) == 0)
                {
                    ops.Add(A(key, next));
                    pending.Add((key, next++));
                }
                else
                {
                    ops.Add(R(key, [.. store[key], .. pending.Where(p => p.Key == key).Select(p => p.Value)]));
                }
            }

            if (failed)
            {
                builder.Fail([.. ops]);
                continue;
            }

            foreach (var (key, value) in pending)
            {
                store[key].Add(value);
            }

            builder.Ok([.. ops]);
        }

        return builder.Operations;
    }
}
