using System.Buffers.Binary;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// MySQL's client/server protocol, which MariaDB speaks too (dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html):
/// packets of a 3-byte little-endian length, a sequence id and a payload. A command is a client packet that starts an
/// exchange (sequence id 0); a statement is a COM_QUERY, or a COM_STMT_EXECUTE (or MariaDB's COM_STMT_BULK_EXECUTE)
/// of a statement COM_STMT_PREPARE made, whose SQL is the prepared one.
/// </summary>
internal sealed class MySqlWire : WireConversation
{
    private const int Header = 4;
    private const byte ComQuery = 0x03;
    private const byte ComStmtPrepare = 0x16;
    private const byte ComStmtExecute = 0x17;
    private const byte ComStmtBulkExecute = 0xFA;

    // MariaDB's connectors execute "the statement just prepared" by this id, to send PREPARE and EXECUTE together.
    private const uint LastPrepared = uint.MaxValue;

    // Capabilities the proxy takes out of the server's greeting, so that no client turns them on and the stream stays
    // readable: TLS (CLIENT_SSL), compression (CLIENT_COMPRESS, CLIENT_ZSTD_COMPRESSION_ALGORITHM) and MySQL 8's query
    // attributes, which put parameters before a COM_QUERY's text (CLIENT_QUERY_ATTRIBUTES). A client that prefers TLS
    // or compression goes on without; one that requires TLS fails at once.
    private const ushort LowerCapabilitiesCleared = 0x0800 | 0x0020;
    private const ushort UpperCapabilitiesCleared = (1 << (26 - 16)) | (1 << (27 - 16));

    private readonly Lock gate = new();
    private readonly Dictionary<uint, string> prepared = [];
    private string? awaitingPrepareOk;
    private string lastPrepared = string.Empty;

    // The client's side (read by one task).
    private bool handshakeAnswered;
    private int lastClientSequence = -1;

    // The server's side (read by another).
    private bool greeted;

    public override ClientMessage? NextClientMessage(ReadOnlySpan<byte> buffered)
    {
        if (!TryPacket(buffered, out var length, out var sequence))
        {
            return null;
        }

        var payload = buffered.Slice(Header, length);

        // The client's first packet answers the server's greeting (sequence 1, as do the packets of an authentication
        // exchange after it); from then on a packet with sequence 0 is a command. A long exchange's ids wrap after
        // 255 (LOAD DATA LOCAL's file in many packets): that 0 continues the exchange.
        var isCommand = handshakeAnswered && sequence == 0 && lastClientSequence != 255 && !payload.IsEmpty;
        handshakeAnswered = true;
        lastClientSequence = sequence;
        var message = new ClientMessage(Header + length);
        if (!isCommand)
        {
            return message;
        }

        switch (payload[0])
        {
            case ComQuery:
                return message with { Statement = Text(payload[1..]) };
            case ComStmtPrepare:
                var sql = Text(payload[1..]);
                lock (gate)
                {
                    // Set before the packet goes on, so the server's answer always finds it.
                    (awaitingPrepareOk, lastPrepared) = (sql, sql);
                }

                return message;
            case ComStmtExecute or ComStmtBulkExecute when payload.Length >= 5:
                var id = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
                lock (gate)
                {
                    return message with { Statement = id != LastPrepared && prepared.TryGetValue(id, out var text) ? text : lastPrepared };
                }

            default:
                return message;
        }
    }

    public override int ServerBytesReady(Span<byte> buffered)
    {
        var ready = 0;
        while (TryPacket(buffered[ready..], out var length, out var sequence))
        {
            var payload = buffered.Slice(ready + Header, length);
            if (!greeted)
            {
                greeted = true;
                ClearCapabilities(payload);
            }
            else if (sequence == 1)
            {
                RememberPrepared(payload);
            }

            ready += Header + length;
        }

        return ready;
    }

    // The answer to COM_STMT_PREPARE (the first packet of its exchange): COM_STMT_PREPARE_OK is 0x00, the statement
    // id, then counts of columns and parameters; an error packet starts 0xFF.
    private void RememberPrepared(ReadOnlySpan<byte> payload)
    {
        lock (gate)
        {
            if (awaitingPrepareOk is { } sql)
            {
                awaitingPrepareOk = null;
                if (payload.Length >= 9 && payload[0] == 0)
                {
                    prepared[BinaryPrimitives.ReadUInt32LittleEndian(payload[1..])] = sql;
                }
            }
        }
    }

    // The greeting (Protocol::HandshakeV10): protocol version 10, the server's version NUL-terminated, a 4-byte
    // connection id, 8 bytes of auth data and a filler byte, then the lower 2 bytes of the capabilities; after them a
    // character set byte, 2 bytes of status and the upper 2 bytes. An error packet (0xFF) instead is left alone.
    private static void ClearCapabilities(Span<byte> payload)
    {
        var versionEnd = payload.Length > 1 && payload[0] == 10 ? payload[1..].IndexOf((byte)0) : -1;
        if (versionEnd < 0)
        {
            return;
        }

        var lower = 1 + versionEnd + 1 + 4 + 8 + 1;
        Clear(payload, lower, LowerCapabilitiesCleared);
        Clear(payload, lower + 2 + 1 + 2, UpperCapabilitiesCleared);
    }

    private static void Clear(Span<byte> payload, int at, ushort bits)
    {
        if (payload.Length >= at + 2)
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
            BinaryPrimitives.WriteUInt16LittleEndian(payload[at..], (ushort)(flags & ~bits));
        }
    }

    private static bool TryPacket(ReadOnlySpan<byte> buffered, out int length, out int sequence)
    {
        (length, sequence) = buffered.Length >= Header ? (buffered[0] | buffered[1] << 8 | buffered[2] << 16, (int)buffered[3]) : (0, 0);
        return buffered.Length >= Header && buffered.Length - Header >= length;
    }
}
