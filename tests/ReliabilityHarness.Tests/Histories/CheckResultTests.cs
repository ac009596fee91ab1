using ReliabilityHarness.Histories;
using static ReliabilityHarness.Tests.Histories.HistoryBuilder;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>What a result says beyond the anomalies listed: counts past the report cap, and the models by Elle's names.</summary>
public sealed class CheckResultTests
{
    [Test]
    public void Every_anomaly_is_counted_but_only_the_first_few_of_a_kind_are_listed()
    {
        var history = new HistoryBuilder();
        for (var i = 0; i < 5; i++)
        {
            history.Ok(R(i, 99));
        }

        var result = history.Check();
        Assert.That((result.Counts[AnomalyKind.GarbageRead], result.Anomalies.Count), Is.EqualTo((5, ListAppendChecker.ReportedPerKind)));
    }

    [TestCase("read-committed", ConsistencyModel.ReadCommitted)]
    [TestCase("snapshot-isolation", ConsistencyModel.SnapshotIsolation)]
    [TestCase("repeatable-read", ConsistencyModel.RepeatableRead)]
    [TestCase("Serializable", ConsistencyModel.Serializable)]
    public void A_model_is_named_as_Elle_names_it(string name, ConsistencyModel model)
    {
        Assert.That(ConsistencyModels.TryParse(name, out var parsed), Is.True);
        Assert.That((parsed, ConsistencyModels.NameOf(model)), Is.EqualTo((model, name.ToLowerInvariant())));
    }

    [Test]
    public void Each_model_forbids_what_the_weaker_ones_forbid()
    {
        var models = new[] { ConsistencyModel.ReadCommitted, ConsistencyModel.SnapshotIsolation, ConsistencyModel.RepeatableRead, ConsistencyModel.Serializable };
        using (Assert.EnterMultipleScope())
        {
            foreach (var (weaker, stronger) in models.Zip(models.Skip(1)))
            {
                Assert.That(ConsistencyModels.Forbidden(stronger), Is.SupersetOf(ConsistencyModels.Forbidden(weaker)), $"{stronger} over {weaker}");
            }

            Assert.That(ConsistencyModels.Forbidden(ConsistencyModel.SnapshotIsolation), Does.Not.Contain(AnomalyKind.G2Item));
            Assert.That(ConsistencyModels.Forbidden(ConsistencyModel.Serializable), Is.EquivalentTo(Enum.GetValues<AnomalyKind>()));
        }
    }
}
