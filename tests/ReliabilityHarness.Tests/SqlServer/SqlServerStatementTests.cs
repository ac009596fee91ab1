using ReliabilityHarness.SqlServer;

namespace ReliabilityHarness.Tests.SqlServer;

/// <summary>
/// The SQL Server provider checked without an engine: every statement it can send parses with Microsoft's T-SQL
/// parser, and the parse tree has what matters. Each check is also shown failing on a deliberately broken
/// statement, so none of them can pass by accident.
/// </summary>
public sealed class SqlServerStatementTests
{
    private static readonly Provider Provider = SqlServerProvider.Create();

    private static readonly string[] PaymentParameters =
        [PaymentsSql.PaymentId, PaymentsSql.UserId, PaymentsSql.Amount, PaymentsSql.Currency, PaymentsSql.Status, PaymentsSql.ProcessedAt];

    private static IEnumerable<TestCaseData> Statements =>
        Provider.Statements().Select(s => new TestCaseData(s.Value).SetArgDisplayNames(s.Key));

    // The statements that carry input values: each value must be a parameter, and every parameter must be used.
    private static IEnumerable<TestCaseData> DataStatements =>
    [
        new TestCaseData(Provider.Dialect.Sql.Insert, PaymentParameters).SetArgDisplayNames("Insert"),
        new TestCaseData(Provider.Dialect.Sql.Upsert, PaymentParameters).SetArgDisplayNames("Upsert"),
        new TestCaseData(Provider.Dialect.UnreliableUpserts[SqlServerDialect.PlainMergeVariant], PaymentParameters).SetArgDisplayNames("unreliable:plain-merge"),
        new TestCaseData(Provider.Dialect.Sql.SelectById, new[] { PaymentsSql.PaymentId }).SetArgDisplayNames("SelectById"),
    ];

    [TestCaseSource(nameof(Statements))]
    public void Every_statement_parses_as_TSql_without_errors(string sql) =>
        Assert.That(TSqlChecks.ParseErrors(sql), Is.Empty, sql);

    [Test]
    public void The_upsert_is_a_MERGE_whose_target_holds_its_key_range_lock() =>
        Assert.That(TSqlChecks.EveryMergeTargetHoldsItsLocks(Provider.Dialect.Sql.Upsert), Is.True, Provider.Dialect.Sql.Upsert);

    // Every MERGE the robust strategy can send, not only the single-row upsert: the staged insert of new ids is the
    // one a run writes through, and without the hint two runs can both find an id missing and both insert it.
    private static IEnumerable<KeyValuePair<string, string>> RobustMerges =>
        Provider.Statements().Where(s => !s.Key.StartsWith("unreliable:", StringComparison.Ordinal) && TSqlChecks.HasMerge(s.Value));

    private static IEnumerable<TestCaseData> RobustMergeCases => RobustMerges.Select(s => new TestCaseData(s.Value).SetArgDisplayNames(s.Key));

    [TestCaseSource(nameof(RobustMergeCases))]
    public void Every_MERGE_the_robust_strategy_sends_holds_its_key_range_lock(string sql) =>
        Assert.That(TSqlChecks.EveryMergeTargetHoldsItsLocks(sql), Is.True, sql);

    [Test]
    public void The_robust_MERGEs_are_the_upsert_and_the_staged_insert_of_new_ids() =>
        Assert.That(RobustMerges.Select(s => s.Key), Is.EquivalentTo(new[] { nameof(PaymentsSql.Upsert), "Staging.InsertNew" }));

