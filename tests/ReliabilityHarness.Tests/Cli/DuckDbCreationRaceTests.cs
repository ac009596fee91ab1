using System.Diagnostics;
using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Cli;

/// <summary>
/// Two <c>reliability ingest</c> processes that find no DuckDB file at once: each interleaving inside DuckDB's own
/// open path that lost an acknowledged ingest, or left a file nobody could open, replayed on purpose. A shim
/// (<c>hold-file-creation.c</c>, loaded with LD_PRELOAD) stops one process at the instant in question and lets it go
/// once the other has finished; DuckDB's code runs unchanged. Whatever the timing, every payment of every ingest that
/// exited 0 must be in the file, once, and the file must open (providers/ReliabilityHarness.DuckDb/DuckDbFile.cs).
/// Needs a C compiler (cc) and Linux; <c>duckdb:cc</c> in HARNESS_REQUIRE makes its absence a failure.
/// </summary>
[NonParallelizable] // Two CLI processes at once each; alone, the hold points are reached in seconds even on a busy machine.
public sealed class DuckDbCreationRaceTests
{
    private static readonly Lazy<string?> Shim = new(BuildShim);
    private static readonly TimeSpan HoldBound = TimeSpan.FromSeconds(90);
    private TempFiles files = null!;

    [SetUp]
    public void CreateFiles() => files = new TempFiles();

    [TearDown]
    public void RemoveFiles() => files.Dispose();

    [Test]
    public async Task A_writer_that_found_no_file_and_creates_it_late_keeps_the_payments_another_writer_committed_meanwhile()
    {
        // B finds no file and stops just before making one; A makes the database, loads, commits and exits 0; then B
        // goes on. DuckDB alone would open A's file, lock it and write a new, empty database over it.
        var outcome = await RaceAsync(holdAt: "create");
        await AssertEveryAcknowledgedPaymentIsThereAsync(outcome);
    }

    [Test]
    public async Task A_writer_that_opens_a_file_another_has_made_but_not_yet_locked_neither_fails_nor_leaves_it_empty()
    {
        // A has made the file and stops before it locks it; C opens it meanwhile. DuckDB alone leaves 0 bytes under
        // the name: C refuses it as "not a valid DuckDB database file", and the file may stay empty for good.
        var outcome = await RaceAsync(holdAt: "lock");
        await AssertEveryAcknowledgedPaymentIsThereAsync(outcome);
    }

