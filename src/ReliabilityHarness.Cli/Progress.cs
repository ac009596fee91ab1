using System.Globalization;
using ReliabilityHarness.Ingest;

namespace ReliabilityHarness.Cli;

/// <summary>
/// One line on a terminal, rewritten at most four times a second while an ingest runs: rows handled, percent of
/// the file, rows per second. Only when standard error is a terminal; redirected output stays quiet.
/// </summary>
internal sealed class Progress(TextWriter error, long totalRows, TimeProvider time)
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(250);
    private readonly long started = time.GetTimestamp();
    private long shown;
    private bool wrote;

    public void Report(IngestCheckpoint checkpoint)
    {
        if (checkpoint.Point != IngestCheckpoint.AfterRow || totalRows <= 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (time.GetElapsedTime(shown, now) < Every)
        {
            return;
        }

        shown = now;
        var seconds = Math.Max(time.GetElapsedTime(started, now).TotalSeconds, 0.001);
        error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r  {checkpoint.RowsHandled:N0} / {totalRows:N0} rows ({100.0 * checkpoint.RowsHandled / totalRows:0}%), {checkpoint.RowsHandled / seconds:N0} rows/s{(checkpoint.Attempt > 1 ? $", attempt {checkpoint.Attempt}" : string.Empty)}   "));
        wrote = true;
    }

    /// <summary>
    /// About how many records <paramref name="path"/> holds, for the percentage: its line breaks less the header,
    /// counted in one pass over the bytes (a tenth of a second for 50 MB), without parsing. 0 when unreadable.
    /// </summary>
    public static long EstimateRows(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            var buffer = new byte[1 << 16];
            long lines = 0;
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return Math.Max(lines - 1, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Ends the progress line, so what follows starts on a line of its own.</summary>
    public void Done()
    {
        if (wrote)
        {
            error.WriteLine();
        }
    }
}
