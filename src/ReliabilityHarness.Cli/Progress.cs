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

    /// <summary>Ends the progress line, so what follows starts on a line of its own.</summary>
    public void Done()
    {
        if (wrote)
        {
            error.WriteLine();
        }
    }
}
