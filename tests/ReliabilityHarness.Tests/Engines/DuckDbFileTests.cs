using ReliabilityHarness.DuckDb;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>Which DuckDB connections get their file made whole before DuckDB opens it (DuckDbFile), and which are left to DuckDB.</summary>
public sealed class DuckDbFileTests
{
    [TestCase("Data Source=/data/payments.duckdb", "/data/payments.duckdb")]
    [TestCase("DataSource=payments.duckdb;threads=2", "payments.duckdb")]
    [TestCase("Data Source=:memory:", null)]
    [TestCase("Data Source=:memory:shared", null)]
    [TestCase("Data Source=", null)]
    [TestCase("Data Source=/data/payments.duckdb;ACCESS_MODE=READ_ONLY", null)]
    [TestCase("Data Source=md:payments", null)]
    [TestCase("Data Source=s3://bucket/payments.duckdb", null)]
    public void Only_a_file_opened_for_writing_is_made_by_the_harness(string connectionString, string? expected) =>
        Assert.That(DuckDbConnection.WritableFile(connectionString), Is.EqualTo(expected));

    [Test]
    public async Task A_new_file_is_a_whole_database_and_nothing_else_is_left_beside_it()
    {
        using var files = new TempFiles();
        var path = files.PathOf("new.duckdb");

        await using (var connection = new DuckDbConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(new FileInfo(path).Length, Is.GreaterThan(0));
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Is.EquivalentTo(new[] { path }));
        }
    }
}
