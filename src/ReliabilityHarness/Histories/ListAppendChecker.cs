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

    /// <summary>
    /// The most BFS steps one kind's cycle search may take in one strongly connected component; past it the search
    /// stops and says so (<see cref="AnomalyKind.CycleSearchTimeout"/>), which no model allows.
    /// </summary>
    private const long SearchBudget = 20_000_000;

    /// <summary>Checks the operations of a history (see <see cref="HistoryFormat.Parse"/>); <paramref name="file"/> names it in a pairing error.</summary>
    /// <exception cref="HistoryFormatException">A completion without its invocation, or two invocations open on one process.</exception>
    public static CheckResult Check(IReadOnlyList<Operation> history, string file = "history.edn") => Check(Transaction.Pair(history, file));

    /// <summary>Checks paired transactions.</summary>
    public static CheckResult Check(IReadOnlyList<Transaction> transactions) => Check(transactions, SearchBudget);

    /// <summary>Checks paired transactions, each kind's cycle search in each component allowed <paramref name="budget"/> steps.</summary>
    internal static CheckResult Check(IReadOnlyList<Transaction> transactions, long budget)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var found = new Findings();
        var inference = new Inference(transactions, found);
        var graph = inference.Run();
        Cycles.Find(graph, found, budget);
        return new CheckResult(transactions, found.Reported(), found.Counts(), found.Unfinished());
    }

    /// <summary>Collects anomalies: all counted, the first few of each kind kept.</summary>
    internal sealed class Findings
    {
        private readonly Dictionary<AnomalyKind, List<Anomaly>> reported = [];
        private readonly Dictionary<AnomalyKind, int> counts = Enum.GetValues<AnomalyKind>().ToDictionary(k => k, _ => 0);
        private readonly HashSet<AnomalyKind> unfinished = [];

        public void Add(AnomalyKind kind, Func<Anomaly> anomaly)
        {
            if (counts[kind]++ < ReportedPerKind)
            {
                (reported.TryGetValue(kind, out var list) ? list : reported[kind] = []).Add(anomaly());
            }
        }

        public IReadOnlyList<Anomaly> Reported() => [.. reported.OrderBy(r => r.Key).SelectMany(r => r.Value)];

        public IReadOnlyDictionary<AnomalyKind, int> Counts() => counts;

        /// <summary>A search for cycles of <paramref name="kind"/> that ran out of steps, said as an anomaly.</summary>
        public void Stopped(AnomalyKind kind, Func<Anomaly> anomaly)
        {
            unfinished.Add(kind);
            Add(AnomalyKind.CycleSearchTimeout, anomaly);
        }

        public IReadOnlyList<AnomalyKind> Unfinished() => [.. unfinished.Order()];
    }

    /// <summary>The version orders and the dependency graph of one history.</summary>
    private sealed class Inference(IReadOnlyList<Transaction> transactions, Findings found)
    {
        /// <summary>Who appended each value to each key, and whether it was that transaction's last append to the key.</summary>
        /// <remarks>Per key, then per value: a read's elements are looked up without hashing the key each time.</remarks>
        private readonly Dictionary<HistoryKey, Dictionary<long, (Transaction Writer, bool Last)>> writers = [];

        private readonly List<(Transaction Reader, Read Read)> reads = [];

        private readonly HashSet<Transaction> committedInfo = [];

        /// <summary>For each read (same position as in <see cref="reads"/>), whether it is a prefix of its key's version order.</summary>
        private bool[] prefix = [];

        public Graph Run()
        {
            IndexAppendsAndReads();
            var orders = VersionOrders();
            CheckReadValues(orders);
            var graph = new Graph(transactions.Where(InGraph));
            AddWriteWrite(graph, orders);
            AddReadEdges(graph, orders);
            AddUnreadAppends(graph, orders);
            return graph;
        }

        private Dictionary<long, (Transaction Writer, bool Last)> Of(HistoryKey key) =>
            writers.TryGetValue(key, out var ofKey) ? ofKey : writers[key] = [];

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
                        Of(append.Key).TryAdd(append.Value, (transaction, false));
                        last[append.Key] = append.Value;
                    }
                    else if (op is Read { Values: not null } read && transaction.Outcome == Outcome.Ok)
                    {
                        reads.Add((transaction, read));
                    }
                }

                foreach (var (key, value) in last)
                {
                    var ofKey = Of(key);
                    if (ofKey[value].Writer == transaction)
                    {
                        ofKey[value] = (transaction, true);
                    }
                }
            }
        }

        /// <summary>Duplicates, garbage, aborted and intermediate reads; which :info transactions a read proves committed.</summary>
        /// <remarks>
        /// A read that is a prefix of its key's version order holds what the order's first elements hold: the order is
        /// scanned once and each such read looks up where the first duplicate, garbage or failed value sits. Only the
        /// reads that are no prefix are scanned element by element.
        /// </remarks>
        private void CheckReadValues(Dictionary<HistoryKey, IReadOnlyList<long>> orders)
        {
            var scanned = orders.ToDictionary(o => o.Key, o => Scan(o.Value, Of(o.Key)));
            for (var i = 0; i < reads.Count; i++)
            {
                var (reader, read) = reads[i];
                var ofKey = Of(read.Key);
                Report(reader, read, prefix[i] ? scanned[read.Key] : Scan(read.Values!, ofKey), ofKey);
            }
        }

        /// <summary>Where in <paramref name="values"/> the first duplicate, garbage and failed value sit (-1: none); marks the :info writers seen.</summary>
        private (int Duplicate, int Garbage, int Failed) Scan(IReadOnlyList<long> values, Dictionary<long, (Transaction Writer, bool Last)> ofKey)
        {
            var (duplicate, garbage, failed) = (-1, -1, -1);
            var seen = new HashSet<long>(values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                if (!seen.Add(values[i]) && duplicate < 0)
                {
                    duplicate = i;
                }

                if (!ofKey.TryGetValue(values[i], out var writer))
                {
                    garbage = garbage < 0 ? i : garbage;
                }
                else if (writer.Writer.Outcome == Outcome.Fail)
                {
                    failed = failed < 0 ? i : failed;
                }
                else if (writer.Writer.Outcome == Outcome.Info)
                {
                    committedInfo.Add(writer.Writer);
                }
            }

            return (duplicate, garbage, failed);
        }

        private void Report(Transaction reader, Read read, (int Duplicate, int Garbage, int Failed) at, Dictionary<long, (Transaction Writer, bool Last)> ofKey)
        {
            var values = read.Values!;
            if (at.Duplicate >= 0 && at.Duplicate < values.Count)
            {
                found.Add(AnomalyKind.DuplicateElements, () => new(AnomalyKind.DuplicateElements, [reader], [],
                    $"{reader.Name} read key {read.Key} = {List(values)}: {values[at.Duplicate]} appears more than once"));
            }

            if (at.Garbage >= 0 && at.Garbage < values.Count)
            {
                found.Add(AnomalyKind.GarbageRead, () => new(AnomalyKind.GarbageRead, [reader], [],
                    $"{reader.Name} read key {read.Key} = {List(values)}: no transaction appended {values[at.Garbage]}"));
            }

            if (at.Failed >= 0 && at.Failed < values.Count)
            {
                var writer = ofKey[values[at.Failed]].Writer;
                found.Add(AnomalyKind.G1a, () => new(AnomalyKind.G1a, [reader, writer], [],
                    $"{reader.Name} read key {read.Key} = {List(values)}, with {values[at.Failed]} appended by {writer.Name}, which failed"));
            }

            if (values.Count > 0 && ofKey.TryGetValue(values[^1], out var final)
                && !final.Last && final.Writer != reader && final.Writer.Outcome != Outcome.Fail)
            {
                found.Add(AnomalyKind.G1b, () => new(AnomalyKind.G1b, [reader, final.Writer], [],
                    $"{reader.Name} read key {read.Key} = {List(values)}, ending at {values[^1]}, which {final.Writer.Name} appended but then appended more to key {read.Key}: an intermediate state"));
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

            prefix = new bool[reads.Count];
            for (var i = 0; i < reads.Count; i++)
            {
                var (reader, read) = reads[i];
                var best = longest[read.Key];
                prefix[i] = IsPrefix(read.Values!, best.Values);
                if (!prefix[i])
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
                var ofKey = Of(key);
                for (var i = 0; i + 1 < order.Count; i++)
                {
                    if (ofKey.TryGetValue(order[i], out var first) && ofKey.TryGetValue(order[i + 1], out var next))
                    {
                        var (a, b) = (order[i], order[i + 1]);
                        graph.Add(first.Writer, next.Writer, EdgeKind.WW, key, b, () => $"{next.Writer.Name} appended {b} to key {key} after {first.Writer.Name}'s {a}");
                    }
                }
            }
        }

        private void AddReadEdges(Graph graph, Dictionary<HistoryKey, IReadOnlyList<long>> orders)
        {
            for (var i = 0; i < reads.Count; i++)
            {
                var (reader, read) = reads[i];
                var values = read.Values!;
                var order = orders[read.Key];
                var ofKey = Of(read.Key);
                var lastWriter = values.Count > 0 && ofKey.TryGetValue(values[^1], out var last) ? last.Writer : null;
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
                var at = prefix[i] ? values.Count : -1;
                if (at >= 0 && at < order.Count && ofKey.TryGetValue(order[at], out var next)
                    && next.Writer != lastWriter)
                {
                    var appended = order[at];
                    graph.Add(reader, next.Writer, EdgeKind.RW, read.Key, appended, () => values.Count == 0
                        ? $"{reader.Name} read key {read.Key} = [], {next.Writer.Name} appended the first value {appended}"
                        : $"{reader.Name} read key {read.Key} = {Tail(values)}, {next.Writer.Name} appended the next value {appended}");
                }
            }
        }

        /// <summary>
        /// An append no read saw, by a transaction that committed, came after the key's last observed value: had it come
        /// before, the longest read would hold it (lists only grow). So its writer depends on that value's writer (ww)
        /// and anti-depends on every read of the whole observed list (rw), as Elle infers
        /// (<c>previously-appended-element</c> in elle/list_append.clj). Where several such appends follow, which is
        /// next is unknown; an edge to each stands for a path of the same kinds through the one that is. An :info
        /// transaction no read saw is not known to have committed, and gets no edge.
        /// </summary>
        private void AddUnreadAppends(Graph graph, Dictionary<HistoryKey, IReadOnlyList<long>> orders)
        {
            var readersOfAll = new Dictionary<HistoryKey, List<(Transaction Reader, Read Read)>>();
            for (var i = 0; i < reads.Count; i++)
            {
                var (reader, read) = reads[i];
                if (prefix[i] && read.Values!.Count == orders[read.Key].Count)
                {
                    (readersOfAll.TryGetValue(read.Key, out var list) ? list : readersOfAll[read.Key] = []).Add((reader, read));
                }
            }

            foreach (var (key, ofKey) in writers)
            {
                if (!orders.TryGetValue(key, out var order))
                {
                    continue;
                }

                var observed = order.ToHashSet();
                var lastWriter = order.Count > 0 && ofKey.TryGetValue(order[^1], out var last) ? last.Writer : null;
                foreach (var (value, (writer, _)) in ofKey)
                {
                    if (writer.Outcome != Outcome.Ok || observed.Contains(value))
                    {
                        continue;
                    }

                    if (lastWriter is not null && lastWriter != writer)
                    {
                        graph.Add(lastWriter, writer, EdgeKind.WW, key, value, () => $"{writer.Name} appended {value} to key {key}, which no read saw, so after {lastWriter.Name}'s {order[^1]}");
                    }

                    if (Seeded.Has(Flaw.DropsReadWriteEdges))
                    {
                        continue;
                    }

                    foreach (var (reader, read) in readersOfAll.GetValueOrDefault(key) ?? [])
                    {
                        if (reader != writer)
                        {
                            graph.Add(reader, writer, EdgeKind.RW, key, value, () => $"{reader.Name} read key {key} = {(read.Values!.Count == 0 ? "[]" : Tail(read.Values!))}, {writer.Name} appended {value}, which no read saw, so after it");
                        }
                    }
                }
            }
        }
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
