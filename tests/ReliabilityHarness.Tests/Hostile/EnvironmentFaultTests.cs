using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ReliabilityHarness.Cli;
using ReliabilityHarness.Tests.Cli;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Hostile;

/// <summary>
/// A broken environment: every fault ends in one line on standard error, a documented exit code, no stack
/// trace, no secret, and the database as it was.
/// </summary>
public sealed class EnvironmentFaultTests
{
    private const string LessonCsv = "payment_id,user_id,amount,currency\npay_001,user_alice,120.50,USD\npay_002,user_bob,75.25,EUR\n";

    // The connection-string form of each server provider, pointed somewhere that cannot answer.
    [TestCase("postgresql", "Host={0};Port={1};Username=harness;Password=Sup3r-s3cret;Database=harness;Timeout=5")]
    [TestCase("mariadb", "Server={0};Port={1};User ID=harness;Password=Sup3r-s3cret;Database=harness;Connect Timeout=5")]
    [TestCase("sqlserver", "Server={0},{1};User ID=sa;Password=Sup3r-s3cret;Connect Timeout=5;TrustServerCertificate=True")]
    public async Task An_unknown_host_or_a_closed_port_exits_3_in_one_line_within_the_connect_timeout(string provider, string form)
    {
        foreach (var (host, port) in new[] { ("no-such-host.invalid", "5432"), ("127.0.0.1", "1") })
        {
            var clock = Stopwatch.StartNew();
            var run = await CliRun.InProcessAsync(["setup", "--provider", provider, "--connection", string.Format(System.Globalization.CultureInfo.InvariantCulture, form, host, port)]);
            AssertOneLineFailure(run, 3, "reliability: cannot connect to " + provider);
            Assert.That(clock.Elapsed, Is.LessThan(EngineAcquisition.ConnectTimeout + TimeSpan.FromSeconds(5)), "bounded by the connect timeout");
        }
    }

    [Test]
    public async Task A_SQLite_password_is_refused_without_being_shown()
    {
        using var files = new TempFiles();
        var run = await CliRun.InProcessAsync(["setup", "--connection", $"Data Source={files.PathOf("p.db")};Password=Sup3r-s3cret"]);
        AssertOneLineFailure(run, 3, "reliability: cannot connect to sqlite");
    }

    [TestCase("postgresql")]
    [TestCase("mariadb")]
    public async Task A_wrong_password_or_a_missing_database_exits_3_and_names_neither_secret(string name)
    {
        var provider = ProviderCatalog.Find(name)!;
        if (Environment.GetEnvironmentVariable(provider.EnvironmentVariable) is not { Length: > 0 } real)
        {
            Assert.Ignore($"{provider.EnvironmentVariable} is not set: a wrong password needs a real server to refuse it");
            return;
        }

        var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = real };
        builder["Password"] = "Wr0ng-passw0rd";
        AssertOneLineFailure(await CliRun.InProcessAsync(["setup", "--provider", name, "--connection", builder.ConnectionString]), 3, "reliability: cannot connect to " + name);

        builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = real };
        builder["Database"] = "no_such_database_here";
        var missing = await CliRun.InProcessAsync(["setup", "--provider", name, "--connection", builder.ConnectionString]);
        AssertOneLineFailure(missing, 3, "reliability: cannot connect to " + name);
        Assert.That(missing.Error, Does.Not.Contain(builder["Password"]!.ToString()));
    }

    [Test]
    public async Task A_SQLite_file_in_a_missing_directory_or_that_is_not_a_database_exits_3()
    {
        using var files = new TempFiles();
        var input = files.Write("lesson.csv", LessonCsv);

        AssertOneLineFailure(await CliRun.InProcessAsync(["ingest", "--input", input, "--connection", $"Data Source={files.PathOf("no/such/dir/p.db")}"]), 3, "reliability: cannot connect to sqlite");

        var notADatabase = files.Write("notes.db", "these are my notes, not a database\n" + new string('x', 4096));
        var run = await CliRun.InProcessAsync(["ingest", "--input", input, "--connection", $"Data Source={notADatabase}"]);
        AssertOneLineFailure(run, 3, "reliability: cannot connect to sqlite");
        Assert.That(run.Error, Does.Contain("not a database"));
        Assert.That(File.ReadAllText(notADatabase), Does.StartWith("these are my notes"), "the file is left as it was");
    }

    [Test]
    public async Task A_read_only_SQLite_database_fails_the_run_and_stays_as_it_was()
    {
        using var volume = TinyVolume.TryMount(1024) ?? throw IgnoreNoMount();
        var database = Path.Combine(volume.Path, "p.db");
        var input = Path.Combine(volume.Path, "lesson.csv");
        await File.WriteAllTextAsync(input, LessonCsv);
        Assert.That((await CliRun.InProcessAsync(["ingest", "--input", input, "--connection", $"Data Source={database}"])).Code, Is.Zero);
        SqliteConnection.ClearAllPools();
        var before = await File.ReadAllBytesAsync(database);

        // A rerun of the same file writes nothing, and so succeeds even read-only; a new payment must be written.
        var more = Path.Combine(volume.Path, "more.csv");
        await File.WriteAllTextAsync(more, LessonCsv + "pay_003,user_carol,9.99,GBP\n");
        volume.MakeReadOnly();
        var run = await CliRun.InProcessAsync(["ingest", "--input", more, "--connection", $"Data Source={database}"]);

        Assert.That(run.Code, Is.AnyOf(1, 3), run.Error);
        AssertOneLineFailure(run, run.Code, "reliability: ");
        Assert.That(run.Error, Does.Contain("readonly").Or.Contain("read-only").Or.Contain("unable to open"));
        Assert.That(await File.ReadAllBytesAsync(database), Is.EqualTo(before));
    }

    [Test]
    public async Task A_full_disk_during_a_SQLite_ingest_rolls_back_and_leaves_a_sound_file()
    {
        using var volume = TinyVolume.TryMount(160) ?? throw IgnoreNoMount();
        var database = Path.Combine(volume.Path, "p.db");
        using var files = new TempFiles();
        Assert.That((await CliRun.InProcessAsync(["ingest", "--input", files.Write("lesson.csv", LessonCsv), "--connection", $"Data Source={database}"])).Code, Is.Zero);
        var provider = ProviderCatalog.Find("sqlite")!;
        var before = await PaymentsTable.ReadAllAsync(provider, $"Data Source={database}");

        var big = files.Write("big.csv", ReliabilityHarness.Tests.Scenarios.RealCrashTests.Csv(SamplePayments.Generate(20_000, seed: 8)));
        var run = await CliRun.InProcessAsync(["ingest", "--input", big, "--connection", $"Data Source={database}"]);

        AssertOneLineFailure(run, 1, "reliability: ingest failed");
        Assert.That(run.Error, Does.Contain("full").And.Contain("Rolled back"));
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        Assert.That(await provider.Engine.IntegrityProblemAsync(connection, CancellationToken.None), Is.Null, "integrity_check = ok");
        Assert.That((await PaymentsTable.ReadAllAsync(provider, $"Data Source={database}")).Select(r => r.Raw), Is.EqualTo(before.Select(r => r.Raw)));
    }

    private static IgnoreException IgnoreNoMount() =>
        new("a small filesystem cannot be mounted here (mount -t tmpfs needs root); CI runs as root and mounts one");

    private static void AssertOneLineFailure(CliRun run, int code, string start)
    {
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(code), run.Error);
            Assert.That(lines[0], Does.StartWith(start), run.Error);
            Assert.That(lines, Has.Length.LessThanOrEqualTo(2), "one line, and at most one saying what was left");
            Assert.That(run.Error, Does.Not.Match(@"(?m)^\s+at \S").And.Not.Contain("internal error"));
            Assert.That(run.Output + run.Error, Does.Not.Contain("Sup3r-s3cret").And.Not.Contain("Wr0ng-passw0rd"));
        }
    }

    /// <summary>A tmpfs of a few KiB, mounted for one test and removed after it.</summary>
    private sealed class TinyVolume : IDisposable
    {
        private TinyVolume(string path) => Path = path;

        public string Path { get; }

        public static TinyVolume? TryMount(int kibibytes)
        {
            var path = Directory.CreateTempSubdirectory("reliability-volume-").FullName;
            return Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k", "tmpfs", path) ? new TinyVolume(path) : null;
        }

        public void MakeReadOnly()
        {
            if (!Run("mount", "-o", "remount,ro", Path))
            {
                throw new InvalidOperationException($"cannot remount {Path} read-only");
            }
        }

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Run("umount", Path);
            Directory.Delete(Path, recursive: true);
        }

        private static bool Run(string command, params string[] arguments)
        {
            var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            try
            {
                using var process = Process.Start(start)!;
                process.WaitForExit(TimeSpan.FromSeconds(30));
                return process.HasExited && process.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }
}
