using ReliabilityHarness.Pipelines;

namespace ReliabilityHarness.Tests.Pipelines;

/// <summary>
/// The crash points of a program on an embedded engine are its writes to the database file, as strace sees them:
/// one point per write call, the last included, each numbered within its syscall as strace's injection counts them.
/// The program here writes the file itself, three calls whose order and effect are known (two write(2), then one
/// pwrite(2) over the first byte), so the points and what a crash at each leaves are known without SQLite's own
/// writes, which vary with its version. Needs strace and python3.
/// </summary>
public sealed class WritePointTests
{
    // os.write is write(2); os.pwrite is pwrite64(2). Between the calls nothing else touches the file.
    private const string ThreeWrites =
        "import os; fd = os.open(os.environ['RELIABILITY_SQLITE_PATH'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); "
        + "os.write(fd, b'a'); os.write(fd, b'b'); os.pwrite(fd, b'c', 0); os.close(fd)";

    private string folder = string.Empty;

    private string DatabasePath => Path.Combine(folder, "points.db");

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("reliability-write-points-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public async Task Every_write_call_is_a_crash_point_the_last_one_included()
    {
        var counting = await Pipeline().RunCountingAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(counting.Succeeded, Is.True, counting.Output);
            Assert.That(counting.Points.Select(p => p.Describe()), Is.EqualTo(new[] { "write 1 of 2 (write)", "write 2 of 2 (write)", "write 1 of 1 (pwrite64)" }));
            Assert.That(await File.ReadAllTextAsync(DatabasePath), Is.EqualTo("cb"), "the clean run made all three writes");
        }
    }

    [TestCase(0, "", TestName = "{m}(before the first write nothing is written)")]
    [TestCase(1, "a", TestName = "{m}(before the second write only the first is made)")]
    [TestCase(2, "ab", TestName = "{m}(before the last write it is not made)")]
    public async Task A_crash_at_a_point_kills_the_program_just_before_that_write(int index, string left)
    {
        var pipeline = Pipeline();
        var points = (await pipeline.RunCountingAsync(CancellationToken.None)).Points;
        File.Delete(DatabasePath);

        var crash = await pipeline.RunToCrashAsync(points[index], CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(crash.Crashed, Is.True, crash.Describe());
            Assert.That(crash.Succeeded, Is.False);
            Assert.That(await File.ReadAllTextAsync(DatabasePath), Is.EqualTo(left));
        }
    }

    private ProcessPipeline Pipeline()
    {
        CheckCommandTests.RequireTools();
        var provider = ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;
        var connection = $"Data Source={DatabasePath}";
        var tool = CrashTool.For(provider, connection, out var unavailable) ?? throw new InvalidOperationException(unavailable);
        return new ProcessPipeline(provider, connection, [CheckCommandTests.Python, "-c", ThreeWrites], TimeSpan.FromSeconds(30), tool);
    }
}
