using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace ReliabilityHarness.Ingest;

/// <summary>
/// Reads a stream ahead on another thread, so parsing and validating the input overlaps with sending it to the
/// engine. At most <c>chunks</c> × <c>chunkSize</c> items wait in memory. A failure of the source (a bad line) reaches
/// the consumer in order, after every item before it; a consumer that stops early stops the reader.
/// <c>observe</c> sees every item on the reading thread, before the consumer does; whatever it builds is complete
/// when the consumer's loop ends.
/// </summary>
internal static class ReadAhead
{
    public static async IAsyncEnumerable<T> ReadAheadAsync<T>(this IAsyncEnumerable<T> source, Action<T>? observe = null, int chunkSize = 1024, int chunks = 8,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(chunks) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var reader = Task.Run(async () =>
        {
            try
            {
                var chunk = new List<T>(chunkSize);
                await foreach (var item in source.WithCancellation(stop.Token).ConfigureAwait(false))
                {
                    observe?.Invoke(item);
                    chunk.Add(item);
                    if (chunk.Count == chunkSize)
                    {
                        await channel.Writer.WriteAsync(chunk, stop.Token).ConfigureAwait(false);
                        chunk = new List<T>(chunkSize);
                    }
                }

                if (chunk.Count > 0)
                {
                    await channel.Writer.WriteAsync(chunk, stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in chunk)
                {
                    yield return item;
                }
            }

            await reader.ConfigureAwait(false);
            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }
}
