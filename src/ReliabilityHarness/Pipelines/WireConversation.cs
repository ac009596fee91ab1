using System.Text;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// One proxied connection as its protocol sees it: the client's bytes cut into whole messages, each marked as a
/// statement (with its SQL) or not, and the server's bytes let through, rewritten where the proxy must keep the
/// conversation in plain text. Each direction is read by one task; state both directions share is the subclass's to guard.
/// </summary>
internal abstract class WireConversation
{
    /// <summary>How much of a statement's SQL is kept: enough to recognise it in a report.</summary>
    public const int TextLength = 200;

    public static WireConversation For(WireProtocol protocol) => protocol switch
    {
        WireProtocol.PostgreSql => new PostgreSqlWire(),
        WireProtocol.MySql => new MySqlWire(),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "no statement proxy for this protocol"),
    };

    /// <summary>The first whole message at the start of <paramref name="buffered"/>; null while more bytes are needed.</summary>
    public abstract ClientMessage? NextClientMessage(ReadOnlySpan<byte> buffered);

    /// <summary>
    /// How many bytes at the start of <paramref name="buffered"/> (from the server) may go to the client now, after
    /// rewriting them in place where needed; the rest waits for more bytes.
    /// </summary>
    public virtual int ServerBytesReady(Span<byte> buffered) => buffered.Length;

    /// <summary>SQL text as UTF-8, cut to <see cref="TextLength"/> characters (an ellipsis says it was).</summary>
    protected static string Text(ReadOnlySpan<byte> utf8)
    {
        // A character is at most four bytes: decoding more than this could only be thrown away.
        var text = Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, (TextLength + 1) * 4)]);
        return text.Length > TextLength ? string.Concat(text.AsSpan(0, TextLength), "…") : text;
    }
}

/// <summary>
/// A whole client message of <paramref name="Length"/> bytes. <paramref name="Statement"/> is its SQL when it is a
/// statement; <paramref name="Answer"/>, when given, goes back to the client in the server's place and the message
/// is not forwarded.
/// </summary>
internal readonly record struct ClientMessage(int Length, string? Statement = null, byte[]? Answer = null);
