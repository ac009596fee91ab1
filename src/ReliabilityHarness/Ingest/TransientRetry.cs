using Polly;
using Polly.Retry;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// The one retry of the harness, as Polly's pipeline: exponential backoff from 25 ms with jitter, at most
/// <see cref="IngestOptions.MaxBackoff"/> between two attempts, so writers that collided do not collide again in
/// step; the pauses run on the given <see cref="TimeProvider"/>, so a test's clock drives them.
/// </summary>
internal static class TransientRetry
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// A pipeline that runs an attempt up to <paramref name="maxAttempts"/> times while <paramref name="retry"/>
    /// says its outcome is worth another; <paramref name="onRetry"/> hears of each retry (the attempt that failed, from 1).
    /// </summary>
    public static ResiliencePipeline<T> Pipeline<T>(int maxAttempts, TimeProvider? time, Func<Outcome<T>, bool> retry, Action<int, Outcome<T>>? onRetry = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        var builder = new ResiliencePipelineBuilder<T> { TimeProvider = time ?? TimeProvider.System };
        if (maxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = maxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstBackoff,
                MaxDelay = IngestOptions.MaxBackoff,
                ShouldHandle = arguments => ValueTask.FromResult(retry(arguments.Outcome)),
                OnRetry = arguments =>
                {
                    onRetry?.Invoke(arguments.AttemptNumber + 1, arguments.Outcome);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> through <see cref="Pipeline{T}"/>. The first attempt runs before the pipeline is
    /// built, and only an outcome worth retrying builds it (the pipeline then starts from that outcome, pausing before
    /// the second attempt): a run that needs no retry, the usual one, does not pay Polly's start-up (about 60 ms
    /// measured here, a tenth of a small run's time).
    /// </summary>
    public static async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt, int maxAttempts, TimeProvider? time, Func<Outcome<T>, bool> retry,
        Action<int, Outcome<T>>? onRetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(retry);
        Outcome<T> first;
        try
        {
            first = Outcome.FromResult(await attempt(cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            first = Outcome.FromException<T>(e);
        }

        if (maxAttempts > 1 && retry(first))
        {
            var replayed = false;
            return await Pipeline(maxAttempts, time, retry, onRetry).ExecuteAsync(async token =>
            {
                if (!replayed)
                {
                    replayed = true;
                    first.ThrowIfException();
                    return first.Result!;
                }

                return await attempt(token);
            }, cancellationToken);
        }

        first.ThrowIfException();
        return first.Result!;
    }
}
