using System.Globalization;

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

    // The parser reads every valid amount in one pass and the formatter writes it from the mantissa: both must give
    // exactly what decimal.Parse and the "0.####" format give (scale included), leading and trailing zeros too.
    [Test]
    public void Parsing_and_formatting_agree_with_the_framework_on_every_shape_of_valid_amount()
    {
        var random = new Random(20261128);
        string Digits(int count) => new(Enumerable.Range(0, count).Select(_ => (char)('0' + random.Next(10))).ToArray());
        for (var i = 0; i < 20_000; i++)
        {
            var integer = new string('0', random.Next(0, 4)) + Digits(random.Next(1, Amount.MaxIntegerDigits + 1));
            var fraction = Digits(random.Next(0, Amount.MaxFractionDigits + 1));
            var text = fraction.Length == 0 ? integer : $"{integer}.{fraction}";
            var expected = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            Assert.That(Amount.TryParse(text, out var amount, out var problem), Is.EqualTo(expected > 0m), text);
            if (expected > 0m)
            {
                Assert.That(decimal.GetBits(amount), Is.EqualTo(decimal.GetBits(expected)), text);
                Assert.That(Amount.ToCanonicalString(amount), Is.EqualTo(expected.ToString("0.####", CultureInfo.InvariantCulture)), text);
            }
            else
            {
                Assert.That(problem, Does.Contain("positive"), text);
            }
        }
    }

    [TestCase("12.34567")]
    [TestCase("-12.5")]
    [TestCase("79228162514264337593543950335")]
    [TestCase("0.00001")]
    public void A_decimal_outside_the_contract_is_still_formatted_as_the_format_string_does(string text)
    {
        var value = decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
        Assert.That(Amount.ToCanonicalString(value), Is.EqualTo(value.ToString("0.####", CultureInfo.InvariantCulture)));
    }
}
