using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>Which crash points a check tries: every one up to the limit, evenly spread beyond it.</summary>
public sealed class CrashPointTests
{
    private static List<CrashPoint> Points(int count) =>
        Enumerable.Range(1, count).Select(k => (CrashPoint)new StatementPoint(k, count, $"INSERT {k}")).ToList();

    [Test]
    public void Up_to_the_limit_every_point_is_tried_in_order()
    {
        var points = Points(500);

        Assert.That(PipelineCheck.Spread(points, 500), Is.EqualTo(points));
    }

    [Test]
    public void Beyond_the_limit_as_many_points_as_the_limit_are_spread_evenly_first_and_last_included()
    {
        var spread = PipelineCheck.Spread(Points(1_999), 500).Cast<StatementPoint>().Select(p => p.Ordinal).ToList();
        var gaps = spread.Zip(spread.Skip(1), (a, b) => b - a).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(spread, Has.Count.EqualTo(500).And.Unique.And.Ordered);
            Assert.That(spread[0], Is.EqualTo(1));
            Assert.That(spread[^1], Is.EqualTo(1_999));
            Assert.That(gaps, Is.All.InRange(3, 5), "1,998 steps over 499 gaps: about 4 each");
        }
    }
}
