using Microsoft.Extensions.Time.Testing;
using Polly;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>The one retry pipeline: attempts counted, pauses jittered and bounded, and driven by the clock it is given.</summary>
public sealed class TransientRetryTests
{
    [Test]
    public async Task An_outcome_worth_retrying_runs_every_attempt_and_each_retry_is_told_which_attempt_failed()
    {
        var time = new FakeTimeProvider();
        var attempts = 0;
        var told = new List<int>();
        var pipeline = TransientRetry.Pipeline<int>(4, time, outcome => outcome.Result < 10, (attempt, _) => told.Add(attempt));

        var run = pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts), CancellationToken.None).AsTask();
        // Nothing but the fake clock moves the pauses on: each step is more than the longest pause there may be.
        for (var step = 0; step < 10 && !run.IsCompleted; step++)
        {
            await Task.Delay(20);
            time.Advance(IngestOptions.MaxBackoff);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.IsCompleted, Is.True, "the pauses ran on the given clock");
            Assert.That(await run, Is.EqualTo(4), "the last attempt's outcome is returned");
            Assert.That(attempts, Is.EqualTo(4));
            Assert.That(told, Is.EqualTo(new[] { 1, 2, 3 }));
        }
    }

    [Test]
    public async Task The_pause_waits_for_the_clock_and_never_exceeds_the_longest_backoff()
    {
        var time = new FakeTimeProvider();
        var attempts = 0;
        var pipeline = TransientRetry.Pipeline<int>(2, time, outcome => outcome.Result == 1);
        var run = pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts), CancellationToken.None).AsTask();

        await Task.Delay(100);
        var beforeTheClockMoved = attempts;
        time.Advance(IngestOptions.MaxBackoff);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeTheClockMoved, Is.EqualTo(1), "the second attempt waits for the pause");
            Assert.That(await run.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(2), "one longest backoff later it has run");
        }
    }

    [Test]
    public async Task An_outcome_not_worth_retrying_runs_once()
    {
        var attempts = 0;
        var pipeline = TransientRetry.Pipeline<int>(8, new FakeTimeProvider(), _ => false);
        Assert.That(await pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts), CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task Execute_runs_the_first_attempt_at_once_and_only_an_outcome_worth_it_is_retried_on_the_given_clock()
    {
        var time = new FakeTimeProvider();
        var attempts = 0;
        var told = new List<int>();
        var run = TransientRetry.ExecuteAsync(_ => Task.FromResult(++attempts), 3, time, outcome => outcome.Result < 3, (attempt, _) => told.Add(attempt), CancellationToken.None);
        await Task.Delay(50);
        var beforeTheClockMoved = attempts;
        for (var step = 0; step < 10 && !run.IsCompleted; step++)
        {
            time.Advance(IngestOptions.MaxBackoff);
            await Task.Delay(20);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeTheClockMoved, Is.EqualTo(1), "the first attempt ran at once; the second waits for the pause");
            Assert.That(await run.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(3));
            Assert.That(told, Is.EqualTo(new[] { 1, 2 }));
        }
    }

    [Test]
    public void Execute_lets_an_error_not_worth_retrying_through_after_one_attempt()
    {
        var attempts = 0;
        Assert.That(() => TransientRetry.ExecuteAsync<int>(_ => { attempts++; throw new InvalidOperationException("not transient"); }, 8, new FakeTimeProvider(),
            outcome => false, null, CancellationToken.None), Throws.InvalidOperationException.With.Message.EqualTo("not transient"));
        Assert.That(attempts, Is.EqualTo(1));
    }
}
