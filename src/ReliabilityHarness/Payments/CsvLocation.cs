using System.Buffers;

namespace ReliabilityHarness.Payments;

/// <summary>
/// Turns byte positions of the UTF-8 input into the 1-based line and character column a person looks for.
/// Only used on the error path, so it may read the start of the file again.
/// </summary>
internal static class CsvLocation
{
    /// <summary>Lines into the record and column of the start of field <paramref name="field"/> (or of the record's end).</summary>
    public static (long Lines, long Column) FieldPosition(ReadOnlySpan<byte> record, int field)
    {
        var start = FieldStart(record, field);
        long lines = 0;
        var lineStart = 0;
        for (var i = 0; i < start; i++)
        {
            if (record[i] == (byte)'\n')
            {
                lines++;
                lineStart = i + 1;
            }
        }

        return (lines, Characters(record[lineStart..start]) + 1);
    }

    /// <summary>
    /// Line and column of field <paramref name="field"/> of the header: the first line that is not blank, because
    /// the reader skips blank lines wherever they are, and the place to look is the line the header is on.
    /// </summary>
    public static (long Line, long Column) HeaderFieldPosition(string path, int field)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[PaymentCsv.MaxRecordBytes];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var bytes = buffer.AsSpan(0, read);
            if (bytes.StartsWith("\uFEFF"u8))
            {
                bytes = bytes[3..];
            }
            else if (bytes.Length >= 2 && (bytes[0] == 0xFF || bytes[0] == 0xFE))
            {
                return (1, 1); // UTF-16: positions are not byte positions; the line is enough.
            }

            long line = 1;
            while (bytes is [(byte)'\r' or (byte)'\n', ..])
            {
                bytes = bytes[(bytes is [(byte)'\r', (byte)'\n', ..] ? 2 : 1)..];
                line++;
            }

            var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            var (_, column) = FieldPosition(end < 0 ? bytes : bytes[..end], field);
            return (line, column);
        }
        catch (IOException)
        {
            return (1, 1);
        }
    }

    /// <summary>Line and column of a byte offset of the file, or null for input that is not UTF-8.</summary>
    public static (long Line, long Column)? OffsetPosition(string path, long offset)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                long line = 1;
                long position = 0;
                long column = 1;
                var first = true;
                var bom = 0;
                while (position < offset)
                {
                    // The read is a statement of its own, not an assignment inside the loop's condition: a mutant
                    // that short-circuits the condition would leave it unassigned and not compile, and Stryker would
                    // then drop every mutant of this method (its "safe mode").
                    var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, offset - position));
                    if (read == 0)
                    {
                        break;
                    }

                    var span = buffer.AsSpan(0, read);
                    if (first && span.Length >= 2 && (span[0] == 0xFF || span[0] == 0xFE))
                    {
                        return null;
                    }

                    if (first && span.StartsWith("\uFEFF"u8))
                    {
                        bom = 3;
                    }

                    first = false;
                    foreach (var b in span)
                    {
                        if (b == (byte)'\n')
                        {
                            line++;
                            column = 1;
                        }
                        else if ((b & 0xC0) != 0x80 && position >= bom)
                        {
                            column++;
                        }

                        position++;
                    }
                }

                return (line, column);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The 1-based column of the quote still open at the end of <paramref name="record"/>, or null if none is.</summary>
    public static long? OpenQuoteColumn(string record)
    {
        int? open = null;
        var atFieldStart = true;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (open is null && atFieldStart && c == '"')
            {
                open = i;
            }
            else if (open is not null && c == '"')
            {
                // A doubled quote inside a quoted field is an escaped quote, not the end of the field.
                if (i + 1 < record.Length && record[i + 1] == '"')
                {
                    i++;
                    continue;
                }

                open = null;
            }

            atFieldStart = open is null && c == ',';
        }

        return open is { } index ? record[..index].EnumerateRunes().Count() + 1 : null;
    }

    private static int FieldStart(ReadOnlySpan<byte> record, int field)
    {
        var current = 0;
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            if (current == field)
            {
                return i;
            }

            var b = record[i];
            if (b == (byte)'"')
            {
                quoted = !quoted;
            }
            else if (b == (byte)',' && !quoted)
            {
                current++;
                if (current == field)
                {
                    return i + 1;
                }
            }
        }

        return record.Length;
    }

    private static long Characters(ReadOnlySpan<byte> utf8)
    {
        long count = 0;
        foreach (var b in utf8)
        {
            if ((b & 0xC0) != 0x80 && b != (byte)'\r')
            {
                count++;
            }
        }

        return count;
    }
}
