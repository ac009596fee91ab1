using System.Text;
using ReliabilityHarness.Tests.Cli;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Hostile;

/// <summary>
/// Valid payment files, mutated with a fixed seed — bytes flipped, dropped, duplicated and inserted, lines cut,
/// huge fields, NUL bytes, byte order marks, CRLF and LF, Latin-1 inside UTF-8, 100,000-character lines,
/// millions of columns — and fed to <c>reliability ingest</c>. Every case ends one of three ways: accepted and
/// loaded exactly as read (exit 0); refused with a located message and nothing written (exit 2); or, when the
/// mutation made a known id carry another payload, refused as an idempotency conflict and rolled back (exit 1).
/// Never an unhandled exception, never a hang, never a partial write, never unbounded memory.
/// </summary>
[NonParallelizable] // measures the process's memory
public sealed class CsvFuzzTests
{
    private const int Cases = 5000;
    private const int Seed = 20261127;
    private static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Every_mutated_file_is_loaded_exactly_or_refused_with_its_location_and_nothing_written()
    {
        using var files = new TempFiles();
        var database = $"Data Source={files.PathOf("fuzz.db")}";
        var provider = ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;
        var random = new Random(Seed);
        var outcomes = new Dictionary<int, int>();
        var peak = 0L;

        // The managed heap is the whole test process's: what the fixtures that ran before this one still hold (their
        // results, static caches) is measured now, after a full collection, and the peak below is what this test's
        // ingests add to it.
        var liveAtStart = GC.GetTotalMemory(forceFullCollection: true);

        Assert.That((await CliRun.InProcessAsync(["ingest", "--input", files.Write("base.csv", Valid(new Random(1))), "--connection", database])).Code, Is.Zero);
        for (var i = 0; i < Cases; i++)
        {
            var bytes = Mutate(Encoding.UTF8.GetBytes(Valid(random)), random);
            var path = files.Write($"case{i % 8}.csv", bytes);
            var before = await PaymentsTable.ReadAllAsync(provider, database);

            var run = await CliRun.InProcessAsync(["ingest", "--input", path, "--connection", database]).WaitAsync(CaseBound);
            var after = await PaymentsTable.ReadAllAsync(provider, database);
            outcomes[run.Code] = outcomes.GetValueOrDefault(run.Code) + 1;
            var what = $"case {i} (seed {Seed}): exit {run.Code}: {run.Error.Split('\n')[0]}";

            switch (run.Code)
            {
                case 0:
                    var read = new List<Payment>();
                    await foreach (var record in PaymentCsv.ReadAsync(path))
                    {
                        read.Add(record.Payment);
                    }

                    var expected = before.Select(r => r.Payment).UnionBy(read, p => p.PaymentId)
                        .Select(p => read.LastOrDefault(r => r.PaymentId == p.PaymentId) ?? p).OrderBy(p => p.PaymentId, StringComparer.Ordinal);
                    Assert.That(after.Select(r => r.Payment), Is.EqualTo(expected), what);
                    break;
                case 2:
                    Assert.That(run.Error, Does.Match($@"^reliability: {System.Text.RegularExpressions.Regex.Escape(path)}(:\d+:\d+)?: "), what);
                    Assert.That(run.Error, Does.Contain("Nothing was written."), what);
                    Assert.That(after.Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)), what);
                    break;
                case 1:
                    Assert.That(run.Error, Does.Contain("idempotency-key conflict").And.Contain("Rolled back"), what);
                    Assert.That(after.Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)), what);
                    break;
                default:
                    Assert.Fail(what);
                    break;
            }

            Assert.That(run.Error, Does.Not.Match(@"(?m)^\s+at \S").And.Not.Contain("internal error"), what);
            if (after.Count > 300)
            {
                await PaymentsTable.ResetAsync(provider, database);
            }

            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - liveAtStart);
        }

        TestContext.Out.WriteLine($"{Cases} cases: {outcomes.GetValueOrDefault(0)} accepted, {outcomes.GetValueOrDefault(2)} rejected as bad input, {outcomes.GetValueOrDefault(1)} refused as conflicts; peak managed heap {peak / (1024 * 1024)} MiB above the {liveAtStart / (1024 * 1024)} MiB live when it started");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.GetValueOrDefault(0), Is.GreaterThan(Cases / 20), "some mutations must stay valid, or the load path is not exercised");
            Assert.That(outcomes.GetValueOrDefault(2), Is.GreaterThan(Cases / 2), "most mutations break the file");
            Assert.That(peak, Is.LessThan(256L * 1024 * 1024), "memory stays bounded whatever the input");
        }
    }

    /// <summary>A valid file of a few payments, in one of the shapes real exports have.</summary>
    private static string Valid(Random random)
    {
        var newline = random.Next(3) == 0 ? "\r\n" : "\n";
        var text = new StringBuilder(random.Next(4) == 0 ? "\uFEFF" : string.Empty).Append("payment_id,user_id,amount,currency,status").Append(newline);
        string[] currencies = ["USD", "EUR", "JPY", "GBP"];
        // Each id always carries the same payload, so files repeat one another as reruns do: only a mutation
        // can make a known id carry another payload.
        for (var i = 0; i < random.Next(1, 12); i++)
        {
            var n = random.Next(40);
            var id = n % 4 == 0 ? $"\"p,{n}\"" : $"p{n}";
            var amount = n % 2 == 0 ? $"{(n * 7919) + 1}" : $"{(n * 104729) + 1}.{n * 37:D4}";
            text.Append($"{id},u{n % 10},{amount},{currencies[n % 4]},{(n % 3 == 0 ? "refunded" : "captured")}").Append(newline);
        }

        return text.ToString();
    }


    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(14))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when bytes.Count > 0: bytes.RemoveRange(at, Math.Min(random.Next(1, 6), bytes.Count - at)); break;
                case 2 when bytes.Count > 0: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(random.Next(1, 30), bytes.Count - at))); break;
                case 3: bytes.Insert(at, Palette[random.Next(Palette.Length)]); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break; // cut mid-line (or mid-character)
                case 5: bytes.InsertRange(at, Enumerable.Repeat((byte)'x', random.Next(2) == 0 ? 100_000 : 70)); break;
                case 6: bytes.Insert(at, 0); break;
                case 7: bytes.InsertRange(0, Boms[random.Next(Boms.Length)]); break;
                case 8: bytes = [.. Encoding.UTF8.GetBytes(Encoding.UTF8.GetString([.. bytes]).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal))]; break;
                case 9: bytes.InsertRange(at, [0xE9, (byte)'t', 0xE9]); break; // Latin-1 "été" inside UTF-8
                case 10: bytes.InsertRange(at, Encoding.UTF8.GetBytes("\n" + new string('9', 100_000) + "\n")); break;
                case 11 when random.Next(20) == 0: bytes.InsertRange(0, Encoding.UTF8.GetBytes(new string(',', 2_000_000) + "\n")); break; // millions of columns
                case 12: bytes.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "\"" : "\"\"")); break;
                default: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)])); break;
            }
        }

        return [.. bytes];
    }

    private static readonly byte[] Palette = [(byte)',', (byte)'"', (byte)'\n', (byte)'\r', 0, 0xFF, 0xC3, (byte)'e', (byte)'.', (byte)'-', (byte)' ', (byte)'7', (byte)'E', 0xEF];

    private static readonly byte[][] Boms = [[0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0xEF, 0xBB]];

    private static readonly string[] Tokens = ["1e9", "NaN", "-0", "0.00001", ",,,", "usd", "  ", "\t", "'; DROP TABLE payments; --", "ｐａｙ", "1,000.00", "+5", "∞"];
}
