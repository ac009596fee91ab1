namespace ReliabilityHarness.Tests.Hostile;

/// <summary>Passwords never reach output; identifiers go through one quoting function that cannot be escaped.</summary>
public sealed class SecretAndIdentifierTests
{
    [TestCase("Host=db;Username=u;Password=hunter2")]
    [TestCase("Server=db,1433;User ID=sa;PWD=hunter2;TrustServerCertificate=True")]
    [TestCase("Server=db;User ID=u;password = 'hunter2;still secret'")]
    [TestCase("Server=db;Uid=u;Pwd=\"hunter2\"")]
    [TestCase("Data Source=p.db;Password=hunter2")]
    [TestCase("Server=db;Access Token=hunter2")]
    public void Redaction_hides_the_password_of_every_provider_form(string connectionString)
    {
        var redacted = ConnectionStrings.Redact(connectionString);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(redacted, Does.Not.Contain("hunter2").And.Not.Contain("still secret"));
            Assert.That(redacted, Does.Contain("***"));
            Assert.That(ConnectionStrings.Scrub($"failed for {connectionString}: bad hunter2", connectionString), Does.Not.Contain("hunter2"));
        }
    }

    [Test]
    public void A_connection_string_that_does_not_parse_is_hidden_whole() =>
        Assert.That(ConnectionStrings.Redact("Password='unterminated;Host=x"), Does.Not.Contain("unterminated"));

    [TestCase("payments", '"', '"', "\"payments\"")]
    [TestCase("a\"b", '"', '"', "\"a\"\"b\"")]
    [TestCase("x\"; DROP TABLE payments; --", '"', '"', "\"x\"\"; DROP TABLE payments; --\"")]
    [TestCase("a]b", '[', ']', "[a]]b]")]
    [TestCase("a`b", '`', '`', "`a``b`")]
    public void Quoting_doubles_the_closing_quote_so_a_name_cannot_end_early(string identifier, char open, char close, string quoted) =>
        Assert.That(SqlIdentifier.Quote(identifier, open, close), Is.EqualTo(quoted));

    [TestCase("")]
    [TestCase("a\0b")]
    [TestCase("line\nbreak")]
    public void Quoting_refuses_what_no_engine_takes_as_a_name(string identifier) =>
        Assert.That(() => SqlIdentifier.Quote(identifier, '"', '"'), Throws.ArgumentException);

    [Test]
    public void Quoting_refuses_a_name_longer_than_63_characters() =>
        Assert.That(() => SqlIdentifier.Quote(new string('n', 64), '"', '"'), Throws.ArgumentException);
}
