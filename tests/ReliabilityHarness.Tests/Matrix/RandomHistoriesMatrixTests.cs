using ReliabilityHarness.Cli;
using ReliabilityHarness.Histories;
using ReliabilityHarness.Matrix;
using ReliabilityHarness.Scenarios.Interleavings;
using ReliabilityHarness.Tests.Histories;
using static ReliabilityHarness.Tests.Histories.HistoryBuilder;

namespace ReliabilityHarness.Tests.Matrix;

/// <summary>
/// The matrix's <c>random-histories</c> verdict: every level of every engine is promised a model, with its source; the
/// observation is the promise when the history keeps it and says what broke it when not, so a level held to a model
/// stronger than it keeps is seen failing (a hand-built write skew against serializable).
/// </summary>
public sealed class RandomHistoriesMatrixTests
{
    [Test]
    public void Every_level_of_every_engine_is_promised_a_model_with_its_source()
    {
        foreach (var provider in ProviderCatalog.All)
        {
            foreach (var level in provider.Dialect.IsolationLevels)
            {
                var promise = provider.Dialect.Expectations.Find(RandomHistoriesMatrix.ScenarioId, Isolation.Spelling(level));
                Assert.That(promise, Is.Not.Null, $"{provider.Name} {Isolation.Spelling(level)}");
                Assert.That(ConsistencyModels.TryParse(promise!.Expected, out _), Is.True, $"{provider.Name} {Isolation.Spelling(level)}: '{promise.Expected}' names a model");
                Assert.That(promise.Source, Is.Not.Empty);
            }
        }
    }

    [Test]
    public void A_history_is_observed_keeping_its_promise_or_breaking_it_with_what_broke_it()
    {
        var writeSkew = new HistoryBuilder();
        writeSkew.Ok(R(1), A(2, 1));
        writeSkew.Ok(R(2), A(1, 1));
        writeSkew.Ok(R(1, 1), R(2, 1));
        var check = writeSkew.Check();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(RandomHistoriesMatrix.Observed(check, "snapshot-isolation"), Is.EqualTo("snapshot-isolation"), "G2-item is allowed by snapshot isolation");
            Assert.That(RandomHistoriesMatrix.Observed(check, "serializable"), Is.EqualTo("not serializable: G2-item"), "and forbidden by serializability: the cell fails");
            Assert.That(RandomHistoriesMatrix.Observed(check, null), Is.EqualTo("valid for read-committed, snapshot-isolation"), "no promise: what it is valid for, which no expectation equals");
        }
    }
}
