using System.Globalization;

namespace ReliabilityHarness.Payments;

/// <summary>
/// Money as the contract defines it: a positive decimal with at most <see cref="MaxFractionDigits"/> fractional
/// digits and at most <see cref="MaxIntegerDigits"/> before the point (what DECIMAL(19,4) holds). Parsed from text
/// exactly, never through a binary floating-point type.
/// </summary>
public static class Amount
{
    public const int MaxFractionDigits = 4;
    public const int MaxIntegerDigits = 15;

    /// <summary>Parses <paramref name="text"/> or says what was expected instead (the caller adds what it got).</summary>
    public static bool TryParse(string text, out decimal amount, out string? problem)
    {
        amount = 0m;
        problem = Check(text);
        if (problem is not null)
        {
            return false;
        }

        amount = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        if (amount <= 0m)
        {
            problem = "expected a positive amount";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The one text form every provider stores or compares: invariant culture, '.' as the point, no trailing zeros
    /// (12.30 → "12.3"), so equal amounts have equal text.
    /// </summary>
    public static string ToCanonicalString(decimal amount) => amount.ToString("0.####", CultureInfo.InvariantCulture);

    private static string? Check(string text)
    {
        const string Shape = "expected a positive decimal such as 12.34 (digits, optionally '.' and 1 to 4 digits)";
        if (text.Length == 0)
        {
            return "expected an amount";
        }

        var point = text.IndexOf('.', StringComparison.Ordinal);
        var integerPart = point < 0 ? text : text[..point];
        var fractionPart = point < 0 ? string.Empty : text[(point + 1)..];
        if (IsExponentForm(text))
        {
            return $"{Shape}; exponents are not allowed";
        }

        if (text[0] == '-')
        {
            return "expected a positive amount";
        }

        if (text.Contains(',', StringComparison.Ordinal))
        {
            return $"{Shape}; use '.' as the decimal point and no thousands separators";
        }

        if (integerPart.Length == 0 || !integerPart.All(char.IsAsciiDigit) || (point >= 0 && fractionPart.Length == 0) || !fractionPart.All(char.IsAsciiDigit))
        {
            return Shape;
        }

        if (fractionPart.Length > MaxFractionDigits)
        {
            return $"expected at most {MaxFractionDigits} fractional digits";
        }

        if (integerPart.TrimStart('0').Length > MaxIntegerDigits)
        {
            return $"expected at most {MaxIntegerDigits} digits before the decimal point";
        }

        return null;
    }

    private static bool IsExponentForm(string text)
    {
        var e = text.IndexOfAny(['e', 'E']);
        return e > 0 && char.IsAsciiDigit(text[e - 1]) && text[(e + 1)..].TrimStart('+', '-') is { Length: > 0 } exponent
            && exponent.All(char.IsAsciiDigit);
    }
}