    [Test]
    public void The_plain_MERGE_negative_control_is_the_same_MERGE_without_the_hint()
    {
        var plain = Provider.Dialect.UnreliableUpserts[SqlServerDialect.PlainMergeVariant];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TSqlChecks.HasMerge(plain), Is.True);
            Assert.That(TSqlChecks.EveryMergeTargetHoldsItsLocks(plain), Is.False, plain);
        }
    }

    [Test]
    public void The_robust_session_statement_sets_XACT_ABORT_on() =>
        Assert.That(TSqlChecks.SetsXactAbortOn(SqlServerDialect.RobustSessionSql), Is.True);

    [Test]
    public async Task The_robust_transaction_sets_XACT_ABORT_on_before_it_begins()
    {
        using var connection = new RecordingConnection();
        await using var transaction = await Provider.Dialect.BeginTransactionAsync(connection, CancellationToken.None);

        Assert.That(connection.Log, Has.Count.EqualTo(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TSqlChecks.SetsXactAbortOn(connection.Log[0]), Is.True, connection.Log[0]);
            Assert.That(connection.Log[1], Does.StartWith("BEGIN TRANSACTION"));
        }
    }

    [TestCaseSource(nameof(DataStatements))]
    public void A_data_statement_takes_every_value_as_a_parameter(string sql, string[] parameters)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TSqlChecks.Literals(sql), Is.Empty, sql);
            Assert.That(TSqlChecks.Parameters(sql), Is.EquivalentTo(parameters), sql);
        }
    }

    [Test]
    public void The_parse_check_fails_on_invalid_TSql()
    {
        // A MERGE must end with a semicolon; and a clause in the wrong place is a syntax error.
        var unterminated = Provider.Dialect.Sql.Upsert.TrimEnd().TrimEnd(';');
        var garbled = Provider.Dialect.Sql.Upsert.Replace("WHEN NOT MATCHED BY TARGET", "WHEN NOT MATCHED BY NOBODY", StringComparison.Ordinal);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TSqlChecks.ParseErrors(unterminated), Is.Not.Empty);
            Assert.That(TSqlChecks.ParseErrors(garbled), Is.Not.Empty);
        }
    }

    [TestCase(" WITH (HOLDLOCK)", "", TestName = "{m}(hint removed)")]
    [TestCase(" WITH (HOLDLOCK)", " WITH (UPDLOCK)", TestName = "{m}(UPDLOCK alone)")]
    [TestCase(" WITH (HOLDLOCK)", " WITH (NOLOCK)", TestName = "{m}(NOLOCK)")]
    public void The_lock_check_fails_on_a_MERGE_without_HOLDLOCK(string hint, string replacement)
    {
        var broken = Provider.Dialect.Sql.Upsert.Replace(hint, replacement, StringComparison.Ordinal);
        Assert.That(broken, Is.Not.EqualTo(Provider.Dialect.Sql.Upsert));
        Assert.That(TSqlChecks.EveryMergeTargetHoldsItsLocks(broken), Is.False);
    }

    [Test]
    public void The_lock_check_fails_on_a_statement_that_is_not_a_MERGE() =>
        Assert.That(TSqlChecks.EveryMergeTargetHoldsItsLocks(Provider.Dialect.Sql.Insert), Is.False);

    [TestCase("SET XACT_ABORT OFF;")]
    [TestCase("SET NOCOUNT ON;")]
    [TestCase("SELECT 1;")]
    public void The_XACT_ABORT_check_fails_on_a_session_that_does_not_set_it(string session) =>
        Assert.That(TSqlChecks.SetsXactAbortOn(session), Is.False);

    [Test]
    public void The_parameter_checks_fail_on_a_value_written_into_the_statement()
    {
        var literal = Provider.Dialect.Sql.Upsert.Replace("@status", "N'captured'", StringComparison.Ordinal);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TSqlChecks.Literals(literal), Is.Not.Empty);
            Assert.That(TSqlChecks.Parameters(literal), Is.Not.EquivalentTo(PaymentParameters));
        }
    }

    [Test]
    public void Identifiers_are_bracket_quoted_with_the_closing_bracket_doubled()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Provider.Dialect.Quote("payments"), Is.EqualTo("[payments]"));
            Assert.That(Provider.Dialect.Quote("pay]ments; DROP TABLE x--"), Is.EqualTo("[pay]]ments; DROP TABLE x--]"));
            Assert.That(TSqlChecks.ParseErrors($"SELECT 1 FROM {Provider.Dialect.Quote("pay]ments; DROP TABLE x--")};"), Is.Empty);
        }
    }
}
