using System.Diagnostics;
using System.Text.Json;
using ReliabilityHarness.Scenarios.Faults;
using ReliabilityHarness.Tests.Cli;
using ReliabilityHarness.Tests.Engines;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Hostile;

/// <summary>
/// Secrets are kept out at the source: output is built from redacted connection strings, only driver messages are
/// scrubbed, and a child process gets its database in its environment. A password that is also a word of the
/// output (<c>postgres</c>, the commonest there is) must change nothing else.
/// </summary>
public sealed class SecretAtTheSourceTests
{
    private const string Unreachable = "Host=127.0.0.1;Port=1;Username=postgres;Password=postgres;Timeout=5";

    [Test]
    public async Task The_password_postgres_leaves_the_engine_name_and_the_user_name_alone()
    {
        var run = await CliRun.InProcessAsync(["setup", "--provider", "postgresql", "--connection", Unreachable]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(3), run.Error);
            Assert.That(run.Error, Does.StartWith("reliability: cannot connect to postgresql at host=127.0.0.1;port=1;username=postgres;password=***"));
        }
    }

    [Test]
    public async Task Matrix_json_with_the_password_postgres_names_the_engine_postgresql()
    {
        var run = await CliRun.InProcessAsync(["matrix", "--providers", "postgresql", "--format", "json"], name => name == "HARNESS_POSTGRESQL" ? Unreachable : null);
        using var json = JsonDocument.Parse(run.Output);
        var engines = json.RootElement.EnumerateArray().Select(row => row.GetProperty("engine").GetString()).Distinct().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(engines, Is.EqualTo(new[] { "postgresql" }), run.Output);
            Assert.That(run.Output, Does.Contain("HARNESS_POSTGRESQL is set (Host=127.0.0.1;Port=1;Username=postgres;Password=***)").Or.Contain("host=127.0.0.1;port=1;username=postgres;password=***"));
        }
    }

    [TestCase("driver said: password authentication failed for user \"postgres\" (postgresql)", "driver said: password authentication failed for user \"***\" (postgresql)")]
    [TestCase("postgres_fdw and postgres2 and postgres", "postgres_fdw and postgres2 and ***")]
    public void A_driver_message_loses_the_password_as_a_word_and_nothing_else(string message, string scrubbed) =>
        Assert.That(ConnectionStrings.Scrub(message, "Host=h;Username=u;Password=postgres"), Is.EqualTo(scrubbed));

    [Test]
    public async Task A_child_ingest_gets_its_database_in_its_environment_never_on_its_command_line()
    {
        // The distinctive word stands in for a password: it is in the connection string (as the database file's
        // name, so the child can connect and run), and must be on no process's command line while the child runs.
        using var files = new TempFiles();
        const string secret = "Xq7-distinctive-secret";
        var csv = files.Write("in.csv", "payment_id,user_id,amount,currency\npay_1,u1,1.50,USD\n");
        var start = ChildCommand.InDirectory(AppContext.BaseDirectory).Ingest(ReliabilityHarness.Sqlite.SqliteProvider.Create(), $"Data Source={files.PathOf(secret + ".db")}", csv, pauseAt: "before-first-write");
        using var process = Process.Start(start)!;
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var said = await process.StandardError.ReadLineAsync(bound.Token);
            var exited = process.HasExited;
            var commandLines = Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(File.Exists)
                .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return string.Empty; } catch (UnauthorizedAccessException) { return string.Empty; } });
            using (Assert.EnterMultipleScope())
            {
                Assert.That(start.ArgumentList, Has.None.Contain(secret));
                Assert.That(start.Environment[ChildCommand.ConnectionVariable], Does.Contain(secret));
                Assert.That(commandLines, Has.None.Contain(secret), "no process's command line holds the password");
                Assert.That(said is not null && ChildCommand.IsPausedLine(said), Is.True, $"the child is running, paused, while the command lines are read: {said}");
                Assert.That(exited, Is.False);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
