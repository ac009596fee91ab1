using ReliabilityHarness.Histories;
using static ReliabilityHarness.Tests.Histories.HistoryBuilder;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// The checker's negative controls: one hand-built history per anomaly, each flagged with exactly that anomaly and a
/// minimal cycle whose edges say why they exist; a clean history flagged with nothing; unknown outcomes never blamed.
/// Keys are 1 (x) and 2 (y). The fault catalogue runs this suite with the checker's inference flawed.
/// </summary>
public sealed class ListAppendCheckerTests
{
    [Test]
    public void A_serial_history_has_no_anomaly_and_is_valid_under_every_model()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1), A(2, 1));
        history.Ok(R(1, 1), A(1, 2));
        history.Ok(R(1, 1, 2), R(2, 1), A(2, 2));
        history.Ok(R(2, 1, 2), R(1, 1, 2));
        history.Fail(A(1, 3));
        var result = history.Check();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Anomalies, Is.Empty);
            Assert.That(Enum.GetValues<ConsistencyModel>().Where(m => !result.IsValid(m)), Is.Empty);
        }
    }

    [Test]
    public void Two_appends_ordered_both_ways_on_two_keys_are_G0()
    {
        var history = new HistoryBuilder();
        var t1 = history.Ok(A(1, 1), A(2, 1));
        var t2 = history.Ok(A(1, 2), A(2, 2));
        history.Ok(R(1, 1, 2), R(2, 2, 1));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.G0);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name, e.Why)), Is.EquivalentTo(new[]
        {
            (t1, EdgeKind.WW, t2, $"{t2} appended 2 to key 1 after {t1}'s 1"),
            (t2, EdgeKind.WW, t1, $"{t1} appended 1 to key 2 after {t2}'s 2"),
        }));
    }

    [Test]
    public void Reading_a_failed_append_is_G1a()
    {
        var history = new HistoryBuilder();
        var writer = history.Fail(A(1, 1));
        var reader = history.Ok(R(1, 1));
        var anomaly = Only(history.Check(), AnomalyKind.G1a);
        Assert.That(anomaly.Transactions.Select(t => t.Name), Is.EqualTo(new[] { reader, writer }));
        Assert.That(anomaly.Explanation, Does.Contain("which failed"));
    }

    [Test]
    public void Reading_a_state_in_the_middle_of_another_transactions_appends_is_G1b()
    {
        var history = new HistoryBuilder();
        var writer = history.Ok(A(1, 1), A(1, 2));
        var reader = history.Ok(R(1, 1));
        history.Ok(R(1, 1, 2));
        var anomaly = Only(history.Check(), AnomalyKind.G1b);
        Assert.That(anomaly.Transactions.Select(t => t.Name), Is.EqualTo(new[] { reader, writer }));
        Assert.That(anomaly.Explanation, Does.Contain("an intermediate state"));
    }

    [Test]
    public void Two_transactions_each_reading_the_others_append_are_G1c()
    {
        var history = new HistoryBuilder();
        var t1 = history.Ok(A(1, 1), R(2, 1));
        var t2 = history.Ok(A(2, 1), R(1, 1));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.G1c);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name, e.Why)), Is.EquivalentTo(new[]
        {
            (t1, EdgeKind.WR, t2, $"{t2} read key 1 = [1], the last value {t1} appended"),
            (t2, EdgeKind.WR, t1, $"{t1} read key 2 = [1], the last value {t2} appended"),
        }));
    }

    [Test]
    public void Reading_one_key_before_and_another_after_a_transaction_is_G_single()
    {
        var history = new HistoryBuilder();
        var writer = history.Ok(A(1, 1), A(2, 1));
        var reader = history.Ok(R(1), R(2, 1));
        history.Ok(R(1, 1));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.GSingle);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name, e.Why)), Is.EquivalentTo(new[]
        {
            (reader, EdgeKind.RW, writer, $"{reader} read key 1 = [], {writer} appended the first value 1"),
            (writer, EdgeKind.WR, reader, $"{reader} read key 2 = [1], the last value {writer} appended"),
        }));
    }

    [Test]
    public void Write_skew_is_G2_item()
    {
        var history = new HistoryBuilder();
        var t1 = history.Ok(R(1), A(2, 1));
        var t2 = history.Ok(R(2), A(1, 1));
        history.Ok(R(1, 1), R(2, 1));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.G2Item);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name, e.Why)), Is.EquivalentTo(new[]
        {
            (t1, EdgeKind.RW, t2, $"{t1} read key 1 = [], {t2} appended the first value 1"),
            (t2, EdgeKind.RW, t1, $"{t2} read key 2 = [], {t1} appended the first value 1"),
        }));
    }

    [Test]
    public void Write_skew_whose_appends_nobody_read_is_still_G2_item()
    {
        // As Elle infers: an append no read saw came after the key's last observed value (lists only grow), so whoever
        // read that whole list anti-depends on it. T0 and T2 each saw the other's key at [9] and appended to it; no one
        // ever read 1 or 2.
        var history = new HistoryBuilder();
        history.Ok(A(1, 9), A(2, 9));
        var t1 = history.Ok(R(1, 9), A(2, 1));
        var t2 = history.Ok(R(2, 9), A(1, 2));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.G2Item);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name, e.Why)), Is.EquivalentTo(new[]
        {
            (t1, EdgeKind.RW, t2, $"{t1} read key 1 = [9], {t2} appended 2, which no read saw, so after it"),
            (t2, EdgeKind.RW, t1, $"{t2} read key 2 = [9], {t1} appended 1, which no read saw, so after it"),
        }));
    }

    [Test]
    public void An_append_nobody_read_by_a_transaction_of_unknown_outcome_adds_no_edge()
    {
        // The same skew with one side :info: it may never have committed, and no read proves it did.
        var history = new HistoryBuilder();
        history.Ok(A(1, 9), A(2, 9));
        history.Info(R(1, 9), A(2, 1));
        history.Ok(R(2, 9), A(1, 2));
        Assert.That(history.Check().Anomalies, Is.Empty);
    }

    [Test]
    public void A_longer_rw_cycle_is_reported_by_its_shortest_form()
    {
        // T0 -rw-> T2 -rw-> T4 -ww-> T0 on three keys; T6 reads them all and closes no cycle.
        var history = new HistoryBuilder();
        var t0 = history.Ok(R(1), A(3, 2));
        var t2 = history.Ok(A(1, 1), R(2));
        var t4 = history.Ok(A(2, 1), A(3, 1));
        history.Ok(R(1, 1), R(2, 1), R(3, 1, 2));
        var cycle = OnlyCycle(history.Check(), AnomalyKind.G2Item);
        Assert.That(cycle.Select(e => (e.From.Name, e.Kind, e.To.Name)), Is.EquivalentTo(new[]
        {
            (t0, EdgeKind.RW, t2), (t2, EdgeKind.RW, t4), (t4, EdgeKind.WW, t0),
        }));
    }

    [Test]
    public void Two_unrelated_cycles_in_separate_components_are_both_reported()
    {
        // A G0 between T0 and T2 on keys 1 and 2, and a G-single between T6 and T8 on keys 3 and 4. No transaction
        // touches both pairs of keys, so the graph has two strongly connected components with no edge between them: a
        // search that stopped after the first would pass whichever history it happened to look at first.
        var history = new HistoryBuilder();
        var t0 = history.Ok(A(1, 1), A(2, 1));
        var t2 = history.Ok(A(1, 2), A(2, 2));
        history.Ok(R(1, 1, 2), R(2, 2, 1));
        var writer = history.Ok(A(3, 1), A(4, 1));
        var reader = history.Ok(R(3), R(4, 1));
        history.Ok(R(3, 1));
        var result = history.Check();
        TestContext.Out.WriteLine(string.Join("\n", result.Anomalies));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.G0, AnomalyKind.GSingle }));
            Assert.That(result.Anomalies.Select(a => (a.Kind, Edges: string.Join(", ", a.Cycle.Select(e => $"{e.From.Name} -{e.Kind}-> {e.To.Name}").Order(StringComparer.Ordinal)))), Is.EqualTo(new[]
            {
                (AnomalyKind.G0, $"{t0} -WW-> {t2}, {t2} -WW-> {t0}"),
                (AnomalyKind.GSingle, $"{writer} -WR-> {reader}, {reader} -RW-> {writer}"),
            }));
            Assert.That(result.IsValid(ConsistencyModel.ReadCommitted), Is.False, "the G0 alone forbids read committed");
            Assert.That(result.ForbiddenFound(ConsistencyModel.SnapshotIsolation), Is.EqualTo(new[] { AnomalyKind.G0, AnomalyKind.GSingle }));
        }
    }

    [Test]
    public void Reads_that_are_not_prefixes_of_one_another_are_an_incompatible_order()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        history.Ok(A(1, 2));
        var longer = history.Ok(R(1, 1, 2));
        var other = history.Ok(R(1, 2));
        var anomaly = Only(history.Check(), AnomalyKind.IncompatibleOrder);
        Assert.That(anomaly.Transactions.Select(t => t.Name), Is.EqualTo(new[] { other, longer }));
        Assert.That(anomaly.Explanation, Is.EqualTo($"key 1: {other} read [2], {longer} read [1 2]; neither is a prefix of the other"));
    }

    [Test]
    public void A_value_read_twice_in_one_list_is_duplicate_elements()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        var reader = history.Ok(R(1, 1, 1));
        var anomaly = Only(history.Check(), AnomalyKind.DuplicateElements);
        Assert.That(anomaly.Explanation, Is.EqualTo($"{reader} read key 1 = [1 1]: 1 appears more than once"));
    }

    [Test]
    public void A_value_nobody_appended_is_a_garbage_read()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        history.Ok(R(1, 1, 9));
        Assert.That(Only(history.Check(), AnomalyKind.GarbageRead).Explanation, Does.EndWith("no transaction appended 9"));
    }

    [Test]
    public void An_unknown_outcome_never_seen_is_no_anomaly()
    {
        // T0 (:info) and T2 (never completed) may or may not have committed; no read saw 5 or 6, so they add no edge
        // and no anomaly, and their appends missing from the reads is no lost append.
        var history = new HistoryBuilder();
        history.Info(A(1, 5), A(2, 5));
        history.Invoked(A(1, 6));
        history.Ok(R(1), R(2));
        history.Ok(A(1, 1));
        history.Ok(R(1, 1), R(2));
        Assert.That(history.Check().Anomalies, Is.Empty);
    }

    [Test]
    public void An_unknown_outcome_seen_by_a_read_is_committed_and_not_an_aborted_read()
    {
        var history = new HistoryBuilder();
        var writer = history.Info(A(1, 1), A(2, 1));
        var reader = history.Ok(R(1), R(2, 1));
        history.Ok(R(1, 1));
        var result = history.Check();
        Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.GSingle }), "a read of its append proves it committed: its edges count");
        Assert.That(result.Anomalies[0].Transactions.Select(t => t.Name), Is.EquivalentTo(new[] { writer, reader }));
    }

    [Test]
    public void Write_skew_is_allowed_by_snapshot_isolation_and_read_committed_and_forbidden_by_serializable()
    {
        var history = new HistoryBuilder();
        history.Ok(R(1), A(2, 1));
        history.Ok(R(2), A(1, 1));
        history.Ok(R(1, 1), R(2, 1));
        var result = history.Check();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.IsValid(ConsistencyModel.ReadCommitted), Is.True);
            Assert.That(result.IsValid(ConsistencyModel.SnapshotIsolation), Is.True);
            Assert.That(result.IsValid(ConsistencyModel.RepeatableRead), Is.False);
            Assert.That(result.IsValid(ConsistencyModel.Serializable), Is.False);
            Assert.That(result.ForbiddenFound(ConsistencyModel.Serializable), Is.EqualTo(new[] { AnomalyKind.G2Item }));
        }
    }

    [Test]
    public void Read_skew_is_forbidden_by_snapshot_isolation_and_allowed_by_read_committed()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1), A(2, 1));
        history.Ok(R(1), R(2, 1));
        history.Ok(R(1, 1));
        var result = history.Check();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.IsValid(ConsistencyModel.ReadCommitted), Is.True);
            Assert.That(result.ForbiddenFound(ConsistencyModel.SnapshotIsolation), Is.EqualTo(new[] { AnomalyKind.GSingle }));
            Assert.That(result.IsValid(ConsistencyModel.Serializable), Is.False);
        }
    }

    [Test]
    public void An_aborted_read_is_forbidden_even_by_read_committed()
    {
        var history = new HistoryBuilder();
        history.Fail(A(1, 1));
        history.Ok(R(1, 1));
        Assert.That(history.Check().ForbiddenFound(ConsistencyModel.ReadCommitted), Is.EqualTo(new[] { AnomalyKind.G1a }));
    }

    [Test]
    public void A_cycle_through_many_transactions_is_found_without_recursion()
    {
        // 10,000 transactions in one G2-item ring: each reads the next one's key empty and appends to its own.
        const int Count = 10_000;
        var history = new HistoryBuilder();
        for (var i = 0; i < Count; i++)
        {
            history.Ok(R((i + 1) % Count), A(i, 1));
        }

        history.Ok([.. Enumerable.Range(0, Count).Select(k => R(k, 1))]);
        var result = history.Check();
        // The ring is found from its first rw edge; trying the other 9,999 as well would take far more steps than a
        // kind's search may, so the search says it stopped. That counts against serializability (found G2-item
        // anyway), not against snapshot isolation, which allows G2-item.
        Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.G2Item, AnomalyKind.CycleSearchTimeout }));
        Assert.That(result.Unfinished, Is.EqualTo(new[] { AnomalyKind.G2Item }));
        Assert.That((result.IsValid(ConsistencyModel.SnapshotIsolation), result.IsValid(ConsistencyModel.Serializable)), Is.EqualTo((true, false)));
        Assert.That(result.Anomalies[0].Cycle, Has.Count.EqualTo(Count));
    }

    /// <summary>The only anomaly of the history, which must be of <paramref name="kind"/>.</summary>
    private static Anomaly Only(CheckResult result, AnomalyKind kind)
    {
        TestContext.Out.WriteLine(string.Join("\n", result.Anomalies));
        Assert.That(result.Kinds, Is.EqualTo(new[] { kind }), $"expected only {Anomaly.NameOf(kind)}");
        Assert.That(result.Anomalies, Has.Count.EqualTo(1));
        return result.Anomalies[0];
    }

    /// <summary>The edges of the only anomaly, a cycle of <paramref name="kind"/>: each edge's target the next one's source.</summary>
    private static IReadOnlyList<Edge> OnlyCycle(CheckResult result, AnomalyKind kind)
    {
        var cycle = Only(result, kind).Cycle;
        Assert.That(cycle.Select((e, i) => e.To == cycle[(i + 1) % cycle.Count].From), Is.All.True, "the edges must close a cycle");
        return cycle;
    }
}
