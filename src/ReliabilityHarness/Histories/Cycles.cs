namespace ReliabilityHarness.Histories;

/// <summary>
/// Finds the dependency cycles of each kind. Strongly connected components first (Tarjan's algorithm, iterative, so a
/// long chain cannot overflow the stack): a valid history has none but single transactions, and then nothing else
/// runs. Within each component, for each kind, a breadth-first search from the target of each edge that can start
/// such a cycle (a ww edge for G0, wr for G1c, rw for G-single and G2-item) back to its source, over the edges the
/// kind allows: the shortest cycle through that edge. A G2-item search whose shortest walk with a second rw edge
/// repeats a transaction reports nothing from that edge: it may miss a longer G2-item, never invent one.
/// </summary>
internal static class Cycles
{
    private static readonly (AnomalyKind Kind, EdgeKind Seed)[] Searches =
    [
        (AnomalyKind.G0, EdgeKind.WW), (AnomalyKind.G1c, EdgeKind.WR), (AnomalyKind.GSingle, EdgeKind.RW), (AnomalyKind.G2Item, EdgeKind.RW),
    ];

    public static void Find(Graph graph, ListAppendChecker.Findings found, long budget)
    {
        foreach (var component in Components(graph).Where(c => c.Count > 1))
        {
            var local = new Dictionary<int, int>(component.Count);
            foreach (var node in component)
            {
                local[node] = local.Count;
            }

            foreach (var (kind, seed) in Searches)
            {
                Search(graph, found, component, local, kind, seed, budget);
            }
        }
    }

    /// <summary>Which edges a cycle of <paramref name="kind"/> may take after its seed edge.</summary>
    private static bool Allowed(AnomalyKind kind, EdgeKind edge) => kind switch
    {
        AnomalyKind.G0 => edge == EdgeKind.WW,
        AnomalyKind.G1c or AnomalyKind.GSingle => edge != EdgeKind.RW,
        _ => true,
    };

    private static void Search(Graph graph, ListAppendChecker.Findings found, List<int> component, Dictionary<int, int> local, AnomalyKind kind, EdgeKind seed, long budget)
    {
        // A search state is a node and, for G2-item, whether the path has met a second rw edge yet (layer 0 or 1).
        var layers = kind == AnomalyKind.G2Item ? 2 : 1;
        var stamp = new int[component.Count * layers];
        var parent = new RawEdge[component.Count * layers];
        var parentState = new int[component.Count * layers];
        var queue = new Queue<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var round = 0;
        long steps = 0;
        foreach (var start in component)
        {
            foreach (var first in graph.Out[start].Where(e => e.Kind == seed && local.ContainsKey(e.To)))
            {
                if (seen.Count >= ListAppendChecker.ReportedPerKind)
                {
                    return;
                }

                // Edges are left that a cycle of this kind could go through: say so, rather than let "none found" read
                // as "none there".
                if (steps > budget)
                {
                    found.Stopped(kind, () => new Anomaly(AnomalyKind.CycleSearchTimeout, [], [],
                        $"the search for {Anomaly.NameOf(kind)} cycles among {component.Count} transactions stopped after {steps} steps (at most {budget}): a cycle of that kind may be missed"));
                    return;
                }

                round++;
                queue.Clear();
                var origin = local[first.To] * layers;
                stamp[origin] = round;
                queue.Enqueue(origin);
                var goal = local[first.From] * layers + layers - 1;
                while (queue.Count > 0 && stamp[goal] != round)
                {
                    var state = queue.Dequeue();
                    var (node, layer) = (component[state / layers], state % layers);
                    foreach (var edge in graph.Out[node])
                    {
                        steps++;
                        // Two tests, not one `||`: Stryker cannot compile a mutant that skips the TryGetValue and then
                        // reads `to`, and then measures nothing in this method (its "safe mode").
                        if (!Allowed(kind, edge.Kind))
                        {
                            continue;
                        }

                        if (!local.TryGetValue(edge.To, out var to))
                        {
                            continue;
                        }

                        var next = to * layers + Math.Min(layers - 1, layer + (edge.Kind == EdgeKind.RW ? 1 : 0));
                        if (stamp[next] != round)
                        {
                            (stamp[next], parent[next], parentState[next]) = (round, edge, state);
                            queue.Enqueue(next);
                        }
                    }
                }

                if (stamp[goal] == round)
                {
                    var path = new List<RawEdge>();
                    for (var state = goal; state != origin; state = parentState[state])
                    {
                        path.Add(parent[state]);
                    }

                    path.Add(first);
                    path.Reverse();
                    Report(graph, found, kind, path, seen);
                }
            }
        }
    }

    private static void Report(Graph graph, ListAppendChecker.Findings found, AnomalyKind kind, List<RawEdge> cycle, HashSet<string> seen)
    {
        // The layered search of G2-item can return a walk through one transaction twice (T2 -rw-> T0 -wr-> T2 -rw-> T0
        // -wr-> T2: a G-single gone round twice). That is no cycle of its own: reported nothing, never a false G2-item.
        var nodes = cycle.Select(e => e.From).ToList();
        if (nodes.Distinct().Count() != nodes.Count)
        {
            return;
        }

        // One cycle found from several of its edges is one anomaly: named by its nodes, rotated to start at the least.
        var least = nodes.IndexOf(nodes.Min());
        var name = string.Join(' ', nodes.Skip(least).Concat(nodes.Take(least)).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            + string.Concat(cycle.Skip(least).Concat(cycle.Take(least)).Select(e => e.Kind));
        if (!seen.Add(name))
        {
            return;
        }

        found.Add(kind, () =>
        {
            var edges = cycle.Select(graph.Materialize).ToList();
            var transactions = edges.Select(e => e.From).ToList();
            var path = string.Concat(edges.Select(e => $"{e.From.Name} -{e.Kind.ToString().ToLowerInvariant()}-> ")) + edges[0].From.Name;
            return new Anomaly(kind, transactions, edges, $"a cycle of {edges.Count} transactions: {path}");
        });
    }

    /// <summary>Tarjan's strongly connected components, with an explicit stack of (node, next edge to visit).</summary>
    private static List<List<int>> Components(Graph graph)
    {
        var count = graph.Nodes.Count;
        var order = new int[count];
        var low = new int[count];
        var onStack = new bool[count];
        Array.Fill(order, -1);
        var stack = new Stack<int>();
        var calls = new Stack<(int Node, int Edge)>();
        var components = new List<List<int>>();
        var counter = 0;
        for (var root = 0; root < count; root++)
        {
            if (order[root] >= 0)
            {
                continue;
            }

            calls.Push((root, 0));
            order[root] = low[root] = counter++;
            stack.Push(root);
            onStack[root] = true;
            while (calls.Count > 0)
            {
                var (node, edge) = calls.Pop();
                var edges = graph.Out[node];
                if (edge < edges.Count)
                {
                    calls.Push((node, edge + 1));
                    var to = edges[edge].To;
                    if (order[to] < 0)
                    {
                        order[to] = low[to] = counter++;
                        stack.Push(to);
                        onStack[to] = true;
                        calls.Push((to, 0));
                    }
                    else if (onStack[to])
                    {
                        low[node] = Math.Min(low[node], order[to]);
                    }

                    continue;
                }

                if (calls.Count > 0)
                {
                    var caller = calls.Peek().Node;
                    low[caller] = Math.Min(low[caller], low[node]);
                }

                if (low[node] == order[node])
                {
                    var component = new List<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != node);
                    components.Add(component);
                }
            }
        }

        return components;
    }
}
