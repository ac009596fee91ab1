using System.Buffers.Binary;
using System.Text;
using Npgsql;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.PostgreSql;

/// <summary>
/// Rows in COPY's binary format (postgresql.org/docs/current/sql-copy.html, "Binary Format"): a header, then per
/// row a field count and each field as its length and the type's binary form (the receive functions of
/// bigint, text/varchar/char, numeric and timestamptz), then a trailer. Into the staging table (line first), or
/// into the payments table (processed_at last).
/// </summary>
internal sealed class PostgreSqlCopyWriter : StagingWriter
{
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    // Microseconds between 0001-01-01 (DateTime's origin) and 2000-01-01 (PostgreSQL's).
    private static readonly long PostgresEpoch = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks / 10;

    private readonly NpgsqlRawCopyStream stream;
    private readonly long? processedAt;
    private byte[] buffer = new byte[1 << 16];
    private int used;
    private bool ended;

    private PostgreSqlCopyWriter(NpgsqlRawCopyStream stream, long? processedAt)
    {
        (this.stream, this.processedAt) = (stream, processedAt);
        Header.CopyTo(buffer, 0);
        used = Header.Length;
    }

    public static async Task<StagingWriter> BeginAsync(NpgsqlConnection connection, string quotedTable, IEnumerable<string> columns, DateTimeOffset? processedAt, CancellationToken cancellationToken) =>
        new PostgreSqlCopyWriter(await connection.BeginRawBinaryCopyAsync($"COPY {quotedTable} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken),
            processedAt is { } at ? (at.UtcTicks / 10) - PostgresEpoch : null);

    // A full buffer goes out synchronously: one await per row would cost more than the row.
    public override ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        // The row's largest size: count, six lengths, bigint or timestamptz, numeric (at most ten digits), text.
        var largest = 2 + (6 * 4) + 8 + 28 + Encoding.UTF8.GetMaxByteCount(
            payment.PaymentId.Length + payment.UserId.Length + payment.Currency.Length + payment.Status.Length);
        if (buffer.Length - used < largest)
        {
            stream.Write(buffer, 0, used);
            used = 0;
            if (buffer.Length < largest)
            {
                buffer = new byte[largest];
            }
        }

        Int16(6);
        if (processedAt is null)
        {
            Int32(8);
            Int64(line);
        }

        Text(payment.PaymentId);
        Text(payment.UserId);
        Numeric(payment.Amount);
        Text(payment.Currency);
        Text(payment.Status);
        if (processedAt is { } at)
        {
            Int32(8);
            Int64(at);
        }

        return ValueTask.CompletedTask;
    }

    // The trailer, then disposing the stream ends the COPY: every row written is in the table, or the COPY's
    // error is thrown.
    public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        Int16(-1);
        ended = true;
        await stream.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
        await stream.DisposeAsync();
    }

    // Disposed without CompleteAsync, the COPY is cancelled (which ends it): nothing it sent stays.
    public override async ValueTask DisposeAsync()
    {
        if (!ended)
        {
            ended = true;
            await stream.CancelAsync();
        }

        await base.DisposeAsync();
    }

    private void Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), value);
        used += 2;
    }

    private void Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), value);
        used += 4;
    }

    private void Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(used), value);
        used += 8;
    }

    private void Text(string value)
    {
        var length = Encoding.UTF8.GetBytes(value, buffer.AsSpan(used + 4));
        Int32(length);
        used += length;
    }

    // numeric_recv's form: digit count, weight (of the first base-10000 digit), sign, display scale, then the
    // base-10000 digits, most significant first. Any decimal is written as it is (a negative one too: the
    // table's CHECK is what refuses it); the fraction is padded to whole base-10000 digits.
    private void Numeric(decimal amount)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(amount, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var fractionDigits = (scale + 3) / 4;
        var rest = new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]) * PowerOfTen((fractionDigits * 4) - scale);
        Span<short> digits = stackalloc short[10];
        var count = 0;
        for (; rest > 0; rest /= 10_000)
        {
            digits[count++] = (short)(ushort)(rest % 10_000);
        }

        var weight = (short)(count - fractionDigits - 1);
        var last = 0;
        while (last < count && digits[last] == 0)
        {
            last++;
        }

        Int32(8 + (2 * (count - last)));
        Int16((short)(count - last));
        Int16(count == 0 ? (short)0 : weight);
        Int16(bits[3] < 0 && count > 0 ? unchecked((short)0x4000) : (short)0);
        Int16((short)scale);
        for (var i = count - 1; i >= last; i--)
        {
            Int16(digits[i]);
        }
    }

    private static ulong PowerOfTen(int exponent)
    {
        ulong power = 1;
        for (var i = 0; i < exponent; i++)
        {
            power *= 10;
        }

        return power;
    }
}
