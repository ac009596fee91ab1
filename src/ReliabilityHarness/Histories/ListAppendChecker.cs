using ReliabilityHarness.Flaws;

namespace ReliabilityHarness.Histories;

/// <summary>
/// Checks a list-append history as Elle does (Kingsbury and Alvaro, "Elle: Inferring Isolation Anomalies from
/// Experimental Observations", VLDB 2020), from the history alone. Each key's version order is its longest read,
/// which every other read must be a prefix of; from it come write-write, write-read and read-write dependencies
/// between committed transactions, and the cycles among them are Adya's G0, G1c, G-single and G2-item.
/// </summary>
/// <remarks>
/// Unknown outcomes are handled soundly: an :info transaction joins the graph only when a committed read saw one of
/// its appends (then it committed); otherwise it adds no edge and no anomaly. Lost appends (an ok append that later
/// reads should include but do not) are not reported: deciding "later" needs real-time order, which this checker
/// does not use.
/// </remarks>
public static class ListAppendChecker
{
    /// <summary>At most this many anomalies of each kind are reported (all are counted where that is cheap).</summary>
    public const int ReportedPerKind = 3;

    /// <summary>The most BFS steps one kind's cycle search may take in one strongly connected component.</summary>
    private const long SearchBudget = 20_000_000;

    /// <summary>Checks the operations of a history (see <see cref="HistoryFormat.Parse"/>).</summary>
    public static CheckResult Check(IReadOnlyList<Operation> history) => Check(Transaction.Pair(history));

    /// <summary>Checks paired transactions.</summary>
    public static CheckResult Check(IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var found = new Findings();
        var inference = new Inference(transactions, found);
        var graph = inference.Run();
        Cycles.Find(graph, found, SearchBudget);
        return new CheckResult(transactions, found.Reported(), found.Counts());
    }

    /// <summary>Collects anomalies: all counted, the first few of each kind kept.</summary>
    internal sealed class Findings
    {
        private readonly Dictionary<AnomalyKind, List<Anomaly>> reported = [];
        private readonly Dictionary<AnomalyKind, int> counts = Enum.GetValues<AnomalyKind>().ToDictionary(k => k, _ => 0);

        public void Add(AnomalyKind kind, Func<Anomaly> anomaly)
        {
            if (counts[kind]++ < ReportedPerKind)
            {
                (reported.TryGetValue(kind, out var list) ? list : reported[kind] = []).Add(anomaly());
            }
        }

        public IReadOnlyList<Anomaly> Reported() => [.. reported.OrderBy(r => r.Key).SelectMany(r => r.Value)];

        public IReadOnlyDictionary<AnomalyKind, int> Counts() => counts;
    }

    /// <summary>The version orders and the dependency graph of one history.</summary>
    private sealed class Inference(IReadOnlyList<Transaction> transactions, Findings found)
    {
        /// <summary>Who appended each value to each key, and whether it was that transaction's last append to the key.</summary>
        private readonly Dictionary<(HistoryKey Key, long Value), (Transaction Writer, bool Last)> writers = [];

        private readonly List<(Transaction Reader, Read Read)> reads = [];

        private readonly HashSet<Transaction> committedInfo = [];

        public Graph Run()
        {
            IndexAppendsAndReads();
            CheckReadValues();
            var orders = VersionOrders();
            var graph = new Graph(transactions.Where(InGraph));
            AddWriteWrite(graph, orders);
            AddReadEdges(graph, orders);
            return graph;
        }

        private bool InGraph(Transaction t) => t.Outcome == Outcome.Ok || committedInfo.Contains(t);

        private void IndexAppendsAndReads()
        {
            foreach (var transaction in transactions)
            {
                var last = new Dictionary<HistoryKey, long>();
                foreach (var op in transaction.Ops)
                {
                    if (op is Append append)
                    {
                        writers.TryAdd((append.Key, append.Value), (transaction, false));
                        last[append.Key] = append.Value;
                    }
                    else if (op is Read { Values: not null } read && transaction.Outcome == Outcome.Ok)
                    {
                        reads.Add((transaction, read));
                    }
                }

                foreach (var (key, value) in last)
                {
                    if (writers[(key, value)].Writer == transaction)
                    {
                        writers[(key, value)] = (transaction, true);
                    }
                }
            }
        }

