namespace ReliabilityHarness.Histories;

/// <summary>The dependency graph: committed transactions, and one edge per pair and kind (the first reason found).</summary>
internal sealed class Graph
{
    private readonly Dictionary<Transaction, int> index = [];
    private readonly HashSet<(int From, int To, EdgeKind Kind)> present = [];

    public Graph(IEnumerable<Transaction> nodes)
    {
        foreach (var node in nodes)
        {
            index[node] = Nodes.Count;
            Nodes.Add(node);
            Out.Add([]);
        }
    }

    public List<Transaction> Nodes { get; } = [];

    /// <summary>Each node's outgoing edges.</summary>
    public List<List<RawEdge>> Out { get; } = [];

    /// <summary>Adds an edge between two transactions in the graph (a transaction outside it, or a self-edge, adds none).</summary>
    public void Add(Transaction from, Transaction to, EdgeKind kind, HistoryKey key, long value, Func<string> why)
    {
        if (from != to && index.TryGetValue(from, out var f) && index.TryGetValue(to, out var t) && present.Add((f, t, kind)))
        {
            Out[f].Add(new RawEdge(f, t, kind, key, value, why));
        }
    }

    public Edge Materialize(RawEdge edge) => new(Nodes[edge.From], Nodes[edge.To], edge.Kind, edge.Key, edge.Value, edge.Why());
}

/// <summary>An edge as the search holds it: node numbers, and the reason in words only when it is reported.</summary>
internal readonly record struct RawEdge(int From, int To, EdgeKind Kind, HistoryKey Key, long Value, Func<string> Why);
