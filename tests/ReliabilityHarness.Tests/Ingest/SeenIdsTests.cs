namespace ReliabilityHarness.Tests.Ingest;

public sealed class SeenIdsTests
{
    [Test]
    public void Distinct_ids_raise_no_suspects_while_kept_exactly_and_few_after()
    {
        var seen = new SeenIds();
        for (var i = 0; i < 1_000_000; i++)
        {
            seen.Add($"pay_{i:D7}");
            if (i == SeenIds.ExactIds - 1)
            {
                Assert.That(seen.MaybeRepeated, Is.False);
            }
        }

        // About a dozen false suspects are expected for a million ids; far fewer than the limit.
        Assert.That(seen.Suspects, Has.Count.LessThan(100));
        Assert.That(seen.AllRowsNeeded, Is.False);
    }

    [Test]
    public void Every_real_repeat_is_a_suspect_before_and_after_the_filter_takes_over()
    {
        var seen = new SeenIds();
        seen.Add("early");
        for (var i = 0; i < 200_000; i++)
        {
            seen.Add($"id-{i}");
        }

        seen.Add("early");
        seen.Add("id-150000");
        Assert.That(seen.Suspects, Does.Contain("early").And.Contain("id-150000"));
    }

    [Test]
    public void Past_the_suspect_limit_every_row_is_to_be_checked()
    {
        var seen = new SeenIds();
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i <= SeenIds.MaxSuspects; i++)
            {
                seen.Add($"id-{i}");
            }
        }

        Assert.That(seen.AllRowsNeeded, Is.True);
        Assert.That(seen.MaybeRepeated, Is.True);
    }
}
