using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// A loopback TCP proxy between a pipeline (any client, any language) and a server engine that counts the SQL
/// statements the pipeline sends and, when asked, cuts the connection just before one of them: the k-th statement
/// is never forwarded, both sockets close, and the server, which sees its client vanish, rolls the open
/// transaction back. Statements are counted over every connection, in the order they reach the proxy; a pipeline
/// that reconnects after the cut is forwarded as before (the cut happens once).
/// </summary>
public sealed class StatementProxy : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly WireProtocol protocol;
    private readonly string host;
    private readonly int port;
    private readonly int? cutBefore;
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> open = new();
    private readonly ConcurrentBag<Task> relays = [];
    private readonly Lock gate = new();
    private readonly List<string> statements = [];
    private readonly Task accepting;
    private string? cutStatement;

    private StatementProxy(WireProtocol protocol, string host, int port, int? cutBefore)
    {
        (this.protocol, this.host, this.port, this.cutBefore) = (protocol, host, port, cutBefore);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync(stopping.Token);
    }

    /// <summary>
    /// Listens on 127.0.0.1 at an ephemeral port (<see cref="Port"/>) and forwards each connection to the engine at
    /// <paramref name="host"/>:<paramref name="port"/>; with <paramref name="cutBefore"/> = k, cuts the connection that
    /// sends the k-th statement (counting from 1) instead of forwarding it.
    /// </summary>
    public static StatementProxy Start(WireProtocol protocol, string host, int port, int? cutBefore = null)
    {
        if (!Enum.IsDefined(protocol))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "no statement proxy for this protocol");
        }

        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        if (cutBefore is { } k)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(cutBefore));
        }

        return new StatementProxy(protocol, host, port, cutBefore);
    }

    /// <summary>The port the proxy listens on, at 127.0.0.1: the pipeline's connection goes here instead of to the engine.</summary>
    public int Port { get; }

    /// <summary>The statements seen so far over every connection, the one cut before included.</summary>
    public int Statements
    {
        get
        {
            lock (gate)
            {
                return statements.Count;
            }
        }
    }

    /// <summary>The SQL of each statement seen so far, in the order they reached the proxy, each cut to 200 characters.</summary>
    public IReadOnlyList<string> StatementTexts
    {
        get
        {
            lock (gate)
            {
                return [.. statements];
            }
        }
    }

    /// <summary>The SQL of the statement the proxy cut the connection before; null while it has cut none.</summary>
    public string? CutStatement
    {
        get
        {
            lock (gate)
            {
                return cutStatement;
            }
        }
    }

    /// <summary>Stops listening and closes every connection, forwarded or not.</summary>
    public async ValueTask DisposeAsync()
    {
        if (stopping.IsCancellationRequested)
        {
            return;
        }

        await stopping.CancelAsync();
        listener.Stop();
        foreach (var socket in open.Keys)
        {
            End(socket);
        }

        await accepting;
        await Task.WhenAll(relays);
        stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            relays.Add(RelayAsync(client, cancellationToken));
        }
    }

    private async Task RelayAsync(Socket accepted, CancellationToken cancellationToken)
    {
        using var client = accepted;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        client.NoDelay = server.NoDelay = true;
        open[client] = open[server] = 0;
        try
        {
            // A stopped proxy may have missed these two: they were not yet in the set when it closed what was.
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            await server.ConnectAsync(host, port, cancellationToken);
            var wire = WireConversation.For(protocol);
            await Task.WhenAll(FromClientAsync(client, server, wire, cancellationToken), FromServerAsync(server, client, wire, cancellationToken));
        }
        catch (Exception e) when (IsConnectionEnd(e))
        {
            // The engine could not be reached: the client sees its connection closed, as it would see a refused one.
        }
        finally
        {
            open.TryRemove(client, out var _);
            open.TryRemove(server, out var _);
        }
    }

    // Whole client messages go to the server as they complete, up to a statement the proxy cuts before.
    private async Task FromClientAsync(Socket client, Socket server, WireConversation wire, CancellationToken cancellationToken)
    {
        var inbox = new Inbox();
        try
        {
            while (await inbox.ReceiveAsync(client, server, cancellationToken))
            {
                var (sent, examined) = (0, 0);
                while (wire.NextClientMessage(inbox.Unread(examined)) is { } message)
                {
                    if (message.Answer is { } answer)
                    {
                        await SendAsync(server, inbox.Bytes(sent, examined), cancellationToken);
                        await SendAsync(client, answer, cancellationToken);
                        sent = examined + message.Length;
                    }
                    else if (message.Statement is { } sql && Cuts(sql))
                    {
                        await SendAsync(server, inbox.Bytes(sent, examined), cancellationToken);
                        Close(client, server);
                        return;
                    }

                    examined += message.Length;
                }

                await SendAsync(server, inbox.Bytes(sent, examined), cancellationToken);
                inbox.Consume(examined);
            }
        }
        catch (Exception e) when (IsConnectionEnd(e))
        {
            Close(client, server);
        }
    }

    private static async Task FromServerAsync(Socket server, Socket client, WireConversation wire, CancellationToken cancellationToken)
    {
        var inbox = new Inbox();
        try
        {
            while (await inbox.ReceiveAsync(server, client, cancellationToken))
            {
                var ready = wire.ServerBytesReady(inbox.Unread(0));
                await SendAsync(client, inbox.Bytes(0, ready), cancellationToken);
                inbox.Consume(ready);
            }
        }
        catch (Exception e) when (IsConnectionEnd(e))
        {
            Close(client, server);
        }
    }

    /// <summary>
    /// The bytes received from one side and not yet passed on: a message may arrive over several reads, so what is
    /// left after the whole messages stays for the next read (the buffer grows for a message larger than it).
    /// </summary>
    private sealed class Inbox
    {
        private byte[] buffer = new byte[BufferSize];
        private int filled;

        /// <summary>Reads more from <paramref name="from"/>; false when it has ended, after ending the sending to <paramref name="to"/> too.</summary>
        public async Task<bool> ReceiveAsync(Socket from, Socket to, CancellationToken cancellationToken)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await from.ReceiveAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return false;
            }

            filled += read;
            return true;
        }

        /// <summary>The bytes held from <paramref name="start"/> on, not yet examined (writable: a wire may rewrite what it passes on).</summary>
        public Span<byte> Unread(int start) => buffer.AsSpan(start, filled - start);

        /// <summary>The bytes held from <paramref name="start"/> up to <paramref name="end"/>.</summary>
        public ReadOnlyMemory<byte> Bytes(int start, int end) => buffer.AsMemory(start, end - start);

        /// <summary>Forgets the first <paramref name="count"/> bytes, passed on: the rest moves to the front.</summary>
        public void Consume(int count)
        {
            buffer.AsSpan(count, filled - count).CopyTo(buffer);
            filled -= count;
        }
    }

    /// <summary>Counts a statement; true when it is the one to cut before.</summary>
    private bool Cuts(string sql)
    {
        lock (gate)
        {
            statements.Add(sql);
            if (statements.Count != cutBefore)
            {
                return false;
            }

            cutStatement = sql;
            return true;
        }
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None, cancellationToken)..];
        }
    }

    // Ends both sides with a FIN after what was already sent. Shutting down, not disposing: .NET closes a socket
    // another task still reads from abortively (a reset), which could overtake the bytes forwarded just before a cut.
    // The relay disposes the sockets once both directions have stopped.
    private static void Close(Socket client, Socket server)
    {
        End(server);
        End(client);
    }

    private static void End(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by the proxy's own disposal.
        }
    }

    private static bool IsConnectionEnd(Exception e) => e is SocketException or IOException or ObjectDisposedException or OperationCanceledException;
}
