using ReliabilityHarness.Histories;
using static ReliabilityHarness.Tests.Histories.HistoryBuilder;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// The checker where one index or one comparison decides the verdict: which value a read is blamed for, which read is
/// the longest, which reads anti-depend on an append no one saw, and which strongly connected components are searched.
/// Keys are 1 (x), 2 (y) and up; each history's anomalies are said in its test.
/// </summary>
public sealed class ListAppendCheckerEdgeTests
{
    [Test]
    public void A_read_that_is_no_prefix_is_still_checked_for_values_nobody_appended()
    {
        // [9] is not a prefix of [1 2], and 9 was never appended: both anomalies, each on its own evidence.
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        history.Ok(A(1, 2));
        history.Ok(R(1, 1, 2));
        var reader = history.Ok(R(1, 9));
        var result = history.Check();
        Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.IncompatibleOrder, AnomalyKind.GarbageRead }));
        Assert.That(result.Anomalies.Single(a => a.Kind == AnomalyKind.GarbageRead).Explanation, Is.EqualTo($"{reader} read key 1 = [9]: no transaction appended 9"));
    }

    [Test]
    public void A_read_is_blamed_for_the_first_bad_value_it_holds()
    {
        var history = new HistoryBuilder();
        var failed = history.Fail(A(2, 5));
        history.Fail(A(2, 6));
        var garbage = history.Ok(R(1, 8, 9));
        var aborted = history.Ok(R(2, 5, 6));
        var result = history.Check();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Anomalies.Single(a => a.Kind == AnomalyKind.GarbageRead).Explanation, Is.EqualTo($"{garbage} read key 1 = [8 9]: no transaction appended 8"));
            Assert.That(result.Anomalies.Single(a => a.Kind == AnomalyKind.G1a).Explanation, Is.EqualTo($"{aborted} read key 2 = [5 6], with 5 appended by {failed}, which failed"));
        }
    }

    [Test]
    public void A_shorter_read_is_not_blamed_for_what_only_the_longer_read_holds()
    {
        // Each key's longest read holds one bad value at its end (a duplicate on 1, garbage on 2, an aborted append on
        // 3); a read of what comes before it is a clean prefix. One anomaly each, the longer reader's.
        var history = new HistoryBuilder();
        history.Ok(A(1, 1), A(2, 1), A(3, 1));
        history.Ok(A(1, 2), A(2, 2), A(3, 2));
        history.Fail(A(3, 3));
        var longer = history.Ok(R(1, 1, 2, 2), R(2, 1, 2, 9), R(3, 1, 2, 3));
        history.Ok(R(1, 1, 2), R(2, 1, 2), R(3, 1, 2));
        var result = history.Check();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.G1a, AnomalyKind.DuplicateElements, AnomalyKind.GarbageRead }));
            Assert.That(result.Anomalies.Select(a => a.Transactions[0].Name), Is.All.EqualTo(longer));
            Assert.That(result.Anomalies, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public void Of_two_reads_of_the_same_length_the_first_is_the_order_the_other_is_held_to()
    {
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        history.Ok(A(1, 2));
        var first = history.Ok(R(1, 1, 2));
        var second = history.Ok(R(1, 2, 1));
        var anomaly = history.Check().Anomalies.Single();
        Assert.That(anomaly.Explanation, Is.EqualTo($"key 1: {second} read [2 1], {first} read [1 2]; neither is a prefix of the other"));
    }

    [Test]
    public void A_read_that_is_no_prefix_anti_depends_on_no_one()
    {
        // T8 read x as [5], which the version order [1 2] does not start with: no state in that order can be said to
        // have been followed by T2's append of 2, so T8 gets no rw edge to T2. Had it one, T2's append to y, which T8
        // read, would close a G-single the history does not show.
        var history = new HistoryBuilder();
        history.Ok(A(1, 1));
        history.Ok(A(1, 2), A(2, 1));
        history.Ok(A(1, 5));
        history.Ok(R(1, 1, 2));
        history.Ok(R(1, 5), R(2, 1));
        Assert.That(history.Check().Kinds, Is.EqualTo(new[] { AnomalyKind.IncompatibleOrder }));
    }

    [Test]
    public void An_anti_dependency_says_the_last_value_read_and_the_next_one_appended()
    {
        // T4 read x = [1 2] before T0 appended 3, and read y = [1] from T0: G-single, with T4's read shown by its tail.
        var history = new HistoryBuilder();
        var writer = history.Ok(A(2, 1), A(1, 3));
        history.Ok(A(1, 1), A(1, 2));
        var reader = history.Ok(R(1, 1, 2), R(2, 1));
        history.Ok(R(1, 1, 2, 3));
        var anomaly = history.Check().Anomalies.Single();
        Assert.That(anomaly.Cycle.Select(e => e.ToString()), Is.EquivalentTo(new[]
        {
            $"{reader} -rw-> {writer}: {reader} read key 1 = [.. 2], {writer} appended the next value 3",
            $"{writer} -wr-> {reader}: {reader} read key 2 = [1], the last value {writer} appended",
        }));
    }

    [Test]
    public void Only_a_read_of_the_whole_list_anti_depends_on_an_append_nobody_read()
    {
        // T0 read x empty; T2 appended 1 (seen by T4); T6 appended 2, which nobody read, and 1 to y, which T0 read.
        // T0 comes before T2 (it missed 1), T2 before T6 (2 came after the last value seen), T6 before T0: one
        // G-single of three (and a G2-item through T4, which read all of x and so precedes T6). T0 did not read the
        // whole list, so it has no rw edge of its own to T6's unseen append: that would be a second, shorter G-single
        // the history does not show.
        var history = new HistoryBuilder();
        var t0 = history.Ok(R(1), R(2, 1));
        var t2 = history.Ok(A(1, 1));
        history.Ok(R(1, 1));
        var t6 = history.Ok(A(1, 2), A(2, 1));
        var result = history.Check();
        Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.GSingle, AnomalyKind.G2Item }));
        Assert.That(result.Anomalies.Single(a => a.Kind == AnomalyKind.GSingle).Cycle.Select(e => e.ToString()), Is.EquivalentTo(new[]
        {
            $"{t0} -rw-> {t2}: {t0} read key 1 = [], {t2} appended the first value 1",
            $"{t2} -ww-> {t6}: {t6} appended 2 to key 1, which no read saw, so after {t2}'s 1",
            $"{t6} -wr-> {t0}: {t0} read key 2 = [1], the last value {t6} appended",
        }));
    }

    [Test]
    public void An_append_nobody_read_to_a_key_only_ever_read_empty_follows_that_empty_read()
    {
        // Key 1 was read only as []; T2's 5 came after that read, and T2 appended y = 1, which T0 read: G-single.
        var history = new HistoryBuilder();
        var reader = history.Ok(R(1), R(2, 1));
        var writer = history.Ok(A(1, 5), A(2, 1));
        var anomaly = history.Check().Anomalies.Single();
        Assert.That(anomaly.Cycle.Select(e => e.ToString()), Is.EquivalentTo(new[]
        {
            $"{reader} -rw-> {writer}: {reader} read key 1 = [], {writer} appended 5, which no read saw, so after it",
            $"{writer} -wr-> {reader}: {reader} read key 2 = [1], the last value {writer} appended",
        }));
    }

    [Test]
    public void An_append_nobody_read_closes_a_write_cycle_after_the_last_value_seen()
    {
        // x = [1] by T0, then T2's unseen 2; y = [1 2]: T2's 1 before T0's 2. G0, besides the G-single through T4.
        var history = new HistoryBuilder();
        var t0 = history.Ok(A(1, 1), A(2, 2));
        var t2 = history.Ok(A(1, 2), A(2, 1));
        history.Ok(R(1, 1), R(2, 1, 2));
        var result = history.Check();
        var g0 = result.Anomalies.Single(a => a.Kind == AnomalyKind.G0);
        Assert.That(g0.Cycle.Select(e => e.ToString()), Is.EquivalentTo(new[]
        {
            $"{t0} -ww-> {t2}: {t2} appended 2 to key 1, which no read saw, so after {t0}'s 1",
            $"{t2} -ww-> {t0}: {t0} appended 2 to key 2 after {t2}'s 1",
        }));
        Assert.That(g0.Explanation, Does.Match($"^a cycle of 2 transactions: ({t0} -ww-> {t2} -ww-> {t0}|{t2} -ww-> {t0} -ww-> {t2})$"));
    }

    [Test]
    public void A_cycle_with_an_edge_into_a_cycle_found_before_it_is_still_reported()
    {
        // The G0 of T0 and T2 comes first; T6 and T8 make a G-single, and T6 read x empty before T0 appended to it:
        // an edge from the second component into the first, none back. Both cycles are found.
        var history = new HistoryBuilder();
        history.Ok(A(1, 1), A(2, 1));
        history.Ok(A(1, 2), A(2, 2));
        history.Ok(R(1, 1, 2), R(2, 2, 1));
        var writer = history.Ok(A(3, 1), A(4, 1), R(1));
        var reader = history.Ok(R(3), R(4, 1));
        history.Ok(R(3, 1));
        var result = history.Check();
        Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.G0, AnomalyKind.GSingle }));
        Assert.That(result.Anomalies.Single(a => a.Kind == AnomalyKind.GSingle).Transactions.Select(t => t.Name), Is.EquivalentTo(new[] { writer, reader }));
    }

    [Test]
    public void A_cycle_search_that_runs_out_of_steps_leaves_valid_only_the_models_that_allow_its_kind()
    {
        // Write skew, checked with no steps to spare: the G2-item search stops before its first edge. Finding nothing
        // because it did not look is not "no G2-item": the result says the search stopped. Only read committed, which
        // allows both kinds whose search stopped (G-single and G2-item, the two seeded on rw edges), still holds.
        var history = new HistoryBuilder();
        history.Ok(R(1), A(2, 1));
        history.Ok(R(2), A(1, 1));
        history.Ok(R(1, 1), R(2, 1));

        var result = ListAppendChecker.Check(Transaction.Pair(history.Operations), budget: -1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Kinds, Is.EqualTo(new[] { AnomalyKind.CycleSearchTimeout }));
            Assert.That(result.Anomalies.Select(a => a.Explanation), Is.EqualTo(new[]
            {
                "the search for G-single cycles among 2 transactions stopped after 0 steps (at most -1): a cycle of that kind may be missed",
                "the search for G2-item cycles among 2 transactions stopped after 0 steps (at most -1): a cycle of that kind may be missed",
            }), "one line per kind whose search had an edge left to start from (these two seed on rw edges; there is no ww or wr edge)");
            Assert.That(Enum.GetValues<ConsistencyModel>().Where(result.IsValid), Is.EqualTo(new[] { ConsistencyModel.ReadCommitted }), "the G-single search stopped too: snapshot isolation forbids G-single");
            Assert.That(result.Unfinished, Is.EqualTo(new[] { AnomalyKind.GSingle, AnomalyKind.G2Item }));
            Assert.That(Anomaly.NameOf(AnomalyKind.CycleSearchTimeout), Is.EqualTo("cycle-search-timeout"));
        }
    }

    [Test]
    public void A_stopped_search_counts_only_against_the_models_that_forbid_what_it_looked_for()
    {
        var counts = Enum.GetValues<AnomalyKind>().ToDictionary(k => k, k => k == AnomalyKind.CycleSearchTimeout ? 1 : 0);
        var g2Stopped = new CheckResult([], [], counts, [AnomalyKind.G2Item]);
        var gSingleStopped = new CheckResult([], [], counts, [AnomalyKind.GSingle]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enum.GetValues<ConsistencyModel>().Where(g2Stopped.IsValid), Is.EqualTo(new[] { ConsistencyModel.ReadCommitted, ConsistencyModel.SnapshotIsolation }));
            Assert.That(g2Stopped.ForbiddenFound(ConsistencyModel.Serializable), Is.EqualTo(new[] { AnomalyKind.CycleSearchTimeout }));
            Assert.That(Enum.GetValues<ConsistencyModel>().Where(gSingleStopped.IsValid), Is.EqualTo(new[] { ConsistencyModel.ReadCommitted }));
            Assert.That(new CheckResult([], [], counts).IsValid(ConsistencyModel.ReadCommitted), Is.True, "no search said it stopped");
        }
    }

    [Test]
    public void A_cycle_search_with_steps_enough_reports_the_cycle_and_no_timeout()
    {
        var history = new HistoryBuilder();
        history.Ok(R(1), A(2, 1));
        history.Ok(R(2), A(1, 1));
        history.Ok(R(1, 1), R(2, 1));

        Assert.That(ListAppendChecker.Check(Transaction.Pair(history.Operations), budget: 4).Kinds, Is.EqualTo(new[] { AnomalyKind.G2Item }));
    }

    [Test]
    public void A_failed_transaction_is_judged_by_what_it_meant_to_do_and_named_by_its_index()
    {
        var transactions = Transaction.Pair(HistoryFormat.Parse("""
            {:type :invoke, :value [[:append 1 1] [:r 1 nil]], :process 3, :index 10}
            {:type :fail, :value [[:append 1 2] [:r 1 [7]]], :process 3, :index 11}
            """));
        var failed = transactions.Single();
        Assert.That((failed.Name, failed.Ops.Count, ((Append)failed.Ops[0]).Value, ((Read)failed.Ops[1]).Values), Is.EqualTo(("T10", 2, 1L, (IReadOnlyList<long>?)null)));
        Assert.That(failed.ToString(), Is.EqualTo("T10 (process 3, fail, index 10): [[:append 1 1] [:r 1 nil]]"));
    }

    [Test]
    public void An_anomaly_is_written_with_its_name_its_transactions_and_its_edges()
    {
        var history = new HistoryBuilder();
        history.Ok(R(1), A(2, 1));
        history.Ok(R(2), A(1, 1));
        history.Ok(R(1, 1), R(2, 1));
        var anomaly = history.Check().Anomalies.Single();
        Assert.That(anomaly.ToString().Split('\n'), Is.EqualTo(new[]
        {
            $"G2-item: {anomaly.Explanation}",
            $"  {anomaly.Transactions[0]}",
            $"  {anomaly.Transactions[1]}",
            $"  {anomaly.Cycle[0]}",
            $"  {anomaly.Cycle[1]}",
        }));
        Assert.That(anomaly.Transactions[0].ToString(), Does.Match(@"^T\d \(process \d, ok, index \d\): \[\[:r \d \[\]\] \[:append \d 1\]\]$"));
    }

    [TestCase(AnomalyKind.G0, "G0")]
    [TestCase(AnomalyKind.G1a, "G1a")]
    [TestCase(AnomalyKind.G1b, "G1b")]
    [TestCase(AnomalyKind.G1c, "G1c")]
    [TestCase(AnomalyKind.GSingle, "G-single")]
    [TestCase(AnomalyKind.G2Item, "G2-item")]
    [TestCase(AnomalyKind.IncompatibleOrder, "incompatible-order")]
    [TestCase(AnomalyKind.DuplicateElements, "duplicate-elements")]
    [TestCase(AnomalyKind.GarbageRead, "garbage-read")]
    public void Each_anomaly_is_named_as_Elle_names_it(AnomalyKind kind, string name) =>
        Assert.That(Anomaly.NameOf(kind), Is.EqualTo(name));

    [Test]
    public void Two_reads_are_equal_only_with_the_same_key_and_the_same_list()
    {
        // Two reads built apart, as two transactions of one history hold them.
        var (read, same, unknown, alsoUnknown) = (R(1, 1, 2), R(1, 1, 2), new Read(HistoryKey.Of(1), null), new Read(HistoryKey.Of(1), null));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read, Is.EqualTo(same));
            Assert.That(R(1, 1, 2), Is.Not.EqualTo(R(2, 1, 2)));
            Assert.That(R(1, 1, 2), Is.Not.EqualTo(R(1, 1, 3)));
            Assert.That(R(1, 1), Is.Not.EqualTo(new Read(HistoryKey.Of(1), null)));
            Assert.That(unknown, Is.EqualTo(alsoUnknown));
            Assert.That(R(1).Equals(null), Is.False);
        }
    }

    [Test]
    public void A_value_that_is_no_consistency_model_is_refused()
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyModels.Forbidden((ConsistencyModel)99));
        Assert.That(refused.Message, Does.StartWith("not a consistency model"));
    }
}
