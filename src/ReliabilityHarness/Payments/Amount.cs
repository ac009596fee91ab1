using System.Globalization;
using ReliabilityHarness.Flaws;

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

    private const string TooManyFractionDigits = "expected at most 4 fractional digits";

    /// <summary>Parses <paramref name="text"/> or says what was expected instead (the caller adds what it got).</summary>
    public static bool TryParse(string text, out decimal amount, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        if (TryParseWellFormed(text, out amount))
        {
            return true;
        }

        problem = Check(text);
        if (problem is not null)
        {
            // The seeded flaw: a fifth fractional digit rounded away instead of refused.
            if (Seeded.Has(Flaw.RoundsAFifthFractionalDigit) && problem == TooManyFractionDigits
                && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rounded) && rounded > 0m)
            {
                (amount, problem) = (Math.Round(rounded, MaxFractionDigits), null);
                return true;
            }

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
    /// The one pass every valid amount takes: digits, optionally '.' and 1 to 4 digits, at most 15 significant
    /// digits before the point, not zero. The digits (at most 19 significant: below 2^64) are the decimal's
    /// mantissa and the fractional digits its scale, so the value is exactly what <c>decimal.Parse</c> gives, trailing
    /// zeros included. Anything else returns false, and <see cref="Check"/> says what is wrong with it.
    /// </summary>
    private static bool TryParseWellFormed(ReadOnlySpan<char> text, out decimal amount)
    {
        amount = 0m;
        ulong mantissa = 0;
        var significant = 0;
        var at = 0;
        for (; at < text.Length && char.IsAsciiDigit(text[at]); at++)
        {
            if ((mantissa != 0 || text[at] != '0') && ++significant > MaxIntegerDigits)
            {
                return false;
            }

            mantissa = (mantissa * 10) + (ulong)(text[at] - '0');
        }

        if (at == 0)
        {
            return false;
        }

        var scale = 0;
        if (at < text.Length)
        {
            if (text[at++] != '.')
            {
                return false;
            }

            for (; at < text.Length && char.IsAsciiDigit(text[at]) && scale < MaxFractionDigits; at++, scale++)
            {
                mantissa = (mantissa * 10) + (ulong)(text[at] - '0');
            }

            if (scale == 0 || at != text.Length)
            {
                return false;
            }
        }

        if (mantissa == 0)
        {
            return false;
        }

        amount = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, isNegative: false, (byte)scale);
        return true;
    }

    /// <summary>
    /// The one text form every provider stores or compares: invariant culture, '.' as the point, no trailing zeros
    /// (12.30 → "12.3"), so equal amounts have equal text. Written from the decimal's mantissa and scale for every
    /// amount the contract allows; any other decimal is formatted as "0.####".
    /// </summary>
    public static string ToCanonicalString(decimal amount)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(amount, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        if (bits[2] != 0 || bits[3] < 0 || scale > MaxFractionDigits)
        {
            return amount.ToString("0.####", CultureInfo.InvariantCulture);
        }

        var mantissa = ((ulong)(uint)bits[1] << 32) | (uint)bits[0];
        for (; scale > 0 && mantissa % 10 == 0; scale--)
        {
            mantissa /= 10;
        }

        Span<char> digits = stackalloc char[20];
        mantissa.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        if (scale == 0)
        {
            return new string(digits[..length]);
        }

        // "0." and leading zeros when every digit is a fractional one (0.0012), else the point among the digits.
        var integerDigits = Math.Max(length - scale, 0);
        var zeros = Math.Max(scale - length, 0);
        Span<char> text = stackalloc char[length + zeros + 2];
        var at = 0;
        if (integerDigits == 0)
        {
            text[at++] = '0';
        }

        digits[..integerDigits].CopyTo(text[at..]);
        at += integerDigits;
        text[at++] = '.';
        text.Slice(at, zeros).Fill('0');
        at += zeros;
        digits[integerDigits..length].CopyTo(text[at..]);
        return new string(text[..(at + length - integerDigits)]);
    }

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
            return TooManyFractionDigits;
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
