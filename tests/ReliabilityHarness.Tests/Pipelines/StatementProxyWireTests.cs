using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The statement proxy's reading of each protocol, byte for byte, between a raw client and a stand-in server: what
/// reaches the server, what the client gets, what is counted. The cases real drivers rarely show on demand live here:
/// a message split into single bytes, a greeting that offers TLS, a resumed portal, prepared ids that are not the last.
/// </summary>
public sealed class StatementProxyWireTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly byte[] SslRequest = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F];

    [Test]
    public async Task A_PostgreSql_SSLRequest_is_refused_by_the_proxy_and_a_query_sent_byte_by_byte_is_counted_once()
    {
        await using var link = await Link.OpenAsync(WireProtocol.PostgreSql);
        await link.SendAsync(SslRequest);
        var answer = await link.ReceiveAsync(1);

        byte[] conversation = [.. Startup(), .. Message('Q', CString("SELECT 1"))];
        foreach (var b in conversation)
        {
            await link.SendAsync([b]);
        }

        var received = await link.ServerReceivesAsync(conversation.Length);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer, Is.EqualTo("N"u8.ToArray()), "the proxy answers no to TLS itself");
            Assert.That(received, Is.EqualTo(conversation), "the server gets the startup and the query, and never the SSLRequest");
            Assert.That(link.Proxy.StatementTexts, Is.EqualTo(new[] { "SELECT 1" }));
        }
    }

    [Test]
    public async Task A_PostgreSql_Execute_counts_with_the_SQL_parsed_for_its_portal_and_resuming_the_portal_does_not()
    {
        await using var link = await Link.OpenAsync(WireProtocol.PostgreSql);
        byte[] conversation =
        [
            .. Startup(),
            .. Message('P', CString("s1"), CString("SELECT $1"), [0, 0]),
            .. Message('P', CString(""), CString("SELECT 2"), [0, 0]),
            .. Message('B', CString("p1"), CString("s1"), [0, 0, 0, 0, 0, 0]),
            .. Message('D', [(byte)'P'], CString("p1")),
            .. Message('E', CString("p1"), [0, 0, 0, 10]),
            .. Message('E', CString("p1"), [0, 0, 0, 10]),
            .. Message('B', CString(""), CString(""), [0, 0, 0, 0, 0, 0]),
            .. Message('E', CString(""), [0, 0, 0, 0]),
            .. Message('S'),
        ];
        await link.SendAsync(conversation);
        await link.ServerReceivesAsync(conversation.Length);

        Assert.That(link.Proxy.StatementTexts, Is.EqualTo(new[] { "SELECT $1", "SELECT 2" }));
    }

    [Test]
    public async Task PostgreSql_COPY_data_is_not_counted_even_where_it_looks_like_a_query()
    {
        await using var link = await Link.OpenAsync(WireProtocol.PostgreSql);
        byte[] conversation =
        [
            .. Startup(),
            .. Message('Q', CString("COPY t FROM STDIN")),
            .. Message('d', Message('Q', CString("not a query"))),
            .. Message('c'),
        ];
        await link.SendAsync(conversation);
        await link.ServerReceivesAsync(conversation.Length);

        Assert.That(link.Proxy.StatementTexts, Is.EqualTo(new[] { "COPY t FROM STDIN" }));
    }

    [Test]
    public async Task A_cut_forwards_the_messages_before_the_statement_and_never_the_statement()
    {
        await using var link = await Link.OpenAsync(WireProtocol.PostgreSql, cutBefore: 2);
        byte[] before = [.. Startup(), .. Message('Q', CString("BEGIN")), .. Message('P', CString(""), CString("INSERT 1"), [0, 0]), .. Message('B', CString(""), CString(""), [0, 0, 0, 0, 0, 0])];
        await link.SendAsync([.. before, .. Message('E', CString(""), [0, 0, 0, 0]), .. Message('S')]);

        var received = await link.ServerReceivesUntilClosedAsync();
        var clientSees = await link.ClientReceivesUntilClosedAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(received, Is.EqualTo(before), "everything before the Execute, then the end of the connection");
            Assert.That(clientSees, Is.Empty, "the client's connection ends with no answer");
            Assert.That(link.Proxy.CutStatement, Is.EqualTo("INSERT 1"));
            Assert.That(link.Proxy.Statements, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task The_MySql_greeting_reaches_the_client_without_TLS_compression_or_query_attributes()
    {
        await using var link = await Link.OpenAsync(WireProtocol.MySql);
        var greeting = Greeting(lower: 0xFFFF, upper: 0xFFFF);
        await link.ServerSendsAsync(Packet(0, greeting));

        var seen = (await link.ReceiveAsync(4 + greeting.Length))[4..];
        var lower = 1 + "10.11.19-MariaDB\0".Length + 4 + 8 + 1;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(seen.AsSpan(lower)), Is.EqualTo(0xFFFF & ~0x0800 & ~0x0020), "CLIENT_SSL and CLIENT_COMPRESS cleared");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(seen.AsSpan(lower + 5)), Is.EqualTo(0xFFFF & ~0x0400 & ~0x0800), "zstd compression and query attributes cleared");
            Assert.That(seen.AsSpan(lower + 2, 3).ToArray(), Is.EqualTo(greeting.AsSpan(lower + 2, 3).ToArray()), "character set and status untouched");
            Assert.That(seen.AsSpan(0, lower).ToArray(), Is.EqualTo(greeting.AsSpan(0, lower).ToArray()));
        }
    }

    [Test]
    public async Task MySql_commands_are_packets_with_sequence_0_and_an_execute_carries_the_SQL_of_its_statement_id()
    {
        await using var link = await Link.OpenAsync(WireProtocol.MySql);
        await link.ServerSendsAsync(Packet(0, Greeting(lower: 0xF7FF, upper: 0)));
        await link.ReceiveAsync(4 + Greeting(0, 0).Length);

        // The handshake response and an auth switch answer hold a 0x03 byte first: not commands.
        await SendAndForwardAsync(link, Packet(1, [0x03, .. "not a query"u8]));
        await SendAndForwardAsync(link, Packet(3, [0x03, .. "nor this"u8]));
        await link.ServerSendsAsync(Packet(4, [0x00, 0, 0, 2, 0, 0, 0]));
        await link.ReceiveAsync(11);

        await SendAndForwardAsync(link, Packet(0, [0x03, .. "SET NAMES utf8mb4"u8]));
        await PrepareAsync(link, "SELECT ?", id: 7);
        await PrepareAsync(link, "SELECT ?, ?", id: 8);
        await SendAndForwardAsync(link, Packet(0, [0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0]));
        await SendAndForwardAsync(link, Packet(0, [0x17, 8, 0, 0, 0, 0, 1, 0, 0, 0]));

        Assert.That(link.Proxy.StatementTexts, Is.EqualTo(new[] { "SET NAMES utf8mb4", "SELECT ?", "SELECT ?, ?" }));
    }

    private static async Task PrepareAsync(Link link, string sql, byte id)
    {
        await SendAndForwardAsync(link, Packet(0, [0x16, .. Encoding.UTF8.GetBytes(sql)]));
        var ok = Packet(1, [0x00, id, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        await link.ServerSendsAsync(ok);
        await link.ReceiveAsync(ok.Length);
    }

    private static async Task SendAndForwardAsync(Link link, byte[] packet)
    {
        await link.SendAsync(packet);
        Assert.That(await link.ServerReceivesAsync(packet.Length), Is.EqualTo(packet));
    }

    private static byte[] Startup()
    {
        byte[] body = [0, 3, 0, 0, .. CString("user"), .. CString("x"), 0];
        return [.. Int32(body.Length + 4), .. body];
    }

    private static byte[] Message(char type, params byte[][] parts)
    {
        byte[] body = [.. parts.SelectMany(p => p)];
        return [(byte)type, .. Int32(body.Length + 4), .. body];
    }

    private static byte[] CString(string text) => [.. Encoding.UTF8.GetBytes(text), 0];

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Packet(byte sequence, byte[] payload) =>
        [(byte)payload.Length, (byte)(payload.Length >> 8), (byte)(payload.Length >> 16), sequence, .. payload];

    // Protocol::HandshakeV10 up to the upper capabilities, then the length of the auth data and the 10 reserved bytes.
    private static byte[] Greeting(ushort lower, ushort upper) =>
    [
        10, .. "10.11.19-MariaDB\0"u8, 1, 0, 0, 0, .. "abcdefgh"u8, 0,
        (byte)lower, (byte)(lower >> 8), 45, 2, 0, (byte)upper, (byte)(upper >> 8), 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// <summary>A raw client, the proxy, and a stand-in server that accepted the proxy's connection.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly Socket client;
        private readonly Socket server;

        private Link(TcpListener listener, StatementProxy proxy, Socket client, Socket server) =>
            (this.listener, Proxy, this.client, this.server) = (listener, proxy, client, server);

        public StatementProxy Proxy { get; }

        public static async Task<Link> OpenAsync(WireProtocol protocol, int? cutBefore = null)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var proxy = StatementProxy.Start(protocol, "127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, cutBefore);
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, proxy.Port).WaitAsync(Bound);
            var server = await listener.AcceptSocketAsync().WaitAsync(Bound);
            return new Link(listener, proxy, client, server);
        }

        public Task SendAsync(byte[] bytes) => SendAllAsync(client, bytes);

        public Task ServerSendsAsync(byte[] bytes) => SendAllAsync(server, bytes);

        public Task<byte[]> ReceiveAsync(int count) => ReceiveExactlyAsync(client, count);

        public Task<byte[]> ServerReceivesAsync(int count) => ReceiveExactlyAsync(server, count);

        public Task<byte[]> ServerReceivesUntilClosedAsync() => ReceiveAllAsync(server);

        public Task<byte[]> ClientReceivesUntilClosedAsync() => ReceiveAllAsync(client);

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            server.Dispose();
            await Proxy.DisposeAsync();
            listener.Dispose();
        }

        private static async Task SendAllAsync(Socket socket, byte[] bytes)
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(bytes).AsTask().WaitAsync(Bound);
        }

        private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
        {
            var bytes = new byte[count];
            using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.ReadExactlyAsync(bytes).AsTask().WaitAsync(Bound);
            return bytes;
        }

        private static async Task<byte[]> ReceiveAllAsync(Socket socket)
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var all = new MemoryStream();
            await stream.CopyToAsync(all).WaitAsync(Bound);
            return all.ToArray();
        }
    }
}
