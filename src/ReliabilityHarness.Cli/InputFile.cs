using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Cli;

/// <summary>
/// The <c>--input</c> of a run as a file it can read more than once: the robust strategy reads it again when a
/// first load meets a repeated id or a rerun is not in the table's order, every strategy when it retries, and the
/// row-by-row ones validate it before they write. A pipe (<c>/dev/stdin</c>, <c>&lt;(zcat …)</c>) can be read only
/// once, so it is first copied to a temporary file, deleted when the run ends; memory stays flat, disk holds one
/// copy. Problems are still reported against the name the user gave.
/// </summary>
internal sealed class InputFile : IAsyncDisposable
{
    private InputFile(string path, string name, bool copied) => (Path, Name, Copied) = (path, name, copied);

    /// <summary>The file to read.</summary>
    public string Path { get; }

    /// <summary>The input as the user named it, for messages.</summary>
    public string Name { get; }

    private bool Copied { get; }

    public static async Task<InputFile> OpenAsync(string name, CancellationToken cancellationToken)
    {
        if (!IsPipe(name))
        {
            return new InputFile(name, name, copied: false);
        }

        var copy = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"reliability-input-{Guid.NewGuid():N}.csv");
        try
        {
            await using var source = new FileStream(name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            await using var target = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            await source.CopyToAsync(target, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(copy);
            throw new InputException(name, 0, 0, $"cannot read the input: {e.Message}");
        }

        return new InputFile(copy, name, copied: true);
    }

    /// <summary>An <see cref="InputException"/> about the copy, told about the input the user named.</summary>
    public InputException Renamed(InputException exception) =>
        Copied ? new InputException(Name, exception.Line, exception.Column, exception.Problem) : exception;

    public ValueTask DisposeAsync()
    {
        if (Copied)
        {
            File.Delete(Path);
        }

        return ValueTask.CompletedTask;
    }

    // A stream that cannot seek (a pipe, a terminal, a socket) cannot be read twice. Whatever cannot even be opened
    // is left to the reader, which says what is wrong with it.
    private static bool IsPipe(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                return false;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            return !stream.CanSeek;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
