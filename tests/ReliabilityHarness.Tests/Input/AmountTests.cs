namespace ReliabilityHarness.Tests.Input;

public sealed class AmountTests
{
    [TestCase("12.34", "12.34")]
    [TestCase("12.30", "12.3")]
    [TestCase("0.0001", "0.0001")]
    [TestCase("007", "7")]
    [TestCase("999999999999999.9999", "999999999999999.9999")]
    public void A_valid_amount_parses_exactly(string text, string canonical)
    {
        Assert.That(Amount.TryParse(text, out var amount, out var problem), Is.True, problem);
        Assert.That(Amount.ToCanonicalString(amount), Is.EqualTo(canonical));
    }

    [TestCase("", "expected an amount")]
    [TestCase("0", "positive")]
    [TestCase("0.0000", "positive")]
    [TestCase("-5", "expected a positive amount")]
    [TestCase("+5", "expected a positive decimal")]
    [TestCase("1e5", "exponents")]
    [TestCase("1.5E-3", "exponents")]
    [TestCase("NaN", "expected a positive decimal")]
    [TestCase("Infinity", "expected a positive decimal")]
    [TestCase("12.34567", "at most 4 fractional digits")]
    [TestCase("1,000.00", "no thousands separators")]
    [TestCase("12,5", "decimal point")]
    [TestCase(".5", "expected a positive decimal")]
    [TestCase("5.", "expected a positive decimal")]
    [TestCase(" 5", "expected a positive decimal")]
    [TestCase("1234567890123456", "at most 15 digits")]
    [TestCase("١٢", "expected a positive decimal")]
    public void An_invalid_amount_is_refused_with_what_was_expected(string text, string fragment)
    {
        Assert.That(Amount.TryParse(text, out _, out var problem), Is.False);
        Assert.That(problem, Does.Contain(fragment));
    }
}
