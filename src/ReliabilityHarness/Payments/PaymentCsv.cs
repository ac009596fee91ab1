using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using CsvHelper;

namespace ReliabilityHarness.Payments;

/// <summary>
/// Reads the payments CSV contract: a header row naming <c>payment_id,user_id,amount,currency</c> and optionally
/// <c>status</c>, in any order, then one payment per record. Streams the file (memory does not grow with it) and
/// stops at the first problem with an <see cref="InputException"/> that names file, line and column.
/// Accepted as real exports write them: a UTF-8 byte order mark (or UTF-16 with its mark), CRLF or LF line ends,
/// RFC 4180 quoting within a line, blank lines (skipped). Everything else is rejected.
/// </summary>
public static class PaymentCsv
{
    public const string DefaultStatus = "captured";
    public const int MaxIdLength = 64;
    public const int MaxStatusLength = 32;

    /// <summary>A record longer than this is refused rather than buffered: no valid payment comes near it.</summary>
    public const int MaxRecordBytes = 64 * 1024;

    private static readonly string[] RequiredColumns = ["payment_id", "user_id", "amount", "currency"];
    private const string StatusColumn = "status";
    private static readonly string ExpectedHeader = string.Join(',', RequiredColumns) + "[,status]";

    private static readonly SearchValues<char> StatusCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    // What char.IsControl holds for: U+0000–U+001F and U+007F–U+009F, all below U+00A0.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(char.IsControl).ToArray());

