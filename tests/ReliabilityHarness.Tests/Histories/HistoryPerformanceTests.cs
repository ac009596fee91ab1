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

    [Test]
    public void A_dense_history_full_of_cycles_is_checked_without_blowing_up()
    {
        // 20,000 transactions over 8 keys whose reads see random prefixes of each key's final list: one strongly
        // connected component holding nearly every transaction, and more cycles than could ever be listed.
        var random = new Random(18);
        const int Keys = 8;
        var finals = new List<long>[Keys];
        var appends = new List<(int Key, long Value)>[20_000];
        var value = 1L;
        for (var k = 0; k < Keys; k++)
        {
            finals[k] = [];
        }

        for (var t = 0; t < appends.Length; t++)
        {
            var key = random.Next(Keys);
            appends[t] = [(key, value)];
            finals[key].Add(value++);
        }

        var history = new HistoryBuilder();
        for (var t = 0; t < appends.Length; t++)
        {
            var (key, appended) = appends[t][0];
            var read = random.Next(Keys);
            history.Ok(A(key, appended), R(read, [.. finals[read].Take(random.Next(finals[read].Count + 1))]));
        }

        history.Ok([.. Enumerable.Range(0, Keys).Select(k => R(k, [.. finals[k]]))]);
        var watch = Stopwatch.StartNew();
        var result = ListAppendChecker.Check(history.Operations);
        watch.Stop();
        TestContext.Out.WriteLine($"checked {history.Operations.Count} dense operations in {watch.Elapsed.TotalSeconds:0.00} s: "
            + string.Join(", ", result.Counts.Where(c => c.Value > 0).Select(c => $"{Anomaly.NameOf(c.Key)} {c.Value}")));
        Assert.That(result.Kinds, Does.Contain(AnomalyKind.G2Item).And.Contain(AnomalyKind.GSingle));
        Assert.That(result.Anomalies.GroupBy(a => a.Kind).Select(g => g.Count()), Is.All.LessThanOrEqualTo(ListAppendChecker.ReportedPerKind));
    }

    [Test]
    public void A_100000_operation_history_written_and_read_again_is_the_same()
    {
        var history = Serial(transactions: 50_000, keys: 1_000, seed: 18);
        var again = HistoryFormat.Parse(HistoryFormat.Format(history));
        Assert.That(again.Select(o => (o.Type, o.Process, o.Index)), Is.EqualTo(history.Select(o => (o.Type, o.Process, o.Index))));
        Assert.That(again.Select(o => o.Value), Is.EqualTo(history.Select(o => o.Value)));
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
