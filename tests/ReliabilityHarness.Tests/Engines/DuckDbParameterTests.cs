using ReliabilityHarness.DuckDb;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>DuckDB's connection writes the harness's <c>@name</c> parameters as DuckDB's <c>$name</c>, and nothing else.</summary>
public sealed class DuckDbParameterTests
{
    [TestCase("SELECT * FROM t WHERE id = @payment_id", "SELECT * FROM t WHERE id = $payment_id")]
    [TestCase("VALUES (@a, @_b,@c)", "VALUES ($a, $_b,$c)")]
    [TestCase("SELECT '@not_a_parameter', @p", "SELECT '@not_a_parameter', $p")]
    [TestCase("SELECT 'it''s @x', @p", "SELECT 'it''s @x', $p")]
    [TestCase("SELECT \"@col\" FROM t WHERE a = @p", "SELECT \"@col\" FROM t WHERE a = $p")]
    [TestCase("SELECT 1 -- don't @x\nWHERE a = @p", "SELECT 1 -- don't @x\nWHERE a = $p")]
    [TestCase("SELECT /* it's @x */ @p", "SELECT /* it's @x */ $p")]
    [TestCase("SELECT @@version, @ 5, a@b", "SELECT @@version, @ 5, a@b")]
    [TestCase("SELECT 'unclosed @x", "SELECT 'unclosed @x")]
    public void Only_parameters_outside_literals_comments_and_quoted_names_change(string sql, string expected) =>
        Assert.That(DuckDbConnection.DollarParameters(sql), Is.EqualTo(expected));
}