    /// <summary>Reads every payment of <paramref name="path"/>, validating as it goes.</summary>
    public static async IAsyncEnumerable<PaymentRecord> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CsvMalformedRecord? malformed = null;
        var options = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = true,
            DetectSeparatorHint = false,
            // No payment field may contain a line break, so a quote left open is reported on its own line
            // instead of swallowing the rest of the file.
            AllowLineBreaksInQuotes = false,
            SkipEmptyLines = true,
            TrimWhitespace = false,
            MalformedData = CsvMalformedDataHandling.Recover,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            TrackLineNumbers = true,
            MaxRecordSize = MaxRecordBytes,
            IncludeValuesInExceptions = false,
            OnMalformedRecord = record => malformed ??= record,
        };

        var reader = Open(path, options);
        await using (reader.ConfigureAwait(false))
        {
            var columns = await ReadHeaderAsync(reader, path, () => malformed, cancellationToken).ConfigureAwait(false);
            while (await ReadRecordAsync(reader, path, cancellationToken).ConfigureAwait(false))
            {
                if (malformed is { } bad)
                {
                    throw Malformed(path, bad);
                }

                yield return ParseRecord(reader, path, columns);
            }

            if (malformed is { } last)
            {
                throw Malformed(path, last);
            }
        }
    }

    /// <summary>Validates the whole file without keeping it; returns the number of payments.</summary>
    public static async Task<long> ValidateAsync(string path, CancellationToken cancellationToken = default)
    {
        long count = 0;
        await foreach (var _ in ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    private static CsvReader Open(string path, CsvReaderOptions options)
    {
        try
        {
            if (Directory.Exists(path))
            {
                throw new InputException(path, 0, 0, "is a directory, expected a CSV file");
            }

            return CsvReader.FromFile(path, options);
        }
        catch (FileNotFoundException)
        {
            throw new InputException(path, 0, 0, "no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw new InputException(path, 0, 0, "no such directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new InputException(path, 0, 0, "permission denied: cannot read the file");
        }
        catch (IOException e)
        {
            throw new InputException(path, 0, 0, $"cannot read the file: {e.Message}");
        }
    }

    private static async ValueTask<bool> ReadRecordAsync(CsvReader reader, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            // The reader throws only for what it cannot recover from: a record larger than MaxRecordBytes.
            throw new InputException(path, e.LineNumber, 1,
                $"a record longer than {MaxRecordBytes / 1024} KiB (a quote that is never closed?); payments are one short line each");
        }
    }

    private static async Task<Columns> ReadHeaderAsync(CsvReader reader, string path, Func<CsvMalformedRecord?> malformed, CancellationToken cancellationToken)
    {
        try
        {
            await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException)
        {
            throw HeaderError(path, 0, $"the header row is longer than {MaxRecordBytes / 1024} KiB; expected {ExpectedHeader}");
        }

        if (malformed() is { } bad)
        {
            throw Malformed(path, bad);
        }

        var headers = reader.Headers;
        if (headers.Count == 0 || (headers.Count == 1 && headers[0].Length == 0))
        {
            throw new InputException(path, 1, 1, $"the file is empty; expected a header row {ExpectedHeader}");
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < headers.Count; i++)
        {
            var name = headers[i];
            if (name.Contains('\uFFFD', StringComparison.Ordinal))
            {
                throw HeaderError(path, i, "the header is not valid UTF-8; save the file as UTF-8");
            }

            if (!RequiredColumns.Contains(name) && name != StatusColumn)
            {
                var hint = name.Contains(';', StringComparison.Ordinal) || name.Contains('\t', StringComparison.Ordinal)
                    ? "; fields must be separated by commas"
                    : RequiredColumns.Append(StatusColumn).FirstOrDefault(c => string.Equals(c, name.Trim(), StringComparison.OrdinalIgnoreCase)) is { } near
                        ? $"; did you mean '{near}'?"
                        : string.Empty;
                throw HeaderError(path, i, $"unknown column {Show(name)}; expected {ExpectedHeader}{hint}");
            }

            if (!index.TryAdd(name, i))
            {
                throw HeaderError(path, i, $"column '{name}' appears twice in the header");
            }
        }

        foreach (var required in RequiredColumns)
        {
            if (!index.ContainsKey(required))
            {
                throw HeaderError(path, headers.Count, $"missing column '{required}'; expected {ExpectedHeader}");
            }
        }

        return new Columns(index["payment_id"], index["user_id"], index["amount"], index["currency"],
            index.TryGetValue(StatusColumn, out var status) ? status : -1, headers.Count, headers);
    }

    private static PaymentRecord ParseRecord(CsvReader reader, string path, Columns columns)
    {
        var line = reader.LineNumber;
        if (reader.FieldCount != columns.Count)
        {
            var at = Math.Min(reader.FieldCount, columns.Count);
            var problem = reader.FieldCount < columns.Count
                ? $"expected {columns.Count} fields ({string.Join(',', columns.Names)}), found {reader.FieldCount}: '{columns.Names[at]}' is missing"
                : $"expected {columns.Count} fields ({string.Join(',', columns.Names)}), found {reader.FieldCount}";
            throw FieldError(reader, path, at, problem);
        }

        var id = Identifier(reader, path, columns.PaymentId, "payment_id");
        var user = Identifier(reader, path, columns.UserId, "user_id");

        var amountText = Text(reader, path, columns.Amount, "amount");
        if (!Amount.TryParse(amountText, out var amount, out var amountProblem))
        {
            throw FieldError(reader, path, columns.Amount, $"amount: {amountProblem}, got {Show(amountText)}");
        }

        var currency = Text(reader, path, columns.Currency, "currency");
        if (currency.Length != 3 || currency.AsSpan().ContainsAnyExceptInRange('A', 'Z') || !Currencies.IsKnown(currency))
        {
            var problem = currency.Length == 3 && currency.All(char.IsAsciiLetter) && Currencies.IsKnown(currency.ToUpperInvariant())
                ? $"currency: expected an upper-case ISO 4217 code, got {Show(currency)} (write {currency.ToUpperInvariant()})"
                : $"currency: expected an ISO 4217 code such as USD or EUR, got {Show(currency)}";
            throw FieldError(reader, path, columns.Currency, problem);
        }

        var status = DefaultStatus;
        if (columns.Status >= 0)
        {
            var given = Text(reader, path, columns.Status, "status");
            if (given.Length > 0)
            {
                if (given.Length > MaxStatusLength || given.AsSpan().ContainsAnyExcept(StatusCharacters))
                {
                    throw FieldError(reader, path, columns.Status,
                        $"status: expected up to {MaxStatusLength} letters, digits, '_' or '-' (such as captured), got {Show(given)}");
                }

                status = given;
            }
        }

        return new PaymentRecord(new Payment(id, user, amount, currency, status), line);
    }

    private static string Identifier(CsvReader reader, string path, int field, string name)
    {
        var value = Text(reader, path, field, name);
        string? problem = value switch
        {
            { Length: 0 } => "expected a non-empty id",
            { Length: > MaxIdLength } => $"expected at most {MaxIdLength} characters, got {value.Length}",
            _ when char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) => $"expected no leading or trailing spaces, got {Show(value)}",
            _ when value.AsSpan().ContainsAny(ControlCharacters) => $"expected no control characters, got {Show(value)}",
            _ => null,
        };
        return problem is null ? value : throw FieldError(reader, path, field, $"{name}: {problem}");
    }

    private static string Text(CsvReader reader, string path, int field, string name)
    {
        if (!Utf8.IsValid(reader.GetSpan(field)))
        {
            throw FieldError(reader, path, field, $"{name}: not valid UTF-8; save the file as UTF-8");
        }

        return reader.GetString(field) ?? string.Empty;
    }

    private static InputException FieldError(CsvReader reader, string path, int field, string problem)
    {
        var (lines, column) = CsvLocation.FieldPosition(reader.RawRecord, field);
        return new InputException(path, reader.LineNumber + lines, column, problem);
    }

    private static InputException HeaderError(string path, int field, string problem)
    {
        var (line, column) = CsvLocation.HeaderFieldPosition(path, field);
        return new InputException(path, line, column, problem);
    }

    private static InputException Malformed(string path, CsvMalformedRecord record)
    {
        var unterminated = record.Reason is CsvMalformedReason.UnterminatedQuote or CsvMalformedReason.LineBreakInQuotes;
        // For a quote left open, the place to look is where it opened, not the end of the line where the reader
        // noticed; records never span lines here, so the record's text gives the column.
        var (line, column) = unterminated && CsvLocation.OpenQuoteColumn(record.RawRecord) is { } opened
            ? (record.LineNumber, opened)
            : CsvLocation.OffsetPosition(path, record.ByteOffset) ?? (record.LineNumber, 1);
        var problem = record.Reason switch
        {
            _ when unterminated => "a quoted field is not closed before the end of the line (unterminated quote)",
            CsvMalformedReason.StrayQuote => "a quote inside an unquoted field; quote the whole field and double inner quotes (\"\")",
            CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field; expected ',' or the end of the line",
            _ => $"malformed CSV ({record.Reason})",
        };
        return new InputException(path, line, column, problem);
    }

    /// <summary>A value for a message: quoted, control characters made visible, long values cut.</summary>
    internal static string Show(string value)
    {
        var builder = new StringBuilder("'");
        foreach (var rune in value.EnumerateRunes())
        {
            if (builder.Length > 40)
            {
                builder.Append('…');
                break;
            }

            builder.Append(Rune.IsControl(rune) ? $"\\u{rune.Value:X4}" : rune.ToString());
        }

        return builder.Append('\'').ToString();
    }

    private sealed record Columns(int PaymentId, int UserId, int Amount, int Currency, int Status, int Count, IReadOnlyList<string> Names);
}
