using System.Buffers.Binary;
using System.Text;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// PostgreSQL's frontend messages (postgresql.org/docs/current/protocol-message-formats.html). A statement is a
/// simple Query, or an Execute of the extended protocol: its SQL is that of the prepared statement bound to the
/// portal it executes. Parse, Bind, Describe, Sync, COPY data and the rest are forwarded uncounted.
/// </summary>
internal sealed class PostgreSqlWire : WireConversation
{
    // The codes of the untyped first messages: an Int32 length, then one of these where a StartupMessage has its version.
    private const int CancelRequest = 80877102;
    private const int SslRequest = 80877103;
    private const int GssEncRequest = 80877104;

    // A TLS record begins with 0x16: a client that opens with TLS itself (libpq's sslnegotiation=direct) cannot be read.
    private const byte TlsHandshake = 0x16;

    // The server's "no" to SSLRequest and GSSENCRequest. Answering it here keeps the stream readable: a client that
    // prefers encryption (libpq's and Npgsql's default sslmode=prefer) goes on in plain text, one that requires it
    // fails at once, whatever the server's own ssl setting (Debian's packages turn it on).
    private static readonly byte[] No = "N"u8.ToArray();

    private readonly Dictionary<string, string> statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> portals = new(StringComparer.Ordinal);
    private bool started;
    private bool opaque;

    public override ClientMessage? NextClientMessage(ReadOnlySpan<byte> buffered)
    {
        if (opaque || (!started && buffered.Length > 0 && buffered[0] == TlsHandshake))
        {
            opaque = true;
            return buffered.IsEmpty ? null : new ClientMessage(buffered.Length);
        }

        return started ? Typed(buffered) : Untyped(buffered);
    }

    // Before the StartupMessage: an Int32 length (itself included) and an Int32 code, no type byte.
    private ClientMessage? Untyped(ReadOnlySpan<byte> buffered)
    {
        if (buffered.Length < 8)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(buffered);
        if (length < 8)
        {
            return Unreadable(buffered);
        }

        if (buffered.Length < length)
        {
            return null;
        }

        var code = BinaryPrimitives.ReadInt32BigEndian(buffered[4..]);
        if (code is SslRequest or GssEncRequest)
        {
            return new ClientMessage(length, Answer: No);
        }

        started = code != CancelRequest;
        return new ClientMessage(length);
    }

    // After it: a type byte, then an Int32 length that counts itself but not the type.
    private ClientMessage? Typed(ReadOnlySpan<byte> buffered)
    {
        if (buffered.Length < 5)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(buffered[1..]);
        if (length < 4)
        {
            return Unreadable(buffered);
        }

        if (buffered.Length - 1 < length)
        {
            return null;
        }

        var body = buffered.Slice(5, length - 4);
        var total = length + 1;
        switch ((char)buffered[0])
        {
            case 'Q':
                return new ClientMessage(total, Text(CString(body, out _)));
            case 'P':
                Parse(body);
                break;
            case 'B':
                Bind(body);
                break;
            case 'E':
                return new ClientMessage(total, Execute(body));
        }

        return new ClientMessage(total);
    }

    // Parse: the statement's name ("" is the unnamed one), its SQL, then parameter types.
    private void Parse(ReadOnlySpan<byte> body)
    {
        var name = Name(body, out var rest);
        statements[name] = Text(CString(rest, out _));
    }

    // Bind: the portal's name, then the statement's.
    private void Bind(ReadOnlySpan<byte> body)
    {
        var portal = Name(body, out var rest);
        portals[portal] = statements.GetValueOrDefault(Name(rest, out _), string.Empty);
    }

    // Execute: the portal's name, then a row limit. A portal runs once per Bind; an Execute of a portal already run
    // resumes it (a fetch size, a cursor) and is no new statement.
    private string? Execute(ReadOnlySpan<byte> body) => portals.Remove(Name(body, out _), out var sql) ? sql : null;

    private ClientMessage Unreadable(ReadOnlySpan<byte> buffered)
    {
        // Not the protocol this parser knows: let it through as it is, and let the server say what is wrong.
        opaque = true;
        return new ClientMessage(buffered.Length);
    }

    private static string Name(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> rest) => Encoding.UTF8.GetString(CString(body, out rest));

    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> rest)
    {
        var end = body.IndexOf((byte)0);
        if (end < 0)
        {
            rest = [];
            return body;
        }

        rest = body[(end + 1)..];
        return body[..end];
    }
}