    [Test]
    public async Task An_empty_file_under_the_name_is_refused_with_the_reason_and_left_as_it_is()
    {
        var database = files.PathOf("payments.duckdb");
        await File.WriteAllBytesAsync(database, []);
        var csv = WriteCsv("one.csv", SamplePayments.Lesson);

        var run = await CliRun.ProcessAsync("ingest", "--provider", "duckdb", "--connection", $"Data Source={database}", "--input", csv);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(3), run.Error);
            Assert.That(run.Error, Does.Contain($"{database} is an empty file (0 bytes), not a DuckDB database").And.Contain("remove the file"));
            Assert.That(run.Error, Does.Not.Match(@"(?m)^\s+at \S"), "no stack trace");
            Assert.That(new FileInfo(database).Length, Is.Zero, "another program's file is never replaced");
        }
    }

    private sealed record Race(string Database, CliRun Held, CliRun Free, IReadOnlyList<Payment> HeldPayments, IReadOnlyList<Payment> FreePayments);

    /// <summary>
    /// Starts the held writer (its share: payments 100-299), waits until it stops at <paramref name="holdAt"/>, runs
    /// the free writer (payments 0-199) to its end, then lets the held one go.
    /// </summary>
    private async Task<Race> RaceAsync(string holdAt)
    {
        var shim = Shim.Value;
        if (shim is null)
        {
            const string reason = "cc (a C compiler) is not installed or Linux is not the platform: the DuckDB creation races are replayed by an LD_PRELOAD shim built here";
            if (TestEngines.Required.Contains("duckdb:cc"))
            {
                Assert.Fail($"{reason} (duckdb:cc is in {TestEngines.RequireVariable})");
            }

            Assert.Ignore(reason);
        }

        var payments = SamplePayments.Generate(300, seed: 25).Select(r => r.Payment).ToList();
        var (free, held) = (payments.Take(200).ToList(), payments.Skip(100).ToList());
        var database = files.PathOf("payments.duckdb");
        var hold = Directory.CreateDirectory(files.PathOf("hold")).FullName;
        string[] Ingest(string csv) => ["ingest", "--provider", "duckdb", "--connection", $"Data Source={database}", "--input", csv];

        var heldRun = CliRun.ProcessAsync(
            new Dictionary<string, string> { ["LD_PRELOAD"] = shim, ["RH_HOLD_PATH"] = database, ["RH_HOLD_AT"] = holdAt, ["RH_HOLD_DIR"] = hold },
            Ingest(WriteCsv("held.csv", held)));
        var reached = Path.Combine(hold, "reached");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(reached))
        {
            if (heldRun.IsCompleted)
            {
                var early = await heldRun;
                Assert.Fail($"the held writer ended (exit {early.Code}) before it reached '{holdAt}': {early.Error}");
            }

            Assert.That(waited.Elapsed, Is.LessThan(HoldBound), $"the held writer did not reach '{holdAt}' within {HoldBound.TotalSeconds} s");
            await Task.Delay(10);
        }

        var freeRun = await CliRun.ProcessAsync(Ingest(WriteCsv("free.csv", free)));
        await File.WriteAllBytesAsync(Path.Combine(hold, "go"), []);
        return new Race(database, await heldRun, freeRun, held, free);
    }

    private static async Task AssertEveryAcknowledgedPaymentIsThereAsync(Race race)
    {
        var acknowledged = new[] { (race.Held, race.HeldPayments), (race.Free, race.FreePayments) }
            .Where(w => w.Item1.Code == 0).SelectMany(w => w.Item2).DistinctBy(p => p.PaymentId).OrderBy(p => p.PaymentId, StringComparer.Ordinal).ToList();
        var left = Directory.GetFiles(Path.GetDirectoryName(race.Database)!, "payments.duckdb.*.creating*");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(race.Free.Code, Is.Zero, $"the free writer: {race.Free.Error}");
            Assert.That(race.Held.Code, Is.Zero, $"the held writer: {race.Held.Error}");
            Assert.That(new FileInfo(race.Database).Length, Is.GreaterThan(0), "the database file is not left empty");
            Assert.That(left, Is.Empty, "no file made for the creation is left behind");
        }

        var table = await PaymentsTable.ReadAllAsync(ReliabilityHarness.Cli.ProviderCatalog.Find("duckdb")!, $"Data Source={race.Database}");
        Assert.That(table.Select(r => r.Payment), Is.EqualTo(acknowledged), "every payment of every writer that exited 0, once, exactly as written");
    }

    private string WriteCsv(string name, IEnumerable<Payment> payments) =>
        files.Write(name, "payment_id,user_id,amount,currency\n" + string.Concat(payments.Select(p => $"{p.PaymentId},{p.UserId},{Amount.ToCanonicalString(p.Amount)},{p.Currency}\n")));

    private string WriteCsv(string name, IEnumerable<PaymentRecord> records) => WriteCsv(name, records.Select(r => r.Payment));

    /// <summary>The shim built once per test run; null where there is no cc or no LD_PRELOAD (not Linux).</summary>
    private static string? BuildShim()
    {
        if (!OperatingSystem.IsLinux() || ProgramPath.Find("cc") is not { } compiler)
        {
            return null;
        }

        var output = Path.Combine(Directory.CreateTempSubdirectory("reliability-shim-").FullName, "hold-file-creation.so");
        var start = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-shared", "-fPIC", "-O1", "-o", output, Path.Combine(AppContext.BaseDirectory, "Cli", "hold-file-creation.c"), "-ldl" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the shim failed: {error}");
        }

        return output;
    }
}
