using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Cli;

/// <summary><c>reliability bench</c> runs end to end on a small file and prints its figures; the figures themselves are not judged here.</summary>
public sealed class BenchTests
{
    [Test]
    public async Task Bench_on_sqlite_prints_each_step_and_every_ratio()
    {
        var run = await CliRun.InProcessAsync(["bench", "--rows", "2000", "--providers", "sqlite"]);
        var sqlite3 = ReliabilityHarness.Sqlite.SqliteProvider.Create().HandIdiom!.Unavailable is null;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.Zero, run.Output + run.Error);
            Assert.That(run.Output, Does.Contain("reliability ingest (robust), first load").And.Contain("rerun / first load").And.Contain("peak RSS, 2,000 rows"));
            Assert.That(run.Output, sqlite3 ? Does.Contain("first load / hand idiom's first load") : Does.Contain("sqlite3 is not on the PATH"));
        }
    }

    [Test]
    public async Task Bench_refuses_a_row_count_that_is_not_a_number()
    {
        var run = await CliRun.InProcessAsync(["bench", "--rows", "lots"]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("--rows expects a whole number"));
        }
    }
}