        /// <summary>Duplicates, garbage, aborted and intermediate reads; which :info transactions a read proves committed.</summary>
        private void CheckReadValues()
        {
            foreach (var (reader, read) in reads)
            {
                var seen = new HashSet<long>();
                foreach (var value in read.Values!)
                {
                    if (!seen.Add(value))
                    {
                        found.Add(AnomalyKind.DuplicateElements, () => new(AnomalyKind.DuplicateElements, [reader], [],
                            $"{reader.Name} read key {read.Key} = {List(read.Values)}: {value} appears more than once"));
                    }

                    if (!writers.TryGetValue((read.Key, value), out var writer))
                    {
                        found.Add(AnomalyKind.GarbageRead, () => new(AnomalyKind.GarbageRead, [reader], [],
                            $"{reader.Name} read key {read.Key} = {List(read.Values)}: no transaction appended {value}"));
                        continue;
                    }

                    if (writer.Writer.Outcome == Outcome.Fail)
                    {
                        found.Add(AnomalyKind.G1a, () => new(AnomalyKind.G1a, [reader, writer.Writer], [],
                            $"{reader.Name} read key {read.Key} = {List(read.Values)}, with {value} appended by {writer.Writer.Name}, which failed"));
                    }
                    else if (writer.Writer.Outcome == Outcome.Info)
                    {
                        committedInfo.Add(writer.Writer);
                    }
                }

                if (read.Values!.Count > 0 && writers.TryGetValue((read.Key, read.Values[^1]), out var final)
                    && !final.Last && final.Writer != reader && final.Writer.Outcome != Outcome.Fail)
                {
                    found.Add(AnomalyKind.G1b, () => new(AnomalyKind.G1b, [reader, final.Writer], [],
                        $"{reader.Name} read key {read.Key} = {List(read.Values)}, ending at {read.Values[^1]}, which {final.Writer.Name} appended but then appended more to key {read.Key}: an intermediate state"));
                }
            }
        }

        /// <summary>Each key's longest read; every read must be a prefix of it.</summary>
        private Dictionary<HistoryKey, IReadOnlyList<long>> VersionOrders()
        {
            var longest = new Dictionary<HistoryKey, (Transaction Reader, IReadOnlyList<long> Values)>();
            foreach (var (reader, read) in reads)
            {
                if (!longest.TryGetValue(read.Key, out var best) || read.Values!.Count > best.Values.Count)
                {
                    longest[read.Key] = (reader, read.Values!);
                }
            }

            foreach (var (reader, read) in reads)
            {
                var best = longest[read.Key];
                if (!IsPrefix(read.Values!, best.Values))
                {
                    found.Add(AnomalyKind.IncompatibleOrder, () => new(AnomalyKind.IncompatibleOrder, [reader, best.Reader], [],
                        $"key {read.Key}: {reader.Name} read {List(read.Values!)}, {best.Reader.Name} read {List(best.Values)}; neither is a prefix of the other"));
                }
            }

            return longest.ToDictionary(l => l.Key, l => l.Value.Values);
        }

        private void AddWriteWrite(Graph graph, Dictionary<HistoryKey, IReadOnlyList<long>> orders)
        {
            foreach (var (key, order) in orders)
            {
                for (var i = 0; i + 1 < order.Count; i++)
                {
                    if (writers.TryGetValue((key, order[i]), out var first) && writers.TryGetValue((key, order[i + 1]), out var next))
                    {
                        var (a, b) = (order[i], order[i + 1]);
                        graph.Add(first.Writer, next.Writer, EdgeKind.WW, key, b, () => $"{next.Writer.Name} appended {b} to key {key} after {first.Writer.Name}'s {a}");
                    }
                }
            }
        }

        private void AddReadEdges(Graph graph, Dictionary<HistoryKey, IReadOnlyList<long>> orders)
        {
            foreach (var (reader, read) in reads)
            {
                var values = read.Values!;
                var order = orders[read.Key];
                var lastWriter = values.Count > 0 && writers.TryGetValue((read.Key, values[^1]), out var last) ? last.Writer : null;
                if (lastWriter is not null)
                {
                    graph.Add(lastWriter, reader, EdgeKind.WR, read.Key, values[^1],
                        () => $"{reader.Name} read key {read.Key} = {Tail(values)}, the last value {lastWriter.Name} appended");
                }

                // The seeded flaw: the anti-dependencies are never inferred.
                if (Seeded.Has(Flaw.DropsReadWriteEdges))
                {
                    continue;
                }

                // The state the read saw is followed, in the key's version order, by the next value's append.
                // A read that ended inside another transaction's appends (G1b, reported above) is not also an
                // anti-dependency on that same transaction: the cycle it would make says nothing new.
                var at = values.Count == 0 ? 0 : IndexIn(order, values);
                if (at >= 0 && at < order.Count && writers.TryGetValue((read.Key, order[at]), out var next)
                    && next.Writer != lastWriter)
                {
                    var appended = order[at];
                    graph.Add(reader, next.Writer, EdgeKind.RW, read.Key, appended, () => values.Count == 0
                        ? $"{reader.Name} read key {read.Key} = [], {next.Writer.Name} appended the first value {appended}"
                        : $"{reader.Name} read key {read.Key} = {Tail(values)}, {next.Writer.Name} appended the next value {appended}");
                }
            }
        }

        /// <summary>Where the value after the read's state sits in the order: its length when a prefix, -1 otherwise.</summary>
        private static int IndexIn(IReadOnlyList<long> order, IReadOnlyList<long> values) =>
            IsPrefix(values, order) ? values.Count : -1;
    }

    private static bool IsPrefix(IReadOnlyList<long> candidate, IReadOnlyList<long> of)
    {
        if (candidate.Count > of.Count)
        {
            return false;
        }

        for (var i = 0; i < candidate.Count; i++)
        {
            if (candidate[i] != of[i])
            {
                return false;
            }
        }

        return true;
    }

    internal static string List(IReadOnlyList<long> values) => $"[{string.Join(' ', values)}]";

    private static string Tail(IReadOnlyList<long> values) => values.Count == 1 ? $"[{values[0]}]" : $"[.. {values[^1]}]";
}
