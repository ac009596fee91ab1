namespace ReliabilityHarness.Tests.Input;

/// <summary>Amounts that look like exponents but are not, and the argument the parser refuses outright.</summary>
public sealed class AmountShapeTests
{
    // Only digits, 'e' and a signed run of digits is called an exponent; anything else gets the plain shape message.
    [TestCase("e5", TestName = "{m}(no digit before the e)")]
    [TestCase("1e5x", TestName = "{m}(a letter after the exponent's digits)")]
    [TestCase("1e", TestName = "{m}(no digit after the e)")]
    public void Text_with_an_e_that_is_not_an_exponent_gets_the_plain_shape_message(string text)
    {
        Assert.That(Amount.TryParse(text, out _, out var problem), Is.False);
        Assert.That(problem, Is.EqualTo("expected a positive decimal such as 12.34 (digits, optionally '.' and 1 to 4 digits)"));
    }

    [Test]
    public void A_null_text_is_refused_as_an_argument_error() =>
        Assert.That(() => Amount.TryParse(null!, out _, out _), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("text"));
}
